"""Database access: engine, tables and migrations (SQLite embedded, PostgreSQL at scale)."""
