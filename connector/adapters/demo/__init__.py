"""The demo source: generated books and a local overlay file; the adapter is in streams."""

from connector.adapters.demo.streams import DemoAdapter as DemoAdapter
from connector.adapters.demo.streams import DemoConfig as DemoConfig
