-- The SHA-256 of a sample as drawn (review/samples.py, canonical serialisation codeaudit-sample-1), also in its
-- sample_draw event: a seed, frame or drawn claim changed later no longer matches it. NULL for samples drawn before.
ALTER TABLE samples ADD COLUMN sample_sha256 TEXT;
