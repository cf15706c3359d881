"""Adapters: one per accounting system. See base.py for the protocol and the registry."""
