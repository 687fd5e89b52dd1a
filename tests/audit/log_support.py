"""Helpers shared by the access-log tests: synthetic events, the raw lines, an independent signer, the CLI."""
from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import shutil
from pathlib import Path

from audit.events import AccessEvent
from audit.log.files import LOG_FILE
from audit.log.verify import verify
from audit.log.writer import AccessLog
from cli.log import register
from config.paths import Paths

LOG_V1 = Path(__file__).parent / "data" / "log_v1"  # written by the code before the audit/log split
LOG_V1_FOLDER = "7d365753ad9a6854"  # its checkpoint folder, named by a hash of the path it was written at


def event(i: int = 0, **changes) -> AccessEvent:
    fields = dict(
        user=f"user{i % 3}", role="auditor", action="phi_reveal", resource="claims",
        claim_keys=(f"ck_{i:016x}",), fields=("member_name", "dob"), purpose_of_use="HOPERAT",
        justification=f"rebuttal review {i}", details={"page": "claim_detail", "n": i},
    )
    return AccessEvent(**(fields | changes))


def write(paths: Paths, n: int = 10) -> list[dict]:
    with AccessLog(paths) as log:
        return [log.append(event(i)) for i in range(n)]


def lines(paths: Paths) -> list[bytes]:
    return (paths.log_dir / LOG_FILE).read_bytes().splitlines(keepends=True)


def save(paths: Paths, new_lines: list[bytes]) -> None:
    (paths.log_dir / LOG_FILE).write_bytes(b"".join(new_lines))


def signed_line(body: dict, key: bytes) -> bytes:
    """A line in the documented format, built independently of the implementation."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()
    digest = hashlib.sha256(canonical).hexdigest()
    mac = hmac.new(key, canonical, hashlib.sha256).hexdigest()
    return canonical[:-1] + f',"hash":"{digest}","mac":"{mac}"}}\n'.encode()


def body(line: bytes) -> dict:
    record = json.loads(line)
    del record["hash"], record["mac"]
    return record


def problems(paths: Paths) -> list[tuple[int, str]]:
    return [(p.seq, p.kind) for p in verify(paths).problems]


def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def restore_log_v1(paths: Paths) -> None:
    """Copy the checked-in log of tests/audit/data/log_v1 into these data and key folders, private as
    real ones are."""
    shutil.copytree(LOG_V1 / "data", paths.data_dir, dirs_exist_ok=True)
    shutil.copytree(LOG_V1 / "keys", paths.key_dir, dirs_exist_ok=True)
    for path in [paths.key_dir, *paths.key_dir.rglob("*")]:
        path.chmod(0o700 if path.is_dir() else 0o600)


def checkpoint_folder(paths: Paths) -> Path:
    """The folder of this log's checkpoints: named by the hash of its first event (docs/SECURITY.md)."""
    return paths.checkpoint_dir / json.loads(lines(paths)[0])["hash"]
