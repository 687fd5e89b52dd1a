"""Restoring a backup archive (`manage.py restore`) into a new data folder, and the keys into a key folder.

Nothing is put in place until the whole archive has been read and checked: every member is one the format
names (no other path, no link), read into a staging folder inside the new data folder; the manifest is present
(an archive cut short has none), its signature holds under the log key, and every member's size and SHA-256
match it. Only then are the files moved into the data folder and the checkpoints into
`<key folder>/log_checkpoints/<log identity>/`, which is claimed for the new data folder (audit/log/identity.py).
Any refusal leaves the data folder as it was (empty or absent) and the key folder untouched.

Keys (from the key file, backup/keyfile.py) go only into the key folder, which Paths.ensure() keeps outside the
data folder; a key already there must be the same key, and a checkpoint folder of the same log already there
must be the backup's, else the restore is refused: both would otherwise be silently replaced.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import shutil
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audit.durable import fsync_path
from audit.keys import (
    DATA_KEYRING_FILE,
    LOG_KEY_FILE,
    PSEUDONYM_KEY_FILE,
    DataKeyring,
    load_data_keyring,
    load_log_key,
    load_pseudonym_key,
    save_new_key_file,
)
from audit.log.checkpoints import HEAD_FILE, HISTORY_FILE
from audit.log.format import Signer
from audit.log.identity import claim, log_identity
from backup.archive import CHECKPOINTS, FORMAT, LOG, MANIFEST, MEMBERS, STORE, manifest_mac
from backup.keyfile import BackedUpKeys
from config.paths import Paths, private_folder
from review.db import migration_names

_STAGING = ".restore-staging"
REQUIRED = (STORE, LOG, CHECKPOINTS + HEAD_FILE, CHECKPOINTS + HISTORY_FILE)
_CHUNK = 1 << 20


class RestoreRefused(ValueError):
    """The archive, the folders or the keys do not allow a restore; one sentence says why and what to do."""


@dataclass(frozen=True)
class Restored:
    manifest: dict[str, Any]
    checkpoint_folder: Path
    keys_written: list[Path]
    archive_sha256: str


def _refuse_non_empty(data_dir: Path) -> None:
    if data_dir.exists() and (not data_dir.is_dir() or any(data_dir.iterdir())):
        raise RestoreRefused(f"{data_dir} is not an empty folder; restore into a new or empty folder, so that nothing "
                             "there is overwritten.")


def _extract(archive: Path, staging: Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]], str]:
    """Read every member into `staging`, hashing it; the manifest, what was found (size, sha256) per member, and
    the SHA-256 of the whole archive as read (the same open file, so the hash is of the bytes restored)."""
    found: dict[str, dict[str, Any]] = {}
    manifest_bytes = None
    try:
        with open(archive, "rb") as whole:
            whole_digest = hashlib.sha256()
            while chunk := whole.read(_CHUNK):
                whole_digest.update(chunk)
            whole.seek(0)
            with tarfile.open(fileobj=whole, mode="r:") as tar:
                for info in tar:
                    name = info.name
                    if name in found or (name == MANIFEST and manifest_bytes is not None):
                        raise RestoreRefused(f"{archive} holds {name} twice, which no backup does: it was altered.")
                    if not info.isfile() or (name not in MEMBERS and name != MANIFEST):
                        raise RestoreRefused(f"{archive} holds {name!r}, which no backup holds: it was altered or is not "
                                             "a backup made by `manage.py backup`.")
                    source = tar.extractfile(info)
                    if name == MANIFEST:
                        manifest_bytes = source.read(1 << 20)
                        continue
                    target = staging / name
                    private_folder(target.parent)
                    digest, size = hashlib.sha256(), 0
                    with open(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
                        while chunk := source.read(_CHUNK):
                            digest.update(chunk)
                            size += len(chunk)
                            out.write(chunk)
                    found[name] = {"size": size, "sha256": digest.hexdigest()}
    except (tarfile.TarError, EOFError) as exc:
        raise RestoreRefused(f"{archive} is incomplete or damaged ({exc}); nothing was restored: use a complete copy "
                             "of the backup.") from None
    if manifest_bytes is None:
        raise RestoreRefused(f"{archive} has no manifest: it is incomplete (cut short) or not a backup made by "
                             "`manage.py backup`; nothing was restored.")
    try:
        manifest = json.loads(manifest_bytes)
        manifest["members"], manifest["log"]["identity"], manifest["mac"]  # noqa: B018 - the shape is checked here
    except (ValueError, KeyError, TypeError):
        raise RestoreRefused(f"{archive}'s manifest is not readable: the archive was altered or damaged.") from None
    return manifest, found, whole_digest.hexdigest()


def _check(archive: Path, manifest: dict[str, Any], found: dict[str, dict[str, Any]], log_key: bytes) -> None:
    if manifest.get("format") != FORMAT:
        raise RestoreRefused(f"{archive} is a backup in format {manifest.get('format')!r}; this release restores "
                             f"{FORMAT}: use the release that made it.")
    if not hmac.compare_digest(str(manifest["mac"]), manifest_mac(manifest, log_key)):
        raise RestoreRefused(f"{archive}'s manifest does not carry this log key's signature: it was altered, or "
                             "belongs to another installation (restore the key file made with it).")
    listed = manifest["members"]
    missing = sorted((set(listed) | set(REQUIRED)) - set(found))
    if missing:
        raise RestoreRefused(f"{archive} lacks {', '.join(missing)}, which its manifest lists: it is incomplete; "
                             "nothing was restored.")
    for name, seen in sorted(found.items()):
        if listed.get(name) != seen:
            raise RestoreRefused(f"{archive}'s {name} does not match the SHA-256 its manifest records: the archive "
                                 "was altered or damaged; nothing was restored.")
    newer = sorted(set(manifest.get("versions", {}).get("review_store_migrations", ())) - set(migration_names()))
    if newer:
        raise RestoreRefused(f"{archive} holds a review store a newer release changed ({', '.join(newer)}); restore "
                             "it with that release.")


def _key_files(keys: BackedUpKeys | None, key_dir: Path) -> dict[str, bytes]:
    """The key files to write: those the key file holds that the key folder lacks. A key already configured
    (a file, or its CODEAUDIT_* variable) must be the same key."""
    if keys is None:
        return {}
    wanted: list[tuple[str, bytes, object, object]] = []
    if keys.data_keys is not None:
        ring = DataKeyring.from_json(keys.data_keys, "the key file")
        wanted.append((DATA_KEYRING_FILE, ring.to_json().encode(), ring, load_data_keyring(key_dir)))
    for file_name, text, load in ((PSEUDONYM_KEY_FILE, keys.pseudonym_key, load_pseudonym_key),
                                  (LOG_KEY_FILE, keys.log_key, load_log_key)):
        if text is not None:
            wanted.append((file_name, text.encode(), base64.b64decode(text), load(key_dir)))
    files = {}
    for file_name, content, key, current in wanted:
        if current is None:
            files[file_name] = content
        elif current != key:
            raise RestoreRefused(f"The key folder {key_dir} (or its CODEAUDIT_* variable) already holds another "
                                 f"{file_name}; restore into a new key folder (--key-dir). Nothing was restored.")
    return files


def _staged_identity(staging: Path, log_key: bytes) -> str | None:
    fd = os.open(staging / LOG, os.O_RDONLY)
    try:
        return log_identity(fd, Signer(log_key))
    finally:
        os.close(fd)


def restore(archive: Path, paths: Paths, keys: BackedUpKeys | None) -> Restored:
    """Restore `archive` into `paths.data_dir` (new or empty) and its checkpoints, and the keys if given, into
    `paths.key_dir`. RestoreRefused (one sentence) if anything is wrong; then nothing is changed."""
    _refuse_non_empty(paths.data_dir)
    created = not paths.data_dir.exists()
    paths.ensure()  # refuses a key folder inside the data folder, or the reverse, before anything is written
    staging = paths.data_dir / _STAGING
    try:
        private_folder(staging)
        key_files = _key_files(keys, paths.key_dir)
        log_key_text = keys.log_key if keys is not None and keys.log_key else None
        log_key = base64.b64decode(log_key_text) if log_key_text else load_log_key(paths.key_dir)
        if log_key is None:
            raise RestoreRefused("No access-log key to check the backup with: give the key file made with it "
                                 "(--keys FILE), or restore log.key into the key folder first.")
        manifest, found, archive_sha256 = _extract(archive, staging)
        _check(archive, manifest, found, log_key)
        identity = manifest["log"]["identity"]
        if _staged_identity(staging, log_key) != identity:
            raise RestoreRefused(f"{archive}'s access log is not the log {identity} its manifest names: it was altered.")
        checkpoint_folder = paths.checkpoint_dir / identity
        staged_checkpoints = staging / CHECKPOINTS
        if checkpoint_folder.exists():
            same = all((checkpoint_folder / p.name).is_file() and (checkpoint_folder / p.name).read_bytes() == p.read_bytes()
                       for p in staged_checkpoints.iterdir() if p.name != "data_folder")
            if not same:
                raise RestoreRefused(f"The key folder already holds checkpoints of this access log ({checkpoint_folder}) "
                                     "that differ from the backup's: events were logged after it. Move that folder aside "
                                     "(keep it as evidence) or restore into another key folder (--key-dir).")
    except BaseException:
        shutil.rmtree(paths.data_dir if created else staging, ignore_errors=True)
        raise
    written = []
    for file_name, content in key_files.items():
        if save_new_key_file(paths.key_dir / file_name, content):
            written.append(paths.key_dir / file_name)
    for name in sorted(found):
        if name.startswith("data/"):
            target = paths.data_dir / name.removeprefix("data/")
            private_folder(target.parent)
            os.replace(staging / name, target)
            fsync_path(target.parent)
    if not checkpoint_folder.exists():
        private_folder(checkpoint_folder.parent)
        os.replace(staged_checkpoints, checkpoint_folder)
        fsync_path(checkpoint_folder.parent)
    shutil.rmtree(staging)
    claim(checkpoint_folder, paths, log_key)
    return Restored(manifest, checkpoint_folder, written, archive_sha256)
