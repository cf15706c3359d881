"""The FEC source: parse (the file format), ledger (invoices from 411 lines and their
lettering), contacts (the contacts file); the adapter is in streams."""

from connector.adapters.fec.streams import FecAdapter as FecAdapter
from connector.adapters.fec.streams import FecConfig as FecConfig
