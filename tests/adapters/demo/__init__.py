"""Tests of the demo adapter."""
