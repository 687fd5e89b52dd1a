"""The metrics read the review store only through the feed review/ hands them: the views metrics_feed_version and
metrics_feed_findings (review/sql/store/migrations/0700_metrics_feed.sql), whose columns are those of
queries.reviewed.PUBLISHED in its order. review/ owns its tables and may change them; queries/ names none."""
from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from audit import sqlite_store
from config.paths import Paths
from queries import reviewed
from review import db as review_db
from review.db import ReviewDb

ROOT = Path(__file__).resolve().parents[2]
FEED = {"metrics_feed_version", "metrics_feed_findings"}
ON_THE_REVIEW_STORE = "-- SQLite, on the review store"


def _paths(tmp_path: Path) -> Paths:
    return Paths(data_dir=tmp_path / "data", key_dir=tmp_path / "keys").ensure()


def _review_store_sql() -> dict[Path, str]:
    """The SQL files under queries/ that say they run on the review store (their first line)."""
    return {path: path.read_text() for path in sorted((ROOT / "queries").rglob("*.sql"))
            if path.read_text().startswith(ON_THE_REVIEW_STORE)}


def _names_read(script: str) -> set[str]:
    code = "\n".join(line.split("--")[0] for line in script.splitlines())
    return {name.lower() for name in re.findall(r"\b(?:FROM|JOIN)\s+([A-Za-z_][A-Za-z0-9_]*)", code, re.IGNORECASE)}


def test_the_feed_views_have_the_columns_of_published_in_its_order(tmp_path: Path):
    paths = _paths(tmp_path)
    ReviewDb(paths.reviews_db)
    with sqlite3.connect(paths.reviews_db) as conn:
        findings = [row[1] for row in conn.execute("PRAGMA table_info(metrics_feed_findings)")]
        version = [row[1] for row in conn.execute("PRAGMA table_info(metrics_feed_version)")]
    assert findings == reviewed.PUBLISHED.names
    assert len(findings) == 15
    assert version == ["version"]


def test_the_review_store_sql_in_queries_names_only_the_feed_views():
    files = _review_store_sql()
    assert {path.relative_to(ROOT / "queries" / "sql").as_posix() for path in files} >= {
        "reviewed/version.sql", "reviewed/published.sql"}
    for path, script in files.items():
        assert _names_read(script) and _names_read(script) <= FEED, path


def _review_store_tables() -> set[str]:
    scripts = [ROOT / "review" / "sql" / "store" / "schema.sql", *sorted((review_db.MIGRATIONS).glob("*.sql"))]
    return {name.lower() for path in scripts
            for name in re.findall(r"CREATE TABLE (?:IF NOT EXISTS )?([A-Za-z_]+)", path.read_text(), re.IGNORECASE)}


def test_nothing_in_queries_reads_a_review_store_table():
    tables = _review_store_tables()
    assert {"published_findings", "publication", "findings", "claim_rebuttals"} <= tables
    read = {path.relative_to(ROOT).as_posix(): _names_read(path.read_text()) & tables
            for path in sorted((ROOT / "queries").rglob("*")) if path.suffix in (".sql", ".py")}
    assert {path: names for path, names in read.items() if names} == {}


def test_the_names_check_catches_a_review_store_table():
    assert _names_read("-- from publication\nSELECT version FROM publication") == {"publication"}
    assert _names_read("SELECT * FROM metrics_feed_findings AS f JOIN reviews r ON 1") == {
        "metrics_feed_findings", "reviews"}


@contextmanager
def _watched(reads: set[str], statements: list[str]) -> Iterator[None]:
    """Record what each statement queries/ runs on the review store reads directly (not through a view)."""
    connect = sqlite_store.connect

    @contextmanager
    def watching(path: Path, busy_timeout_seconds: float = sqlite_store.BUSY_TIMEOUT_SECONDS):
        with connect(path, busy_timeout_seconds) as conn:
            def authorize(action: int, table: str | None, _column: str | None, _db: str | None,
                          through: str | None) -> int:
                if action == sqlite3.SQLITE_READ and through is None and table is not None:
                    reads.add(table)
                return sqlite3.SQLITE_OK
            conn.set_authorizer(authorize)
            conn.set_trace_callback(statements.append)
            yield conn

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sqlite_store, "connect", watching)
        yield


def test_queries_reads_only_the_feed_views_from_the_review_store(tmp_path: Path):
    paths = _paths(tmp_path)
    ReviewDb(paths.reviews_db)
    reads: set[str] = set()
    statements: list[str] = []
    with _watched(reads, statements):
        assert reviewed.published_version(paths) == 0
        version, table = reviewed._published(paths)
    assert (version, table.num_rows) == (0, 0)
    assert reads == FEED
    run = {s.strip() for s in statements} - {"BEGIN", "COMMIT"}
    assert run == {script.strip() for script in _review_store_sql().values()}


def review_store_before_the_feed(path: Path, scratch: Path) -> None:
    """A review store as the release before the metrics feed made it: every migration before 0700."""
    older = scratch / "migrations-before-the-feed"
    older.mkdir()
    for name in review_db.migration_names():
        if name < "0700":
            (older / f"{name}.sql").write_text((review_db.MIGRATIONS / f"{name}.sql").read_text())
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(review_db, "MIGRATIONS", older)
        ReviewDb(path)
    with sqlite3.connect(path) as conn:
        assert not conn.execute("SELECT name FROM sqlite_master WHERE name LIKE 'metrics_feed%'").fetchall()


def test_a_store_made_before_the_feed_reads_as_not_set_up_until_review_opens_it(tmp_path: Path):
    paths = _paths(tmp_path)
    review_store_before_the_feed(paths.reviews_db, tmp_path)
    with sqlite3.connect(paths.reviews_db) as conn:
        conn.execute("UPDATE publication SET version = 3")
    assert reviewed.published_version(paths) == 0
    version, table = reviewed._published(paths)
    assert (version, table.num_rows) == (0, 0)
    overlay_version = version
    review_db.update_existing(paths.reviews_db)  # what readers of the metrics call first: the feed is added
    assert reviewed.published_version(paths) == 3
    assert reviewed._published(paths)[0] == 3
    assert reviewed.Overlay(overlay_version, None).stale(paths, reviewed.datetime.now(reviewed.UTC))


def test_bringing_a_store_up_to_date_creates_none(tmp_path: Path):
    paths = _paths(tmp_path)
    review_db.update_existing(paths.reviews_db)
    assert not paths.reviews_db.exists()
