-- The sealed notes of one finding of a revision (review/notes.py): key id, nonce, ciphertext.
UPDATE findings SET notes_key_id = ?, notes_nonce = ?, notes_ciphertext = ?
WHERE review_id = ? AND revision = ? AND finding_id = ?;
