-- The accounts table's columns, to add those an older file lacks.
SELECT name FROM pragma_table_info('users');
