"""Key rotation: new primary, re-encryption, interrupted runs, stable pseudonyms, retirement, and the
access-log event written before anything changes."""
from __future__ import annotations

import os

import duckdb
import pytest

from audit.keys import DataKeyring, KeyProblem, load_data_keyring, save_data_keyring
from audit.log.writer import AccessLogError
from audit.vault import DecryptionError, PhiVault
from ingest import swap
from ingest.key_rotation import retire_unused, rotate
from ingest.writer import ingest
from tests.conftest import Recorded


def _plain_vault(paths) -> dict[tuple[str, str], str]:
    vault = PhiVault(load_data_keyring(paths.key_dir))
    con = duckdb.connect(str(paths.store), read_only=True)
    rows = con.execute("SELECT claim_key, field, key_id, nonce, ciphertext FROM phi_vault").fetchall()
    con.close()
    return {(k, f): vault.open("phi_vault", k, f, kid, n, c) for k, f, kid, n, c in rows}


def _usage(paths) -> dict[str, int]:
    con = duckdb.connect(str(paths.store), read_only=True)
    rows = con.execute(
        "SELECT key_id, count(*) FROM (SELECT key_id FROM phi_vault UNION ALL SELECT key_id FROM rejects) GROUP BY ALL"
    ).fetchall()
    con.close()
    return dict(rows)


def _summary_totals(paths) -> list[tuple]:
    """The per-month totals the summary reads (queries/sql/totals/build.sql): rotation copies them unchanged."""
    con = duckdb.connect(str(paths.store), read_only=True)
    rows = con.execute("SELECT * FROM claim_month_totals ORDER BY ALL").fetchall()
    con.close()
    return rows


class Recorder:
    """Stands in for the access log: keeps events, or refuses like a log that cannot be written."""

    def __init__(self, fail: bool = False) -> None:
        self.events, self.fail = [], fail

    def __call__(self, event) -> None:
        if self.fail:
            raise AccessLogError("disk full")
        self.events.append(event)

    def who(self) -> dict:
        return {"actor": "cli:test", "actor_role": "cli", "record": self}


@pytest.fixture
def loaded(paths, tmp_path, write_csv):
    src = tmp_path / "in"
    write_csv(src, "claims", [
        {"claim_id": f"CLM-{i}", "patient_name": f"Pat Test{i}", "patient_mrn": f"M{i:05d}", "facility_id": "F1",
         "payer": "P", "coder_id": "C1", "encounter_type": "outpatient", "service_date": "2025-03-01", "billed_amount": "10"}
        for i in range(20)
    ] + [{"claim_id": "BAD", "facility_id": "", "payer": "P", "coder_id": "C1", "encounter_type": "outpatient",
          "service_date": "2025-03-01", "billed_amount": "10", "patient_name": "", "patient_mrn": ""}])
    ingest(src, paths, recorder=Recorded())
    return paths


def test_rotation_reencrypts_everything_and_keeps_pseudonyms(loaded):
    paths = loaded
    before, totals = _plain_vault(paths), _summary_totals(paths)
    assert _usage(paths) == {"k1": 61}  # 20 claims x (claim_id, name, MRN) in the vault + 1 sealed reject row
    assert [row[6] for row in totals] == [20]  # the 20 claims of March 2025, one scope key
    log = Recorder()
    result = rotate(paths, **log.who())
    assert (result.primary, result.new_key_created, result.reencrypted) == ("k2", True, 61)
    assert _usage(paths) == {"k2": 61}
    assert _plain_vault(paths) == before  # same claim keys, same values
    assert _summary_totals(paths) == totals
    assert retire_unused(paths, **log.who()) == ("k1",)
    assert list(load_data_keyring(paths.key_dir).keys) == ["k2"]
    assert _plain_vault(paths) == before
    assert [(e.action, e.details) for e in log.events] == [
        ("key_rotate", {"primary": "k2", "reencrypted": 61}), ("key_rotate", {"retired": ["k1"]}),
    ]


def test_a_run_interrupted_before_the_swap_changes_nothing(loaded, monkeypatch):
    paths = loaded
    store_bytes, ring_bytes = paths.store.read_bytes(), (paths.key_dir / "data_keys.json").read_bytes()
    real = PhiVault.rotate

    def crash_on_rejects(self, table, *args):
        if table == "rejects":  # the vault is re-sealed, then the run dies on the rejects table
            raise KeyboardInterrupt
        return real(self, table, *args)

    monkeypatch.setattr(PhiVault, "rotate", crash_on_rejects)
    log = Recorder()
    with pytest.raises(KeyboardInterrupt):
        rotate(paths, **log.who())
    assert paths.store.read_bytes() == store_bytes
    assert (paths.key_dir / "data_keys.json").read_bytes() == ring_bytes
    assert log.events == []


def test_a_run_that_saved_its_key_but_not_the_store_stays_readable_and_resumes(loaded, monkeypatch):
    paths = loaded
    before = _plain_vault(paths)
    store_bytes = paths.store.read_bytes()
    real_replace = os.replace

    def die_at_the_swap(src, dst):
        if str(dst) == str(paths.store):
            raise KeyboardInterrupt
        return real_replace(src, dst)

    monkeypatch.setattr(swap.os, "replace", die_at_the_swap)
    with pytest.raises(KeyboardInterrupt):
        rotate(paths, **Recorder().who())
    monkeypatch.undo()
    assert paths.store.read_bytes() == store_bytes  # the swap never happened
    ring = load_data_keyring(paths.key_dir)
    assert ring.primary == "k2" and set(ring.keys) == {"k1", "k2"}  # the keyring was saved first
    assert _plain_vault(paths) == before  # reads work throughout
    assert retire_unused(paths, **Recorder().who()) == ()  # k1 still protects every value: not retired
    result = rotate(paths, **Recorder().who())
    assert (result.primary, result.new_key_created) == ("k2", False)  # finished, no third key
    assert set(_usage(paths)) == {"k2"}
    assert _plain_vault(paths) == before


def test_an_event_that_cannot_be_written_stops_rotation_and_retirement(loaded):
    paths = loaded
    ring_file = paths.key_dir / "data_keys.json"
    store_bytes, ring_bytes = paths.store.read_bytes(), ring_file.read_bytes()
    with pytest.raises(AccessLogError):
        rotate(paths, **Recorder(fail=True).who())
    assert (paths.store.read_bytes(), ring_file.read_bytes()) == (store_bytes, ring_bytes)
    rotate(paths, **Recorder().who())
    ring_bytes = ring_file.read_bytes()
    with pytest.raises(AccessLogError):
        retire_unused(paths, **Recorder(fail=True).who())
    assert ring_file.read_bytes() == ring_bytes


def test_missing_old_key_is_a_clear_error_and_changes_nothing(loaded):
    paths = loaded
    store_bytes = paths.store.read_bytes()
    save_data_keyring(paths.key_dir, DataKeyring(primary="k9", keys={"k9": bytes(32)}))  # k1 lost
    with pytest.raises(KeyProblem, match="data key\\(s\\) k1, which the keyring .* does not hold"):
        rotate(paths, **Recorder().who())
    assert paths.store.read_bytes() == store_bytes


def test_corrupted_ciphertext_stops_rotation_without_writing(loaded):
    paths = loaded
    con = duckdb.connect(str(paths.store))
    con.execute("UPDATE phi_vault SET ciphertext = ciphertext || '\\x00'::BLOB WHERE field = 'patient_name' AND claim_key = (SELECT min(claim_key) FROM phi_vault)")
    con.close()
    store_bytes, ring_bytes = paths.store.read_bytes(), (paths.key_dir / "data_keys.json").read_bytes()
    with pytest.raises(DecryptionError, match="failed authentication"):
        rotate(paths, **Recorder().who())
    assert paths.store.read_bytes() == store_bytes
    assert (paths.key_dir / "data_keys.json").read_bytes() == ring_bytes


def test_keys_from_the_environment_are_not_rotated_here(loaded, monkeypatch):
    monkeypatch.setenv("CODEAUDIT_DATA_KEYS", load_data_keyring(loaded.key_dir).to_json())
    with pytest.raises(KeyProblem, match="updating that variable"):
        rotate(loaded, **Recorder().who())


def test_rotate_key_reseals_second_factor_secrets_and_retire_old_keeps_their_key(loaded, capsys):
    """Accounts' TOTP secrets are sealed under the data keyring in users.sqlite, apart from the store: rotate-key
    re-seals them under the new primary key (the code still works), and --retire-old never removes a key one uses."""
    import sqlite3

    from argon2 import PasswordHasher

    from audit.log.read import read_events
    from audit.mfa import SecondFactors, keyring_vault, totp
    from audit.users import UserStore
    from cli import main

    users = UserStore(loaded.users_db, hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    users.add_user("alice", "auditor", "correct horse battery", actor="test")
    factors = SecondFactors(users, keyring_vault(loaded.key_dir))
    enrolment = factors.begin("alice")
    factors.confirm(enrolment, totp(enrolment.secret).now())
    assert factors.keys_in_use() == {"k1"}
    assert main(["rotate-key", "--data-dir", str(loaded.data_dir)]) == 0
    assert "re-encrypted the second-factor secrets of 1 accounts" in capsys.readouterr().out
    assert factors.keys_in_use() == {"k2"} and load_data_keyring(loaded.key_dir).primary == "k2"
    (event,) = [e for e in read_events(loaded, action="key_rotate") if e["resource"] == "users_store"]
    assert event["details"] == {"primary": "k2", "resealed": 1}
    with sqlite3.connect(loaded.users_db) as conn:  # a secret left under k1 (a rotation cut short) keeps k1
        conn.execute("UPDATE second_factors SET key_id = 'k1'")
    assert main(["rotate-key", "--retire-old", "--data-dir", str(loaded.data_dir)]) == 0
    assert "k1" in load_data_keyring(loaded.key_dir).keys
