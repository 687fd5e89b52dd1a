"""Key files: the data keyring (AES-256-GCM, versioned for rotation), the pseudonym key, the log key.

Each key has its own file so that the log key is kept apart from the data keys and the
pseudonym key never changes when data keys rotate (pseudonyms stay stable).
Keys may also come from the environment, base64-encoded:
CODEAUDIT_DATA_KEYS (JSON {"primary": id, "keys": {id: b64}}), CODEAUDIT_PSEUDONYM_KEY, CODEAUDIT_LOG_KEY.
"""
from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from audit.durable import fsync_path
from audit.paths import ConfigurationError

DATA_KEYRING_FILE = "data_keys.json"
PSEUDONYM_KEY_FILE = "pseudonym.key"
LOG_KEY_FILE = "log.key"


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
        except (ValueError, KeyError, TypeError) as exc:
            raise KeyProblem(f"The data keyring in {source} is not valid JSON of the expected shape ({type(exc).__name__}).") from None
        if primary not in keys or any(len(v) != 32 for v in keys.values()):
            raise KeyProblem(f"The data keyring in {source} must hold 32-byte keys and name one of them primary.")
        return cls(primary=primary, keys=keys)


def _write_secret(path: Path, content: bytes) -> bool:
    """Create a 0600 file atomically and durably; never overwrite an existing key. Returns False when
    another process created the same key first (its key is the one to use)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, content)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)  # fails if path exists: a key is never silently replaced
    except FileExistsError:
        return False
    finally:
        tmp.unlink()
    fsync_path(path.parent)
    return True


def _read_b64_key(path: Path, env: str) -> bytes | None:
    text = os.environ.get(env)
    source = f"${env}"
    if text is None:
        if not path.exists():
            return None
        text, source = path.read_text(), str(path)
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except ValueError:
        raise KeyProblem(f"The key in {source} is not base64.") from None
    if len(key) != 32:
        raise KeyProblem(f"The key in {source} must be 32 bytes (it is {len(key)}).")
    return key


def load_data_keyring(key_dir: Path) -> DataKeyring | None:
    env = os.environ.get("CODEAUDIT_DATA_KEYS")
    if env is not None:
        return DataKeyring.from_json(env, "$CODEAUDIT_DATA_KEYS")
    path = key_dir / DATA_KEYRING_FILE
    return DataKeyring.from_json(path.read_text(), str(path)) if path.exists() else None


def save_data_keyring(key_dir: Path, ring: DataKeyring) -> None:
    """Replace the keyring file atomically (rotation). The old file's keys must all still be in `ring`
    unless they were deliberately retired."""
    if os.environ.get("CODEAUDIT_DATA_KEYS") is not None:
        raise KeyProblem("Data keys come from $CODEAUDIT_DATA_KEYS; update that variable instead of the key file.")
    path = key_dir / DATA_KEYRING_FILE
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, ring.to_json().encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    fsync_path(key_dir)


def load_pseudonym_key(key_dir: Path) -> bytes | None:
    return _read_b64_key(key_dir / PSEUDONYM_KEY_FILE, "CODEAUDIT_PSEUDONYM_KEY")


def load_log_key(key_dir: Path) -> bytes | None:
    return _read_b64_key(key_dir / LOG_KEY_FILE, "CODEAUDIT_LOG_KEY")


def ensure_keys(key_dir: Path) -> list[Path]:
    """Create any missing key file (first use). Returns the files created so callers can tell the user
    to back them up: without them the PHI vault cannot be read and pseudonyms cannot be recomputed."""
    created: list[Path] = []
    if load_data_keyring(key_dir) is None:
        ring = DataKeyring(primary="k1", keys={"k1": secrets.token_bytes(32)})
        if _write_secret(key_dir / DATA_KEYRING_FILE, ring.to_json().encode()):
            created.append(key_dir / DATA_KEYRING_FILE)
    for name, loader in ((PSEUDONYM_KEY_FILE, load_pseudonym_key), (LOG_KEY_FILE, load_log_key)):
        if loader(key_dir) is None and _write_secret(key_dir / name, base64.b64encode(secrets.token_bytes(32))):
            created.append(key_dir / name)
    return created


def require(key: bytes | DataKeyring | None, what: str, key_dir: Path):
    if key is None:
        raise KeyProblem(
            f"No {what} is configured: expected a key file in {key_dir} or the matching CODEAUDIT_* "
            "environment variable. Restore it from your backup; without it existing data cannot be read."
        )
    return key
