"""A small real installation for the backup tests: the demo (with its review cycle) built through
`manage.py demo`, an account, an anchor; and backing it up and restoring it through `manage.py`."""
from __future__ import annotations

import csv
import io
import sqlite3
import tarfile
from contextlib import closing
from pathlib import Path

from config.paths import Paths
from tests.audit.keys_site import manage_here

PASSPHRASE = "correct horse battery staple"
DEMO_CLAIMS = "300"


def build_site(root: Path) -> tuple[Paths, Path]:
    """The site's folders and the folder of the demo's raw files (its fake PHI, kept to scan for)."""
    site = Paths(data_dir=root / "site" / "data", key_dir=root / "site" / "keys")
    raw = root / "raw"
    made = manage_here(site, "demo", "--claims", DEMO_CLAIMS, "--data-dir", str(site.data_dir), "--keep-raw", str(raw))
    assert made.returncode == 0, made.stderr
    added = manage_here(site, "users", "add", "ann.auditor", "--role", "auditor", "--password-stdin",
                        stdin="a long enough passphrase\n")
    assert added.returncode == 0, added.stderr
    return site, raw


def back_up(site: Paths, out: Path, keys: Path | None = None, passphrase: str = PASSPHRASE):
    extra = ["--with-keys", str(keys), "--passphrase-stdin"] if keys else []
    return manage_here(site, "backup", "--out", str(out), *extra, stdin=passphrase + "\n")


def restore(archive: Path, target: Paths, keys: Path | None = None, passphrase: str = PASSPHRASE):
    extra = ["--keys", str(keys), "--passphrase-stdin"] if keys else []
    return manage_here(target, "restore", str(archive), "--data-dir", str(target.data_dir), "--key-dir",
                       str(target.key_dir), *extra, stdin=passphrase + "\n")


def phi_values(raw: Path) -> set[bytes]:
    """Claim numbers, MRNs and names of the demo's raw claims: what must never appear in plaintext."""
    with open(raw / "claims.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {r[f].encode() for r in rows for f in ("claim_id", "patient_mrn", "patient_name") if r[f]}


def members(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive) as tar:
        return {info.name: tar.extractfile(info).read() for info in tar}


def rewrite(archive: Path, target: Path, change: dict[str, bytes | None]) -> None:
    """A copy of `archive` with members replaced (bytes) or dropped (None), the rest as they were."""
    with tarfile.open(archive) as source, tarfile.open(target, "w", format=tarfile.PAX_FORMAT) as out:
        for info in source:
            data = source.extractfile(info).read()
            if info.name in change:
                if change[info.name] is None:
                    continue
                data = change[info.name]
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))


def table_rows(db: Path) -> list[str]:
    """Every row of every table of a SQLite store, as SQL text (iterdump), to compare two stores."""
    with closing(sqlite3.connect(db)) as conn:
        return list(conn.iterdump())
