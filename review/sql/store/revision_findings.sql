-- The findings of one revision with their sealed notes, in position order: what its SHA-256 covers (review/integrity.py).
SELECT finding_id, position, code_type, submitted_code, audited_code, finding, error_category, dollar_impact,
       notes_key_id, notes_nonce, notes_ciphertext
FROM findings WHERE review_id = ? AND revision = ? ORDER BY position;
