"""One door to SQLite: every connection the project opens goes through audit/sqlite_store.py, so the busy
timeout, autocommit and read-only rules are decided once (the metrics' reader of the review store once had
its own connection and its own timeout)."""
from __future__ import annotations

import ast
from pathlib import Path

from audit import sqlite_store
from audit.users import BUSY_TIMEOUT_SECONDS as USERS_TIMEOUT
from review.db import BUSY_TIMEOUT_SECONDS as REVIEWS_TIMEOUT

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("audit", "cli", "config", "data", "queries", "review", "views", "bench")


def _connects(path: Path) -> bool:
    tree = ast.parse(path.read_text(), str(path))
    return any(isinstance(node, ast.Attribute) and node.attr == "connect" and isinstance(node.value, ast.Name)
               and node.value.id == "sqlite3" for node in ast.walk(tree))


def test_only_the_sqlite_store_module_opens_sqlite():
    opening = sorted(str(path.relative_to(REPO)) for package in PACKAGES for path in (REPO / package).rglob("*.py")
                     if _connects(path))
    assert opening == ["audit/sqlite_store.py"]


def test_every_store_waits_the_same_busy_timeout():
    assert USERS_TIMEOUT == REVIEWS_TIMEOUT == sqlite_store.BUSY_TIMEOUT_SECONDS


def test_a_read_only_connection_cannot_write(tmp_path):
    database = tmp_path / "codes.db"
    with sqlite_store.connect(database) as conn:
        conn.execute("CREATE TABLE codes (code TEXT)")
    with sqlite_store.read_only(database) as conn:
        try:
            conn.execute("INSERT INTO codes VALUES ('A')")
        except Exception as exc:  # sqlite3.OperationalError: attempt to write a readonly database
            assert "readonly" in str(exc)
        else:
            raise AssertionError("a read-only connection wrote")
