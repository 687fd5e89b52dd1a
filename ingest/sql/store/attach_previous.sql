-- The live store, read only: to ask whether its free blocks may hold plaintext, and if so to seed the copy
-- with its contents rather than its bytes.
ATTACH {path} AS previous (READ_ONLY)
