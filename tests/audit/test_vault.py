"""The PHI vault's stored format, pinned by known answers, and its API: seal, open, open_many, rotate.

The vectors below were produced by the vault as it was before its API changed (fixed nonce patched in)
and checked independently: the ciphertext with `cryptography`'s separate Cipher(AES, GCM) interface,
the pseudonym with `openssl dgst -sha256 -mac HMAC`. A change that would make stored data unreadable
fails here even if it is consistent everywhere else.
"""
from __future__ import annotations

import pyarrow as pa
import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from audit.keys import DataKeyring
from audit.vault import (
    STORAGE_SCHEMA,
    DecryptionError,
    PhiVault,
    Pseudonymizer,
    _seal_with_nonces,
    associated_data,
)

DATA_KEY = bytes(range(32))
NONCE = bytes(range(100, 112))
CLAIM_KEY = "0123456789abcdef01234567"
KNOWN_CIPHERTEXT = bytes.fromhex("0549904b49d961a9efa04b3428ba374697d092a6144bb358")  # "MRN-0077" + 16-byte tag
PSEUDONYM_KEY = bytes(range(32, 64))


def _vault(**keys: bytes) -> PhiVault:
    keys = keys or {"k1": DATA_KEY}
    return PhiVault(DataKeyring(primary=max(keys), keys=keys))


def test_associated_data_is_table_row_column():
    assert associated_data("phi_vault", CLAIM_KEY, "patient_mrn") == b"phi_vault|0123456789abcdef01234567|patient_mrn"
    assert associated_data("rejects", "run1", "claims.csv:17") == b"rejects|run1|claims.csv:17"


def test_known_ciphertext_under_a_fixed_key_and_nonce():
    sealed = _seal_with_nonces(AESGCM(DATA_KEY), "k1", [NONCE], "phi_vault", [CLAIM_KEY], ["patient_mrn"], ["MRN-0077"])
    assert sealed.schema == STORAGE_SCHEMA
    assert sealed.to_pylist() == [{"key_id": "k1", "nonce": NONCE, "ciphertext": KNOWN_CIPHERTEXT}]
    assert _vault().open("phi_vault", CLAIM_KEY, "patient_mrn", "k1", NONCE, KNOWN_CIPHERTEXT) == "MRN-0077"


def test_known_pseudonym_under_a_fixed_key():
    assert Pseudonymizer(PSEUDONYM_KEY).claim_key("CLM-0001") == "4f693d967ba69a0d5bf79620"


def test_seal_gives_the_storage_columns_in_input_order_with_fresh_nonces():
    vault = _vault()
    rows, columns, values = ["a", "a", "b"], ["claim_id", "patient_name", "claim_id"], ["CLM-1", "Ann", "CLM-2"]
    sealed = vault.seal("phi_vault", rows, columns, values)
    assert sealed.schema == STORAGE_SCHEMA and sealed.num_rows == 3
    assert set(sealed.column("key_id").to_pylist()) == {"k1"}
    assert len(set(sealed.column("nonce").to_pylist())) == 3
    assert vault.open_many("phi_vault", rows, columns, sealed) == values
    assert vault.seal("phi_vault", [], [], []).num_rows == 0


def test_a_value_opened_at_another_row_or_column_fails():
    vault = _vault()
    key_id, nonce, ciphertext = vault.seal("phi_vault", ["a"], ["patient_name"], ["Ann"]).to_pylist()[0].values()
    for row, column in (("b", "patient_name"), ("a", "patient_mrn")):
        with pytest.raises(DecryptionError, match="failed authentication"):
            vault.open("phi_vault", row, column, key_id, nonce, ciphertext)
    with pytest.raises(DecryptionError, match="failed authentication"):
        vault.open("rejects", "a", "patient_name", key_id, nonce, ciphertext)


def test_a_missing_key_is_named():
    with pytest.raises(DecryptionError, match="key 'k7', which is not in the keyring"):
        _vault().open("phi_vault", "a", "b", "k7", NONCE, KNOWN_CIPHERTEXT)


def test_rotate_reseals_under_the_primary_and_keeps_the_values():
    old = _vault()
    stored = old.seal("phi_vault", ["a", "b"], ["claim_id", "claim_id"], ["CLM-1", "CLM-2"])
    both = _vault(k1=DATA_KEY, k2=bytes(32))
    rotated = both.rotate("phi_vault", ["a", "b"], ["claim_id", "claim_id"], stored.append_column("extra", pa.array([1, 2])))
    assert rotated.column("key_id").to_pylist() == ["k2", "k2"]
    assert both.open_many("phi_vault", ["a", "b"], ["claim_id", "claim_id"], rotated) == ["CLM-1", "CLM-2"]


def test_inputs_of_different_lengths_are_refused():
    with pytest.raises(ValueError, match="one row, one column and one value"):
        _vault().seal("phi_vault", ["a"], ["claim_id", "patient_name"], ["CLM-1"])
