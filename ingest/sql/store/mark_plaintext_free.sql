-- The mark of a file created new, or rebuilt from an older store's contents, by a writer whose memory
-- never held plaintext PHI (staging runs in a process of its own, ingest/stage.py): later writes
-- may copy its bytes, free blocks included. A store without it (an older writer's, including the one
-- that staged PHI in its own memory and left the older mark) is rebuilt once from its contents.
DROP TABLE IF EXISTS plaintext_free_since;
CREATE TABLE IF NOT EXISTS built_without_plaintext AS SELECT now() AS built_at;
