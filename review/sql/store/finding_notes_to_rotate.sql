-- Sealed finding notes not under the primary key (rotate-key re-seals them).
SELECT review_id, revision, finding_id, notes_key_id, notes_nonce, notes_ciphertext
FROM findings WHERE notes_key_id IS NOT NULL AND notes_key_id <> ?;
