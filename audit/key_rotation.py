"""Data-key rotation: a new key becomes primary, every vault value is re-encrypted under it, and
keys no value uses any more can then be retired.

Order makes an interrupted run safe: the new key is saved (as primary) before any value is
re-encrypted, and the re-encryption is one atomic store swap. So whatever point a run stops at, every
stored value is readable with the saved keyring, and running the command again finishes the job.
Pseudonyms do not change: they come from the separate pseudonym key, which never rotates.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass

import pyarrow as pa

from audit.keys import DataKeyring, KeyProblem, load_data_keyring, require, save_data_keyring
from audit.paths import Paths
from audit.vault import PhiVault, Sealed, vault_context
from queries.store import connect_read_only, write_transaction, writer_lock

# Tables holding ciphertexts, with the columns that rebuild each value's associated data. SQL below
# splices these constants only, never input.
_SEALED_TABLES = {
    "phi_vault": ("claim_key", "field"),
    "rejects": ("run_id", "file || ':' || CAST(line AS VARCHAR)"),
}


@dataclass(frozen=True)
class RotationResult:
    primary: str
    new_key_created: bool
    reencrypted: int


def _next_key_id(ring: DataKeyring) -> str:
    numbers = [int(k[1:]) for k in ring.keys if k.startswith("k") and k[1:].isdigit()]
    return f"k{max(numbers, default=0) + 1}"


def key_usage(paths: Paths) -> dict[str, int]:
    """How many stored values each key id protects."""
    if not paths.store.exists():
        return {}
    con = connect_read_only(paths)
    try:
        usage: dict[str, int] = {}
        for table in _SEALED_TABLES:
            for kid, n in con.execute(f"SELECT key_id, count(*) FROM {table} WHERE key_id IS NOT NULL GROUP BY key_id").fetchall():
                usage[kid] = usage.get(kid, 0) + n
        return usage
    finally:
        con.close()


def _reencrypt(paths: Paths, vault: PhiVault) -> int:
    primary = vault.primary_key_id
    done = 0
    with write_transaction(paths) as con:
        for table, (row_expr, column_expr) in _SEALED_TABLES.items():
            rows = con.execute(
                f"SELECT rowid, {row_expr}, {column_expr}, key_id, nonce, ciphertext FROM {table} "
                "WHERE key_id IS NOT NULL AND key_id <> ?",
                [primary],
            ).fetchall()
            if not rows:
                continue
            contexts = [vault_context(table, r[1], r[2]) for r in rows]
            plain = [vault.decrypt(Sealed(r[3], r[4], r[5]), ctx) for r, ctx in zip(rows, contexts)]
            sealed = vault.encrypt_many(plain, contexts)
            con.register("resealed", pa.table({
                "rid": pa.array([r[0] for r in rows], pa.int64()),
                "key_id": pa.array([s.key_id for s in sealed], pa.string()),
                "nonce": pa.array([s.nonce for s in sealed], pa.binary()),
                "ciphertext": pa.array([s.ciphertext for s in sealed], pa.binary()),
            }))
            con.execute(
                f"UPDATE {table} SET key_id = r.key_id, nonce = r.nonce, ciphertext = r.ciphertext "
                f"FROM resealed AS r WHERE {table}.rowid = r.rid"
            )
            con.unregister("resealed")
            done += len(rows)
    return done


def rotate(paths: Paths) -> RotationResult:
    """Make a new primary key and re-encrypt under it; or, if an earlier run was interrupted (values
    still under an older key), finish that run without making another key. Holds the store's writer
    lock throughout, so no ingest or other rotation reads the keyring halfway."""
    with writer_lock(paths):
        return _rotate_locked(paths)


def _rotate_locked(paths: Paths) -> RotationResult:
    ring = require(load_data_keyring(paths.key_dir), "data keyring", paths.key_dir)
    usage = key_usage(paths)
    created = not any(kid != ring.primary for kid in usage)
    if created:
        new_id = _next_key_id(ring)
        ring = DataKeyring(primary=new_id, keys={**ring.keys, new_id: secrets.token_bytes(32)})
        save_data_keyring(paths.key_dir, ring)
    missing = sorted(k for k in usage if k not in ring.keys)
    if missing:
        raise KeyProblem(f"Stored values use key(s) {', '.join(missing)}, which are not in the keyring; restore them from backup first. Nothing was changed.")
    count = _reencrypt(paths, PhiVault(ring)) if paths.store.exists() else 0
    return RotationResult(primary=ring.primary, new_key_created=created, reencrypted=count)


def retire_unused(paths: Paths) -> tuple[str, ...]:
    """Drop keys no stored value uses. The primary key always stays."""
    with writer_lock(paths):
        ring = require(load_data_keyring(paths.key_dir), "data keyring", paths.key_dir)
        usage = key_usage(paths)
        unused = tuple(sorted(k for k in ring.keys if k != ring.primary and usage.get(k, 0) == 0))
        if unused:
            save_data_keyring(paths.key_dir, DataKeyring(primary=ring.primary, keys={k: v for k, v in ring.keys.items() if k not in unused}))
        return unused
