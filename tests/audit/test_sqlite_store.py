"""One door to SQLite: every connection the project opens goes through audit/sqlite_store.py, so the busy
timeout, autocommit, locking and read-only rules are decided in one module; a module that calls sqlite3.connect
itself would choose its own (a different timeout, a transaction mode nobody reviewed)."""
from __future__ import annotations

import ast
from pathlib import Path

from audit import sqlite_store
from audit.users import BUSY_TIMEOUT_SECONDS as USERS_TIMEOUT
from review.db import BUSY_TIMEOUT_SECONDS as REVIEWS_TIMEOUT
from tests.repo_files import python_files

REPO = Path(__file__).resolve().parents[2]


def _connects(path: Path) -> bool:
    tree = ast.parse(path.read_text(), str(path))
    return any(isinstance(node, ast.Attribute) and node.attr == "connect" and isinstance(node.value, ast.Name)
               and node.value.id == "sqlite3" for node in ast.walk(tree))


def test_only_the_sqlite_store_module_opens_sqlite():
    """Every Python file of every package and the entry scripts (a new package is covered without being named);
    the tests may open SQLite themselves, to tamper with a store as an attacker would."""
    scanned = [path for path in python_files(REPO) if not path.startswith("tests/")]
    assert {"backup/snapshot.py", "ingest/swap.py", "manage.py"} <= set(scanned)
    opening = sorted(path for path in scanned if _connects(REPO / path))
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
