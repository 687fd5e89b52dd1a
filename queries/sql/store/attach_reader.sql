-- A reader's view of the live store: attached read-only to the reader's own in-memory DuckDB, and in use,
-- so unqualified names (and the stored in_scope macro) resolve against the file as it is now.
ATTACH {path} AS store (READ_ONLY);
USE store;
