-- The mark of a file created new, or rebuilt from an older store's contents, by the writer that stages
-- PHI in memory only: no block of it ever held plaintext, so later writes may copy its bytes (free
-- blocks included). A store from before that writer lacks it and is rebuilt once from its contents.
CREATE TABLE IF NOT EXISTS plaintext_free_since AS SELECT now() AS built_at;
