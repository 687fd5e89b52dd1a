-- (Re)create the ICD-10-CM tables from the frames registered by queries/reference.py.
CREATE OR REPLACE TABLE icd10cm AS SELECT * FROM icd10cm_frame;
CREATE OR REPLACE TABLE icd10cm_headings AS SELECT * FROM heading_frame;
