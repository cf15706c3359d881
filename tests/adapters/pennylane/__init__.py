"""Tests of the pennylane adapter."""
