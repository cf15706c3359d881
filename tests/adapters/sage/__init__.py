"""Tests of the sage adapter."""
