"""The review store's watch (queries.reviewed.PublicationWatch): its token changes after every commit by another
connection and when another file is put in the store's place, and never otherwise, so a reader that skips the
version read while the token stands still can never miss a publication."""
from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

from audit import sqlite_store
from queries.reviewed import PublicationWatch


def _store(path: Path) -> Path:
    with sqlite_store.connect(path) as conn:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("CREATE TABLE publication (version INTEGER)")
        conn.execute("INSERT INTO publication VALUES (1)")
    return path


def _bump(path: Path) -> None:
    with sqlite_store.connect(path) as conn:
        conn.execute("UPDATE publication SET version = version + 1")


def test_the_token_stands_still_without_a_commit_and_moves_after_each(tmp_path: Path):
    watch = PublicationWatch(_store(tmp_path / "reviews.sqlite"))
    first = watch.look()
    assert first is not None and watch.look() == first == watch.look()
    _bump(tmp_path / "reviews.sqlite")
    second = watch.look()
    assert second != first and watch.look() == second
    _bump(tmp_path / "reviews.sqlite")
    assert watch.look() not in (first, second)
    watch.close()


def test_a_file_put_in_the_stores_place_moves_the_token(tmp_path: Path):
    path = _store(tmp_path / "reviews.sqlite")
    shutil.copy(path, tmp_path / "copy.sqlite")
    watch = PublicationWatch(path)
    before = watch.look()
    os.replace(tmp_path / "copy.sqlite", path)  # the same content, another file: no commit on the watched one
    assert watch.look() != before
    watch.close()


def test_no_file_gives_no_token_and_creates_none(tmp_path: Path):
    path = tmp_path / "reviews.sqlite"
    watch = PublicationWatch(path)
    assert watch.look() is None and not path.exists()
    _store(path)
    assert watch.look() is not None
    path.unlink()
    assert watch.look() is None
    watch.close()


def test_the_watch_holds_no_read_between_looks(tmp_path: Path):
    """A kept connection that left a read open would keep its old snapshot (and hold back checkpoints): a writer's
    checkpoint that truncates the log succeeds while the watch is open."""
    path = _store(tmp_path / "reviews.sqlite")
    watch = PublicationWatch(path)
    watch.look()
    _bump(path)
    with sqlite_store.connect(path) as conn:
        busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    assert busy == 0
    assert isinstance(watch.look(), tuple)
    watch.close()
    sqlite3.connect(path).close()
