"""The access log: append-only, hash-chained, HMAC-signed, checkpointed, shared by every process.

One module per job: format (the bytes of lines and checkpoint records), files (opening, locking,
reading), writer (AccessLog), checkpoints, identity (which checkpoint folder is a log's), verify, read
(read_events), export (FHIR and CSV) and cli (`manage.py verify-log` and `export-log`).
"""
