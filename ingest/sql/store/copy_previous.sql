-- Every table, view and macro of the live store, row by row: blocks the old file had freed (where a
-- writer from before the in-memory staging may have left plaintext) are not copied.
COPY FROM DATABASE previous TO store;
