-- The writer's private copy, attached to an in-memory DuckDB whose temp_directory is off: staging
-- tables of an ingest live in memory only and never reach this file or a spill folder. USE makes
-- unqualified table names mean the copy's tables; TEMP tables and macros stay in memory.
ATTACH {path} AS store;
USE store;
