"""Tests of the FEC adapter."""
