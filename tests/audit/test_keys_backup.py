"""Back up, lose everything, restore (to the same place and to another one): docs/SECURITY.md's
procedure, end to end. After a restore the log verifies, the metrics are identical to the last digit,
a reveal decrypts the right values and the next ingest is accepted (the keys fit the store)."""
from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from audit import phi_reveal
from audit.keys import load_pseudonym_key
from audit.log.writer import AccessLog
from audit.permissions import PhiField, PurposeOfUse, Role, authorize_reveal
from audit.vault import Pseudonymizer
from config.paths import Paths
from tests.audit.keys_site import CLAIMS, KEY_VARIABLES, back_up, manage, manage_here, restore, store_counts, write_claims

PASSWORD = "a long enough passphrase\n"


def _reveal(paths: Paths, claim_id: str) -> dict[str, str]:
    key = Pseudonymizer(load_pseudonym_key(paths.key_dir)).claim_key(claim_id)
    decision = authorize_reveal(Role.AUDITOR, (PhiField.CLAIM_ID, PhiField.PATIENT_MRN), PurposeOfUse.HOPERAT,
                                claim_in_sample=True)
    con = duckdb.connect(str(paths.store), read_only=True)
    try:
        with AccessLog(paths) as log:
            return phi_reveal.reveal(paths, con, decision, "restore.check", key, log.append)
    finally:
        con.close()


def _state(paths: Paths, run=manage_here) -> tuple[str, str]:
    """What must survive a restore: the metrics by month and the log's verdict (its summary line: the
    header lines name the folders, which differ after a move)."""
    metrics = run(paths, "metrics", "--by", "month", "--json")
    verified = run(paths, "verify-log")
    assert metrics.returncode == 0, metrics.stderr
    assert verified.returncode == 0, verified.stdout + verified.stderr
    return metrics.stdout, verified.stdout.splitlines()[-1]


@pytest.mark.parametrize("where", ["the same place", "another place"])
def test_backup_and_restore_of_store_keys_log_and_checkpoints(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where):
    for variable in KEY_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    site = Paths(data_dir=tmp_path / "site" / "data", key_dir=tmp_path / "site" / "keys")
    src = write_claims(tmp_path / "in", CLAIMS)
    assert manage_here(site, "ingest", str(src)).returncode == 0
    assert manage_here(site, "users", "add", "ann.auditor", "--role", "auditor", "--password-stdin", stdin=PASSWORD).returncode == 0
    assert _reveal(site, "CLM-3") == {"claim_id": "CLM-3", "patient_mrn": "MRN-0003"}
    metrics, verified = _state(site)
    assert "verified 4 events" in verified  # ingest, user_add, phi_reveal, the metrics report (an export)
    counts = store_counts(site)

    back_up(site, tmp_path / "backup")
    checkpoints = site.checkpoint_dir
    for folder in (site.data_dir, site.key_dir, checkpoints):
        shutil.rmtree(folder, ignore_errors=True)
    assert manage_here(site, "verify-log").returncode != 0  # lost: the log key is gone with the key folder

    target = site if where == "the same place" else Paths(data_dir=tmp_path / "moved" / "data", key_dir=tmp_path / "moved" / "keys")
    restore(tmp_path / "backup", target)
    # As the operator checks it, in a new process: the same metrics, and the restored log verifies with
    # one more event (this check's own metrics report).
    assert _state(target, run=manage) == (metrics, verified.replace("verified 4 events", "verified 5 events"))
    assert _reveal(target, "CLM-3") == {"claim_id": "CLM-3", "patient_mrn": "MRN-0003"}
    again = manage_here(target, "ingest", str(src))  # the restored store is the one that run produced
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("nothing changed: this file was loaded by run ")  # keys proven to fit it
    assert store_counts(target) == counts
    assert "verified 7 events" in manage_here(target, "verify-log").stdout  # + reveal, + ingest
