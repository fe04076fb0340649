"""drivebot's state: the SQLite store (store), its typed rows (rows), schema and outbox items."""
