"""The key file of a backup: the data keyring, the pseudonym key and the log key, sealed under a passphrase.

Keys never travel in the backup archive itself: whoever holds the archive holds the sealed PHI, and must not
also hold what opens it. `manage.py backup --with-keys FILE` writes them to a file of their own, sealed so
that the file is useless without the passphrase, and that file can be kept apart from the archive.

Format `codeaudit-keys-1` (a JSON object, UTF-8):
- `kdf`: Argon2id (RFC 9106) from argon2-cffi's low-level API, with its `time_cost`, `memory_kib`,
  `parallelism` and a random 16-byte `salt` (standard base64); it stretches the passphrase (UTF-8) into a
  32-byte key. Argon2id is memory-hard, so guessing passphrases on graphics cards costs what it costs here,
  and it is what the accounts' password hashes already use.
- `cipher`: AES-256-GCM (cryptography's AESGCM) with a random 12-byte `nonce`; the associated data is the
  header (every field but `ciphertext`, as canonical JSON: sorted keys, no whitespace), so no parameter can be
  changed without the decryption failing.
- `ciphertext`: standard base64 of the sealed canonical JSON of {"data_keys": the keyring as in
  data_keys.json, "pseudonym_key": base64, "log_key": base64} (a key not configured is absent).

tests/backup/test_keyfile.py opens a fixed vector (a known answer), so the format cannot change unseen.
"""
from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass
from typing import Any

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from audit.keys import DataKeyring

FORMAT = "codeaudit-keys-1"
# RFC 9106's second recommended setting (64 MiB, 3 passes, 4 lanes): about a second here.
TIME_COST, MEMORY_KIB, PARALLELISM = 3, 64 * 1024, 4
# What a file may ask for: a forged header must not make a restore allocate gigabytes or spin for hours.
MAX_TIME_COST, MAX_MEMORY_KIB, MAX_PARALLELISM = 10, 1024 * 1024, 16
MIN_PASSPHRASE_CHARS = 16


class KeyFileError(ValueError):
    """The key file cannot be opened or made; the message says why and what to do."""


@dataclass(frozen=True)
class BackedUpKeys:
    """The three keys as their files hold them (the keyring's JSON text as DataKeyring.to_json writes it; base64 of
    the two single keys)."""

    data_keys: str | None
    pseudonym_key: str | None
    log_key: str | None

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if self.data_keys is not None:
            body["data_keys"] = json.loads(self.data_keys)
        for name in ("pseudonym_key", "log_key"):
            if getattr(self, name) is not None:
                body[name] = getattr(self, name)
        return body


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _stretch(passphrase: str, kdf: dict[str, Any]) -> bytes:
    return hash_secret_raw(passphrase.encode("utf-8"), base64.b64decode(kdf["salt"]), kdf["time_cost"],
                           kdf["memory_kib"], kdf["parallelism"], 32, Type.ID)


def check_passphrase(passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE_CHARS:
        raise KeyFileError(f"The passphrase is too short: use at least {MIN_PASSPHRASE_CHARS} characters "
                           "(a few words are easier to keep than symbols).")


def seal(keys: BackedUpKeys, passphrase: str, *, salt: bytes | None = None, nonce: bytes | None = None) -> bytes:
    """The key file's bytes. `salt` and `nonce` are random unless given (known-answer tests only)."""
    check_passphrase(passphrase)
    kdf = {"name": "argon2id", "time_cost": TIME_COST, "memory_kib": MEMORY_KIB, "parallelism": PARALLELISM,
           "salt": _b64(salt or secrets.token_bytes(16))}
    header = {"format": FORMAT, "kdf": kdf, "cipher": "AES-256-GCM", "nonce": _b64(nonce or secrets.token_bytes(12))}
    sealed = AESGCM(_stretch(passphrase, kdf)).encrypt(base64.b64decode(header["nonce"]), _canonical(keys.as_json()),
                                                      _canonical(header))
    return json.dumps({**header, "ciphertext": _b64(sealed)}, indent=2).encode() + b"\n"


def _header(data: bytes) -> tuple[dict[str, Any], bytes]:
    """The header and the ciphertext, checked for shape and for parameters within bounds."""
    try:
        body = json.loads(data)
        header = {k: body[k] for k in ("format", "kdf", "cipher", "nonce")}
        kdf, ciphertext = header["kdf"], base64.b64decode(body["ciphertext"], validate=True)
        bounded = (kdf["name"] == "argon2id" and 1 <= kdf["time_cost"] <= MAX_TIME_COST
                   and 8 * kdf["parallelism"] <= kdf["memory_kib"] <= MAX_MEMORY_KIB
                   and 1 <= kdf["parallelism"] <= MAX_PARALLELISM and len(base64.b64decode(kdf["salt"], validate=True)) >= 16
                   and len(base64.b64decode(header["nonce"], validate=True)) == 12)
    except (ValueError, KeyError, TypeError):
        raise KeyFileError("This is not a key file written by `manage.py backup --with-keys`.") from None
    if header["format"] != FORMAT or header["cipher"] != "AES-256-GCM" or not bounded:
        raise KeyFileError(f"The key file's format is not {FORMAT} with parameters this version accepts; "
                           "use the release that wrote it.")
    return header, ciphertext


def open_sealed(data: bytes, passphrase: str) -> BackedUpKeys:
    """The keys in a key file; KeyFileError for a wrong passphrase, a damaged or altered file (AES-GCM cannot
    tell those apart) or another format."""
    header, ciphertext = _header(data)
    try:
        plain = AESGCM(_stretch(passphrase, header["kdf"])).decrypt(base64.b64decode(header["nonce"]), ciphertext,
                                                                   _canonical(header))
    except InvalidTag:
        raise KeyFileError("The passphrase is wrong, or the key file was damaged or altered; nothing was restored.") from None
    body = json.loads(plain)
    ring = body.get("data_keys")
    ring_text = DataKeyring.from_json(json.dumps(ring), "the key file").to_json() if ring is not None else None
    return BackedUpKeys(ring_text, body.get("pseudonym_key"),
                        body.get("log_key"))
