"""Channels: how a planned reminder reaches a person (email, task, the source's own records)."""
