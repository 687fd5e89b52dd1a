-- Accounts made before coder accounts existed: the coder_id column, empty.
ALTER TABLE users ADD COLUMN coder_id TEXT;
