"""The local state: tables and migrations, the store, the outbox, pauses, runs and plan candidates."""
