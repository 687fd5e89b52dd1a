"""PHI reveal: the access is recorded before anything is decrypted, and a failed record reveals nothing."""
from __future__ import annotations

import csv
import errno
import os

import duckdb
import pytest

from audit import phi_reveal
from audit.keys import load_pseudonym_key
from audit.log.read import read_events
from audit.log.writer import AccessLog, AccessLogError
from audit.permissions import PhiField, PurposeOfUse, Role, authorize_reveal
from audit.vault import PhiVault, Pseudonymizer
from config.paths import Paths
from ingest.writer import ingest
from tests.conftest import Recorded

CLAIM = {
    "claim_id": "CLM-77", "patient_mrn": "MRN-0077", "patient_name": "Ada Test", "patient_dob": "1960-02-03",
    "patient_zip": "02139", "facility_id": "F1", "payer": "Medicare", "coder_id": "C1",
    "encounter_type": "outpatient", "service_date": "2025-01-10", "discharge_date": "", "billed_amount": "100.00",
}


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    """One ingested claim, shared by the module; each test gets its own access log (see `store`)."""
    root = tmp_path_factory.mktemp("reveal")
    shared = Paths(data_dir=root / "data", key_dir=root / "keys").ensure()
    with pytest.MonkeyPatch.context() as mp:
        for var in ("CODEAUDIT_DATA_KEYS", "CODEAUDIT_PSEUDONYM_KEY", "CODEAUDIT_LOG_KEY"):
            mp.delenv(var, raising=False)
        with open(root / "claims.csv", "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(CLAIM))
            writer.writeheader()
            writer.writerow(CLAIM)
        ingest(root, shared, recorder=Recorded())
    con = duckdb.connect(str(shared.store), read_only=True)
    yield con, shared.key_dir, Pseudonymizer(load_pseudonym_key(shared.key_dir)).claim_key(CLAIM["claim_id"])
    con.close()


@pytest.fixture
def store(stored, tmp_path):
    """(connection, claim key) with `paths` for this test: a fresh data folder (so a fresh access log)
    beside the shared key folder."""
    con, key_dir, key = stored
    return con, key, Paths(data_dir=tmp_path / "data", key_dir=key_dir).ensure()


def _decision(fields=(PhiField.CLAIM_ID, PhiField.PATIENT_MRN, PhiField.PATIENT_DOB)):
    return authorize_reveal(Role.AUDITOR, fields, PurposeOfUse.HOPERAT, claim_in_sample=True)


def test_reveal_records_the_event_then_returns_the_granted_fields(store):
    con, key, paths = store
    with AccessLog(paths) as log:
        values = phi_reveal.reveal(paths, con, _decision(), "alice", key.upper(), log.append)
    assert values == {"claim_id": "CLM-77", "patient_mrn": "MRN-0077", "patient_dob": "1960-02-03"}
    (event,) = read_events(paths)
    assert (event["action"], event["user"], event["claim_keys"], event["purpose_of_use"]) == ("phi_reveal", "alice", [key], "HOPERAT")
    assert event["fields"] == ["claim_id", "patient_mrn", "patient_dob"]
    assert "CLM-77" not in str(event) and "MRN-0077" not in str(event)


def test_when_the_log_write_fails_nothing_is_decrypted_or_returned(store, monkeypatch):
    con, key, paths = store
    decrypted = []
    real_open = PhiVault.open
    monkeypatch.setattr(PhiVault, "open", lambda self, *a: decrypted.append(a) or real_open(self, *a))

    def full_disk(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    log = AccessLog(paths)
    with monkeypatch.context() as patch:
        patch.setattr(os, "fsync", full_disk)
        with pytest.raises(AccessLogError, match="Do not show the data"):
            phi_reveal.reveal(paths, con, _decision(), "alice", key, log.append)
    log.close()
    assert decrypted == []
    assert read_events(paths) == []


def test_a_recorder_that_raises_stops_the_reveal(store):
    con, key, paths = store

    def refuse(event):
        raise AccessLogError("disk full")

    with pytest.raises(AccessLogError):
        phi_reveal.reveal(paths, con, _decision(), "alice", key, refuse)


def test_unknown_claim_is_refused_without_recording(store):
    con, _, paths = store
    recorded = []
    with pytest.raises(phi_reveal.UnknownClaim, match="check the key"):
        phi_reveal.reveal(paths, con, _decision(), "alice", "0" * 24, recorded.append)
    assert recorded == []


@pytest.mark.parametrize("text", ["CLM-77", "abc", "g" * 24, "0" * 25])
def test_only_claim_keys_are_accepted(text):
    with pytest.raises(ValueError, match="24 hexadecimal digits"):
        phi_reveal.normalize_claim_key(text)
