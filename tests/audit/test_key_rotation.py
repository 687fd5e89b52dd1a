"""Key rotation: new primary, re-encryption, interrupted runs, stable pseudonyms, retirement."""
from __future__ import annotations

import duckdb
import pytest

from audit import key_rotation
from audit.key_rotation import key_usage, retire_unused, rotate
from audit.keys import DataKeyring, KeyProblem, load_data_keyring, save_data_keyring
from audit.vault import DecryptionError, PhiVault, Sealed, vault_context
from queries.ingest import ingest
from tests.conftest import Recorded


def _plain_vault(paths) -> dict[tuple[str, str], str]:
    vault = PhiVault(load_data_keyring(paths.key_dir))
    con = duckdb.connect(str(paths.store), read_only=True)
    rows = con.execute("SELECT claim_key, field, key_id, nonce, ciphertext FROM phi_vault").fetchall()
    con.close()
    return {(k, f): vault.decrypt(Sealed(kid, n, c), vault_context("phi_vault", k, f)) for k, f, kid, n, c in rows}


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
    before = _plain_vault(paths)
    assert key_usage(paths) == {"k1": 61}  # 20 claims x (claim_id, name, MRN) in the vault + 1 sealed reject row
    result = rotate(paths)
    assert (result.primary, result.new_key_created, result.reencrypted) == ("k2", True, 61)
    assert key_usage(paths) == {"k2": 61}
    assert _plain_vault(paths) == before  # same claim keys, same values
    assert retire_unused(paths) == ("k1",)
    assert list(load_data_keyring(paths.key_dir).keys) == ["k2"]
    assert _plain_vault(paths) == before


def test_interrupted_rotation_stays_readable_and_resumes(loaded, monkeypatch):
    paths = loaded
    before = _plain_vault(paths)
    store_bytes = paths.store.read_bytes()
    real = key_rotation.PhiVault.encrypt_many
    calls = {"n": 0}

    def crash_midway(self, values, contexts):
        calls["n"] += 1
        if calls["n"] == 2:  # the vault is re-sealed, then the run dies on the rejects table
            raise KeyboardInterrupt
        return real(self, values, contexts)

    monkeypatch.setattr(key_rotation.PhiVault, "encrypt_many", crash_midway)
    with pytest.raises(KeyboardInterrupt):
        rotate(paths)
    monkeypatch.undo()
    assert paths.store.read_bytes() == store_bytes  # the swap never happened
    ring = load_data_keyring(paths.key_dir)
    assert ring.primary == "k2" and set(ring.keys) == {"k1", "k2"}
    assert _plain_vault(paths) == before  # reads work throughout
    assert retire_unused(paths) == ()  # k1 still protects every value: not retired
    result = rotate(paths)
    assert (result.primary, result.new_key_created) == ("k2", False)  # finished, no third key
    assert set(key_usage(paths)) == {"k2"}
    assert _plain_vault(paths) == before


def test_missing_old_key_is_a_clear_error_and_changes_nothing(loaded):
    paths = loaded
    store_bytes = paths.store.read_bytes()
    save_data_keyring(paths.key_dir, DataKeyring(primary="k9", keys={"k9": bytes(32)}))  # k1 lost
    with pytest.raises(KeyProblem, match="k1, which are not in the keyring"):
        rotate(paths)
    assert paths.store.read_bytes() == store_bytes


def test_corrupted_ciphertext_stops_rotation_without_writing(loaded):
    paths = loaded
    con = duckdb.connect(str(paths.store))
    con.execute("UPDATE phi_vault SET ciphertext = ciphertext || '\\x00'::BLOB WHERE field = 'patient_name' AND claim_key = (SELECT min(claim_key) FROM phi_vault)")
    con.close()
    store_bytes = paths.store.read_bytes()
    with pytest.raises(DecryptionError, match="failed authentication"):
        rotate(paths)
    assert paths.store.read_bytes() == store_bytes
