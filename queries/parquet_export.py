"""`manage.py export-parquet`: the pseudonymised analytic tables as Parquet, for an engine that is not DuckDB.

What is written (docs/FORMAT.md, "Parquet export"): the claim-level tables of CLAIM_TABLES, each partitioned by
its claim's service month (`<table>/service_month=YYYY-MM/part_0.parquet`), the final reviewed findings of the
review store as `reviewed_findings` (the same rows every reader's overlay adds to the store's findings,
queries/reviewed.py), and the reference tables of REFERENCE_TABLES whole; then `manifest.json`. Never the PHI
vault, the rejects (their raw rows), keys, ingest runs or remittance traces: the allow-lists below are all
that is read.

The same store gives the same bytes: rows are sorted on every column, row groups and compression are fixed,
and Parquet written by DuckDB carries no time. Only the manifest's `exported_at` differs between two exports.

No event, no export: the files are written into a private staging folder beside the target, the `export`
event (with the scope, the rows per table and the manifest's SHA-256) is recorded, and only then is the
folder renamed into place.
"""
from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq

from audit.events import AccessEvent
from config.paths import Paths
from queries.sql_files import sql, sql_literal
from queries.store import connect_read_only

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
PARTITION = "service_month"
# Exported name -> the relation of the reader's connection it is read from. Claim-level tables carry a claim_key
# and are partitioned by the claim's service month.
CLAIM_TABLES = {
    "claims": "store.main.claims",
    "claim_codes": "store.main.claim_codes",
    "audit_findings": "store.main.audit_findings",        # imported findings only
    "reviewed_findings": "temp.main.reviewed_findings",   # final reviewed findings (queries/sql/reviewed/overlay.sql)
    "denials": "store.main.denials",
    "claim_drg": "store.main.claim_drg",
    "claim_drg_cc": "store.main.claim_drg_cc",
    "claim_mce_edits": "store.main.claim_mce_edits",
}
REFERENCE_TABLES = {
    "icd10cm": "store.main.icd10cm",
    "carc": "store.main.carc",
    "rarc": "store.main.rarc",
    "drg_weights": "store.main.drg_weights",
}
Record = Callable[[AccessEvent], None]


class ExportError(ValueError):
    """A target the export refuses; the message says what to do instead."""


@dataclass(frozen=True)
class ExportResult:
    folder: Path
    manifest: dict[str, Any]
    seconds: float

    @property
    def bytes(self) -> int:
        return sum(f["bytes"] for t in self.manifest["tables"].values() for f in t["files"])


def _target(folder: Path) -> Path:
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ExportError(f"{folder} exists and is not an empty folder: name a new folder for the export.")
    if not folder.parent.is_dir():
        raise ExportError(f"the folder {folder.parent} does not exist: create it first or name another place.")
    return folder


def _copy(con: duckdb.DuckDBPyConnection, name: str, source: str, path: Path, params: dict[str, Any] | None = None) -> None:
    con.execute(sql(f"export/{name}").format(source=source, path=sql_literal(str(path))), params or {})


def _files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.parquet"))


def _schema(path: Path) -> list[list[str]]:
    return [[field.name, str(field.type)] for field in pq.read_schema(path)]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _table_entry(con: duckdb.DuckDBPyConnection, root: Path, name: str, partitioned: bool) -> dict[str, Any]:
    files = _files(root / name)
    listed = [str(p) for p in files]
    entry: dict[str, Any] = {"partitioned_by": PARTITION if partitioned else None, "schema": _schema(files[0])}
    if partitioned and files[0].parent.name.startswith(f"{PARTITION}="):
        partitions = dict(con.execute(sql("export/partition_rows"), {"files": listed}).fetchall())
        entry["partitions"] = {month: int(n) for month, n in partitions.items()}
        entry["rows"] = sum(entry["partitions"].values())
        entry["schema"] = [c for c in entry["schema"] if c[0] != PARTITION]
    else:
        entry["partitions"] = {} if partitioned else None
        entry["rows"] = int(con.execute(sql("export/file_rows"), {"files": listed}).fetchone()[0])
    entry["files"] = [{"path": str(p.relative_to(root)), "bytes": p.stat().st_size, "sha256": _sha256(p)} for p in files]
    return entry


def _provenance(con: duckdb.DuckDBPyConnection, feed_version: int, tables: dict[str, Any]) -> dict[str, Any]:
    first, last, runs, last_at = con.execute(sql("export/store_identity")).fetchone()
    groupers, years, synthetic, icd, billable = con.execute(sql("export/versions")).fetchone()
    from queries.drg.grouper import PACKAGE  # the grouper package's version, as the DRG page names it

    return {
        "store": {"first_ingest_run": first, "last_ingest_run": last, "ingest_runs": int(runs), "last_ingest_at": last_at},
        "code_sets": {"icd10cm": {"package": f"simple-icd-10-cm {package_version('simple-icd-10-cm')}", "codes": int(icd),
                                  "billable": int(billable)},
                      **{name: {"codes": tables[name]["rows"]} for name in ("carc", "rarc") if name in tables},
                      "drg_weights": {"fiscal_years": list(years or []), "synthetic": bool(synthetic)}},
        "grouper": {"package": PACKAGE, "versions": list(groupers or [])},
        "reviewed_findings": {"feed_version": feed_version},
    }


def export_parquet(paths: Paths, folder: Path, *, date_from: date | None = None, date_to: date | None = None,
                   recorder: Record, user: str, role: str, now: datetime | None = None) -> ExportResult:
    """Write the export into `folder` (new, or an empty folder), record its `export` event, then put it in place."""
    started = datetime.now(UTC)
    moment = now or started
    target = _target(folder.resolve())
    staging = target.parent / f".{target.name}.writing"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(mode=0o700)
    try:
        manifest = _write(paths, staging, date_from, date_to, moment)
        manifest_bytes = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
        (staging / MANIFEST).write_bytes(manifest_bytes)
        recorder(AccessEvent(user=user, role=role, action="export", resource="parquet:export", details={
            "folder": str(target), "scope": manifest["scope"],
            "tables": {name: t["rows"] for name, t in manifest["tables"].items()},
            "manifest_sha256": hashlib.sha256(manifest_bytes).hexdigest()}))
        if target.exists():
            target.rmdir()
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return ExportResult(target, manifest, (datetime.now(UTC) - started).total_seconds())


def _write(paths: Paths, root: Path, date_from: date | None, date_to: date | None, moment: datetime) -> dict[str, Any]:
    from queries.reviewed import published_version

    spill = root / ".spill"
    con = connect_read_only(paths)
    try:
        con.execute(sql("export/settings").format(path=sql_literal(str(spill))))
        scope = {"date_from": date_from, "date_to": date_to}
        tables: dict[str, Any] = {}
        for name, source in CLAIM_TABLES.items():
            _copy(con, "claim_table", source, root / name, scope)
            if not _files(root / name):
                (root / name).mkdir(exist_ok=True)
                _copy(con, "empty_claim_table", source, root / name / "empty.parquet")
            tables[name] = _table_entry(con, root, name, partitioned=True)
        held = {name for (name,) in con.execute(sql("export/store_tables")).fetchall()}
        for name, source in REFERENCE_TABLES.items():
            if name not in held:
                continue
            (root / name).mkdir()
            _copy(con, "reference_table", source, root / name / "part_0.parquet")
            tables[name] = _table_entry(con, root, name, partitioned=False)
        provenance = _provenance(con, published_version(paths), tables)
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)
    return {"format": FORMAT_VERSION, "exported_at": moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "scope": {"from": date_from.isoformat() if date_from else None, "to": date_to.isoformat() if date_to else None},
            **provenance, "tables": tables}


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of an export folder (ExportError when the folder holds none)."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise ExportError(f"{folder} holds no {MANIFEST}: name a folder written by `python manage.py export-parquet`.")
    return json.loads(path.read_text())
