"""The demo source: generated books in a local file. The adapter is `streams.DemoAdapter`."""

from connector.adapters.demo.streams import DemoAdapter, DemoConfig

__all__ = ["DemoAdapter", "DemoConfig"]
