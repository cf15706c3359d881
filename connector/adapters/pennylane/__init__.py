"""Pennylane (REST v2): client, streams, mapping, push; the adapter is in streams."""

from connector.adapters.pennylane.streams import PennylaneAdapter as PennylaneAdapter
from connector.adapters.pennylane.streams import PennylaneConfig as PennylaneConfig
