"""Dunning rules: policies read from TOML, a pure evaluation, the French calendar and penalties."""
