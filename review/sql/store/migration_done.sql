-- Marks one store change as applied, in the transaction that applied it.
INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?);
