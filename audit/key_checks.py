"""Keys fit the data they protect: a store remembers the keys it was built with and refuses any other,
and no key is ever created beside data that another key protects.

Why: a wrong or missing pseudonym key would store every claim again under new claim keys (doubling
every count), and a wrong or missing data key would seal new values under a key that cannot open
the old ones. Neither raises an error by itself (any key computes a pseudonym or seals a value),
so only a check against what the store remembers catches them.

How: the store holds a check value per key in its `key_checks` table (audit/sql/keys/key_checks_table.sql):
HMAC-SHA256 under the key of a fixed label, its kind and its id. It shows whether a key is the one the
data was written with and reveals nothing about the key. Every write checks the keys it was given
against it, inside the store's write transaction and under the writer lock, before sealing anything;
a key that fits is registered in the same transaction. A store written before this table existed
proves its keys from the data on its first write: opening one sealed value per data key proves that
key, and recomputing the pseudonym of a claim number opened from the vault proves the pseudonym key.
Rows are never deleted, so a retired data key id is never given to another key.

The log key is checked by the log itself (every event and checkpoint carries its MAC); here it is
only never created while a log exists (events or checkpoints).
"""
from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

import duckdb

from audit.keys import (
    DATA_KEYRING_FILE,
    DATA_KEYS_VARIABLE,
    LOG_KEY_FILE,
    PSEUDONYM_KEY_FILE,
    PSEUDONYM_KEY_VARIABLE,
    DataKeyring,
    KeyProblem,
    encode_key,
    key_source,
    load_data_keyring,
    load_log_key,
    load_pseudonym_key,
    new_key,
    save_new_key_file,
)
from audit.log.files import LOG_FILE
from audit.sql_files import sql
from audit.vault import DecryptionError, PhiVault, Pseudonymizer
from config.paths import Paths

DATA = "data"
PSEUDONYM = "pseudonym"
PSEUDONYM_KEY_ID = "pseudonym"
_CHECK_LABEL = b"codeaudit key check v1|"
_NUMBERED_ID = re.compile(r"k(\d+)")


def check_value(kind: str, key_id: str, key: bytes) -> str:
    """The keyed check value stored for a key (known answers in tests/audit/test_keys_checks.py)."""
    return hmac.new(key, _CHECK_LABEL + f"{kind}|{key_id}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Registered:
    check_value: str
    first_used: datetime


@dataclass(frozen=True)
class Sample:
    """One sealed value and where it lives, to prove a key that has no check value yet."""

    key_id: str
    sealed_in: str
    row: str
    column: str
    nonce: bytes
    ciphertext: bytes


@dataclass
class StoreKeyState:
    """What a store knows about its keys: check values, and how many values each data key protects."""

    registered: dict[tuple[str, str], Registered]
    usage: dict[str, int]
    holds_data: bool
    _con: duckdb.DuckDBPyConnection = field(repr=False)

    @classmethod
    def read(cls, con: duckdb.DuckDBPyConnection, *, read_only: bool = False) -> StoreKeyState:
        """Read inside the store's write transaction (creating key_checks in a store that predates it), or
        with `read_only` from a store attached read-only that has key_checks."""
        if not read_only:
            con.execute(sql("keys/key_checks_table"))
        registered = {(k, i): Registered(v, t) for k, i, v, t in con.execute(sql("keys/registered")).fetchall()}
        usage = dict(con.execute(sql("keys/usage")).fetchall())
        return cls(registered, usage, bool(con.execute(sql("keys/holds_data")).fetchone()[0]), con)

    @cached_property
    def samples(self) -> list[Sample]:
        """One sealed value per data key (a scan of the sealed tables: read only when a key needs proving)."""
        return [Sample(*row) for row in self._con.execute(sql("keys/samples")).fetchall()]

    def next_data_key_id(self, ring: DataKeyring) -> str:
        """k<n+1> above every id in the keyring and every id the store ever knew: ids are never reused."""
        ids = set(ring.keys) | {key_id for kind, key_id in self.registered if kind == DATA}
        numbers = [int(m.group(1)) for i in ids if (m := _NUMBERED_ID.fullmatch(i))]
        return f"k{max(numbers, default=0) + 1}"


def _since(entry: Registered) -> str:
    return f"first used {entry.first_used.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def _restore(file_name: str, variable: str) -> str:
    return f"restore {file_name} (or ${variable}) from the backup made with this store"


def verify_data_keyring(state: StoreKeyState, ring: DataKeyring, key_dir: Path) -> None:
    """KeyProblem, naming the key and what to restore, unless every stored value's key is in `ring` and
    every key in `ring` is the one the store knew under its id."""
    source = key_source(key_dir, DATA_KEYRING_FILE, DATA_KEYS_VARIABLE)
    restore = _restore(DATA_KEYRING_FILE, DATA_KEYS_VARIABLE)
    missing = sorted(k for k in state.usage if k not in ring.keys)
    if missing:
        raise KeyProblem(
            f"Stored values are encrypted under data key(s) {', '.join(missing)}, which the keyring in {source} "
            f"does not hold, so they could not be read beside new ones. Please {restore}."
        )
    for key_id, key in sorted(ring.keys.items()):
        known = state.registered.get((DATA, key_id))
        if known is None or hmac.compare_digest(known.check_value, check_value(DATA, key_id, key)):
            continue
        if state.usage.get(key_id):
            raise KeyProblem(
                f"The data key {key_id} in {source} is not the key this store's values under {key_id} were "
                f"encrypted with ({_since(known)}). Please {restore}."
            )
        raise KeyProblem(
            f"The data key {key_id} in {source} is not the key this store knew as {key_id} ({_since(known)}; "
            f"retired since: no stored value uses it). A key id is never given to another key: remove {key_id} "
            f"from the keyring, or {restore}."
        )
    unproven = {k for k in state.usage if (DATA, k) not in state.registered}
    if unproven:
        vault = PhiVault(ring)
        for sample in state.samples:
            if sample.key_id in unproven:
                try:
                    vault.open(sample.sealed_in, sample.row, sample.column, sample.key_id, sample.nonce, sample.ciphertext)
                except DecryptionError:
                    raise KeyProblem(
                        f"The data key {sample.key_id} in {source} does not open the values this store holds "
                        f"under {sample.key_id}: it is another key with the same name. Please {restore}."
                    ) from None


def _wrong_pseudonym_key(source: str, since: str) -> KeyProblem:
    return KeyProblem(
        f"The pseudonym key in {source} is not the one this store's claim keys were made with{since}: with it, "
        f"every claim would be stored again under a new claim key. Please {_restore(PSEUDONYM_KEY_FILE, PSEUDONYM_KEY_VARIABLE)}."
    )


def verify_pseudonym_key(state: StoreKeyState, key: bytes, ring: DataKeyring, key_dir: Path) -> None:
    """KeyProblem unless `key` is the pseudonym key the store's claim keys were made with. Call after
    verify_data_keyring: an older store proves it by opening claim numbers with the data keys."""
    source = key_source(key_dir, PSEUDONYM_KEY_FILE, PSEUDONYM_KEY_VARIABLE)
    known = state.registered.get((PSEUDONYM, PSEUDONYM_KEY_ID))
    if known is not None:
        if not hmac.compare_digest(known.check_value, check_value(PSEUDONYM, PSEUDONYM_KEY_ID, key)):
            raise _wrong_pseudonym_key(source, f" ({_since(known)})")
        return
    if not state.usage:
        return
    vault, pseudonyms = PhiVault(ring), Pseudonymizer(key)
    for sample in state.samples:
        if (sample.sealed_in, sample.column) == ("phi_vault", "claim_id"):
            claim_id = vault.open(sample.sealed_in, sample.row, sample.column, sample.key_id, sample.nonce, sample.ciphertext)
            if pseudonyms.claim_key(claim_id) != sample.row:
                raise _wrong_pseudonym_key(source, "")
            return


def register(con: duckdb.DuckDBPyConnection, ring: DataKeyring, pseudonym_key: bytes | None = None) -> None:
    """Record the check values of keys the store does not know yet (in the write transaction)."""
    now = datetime.now(UTC)
    entries = [(DATA, key_id, key) for key_id, key in ring.keys.items()]
    if pseudonym_key is not None:
        entries.append((PSEUDONYM, PSEUDONYM_KEY_ID, pseudonym_key))
    for kind, key_id, key in entries:
        con.execute(sql("keys/register"), {
            "kind": kind, "key_id": key_id, "check_value": check_value(kind, key_id, key), "first_used": now,
        })


def log_exists(paths: Paths) -> bool:
    """An access log with events, or any checkpoint of any log this key folder serves (each log's are in a
    folder of their own under log_checkpoints/): its key must then never be made anew."""
    events = paths.log_dir / LOG_FILE
    if events.exists() and events.stat().st_size > 0:
        return True
    return any(p.is_file() and p.stat().st_size > 0 for p in paths.checkpoint_dir.rglob("*"))


def _log_key_may_be_created(paths: Paths) -> bool:
    """False when a log key is configured; True when none is and no log exists; KeyProblem when a log
    exists without its key (a new key would make the old log unverifiable and fork it)."""
    if load_log_key(paths.key_dir) is not None:
        return False
    if log_exists(paths):
        raise KeyProblem(
            f"The access-log key ({paths.key_dir / LOG_KEY_FILE} or $CODEAUDIT_LOG_KEY) is missing, but the access "
            f"log in {paths.log_dir} has events: without its key the log cannot be verified or continued, and a new "
            f"key is never made beside it. Restore {LOG_KEY_FILE} from the backup made with this log."
        )
    return True


def ensure_log_key(paths: Paths) -> Path | None:
    """Create log.key for a new log, just before its first event; returns the file if it made it.
    KeyProblem when the log exists without its key."""
    if not _log_key_may_be_created(paths):
        return None
    path = paths.key_dir / LOG_KEY_FILE
    return path if save_new_key_file(path, encode_key(new_key())) else None  # False: another process made it first


@dataclass
class StoreKeys:
    """The keys of one store write, checked against the store. Keys a new store needs are made in
    memory and saved by `register`, at the end of the write, so a refused write leaves no key behind."""

    paths: Paths
    ring: DataKeyring
    pseudonym_key: bytes
    new_files: dict[str, bytes]
    new_log_key: bool

    @property
    def vault(self) -> PhiVault:
        return PhiVault(self.ring)

    @property
    def pseudonyms(self) -> Pseudonymizer:
        return Pseudonymizer(self.pseudonym_key)

    def register(self, con: duckdb.DuckDBPyConnection) -> list[Path]:
        """Record the keys in the store and save any new key file durably; call last in the write
        transaction, before it commits. Returns the key files created, to tell the operator to back them up."""
        register(con, self.ring, self.pseudonym_key)
        created = []
        if self.new_log_key and (log_key := ensure_log_key(self.paths)) is not None:
            created.append(log_key)
        for name, content in self.new_files.items():
            path = self.paths.key_dir / name
            if not save_new_key_file(path, content):
                raise KeyProblem(f"The key file {path} appeared while this write ran; run it again.")
            created.append(path)
        return created


def _missing_beside_data(paths: Paths, what: str, file_name: str) -> KeyProblem:
    return KeyProblem(
        f"The {what} is missing ({paths.key_dir / file_name} or its CODEAUDIT_* variable), but the store "
        f"{paths.store} holds data made with it, and a new key is never made beside data. Please restore "
        f"{file_name} from the backup made with this store."
    )


def open_store_keys(paths: Paths, con: duckdb.DuckDBPyConnection, *, read_only: bool = False) -> StoreKeys:
    """The data keyring and pseudonym key for a write to this store, proven to fit it, or KeyProblem
    naming the key and what to restore. Call first in the store's write transaction, under the writer
    lock. A missing key is made (in memory) only for a store that holds no data, and a missing log key
    only when no log exists. With `read_only` (a store attached read-only that has key_checks) the same
    proof, for an ingest that finds nothing to write (ingest/rerun.py)."""
    state = StoreKeyState.read(con, read_only=read_only)
    new_log_key = _log_key_may_be_created(paths)
    new_files: dict[str, bytes] = {}
    ring = load_data_keyring(paths.key_dir)
    if ring is None:
        if state.holds_data:
            raise _missing_beside_data(paths, "data keyring", DATA_KEYRING_FILE)
        ring = DataKeyring.first()
        new_files[DATA_KEYRING_FILE] = ring.to_json().encode()
    pseudonym_key = load_pseudonym_key(paths.key_dir)
    if pseudonym_key is None:
        if state.holds_data:
            raise _missing_beside_data(paths, "pseudonym key", PSEUDONYM_KEY_FILE)
        pseudonym_key = new_key()
        new_files[PSEUDONYM_KEY_FILE] = encode_key(pseudonym_key)
    verify_data_keyring(state, ring, paths.key_dir)
    verify_pseudonym_key(state, pseudonym_key, ring, paths.key_dir)
    return StoreKeys(paths, ring, pseudonym_key, new_files, new_log_key)
