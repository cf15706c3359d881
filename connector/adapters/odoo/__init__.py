"""Odoo (XML-RPC): client, streams, mapping, push; the adapter is streams.OdooAdapter."""

from connector.adapters.odoo.streams import OdooAdapter as OdooAdapter
from connector.adapters.odoo.streams import OdooConfig as OdooConfig
