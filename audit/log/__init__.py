"""The access log: append-only, hash-chained, HMAC-signed, checkpointed, shared by every process.

One module per job: format (the bytes of lines and checkpoint records), files (opening, locking,
reading from the end), writer (AccessLog), checkpoints, verify, read (read_events), export (FHIR and
CSV) and cli (`manage.py verify-log` and `export-log`).
"""
