-- The sealed rejects of one file (registered as rejects_new).
INSERT INTO rejects SELECT run_id, file, line, reason, key_id, nonce, ciphertext FROM rejects_new
