-- A reference table (code sets, CARC and RARC descriptions, DRG weights), whole and unpartitioned, rows in one
-- total order so the same store gives the same bytes. {source} from the allow-list in code, {path} the file.
COPY (SELECT * FROM {source} ORDER BY ALL) TO {path} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 100000);
