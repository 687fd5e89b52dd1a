"""The access log: append-only, hash-chained, HMAC-signed, checkpointed, anchored, shared by every process.

One module per job: format (the bytes of lines, checkpoint records and anchors), files (opening,
locking, reading), writer (AccessLog), checkpoints, identity (which checkpoint folder is a log's),
verify, read (read_events), anchors (issuing them), export (FHIR and CSV) and cli (`manage.py
verify-log`, `export-log` and `anchor`).
"""
