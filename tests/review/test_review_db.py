"""The review store's schema changes: each file in review/sql/store/migrations/ is applied once, in name order,
to a store made before it, and a failing one leaves the store as it was."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from review import db as review_db
from review.db import ReviewDb, statements


def test_statements_are_split_as_sqlite_reads_them():
    script = "-- why\nALTER TABLE a ADD COLUMN b TEXT;\nCREATE TABLE c (d TEXT DEFAULT ';'\n);\n-- end\nDROP TABLE e"
    assert statements(script) == ["-- why\nALTER TABLE a ADD COLUMN b TEXT;", "CREATE TABLE c (d TEXT DEFAULT ';'\n);",
                                  "-- end\nDROP TABLE e"]
    assert statements("SELECT 1;\n-- only a comment\n") == ["SELECT 1;"]


def test_a_change_is_applied_once_to_an_older_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "reviews.sqlite"
    ReviewDb(path)
    changes = tmp_path / "migrations"
    changes.mkdir()
    (changes / "9001_note.sql").write_text("ALTER TABLE samples ADD COLUMN note TEXT NOT NULL DEFAULT '';\n")
    monkeypatch.setattr(review_db, "MIGRATIONS", changes)
    ReviewDb(path)
    ReviewDb(path)
    with sqlite3.connect(path) as conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(samples)")]
        applied = [row[0] for row in conn.execute("SELECT name FROM schema_migrations")]
    assert columns.count("note") == 1
    assert "9001_note" in applied


def test_a_failing_change_leaves_the_store_unchanged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "reviews.sqlite"
    ReviewDb(path)
    changes = tmp_path / "migrations"
    changes.mkdir()
    (changes / "9002_half.sql").write_text("ALTER TABLE samples ADD COLUMN first TEXT;\nALTER TABLE nowhere ADD COLUMN x TEXT;\n")
    monkeypatch.setattr(review_db, "MIGRATIONS", changes)
    with pytest.raises(sqlite3.OperationalError):
        ReviewDb(path)
    with sqlite3.connect(path) as conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(samples)")]
        applied = [row[0] for row in conn.execute("SELECT name FROM schema_migrations")]
    assert "first" not in columns and "9002_half" not in applied

