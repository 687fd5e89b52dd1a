-- The pandas baseline's CARC flags.
SELECT code AS carc, coding_related FROM carc;
