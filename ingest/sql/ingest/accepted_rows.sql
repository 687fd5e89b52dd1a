-- The accepted rows of one file, with only the columns the store keeps ({columns}: an allow-list in
-- ingest/stage.py): what the stager hands the writer.
SELECT {columns} FROM {checked} WHERE reason IS NULL
