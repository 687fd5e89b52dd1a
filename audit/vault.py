"""PHI encryption (AES-256-GCM) and claim pseudonyms (HMAC-SHA256): the only crypto surface for PHI.

Callers hand the vault plain values with where they live (table, row, column) and get back the
storage columns, or hand back those columns to get the values; they never see nonces, associated
data or which key is used. `seal` uses the primary key and a fresh random nonce per value; `open`
finds the key by the id stored beside the ciphertext, so values sealed under an older key stay
readable until `rotate` re-seals them under the primary key (as `MultiFernet.rotate` does).

Storage format, unchanged since the first store (tests/audit/test_vault.py holds known answers):
key_id (text), nonce (12 bytes), ciphertext (AES-GCM output with its 16-byte tag), and associated
data `table|row|column` in UTF-8, so a value copied to another row or column fails authentication.
"""
from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Iterable, Sequence

import pyarrow as pa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from audit.keys import DataKeyring, KeyProblem

NONCE_BYTES = 12
PSEUDONYM_HEX_CHARS = 24  # 96 bits: collision odds at 10^7 claims are about 10^-15
STORAGE_SCHEMA = pa.schema([("key_id", pa.string()), ("nonce", pa.binary()), ("ciphertext", pa.binary())])


class DecryptionError(KeyProblem):
    """Ciphertext could not be authenticated: wrong key, corrupted bytes or a row moved elsewhere."""


def associated_data(table: str, row: str, column: str) -> bytes:
    """The bytes each ciphertext is bound to. Exposed for the known-answer tests only: callers pass
    (table, row, column) to the vault, which builds these itself."""
    return f"{table}|{row}|{column}".encode()


def _seal_with_nonces(
    aead: AESGCM, key_id: str, nonces: Sequence[bytes],
    table: str, rows: Sequence[str], columns: Sequence[str], values: Sequence[str],
) -> pa.Table:
    """Seal each value under one key with the nonce given for it. Only `PhiVault.seal` draws the nonces;
    taking them as an argument lets the known-answer tests pin the stored bytes."""
    if not len(rows) == len(columns) == len(values) == len(nonces):
        raise ValueError("seal needs one row, one column and one value per input")
    ciphertexts = [
        aead.encrypt(nonce, value.encode(), associated_data(table, row, column))
        for nonce, row, column, value in zip(nonces, rows, columns, values)
    ]
    return pa.table(
        [pa.array([key_id] * len(values), pa.string()), pa.array(nonces, pa.binary()), pa.array(ciphertexts, pa.binary())],
        schema=STORAGE_SCHEMA,
    )


class PhiVault:
    def __init__(self, keyring: DataKeyring) -> None:
        self._ring = keyring
        self._aeads = {kid: AESGCM(key) for kid, key in keyring.keys.items()}

    def seal(self, table: str, rows: Sequence[str], columns: Sequence[str], values: Sequence[str]) -> pa.Table:
        """Encrypt each value, bound to (table, row, column), under the primary key. Returns the storage
        columns key_id, nonce and ciphertext: one row per input, in input order."""
        pool = os.urandom(NONCE_BYTES * len(values))
        nonces = [pool[i:i + NONCE_BYTES] for i in range(0, len(pool), NONCE_BYTES)]
        primary = self._ring.primary
        return _seal_with_nonces(self._aeads[primary], primary, nonces, table, rows, columns, values)

    def open(self, table: str, row: str, column: str, key_id: str, nonce: bytes, ciphertext: bytes) -> str:
        """The value stored at (table, row, column); DecryptionError (a sentence) if it cannot be authenticated."""
        aead = self._aeads.get(key_id)
        if aead is None:
            raise DecryptionError(
                f"Vault value was encrypted with key '{key_id}', which is not in the keyring "
                f"(keys present: {', '.join(sorted(self._aeads))}). Restore that key from backup."
            )
        try:
            return aead.decrypt(bytes(nonce), bytes(ciphertext), associated_data(table, row, column)).decode()
        except InvalidTag:
            raise DecryptionError(
                f"A vault value under key '{key_id}' failed authentication: the key is wrong "
                "or the stored bytes are corrupted. Nothing was changed."
            ) from None

    def open_many(self, table: str, rows: Sequence[str], columns: Sequence[str], stored: pa.Table) -> list[str]:
        """Bulk `open`: `stored` holds the storage columns (key_id, nonce, ciphertext; others are ignored),
        one row per (row, column), in the same order."""
        key_ids, nonces, ciphertexts = (stored.column(name).to_pylist() for name in STORAGE_SCHEMA.names)
        if not len(rows) == len(columns) == len(key_ids):
            raise ValueError("open_many needs one row and one column per stored value")
        return [self.open(table, *args) for args in zip(rows, columns, key_ids, nonces, ciphertexts)]

    def rotate(self, table: str, rows: Sequence[str], columns: Sequence[str], stored: pa.Table) -> pa.Table:
        """Re-seal stored values under the primary key: the storage columns for the same rows, in order.
        Every value is opened first, so a value that cannot be authenticated stops it before any is sealed."""
        return self.seal(table, rows, columns, self.open_many(table, rows, columns, stored))


class Pseudonymizer:
    """Keyed pseudonyms: stable across ingests and data-key rotation (the pseudonym key never rotates),
    not reversible without the vault."""

    def __init__(self, key: bytes) -> None:
        self._base = hmac.new(key, digestmod=hashlib.sha256)

    def claim_key(self, claim_id: str) -> str:
        h = self._base.copy()
        h.update(b"claim_id|" + claim_id.encode())
        return h.hexdigest()[:PSEUDONYM_HEX_CHARS]

    def claim_keys(self, claim_ids: Iterable[str]) -> list[str]:
        return [self.claim_key(c) for c in claim_ids]
