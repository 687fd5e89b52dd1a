-- Void a sample (once): when, by whom and why.
UPDATE samples SET voided_at = ?, voided_by = ?, void_reason = ? WHERE sample_id = ? AND voided_at IS NULL;
