-- Rows the CSV reader could not parse: one per record number, with the kind of error that is the cause
-- (a record can get several: a stray quote also leaves fields missing, a too-long line also looks short)
-- and the raw text.
SELECT line,
       arg_min(error_type, CASE error_type WHEN 'LINE SIZE OVER MAXIMUM' THEN 1 WHEN 'INVALID ENCODING' THEN 2
                                           WHEN 'UNQUOTED VALUE' THEN 3 WHEN 'TOO MANY COLUMNS' THEN 4
                                           WHEN 'MISSING COLUMNS' THEN 5 ELSE 6 END),
       any_value(csv_line)
FROM {rejects} GROUP BY line ORDER BY line
