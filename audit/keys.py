"""Key files: the data keyring (AES-256-GCM, versioned for rotation), the pseudonym key, the log key.

Each key has its own file so that the log key is kept apart from the data keys and the
pseudonym key never changes when data keys rotate (pseudonyms stay stable).
Keys may also come from the environment, base64-encoded:
CODEAUDIT_DATA_KEYS (JSON {"primary": id, "keys": {id: b64}}), CODEAUDIT_PSEUDONYM_KEY, CODEAUDIT_LOG_KEY.

This module only reads and writes key material. Whether a key may be created, and whether a key fits
the data it is asked to open, is decided by audit.key_checks: a key is never created beside data.
A key read from a file is refused when other accounts could read that file or its folder; keys from
the environment are not files and are not checked that way.
"""
from __future__ import annotations

import base64
import json
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from audit.durable import fsync_path
from config import settings
from config.paths import private_folder
from config.settings import ConfigurationError

DATA_KEYRING_FILE = "data_keys.json"
PSEUDONYM_KEY_FILE = "pseudonym.key"
LOG_KEY_FILE = "log.key"
DATA_KEYS_VARIABLE = settings.DATA_KEYS
PSEUDONYM_KEY_VARIABLE = settings.PSEUDONYM_KEY
LOG_KEY_VARIABLE = settings.LOG_KEY
KEY_BYTES = 32


class KeyProblem(ConfigurationError):
    """A key is missing, unreadable or does not fit the data."""


@dataclass(frozen=True)
class DataKeyring:
    primary: str
    keys: dict[str, bytes]

    def to_json(self) -> str:
        return json.dumps(
            {"primary": self.primary, "keys": {k: base64.b64encode(v).decode() for k, v in self.keys.items()}},
            indent=2,
        )

    @classmethod
    def from_json(cls, text: str, source: str) -> DataKeyring:
        try:
            raw = json.loads(text)
            keys = {str(k): base64.b64decode(v, validate=True) for k, v in raw["keys"].items()}
            primary = str(raw["primary"])
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise KeyProblem(f"The data keyring in {source} is not valid JSON of the expected shape ({type(exc).__name__}).") from None
        if primary not in keys or any(len(v) != KEY_BYTES for v in keys.values()):
            raise KeyProblem(f"The data keyring in {source} must hold 32-byte keys and name one of them primary.")
        return cls(primary=primary, keys=keys)

    @classmethod
    def first(cls) -> DataKeyring:
        """The keyring of a new store: one random key, k1."""
        return cls(primary="k1", keys={"k1": new_key()})

    def with_new_primary(self, key_id: str) -> DataKeyring:
        """This keyring plus a new random key under `key_id`, which becomes primary (rotation)."""
        if key_id in self.keys:
            raise ValueError(f"key id {key_id} is already in the keyring")
        return DataKeyring(primary=key_id, keys={**self.keys, key_id: new_key()})

    def without(self, key_ids: tuple[str, ...]) -> DataKeyring:
        """This keyring less the given keys (retirement); the primary always stays."""
        if self.primary in key_ids:
            raise ValueError("the primary key cannot be retired")
        return DataKeyring(primary=self.primary, keys={k: v for k, v in self.keys.items() if k not in key_ids})


def new_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def encode_key(key: bytes) -> bytes:
    """A single key as stored in its file: base64 text."""
    return base64.b64encode(key)


def check_private(path: Path) -> None:
    """Refuse a key file, or key folder, that other accounts may read or change, naming the fix."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        fix = "chmod 700" if path.is_dir() else "chmod 600"
        what = "key folder" if path.is_dir() else "key file"
        raise KeyProblem(
            f"The {what} {path} can be read by other accounts (mode {mode:o}): keys must be private to the "
            f"account that runs the dashboard. Run `{fix} {path}` and try again."
        )


def _read_key_file(path: Path) -> str | None:
    """The text of a key file, or None when there is none; refused when it or its folder is not private."""
    if not path.parent.exists():
        return None
    check_private(path.parent)
    if not path.exists():
        return None
    check_private(path)
    return path.read_text()


def key_source(key_dir: Path, file_name: str, variable: str) -> str:
    """Where a key is read from, for messages: the environment variable if set, else its file."""
    return f"${variable}" if _from_environment(variable) is not None else str(key_dir / file_name)


def _from_environment(variable: str) -> str | None:
    """The key text given in `variable`, or None when it is not set (config/settings.py reads it)."""
    secret = settings.load().secret(variable)
    return None if secret is None else secret.text


def _read_b64_key(key_dir: Path, file_name: str, variable: str) -> bytes | None:
    text = _from_environment(variable)
    source = f"${variable}"
    if text is None:
        text, source = _read_key_file(key_dir / file_name), str(key_dir / file_name)
        if text is None:
            return None
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except ValueError:
        raise KeyProblem(f"The key in {source} is not base64.") from None
    if len(key) != KEY_BYTES:
        raise KeyProblem(f"The key in {source} must be 32 bytes (it is {len(key)}).")
    return key


def load_data_keyring(key_dir: Path) -> DataKeyring | None:
    env = _from_environment(DATA_KEYS_VARIABLE)
    if env is not None:
        return DataKeyring.from_json(env, f"${DATA_KEYS_VARIABLE}")
    path = key_dir / DATA_KEYRING_FILE
    text = _read_key_file(path)
    return None if text is None else DataKeyring.from_json(text, str(path))


def load_pseudonym_key(key_dir: Path) -> bytes | None:
    return _read_b64_key(key_dir, PSEUDONYM_KEY_FILE, PSEUDONYM_KEY_VARIABLE)


def load_log_key(key_dir: Path) -> bytes | None:
    return _read_b64_key(key_dir, LOG_KEY_FILE, LOG_KEY_VARIABLE)


def _write_private(path: Path, content: bytes) -> Path:
    """Write `content` to a new 0600 temporary file beside `path`, durably; returns the temporary file."""
    private_folder(path.parent)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, content)
        os.fsync(fd)
    finally:
        os.close(fd)
    return tmp


def save_new_key_file(path: Path, content: bytes) -> bool:
    """Create a 0600 key file atomically and durably; never overwrite an existing one. Returns False when
    the file appeared meanwhile (another process made the same key first): the caller decides whether
    that one may be used instead. Callers have checked that no data needs another key (audit.key_checks)."""
    tmp = _write_private(path, content)
    try:
        os.link(tmp, path)  # fails if path exists: a key is never silently replaced
    except FileExistsError:
        return False
    finally:
        tmp.unlink()
    fsync_path(path.parent)
    return True


def refuse_keyring_from_environment() -> None:
    """Rotation rewrites the keyring file, which it cannot do for keys held in the environment."""
    if _from_environment(DATA_KEYS_VARIABLE) is not None:
        raise KeyProblem(
            f"Data keys come from ${DATA_KEYS_VARIABLE}; rotate them by updating that variable (keeping every key "
            "that stored values use), not with this command."
        )


def save_data_keyring(key_dir: Path, ring: DataKeyring) -> None:
    """Replace the keyring file atomically (rotation). The old file's keys must all still be in `ring`
    unless they were deliberately retired."""
    refuse_keyring_from_environment()
    path = key_dir / DATA_KEYRING_FILE
    os.replace(_write_private(path, ring.to_json().encode()), path)
    fsync_path(key_dir)


def require(key: bytes | DataKeyring | None, what: str, key_dir: Path):
    if key is None:
        raise KeyProblem(
            f"No {what} is configured: expected a key file in {key_dir} or the matching CODEAUDIT_* "
            "environment variable. Restore it from your backup; without it existing data cannot be read."
        )
    return key
