"""Tests of the spreadsheet adapter."""
