"""Where data and keys live. Keys never sit inside the data folder they protect, nor data inside the key folder."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from config import settings
from config.settings import ConfigurationError

PRIVATE_UMASK = 0o077


def private_by_default() -> None:
    """Make every file and folder this process creates private to its owner, whatever the umask it was
    started with (a login's 0022 would leave DuckDB's WAL, lock files and folders readable by others).
    Called first by the command line and by the dashboard."""
    os.umask(PRIVATE_UMASK)


def private_folder(folder: Path) -> Path:
    """Create `folder` and any missing parent 0700 (mkdir's mode covers the last one only)."""
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    for path in reversed(missing):
        path.mkdir(mode=0o700, exist_ok=True)
    return folder


@dataclass(frozen=True)
class Paths:
    data_dir: Path
    key_dir: Path

    @property
    def store(self) -> Path:
        return self.data_dir / "store.duckdb"

    @property
    def store_lock(self) -> Path:
        return self.data_dir / "store.lock"

    @property
    def users_db(self) -> Path:
        return self.data_dir / "users.sqlite"

    @property
    def reviews_db(self) -> Path:
        # Samples, reviews, findings, rebuttals (review/db.py): SQLite in WAL mode, beside users.sqlite.
        return self.data_dir / "reviews.sqlite"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "access_log"

    @property
    def checkpoint_dir(self) -> Path:
        # Checkpoints live beside the keys, outside the log store, so that whoever can rewrite the
        # log folder cannot also rewrite the proof of its length. One key folder may serve several
        # data folders: each log's checkpoints are in a folder of their own here, named by the log's
        # identity so that they follow the data folder wherever it is restored (audit/log/identity.py).
        return self.key_dir / "log_checkpoints"

    @property
    def real_data_marker(self) -> Path:
        # Written by the first real ingest and never removed: demo sign-in is gone for good after it.
        return self.data_dir / "REAL_DATA_INGESTED"

    def ensure(self) -> Paths:
        """Check the folders, then create the data folder (0700: it holds PHI, encrypted or not) if it
        is missing. Nothing is created when the check fails. The key folder is created 0700 only when
        the first key is saved (audit/keys.py), which also refuses key files others can read."""
        data, keys = self.data_dir.resolve(), self.key_dir.resolve()
        if keys == data or data in keys.parents:
            raise ConfigurationError(
                f"The key folder {keys} is inside the data folder {data}. "
                "Set CODEAUDIT_KEY_DIR to a folder outside CODEAUDIT_DATA_DIR."
            )
        if keys in data.parents:
            raise ConfigurationError(
                f"The data folder {data} is inside the key folder {keys}. "
                "Set CODEAUDIT_DATA_DIR to a folder outside CODEAUDIT_KEY_DIR."
            )
        private_folder(self.data_dir)
        return self


def default_paths(data_dir: str | Path | None = None) -> Paths:
    """Data: `data_dir`, else CODEAUDIT_DATA_DIR (default ./var). Keys: CODEAUDIT_KEY_DIR (default
    ~/.config/codeaudit). See config/settings.py."""
    configured = settings.load()
    return Paths(data_dir=Path(data_dir) if data_dir else configured.data_dir, key_dir=configured.key_dir)
