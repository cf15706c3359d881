"""Odoo (XML-RPC): client, streams, mapping, push. The adapter is `streams.OdooAdapter`."""

from connector.adapters.odoo.streams import OdooAdapter, OdooConfig

__all__ = ["OdooAdapter", "OdooConfig"]
