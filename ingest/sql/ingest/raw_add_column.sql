-- A column of the format that the file does not have: blank in every row.
ALTER TABLE {raw} ADD COLUMN {column} VARCHAR
