-- Which keys this store was built with (audit/key_checks.py): one check value per key, so a key that
-- does not fit is refused before it writes anything. Rows are never deleted: a retired data key id
-- stays known here and is never given to another key.
CREATE TABLE IF NOT EXISTS key_checks (
    kind        VARCHAR NOT NULL,      -- 'data' (AES-256-GCM vault key) or 'pseudonym' (HMAC key)
    key_id      VARCHAR NOT NULL,      -- data key id (k1, k2, ...); 'pseudonym' for the pseudonym key
    check_value VARCHAR NOT NULL,      -- hex HMAC-SHA256(key, 'codeaudit key check v1|' || kind || '|' || key_id)
    first_used  TIMESTAMPTZ NOT NULL   -- the first write that used the key (for older stores: that checked it)
);
