"""Sage Accounting (REST v3.1): client, auth, streams, mapping, push; adapter in streams."""

from connector.adapters.sage.streams import SageAdapter as SageAdapter
from connector.adapters.sage.streams import SageConfig as SageConfig
