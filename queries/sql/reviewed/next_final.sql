-- When the next preliminary finding becomes final by its window closing: the reader reloads then.
SELECT min(final_after) FROM reviewed_all WHERE NOT final AND final_after IS NOT NULL;
