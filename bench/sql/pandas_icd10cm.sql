-- The pandas baseline's ICD-10-CM flags.
SELECT code, billable, unspecified, chapter FROM icd10cm;
