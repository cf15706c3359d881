"""Pennylane (REST v2): streams, mapping. The adapter is `streams.PennylaneAdapter`."""

from connector.adapters.pennylane.streams import PennylaneAdapter, PennylaneConfig

__all__ = ["PennylaneAdapter", "PennylaneConfig"]
