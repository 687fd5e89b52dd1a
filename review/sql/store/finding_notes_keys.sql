-- The data keys the review store's sealed finding notes use (rotate-key keeps them until none does).
SELECT DISTINCT notes_key_id FROM findings WHERE notes_key_id IS NOT NULL;
