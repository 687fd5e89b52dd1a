"""Data-key rotation: a new key becomes primary, every sealed value is re-sealed under it, and keys no
value uses any more can then be retired.

Each run is one store write under the writer lock, in this order: check the keyring against the store
(audit/key_checks.py; a key that does not fit stops it), re-seal in the private copy, register the new
key's check value, record the access-log event durably, save the keyring file, and only then swap
the copy in. So a refused or failed run changes nothing, and a run that dies after saving the keyring
leaves every value readable with the saved keyring (old keys stay until retired); running the command
again then finishes the job without making another key.
Pseudonyms do not change: they come from the separate pseudonym key, which never rotates.
"""
from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

import duckdb

from audit.events import AccessEvent
from audit.key_checks import StoreKeyState, register, verify_data_keyring
from audit.keys import DataKeyring, KeyProblem, load_data_keyring, refuse_keyring_from_environment, require, save_data_keyring
from audit.vault import PhiVault
from config.paths import Paths
from ingest.sql_files import sql
from ingest.swap import write_transaction, writer_lock

Record = Callable[[AccessEvent], object]

# Every table holding sealed values; each has ingest/sql/keys/<table>_to_rotate.sql and _resealed.sql.
SEALED_TABLES = ("phi_vault", "rejects")


@dataclass(frozen=True)
class RotationResult:
    primary: str
    new_key_created: bool
    reencrypted: int


def _keyring_to_change(paths: Paths) -> DataKeyring:
    """The keyring file rotation may rewrite; refused before anything is done when it cannot."""
    refuse_keyring_from_environment()
    ring = require(load_data_keyring(paths.key_dir), "data keyring", paths.key_dir)
    if not paths.store.exists():
        raise KeyProblem(f"There is no store at {paths.store}, so no value to re-encrypt: the first ingest creates the data key.")
    return ring


def _reseal(con: duckdb.DuckDBPyConnection, vault: PhiVault, primary: str) -> int:
    """Re-seal every value not under the primary key, table by table; returns how many."""
    done = 0
    for table in SEALED_TABLES:
        stored = con.execute(sql(f"keys/{table}_to_rotate"), [primary]).fetch_arrow_table()
        if not stored.num_rows:
            continue
        rows, columns = stored.column("row_key").to_pylist(), stored.column("column_name").to_pylist()
        resealed = vault.rotate(table, rows, columns, stored).append_column("rid", stored.column("rid"))
        con.register("resealed", resealed)
        con.execute(sql(f"keys/{table}_resealed"))
        con.unregister("resealed")
        done += stored.num_rows
    return done


def rotate(paths: Paths, *, actor: str, actor_role: str, record: Record) -> RotationResult:
    """Make a new primary key and re-seal under it; or, if an earlier run saved its key but did not
    swap the store in (values still under an older key), finish that run without making another key.
    `record` writes the access-log event and must raise when it cannot; then nothing changes."""
    with writer_lock(paths):
        ring = _keyring_to_change(paths)
        with write_transaction(paths) as con:
            state = StoreKeyState.read(con)
            verify_data_keyring(state, ring, paths.key_dir)
            created = not any(kid != ring.primary for kid in state.usage)
            if created:
                ring = ring.with_new_primary(state.next_data_key_id(ring))
            count = _reseal(con, PhiVault(ring), ring.primary)
            register(con, ring)
            record(AccessEvent(user=actor, role=actor_role, action="key_rotate", resource="data_keyring",
                               details={"primary": ring.primary, "reencrypted": count}))
            if created:
                save_data_keyring(paths.key_dir, ring)
    return RotationResult(primary=ring.primary, new_key_created=created, reencrypted=count)


def retire_unused(paths: Paths, *, actor: str, actor_role: str, record: Record,
                  used_elsewhere: Collection[str] = ()) -> tuple[str, ...]:
    """Drop keys no stored value uses; the primary always stays, and so do `used_elsewhere` (keys of values
    sealed outside this store: the review store's finding notes). Their ids stay known to the store
    (key_checks), so they are never given to another key."""
    with writer_lock(paths):
        ring = _keyring_to_change(paths)
        with write_transaction(paths) as con:
            state = StoreKeyState.read(con)
            verify_data_keyring(state, ring, paths.key_dir)
            register(con, ring)
            unused = tuple(sorted(k for k in ring.keys
                                  if k != ring.primary and not state.usage.get(k) and k not in used_elsewhere))
            record(AccessEvent(user=actor, role=actor_role, action="key_rotate", resource="data_keyring",
                               details={"retired": list(unused)}))
            if unused:
                save_data_keyring(paths.key_dir, ring.without(unused))
    return unused
