"""The SHA-256 of each input file, computed in a process of its own (`python -m ingest.file_digest`).

Why a process: the input files hold PHI in plaintext, and the process that writes the store must never
hold plaintext (ingest/stage.py says why). This one reads the files through the descriptors the writer
opened and checked (ingest/files.py), so what is hashed is what the stager reads, and answers with hex
digests only. It imports nothing but the standard library, so it starts in a few tens of milliseconds.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys

CHUNK = 1 << 20


def sha256_of(fd: int) -> str:
    """The SHA-256 of the whole open file, read with pread (the descriptor's offset is left where it was)."""
    digest, offset = hashlib.sha256(), 0
    while chunk := os.pread(fd, CHUNK, offset):
        digest.update(chunk)
        offset += len(chunk)
    return digest.hexdigest()


def main() -> int:
    """Read {key: descriptor} as JSON on stdin; answer {key: hex digest} as JSON on stdout."""
    descriptors: dict[str, int] = json.load(sys.stdin)
    json.dump({key: sha256_of(fd) for key, fd in descriptors.items()}, sys.stdout)
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
