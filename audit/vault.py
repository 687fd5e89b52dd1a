"""PHI encryption (AES-256-GCM) and claim pseudonyms (HMAC-SHA256).

Callers never handle nonces or key ids: `PhiVault.encrypt` picks the primary key and a fresh
random nonce; `decrypt` finds the key by the id stored beside the ciphertext, so rows written
under an older key stay readable until rotation re-encrypts them.
"""
from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pyarrow as pa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from audit.keys import DataKeyring, KeyProblem

NONCE_BYTES = 12
PSEUDONYM_HEX_CHARS = 24  # 96 bits: collision odds at 10^7 claims are about 10^-15


class DecryptionError(KeyProblem):
    """Ciphertext could not be authenticated: wrong key, corrupted bytes or a row moved elsewhere."""


@dataclass(frozen=True)
class Sealed:
    key_id: str
    nonce: bytes
    ciphertext: bytes


def vault_context(table: str, row_key: str, column: str) -> bytes:
    """Associated data binding a ciphertext to its table, row and column: a value copied to another
    row or column fails authentication instead of decrypting as someone else's PHI."""
    return f"{table}|{row_key}|{column}".encode()


class PhiVault:
    def __init__(self, keyring: DataKeyring) -> None:
        self._ring = keyring
        self._aeads = {kid: AESGCM(key) for kid, key in keyring.keys.items()}

    @property
    def primary_key_id(self) -> str:
        return self._ring.primary

    def encrypt(self, value: str, context: bytes) -> Sealed:
        return self.encrypt_many([value], [context])[0]

    def encrypt_many(self, values: Sequence[str], contexts: Sequence[bytes]) -> list[Sealed]:
        kid, nonces, ciphertexts = self.encrypt_columns(values, contexts)
        return [Sealed(kid, n, c) for n, c in zip(nonces, ciphertexts, strict=True)]

    def encrypt_columns(self, values: Sequence[str], contexts: Sequence[bytes]) -> tuple[str, list[bytes], list[bytes]]:
        """Bulk form for ingest: the key id, then nonces and ciphertexts as parallel lists."""
        if len(values) != len(contexts):
            raise ValueError("encrypt_columns needs one context per value")
        kid = self._ring.primary
        encrypt = self._aeads[kid].encrypt
        pool = os.urandom(NONCE_BYTES * len(values))
        nonces = [pool[i:i + NONCE_BYTES] for i in range(0, len(pool), NONCE_BYTES)]
        ciphertexts = [encrypt(n, v.encode(), c) for n, v, c in zip(nonces, values, contexts)]
        return kid, nonces, ciphertexts

    def seal(self, table: str, rows: Sequence[str], columns: Sequence[str], values: Sequence[str]) -> pa.Table:
        """Encrypt values[i] for (table, rows[i], columns[i]) under the primary key: the storage columns
        key_id, nonce and ciphertext, one row per value, in order. The associated data is built here."""
        contexts = [vault_context(table, row, column) for row, column in zip(rows, columns, strict=True)]
        kid, nonces, ciphertexts = self.encrypt_columns(values, contexts)
        return pa.table({
            "key_id": pa.array([kid] * len(values), pa.string()),
            "nonce": pa.array(nonces, pa.binary()),
            "ciphertext": pa.array(ciphertexts, pa.binary()),
        })

    def open_many(self, table: str, rows: Sequence[str], columns: Sequence[str], stored: pa.Table) -> list[str]:
        """The plaintexts of `stored` (key_id, nonce, ciphertext), row i sealed for (table, rows[i], columns[i])."""
        sealed = zip(stored.column("key_id").to_pylist(), stored.column("nonce").to_pylist(), stored.column("ciphertext").to_pylist(), strict=True)
        return [self.decrypt(Sealed(kid, nonce, ct), vault_context(table, row, column))
                for (kid, nonce, ct), row, column in zip(sealed, rows, columns, strict=True)]

    def decrypt(self, sealed: Sealed, context: bytes) -> str:
        aead = self._aeads.get(sealed.key_id)
        if aead is None:
            raise DecryptionError(
                f"Vault value was encrypted with key '{sealed.key_id}', which is not in the keyring "
                f"(keys present: {', '.join(sorted(self._aeads))}). Restore that key from backup."
            )
        try:
            return aead.decrypt(sealed.nonce, sealed.ciphertext, context).decode()
        except InvalidTag:
            raise DecryptionError(
                f"A vault value under key '{sealed.key_id}' failed authentication: the key is wrong "
                "or the stored bytes are corrupted. Nothing was changed."
            ) from None


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
