-- Rows the CSV reader could not parse: one per record number, with the kind of error and the raw text.
SELECT line, any_value(error_type), any_value(csv_line) FROM {rejects} GROUP BY line ORDER BY line
