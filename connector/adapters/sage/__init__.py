"""Sage Accounting (REST v3.1): client, auth, streams, mapping, push.

The adapter is `streams.SageAdapter`."""

from connector.adapters.sage.streams import SageAdapter, SageConfig

__all__ = ["SageAdapter", "SageConfig"]
