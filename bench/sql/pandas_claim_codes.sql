-- The pandas baseline's copy of the codes.
SELECT claim_key, line, code_type, code FROM claim_codes;
