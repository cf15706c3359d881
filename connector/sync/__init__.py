"""State and movement: the store, the sync engine, the outbox and the scheduler."""
