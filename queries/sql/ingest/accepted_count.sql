-- How many rows of one file were accepted.
SELECT count(*) FROM {checked} WHERE reason IS NULL
