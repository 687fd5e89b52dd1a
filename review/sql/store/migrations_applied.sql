-- The store changes already applied to this review store (review/db.py applies the others, in name order).
SELECT name FROM schema_migrations;
