"""A small real installation (data folder, key folder, access log) driven through `python manage.py`,
and the backup and restore an operator performs, for the key, backup and restore tests."""
from __future__ import annotations

import contextlib
import csv
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

import cli as manage_py
from config.paths import Paths
from config.settings import REPO_ROOT

KEY_VARIABLES = ("CODEAUDIT_DATA_KEYS", "CODEAUDIT_PSEUDONYM_KEY", "CODEAUDIT_LOG_KEY")

CLAIMS = [
    {"claim_id": f"CLM-{i}", "patient_mrn": f"MRN-{i:04d}", "patient_name": f"Pat Test{i}",
     "patient_dob": "1960-02-03", "patient_zip": "02139", "facility_id": "F1", "payer": "Medicare",
     "coder_id": f"C{i % 2}", "encounter_type": "outpatient", "service_date": f"2025-0{1 + i % 3}-10",
     "billed_amount": f"{100 + i}.00"}
    for i in range(6)
] + [{"claim_id": "CLM-BAD", "patient_mrn": "MRN-9999", "patient_name": "Bad Row", "patient_dob": "1960-02-03",
      "patient_zip": "02139", "facility_id": "", "payer": "Medicare", "coder_id": "C1", "encounter_type": "outpatient",
      "service_date": "2025-01-10", "billed_amount": "1.00"}]  # rejected: its raw row is sealed in `rejects`
NEW_CLAIMS = [dict(CLAIMS[0], claim_id=f"NEW-{i}", patient_mrn=f"MRN-N{i}") for i in range(3)]


def write_claims(folder: Path, rows: list[dict[str, str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "claims.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return folder


def _site_env(paths: Paths, env: dict[str, str] | None) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if k not in KEY_VARIABLES}
    return base | {"CODEAUDIT_DATA_DIR": str(paths.data_dir), "CODEAUDIT_KEY_DIR": str(paths.key_dir)} | (env or {})


def manage(paths: Paths, *args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python manage.py ARGS` in a new process, as an operator would, with this site's folders."""
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO_ROOT, env=_site_env(paths, env),
        input=stdin, capture_output=True, text=True, timeout=300,
    )


def manage_here(paths: Paths, *args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """The same command through manage.main in this process (the same code path without a new
    interpreter's start-up), for the variants of a case one `manage` run already covers."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        target = _site_env(paths, env)
        for variable in (*KEY_VARIABLES, "CODEAUDIT_DATA_DIR", "CODEAUDIT_KEY_DIR"):
            if variable in target:
                patch.setenv(variable, target[variable])
            else:
                patch.delenv(variable, raising=False)
        patch.setattr(sys, "stdin", io.StringIO(stdin or ""))
        code = manage_py.main(list(args))
    return subprocess.CompletedProcess(["manage.py", *args], code, out.getvalue(), err.getvalue())


def store_counts(paths: Paths) -> dict[str, int]:
    con = duckdb.connect(str(paths.store), read_only=True)
    try:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("claims", "phi_vault", "rejects", "ingest_runs")}
    finally:
        con.close()


def back_up(paths: Paths, backup: Path) -> None:
    """What docs/SECURITY.md asks an operator to back up, together: the data folder (store, users,
    access log), the key folder, and the log's checkpoint folder (Paths.checkpoint_dir)."""
    shutil.copytree(paths.data_dir, backup / "data", symlinks=True)
    shutil.copytree(paths.key_dir, backup / "keys", symlinks=True)
    if paths.checkpoint_dir.exists():
        shutil.copytree(paths.checkpoint_dir, backup / "checkpoints", symlinks=True)


def restore(backup: Path, paths: Paths) -> Paths:
    """Put a backup in place at `paths` (the same place or another one), as docs/SECURITY.md says."""
    shutil.copytree(backup / "data", paths.data_dir, symlinks=True, dirs_exist_ok=True)
    shutil.copytree(backup / "keys", paths.key_dir, symlinks=True, dirs_exist_ok=True)
    if (backup / "checkpoints").exists():
        shutil.copytree(backup / "checkpoints", paths.checkpoint_dir, symlinks=True, dirs_exist_ok=True)
    return paths
