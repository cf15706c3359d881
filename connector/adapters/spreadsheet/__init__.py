"""The spreadsheet source: mapping (columns → invoices, header guessing); the adapter is in
streams."""

from connector.adapters.spreadsheet.streams import SpreadsheetAdapter as SpreadsheetAdapter
from connector.adapters.spreadsheet.streams import SpreadsheetConfig as SpreadsheetConfig
