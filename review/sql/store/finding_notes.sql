-- The sealed notes of a revision's findings that have any (review/notes.py opens them after a logged reveal).
SELECT finding_id, notes_key_id, notes_nonce, notes_ciphertext
FROM findings WHERE review_id = ? AND revision = ? AND notes_ciphertext IS NOT NULL;
