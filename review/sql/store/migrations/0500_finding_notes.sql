-- A finding's notes: the auditor's rationale, the reference (Official Guidelines section or Coding Clinic
-- citation) and where in the record it is documented. Free text that may hold PHI, so stored only sealed by the
-- PHI vault (AES-256-GCM, review/notes.py): a key id, a nonce and the ciphertext of the three as JSON, bound to
-- the finding (table findings, row review_id|finding_id, column notes). NULL when the auditor wrote none.
ALTER TABLE findings ADD COLUMN notes_key_id TEXT;
ALTER TABLE findings ADD COLUMN notes_nonce BLOB;
ALTER TABLE findings ADD COLUMN notes_ciphertext BLOB;
