"""Reviewed findings in the metrics, without rewriting the DuckDB store.

The review store (review/, `Paths.reviews_db`, SQLite) publishes the findings of each completed review,
with the time after which they are final (rebuttal window closed, or every rebuttal decided), in its metrics
feed: the views `metrics_feed_version` and `metrics_feed_findings` that review/ defines over its own tables
(review/sql/store/migrations/0700_metrics_feed.sql), the only names of that store read here, so review/
may change its tables without breaking the metrics. Every reader
of the store (`queries.store.connect_read_only`, `StoreReader`: each dashboard session and `manage.py
metrics`) loads them into its own in-memory DuckDB (a few thousand rows) and defines TEMP views named
`audit_findings`, `claim_facts` and `finding_facts` that shadow the store's tables: the store's imported
findings plus the final reviewed ones, each finding with its `source` (imported | reviewed). The per-claim
aggregates add up (counts and sums add, "all agree" and "reviewed" combine with AND and OR), so the
store's claim_facts is joined with the reviewed claims' aggregates instead of being rebuilt. A reader
reloads when the publication version changes or when a preliminary finding's window has since closed,
so a claim that becomes final counts in every metric at the reader's next query. Reading the version takes a
new SQLite connection and its schema (milliseconds), so a reader reads it only when its `PublicationWatch` saw
a commit to the review store since the last look. SQL: queries/sql/reviewed/.
"""
from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from audit import sqlite_store
from config.paths import Paths
from queries.metrics import Filters
from queries.sql_files import sql

PUBLISHED = pa.schema([
    ("claim_key", pa.string()), ("review_id", pa.string()), ("revision", pa.int64()), ("finding_id", pa.string()),
    ("auditor_id", pa.string()), ("review_date", pa.string()), ("code_type", pa.string()), ("submitted_code", pa.string()),
    ("audited_code", pa.string()), ("finding", pa.string()), ("error_category", pa.string()), ("dollar_impact", pa.string()),
    ("window_closes_at", pa.string()), ("rebuttal", pa.string()), ("final_after", pa.string()),
])


def published_version(paths: Paths) -> int:
    """The review store's publication version; 0 before the first sample, when there is nothing to read, and
    for a store whose feed review/ has not added yet (it does when it next opens the store, and the version then
    differs, so readers reload)."""
    if not paths.reviews_db.exists():
        return 0
    with sqlite_store.connect(paths.reviews_db) as conn:
        try:
            return int(conn.execute(sql("reviewed/version")).fetchone()[0])
        except sqlite3.OperationalError:  # created but not set up yet, or made before the feed: review/ adds it
            return 0


def _published(paths: Paths) -> tuple[int, pa.Table]:
    if not paths.reviews_db.exists():
        return 0, PUBLISHED.empty_table()
    with sqlite_store.connect(paths.reviews_db) as conn:
        try:
            conn.execute("BEGIN")  # version and rows from one snapshot
            version = int(conn.execute(sql("reviewed/version")).fetchone()[0])
            rows = conn.execute(sql("reviewed/published")).fetchall()
            conn.execute("COMMIT")
        except sqlite3.OperationalError:
            return 0, PUBLISHED.empty_table()
    columns = list(zip(*rows)) if rows else [[] for _ in PUBLISHED]
    return version, pa.table({f.name: pa.array(list(c), f.type) for f, c in zip(PUBLISHED, columns)}, schema=PUBLISHED)


@dataclass(frozen=True)
class Overlay:
    """What a reader loaded: the publication version, and when its next preliminary finding turns final."""

    version: int
    next_final: datetime | None

    def stale(self, paths: Paths, now: datetime, committed: bool = True) -> bool:
        """Whether to reload at `now`. `committed` False: nothing was committed to the review store since this
        was loaded (PublicationWatch), so its version is the same and is not read."""
        return (self.next_final is not None and now >= self.next_final) or (
            committed and published_version(paths) != self.version)


class PublicationWatch:
    """Whether anything may have been committed to the review store since the last look, for the price of a
    stat and a pragma: one connection kept open asks `PRAGMA data_version` (it changes whenever another
    connection commits to the file), and the file's identity tells a file put in its place (the kept
    connection holds the old one open, so its inode cannot be reused meanwhile). Look before reading the
    store: a commit after the look changes the next one."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._conn: sqlite3.Connection | None = None
        self._identity: tuple[int, int] | None = None

    def look(self) -> tuple[int, int, int] | None:
        """A token that differs from the last one after any commit to the file or its replacement; None while
        there is no file."""
        try:
            found = os.stat(self._path)
        except FileNotFoundError:
            self.close()
            return None
        identity = (found.st_dev, found.st_ino)  # stat before opening: a swap in between only costs a reopen
        if self._conn is None or identity != self._identity:
            self.close()
            try:
                self._conn = sqlite_store.watcher(self._path)
            except sqlite3.OperationalError:  # removed since the stat
                return None
            self._identity = identity
        ((data_version,),) = self._conn.execute("PRAGMA data_version").fetchall()  # fetched to the end: no open read
        return (*identity, int(data_version))

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn, self._identity = None, None


def load(con: duckdb.DuckDBPyConnection, paths: Paths, now: datetime | None = None) -> Overlay:
    """(Re)define this reader's findings relations over the published reviewed findings."""
    moment = now or datetime.now(UTC)
    version, table = _published(paths)
    con.register("reviewed_published", table)
    try:
        con.execute(sql("reviewed/overlay_published"), {"now": moment})
    finally:
        con.unregister("reviewed_published")
    con.execute(sql("claim_rules"))
    con.execute(sql("reviewed/overlay"))
    return Overlay(version, con.execute(sql("reviewed/next_final")).fetchone()[0])


def pending(con: duckdb.DuckDBPyConnection, filters: Filters) -> dict[str, int]:
    """Preliminary reviewed findings on claims in scope: findings, errors among them, claims."""
    findings, errors, claims = con.execute(sql("reviewed/pending"), filters.params()).fetchone()
    return {"findings": int(findings), "errors": int(errors), "claims": int(claims)}


def coder_findings(con: duckdb.DuckDBPyConnection, coder_id: str) -> pd.DataFrame:
    """Every finding on one coder's claims (imported and reviewed, final and preliminary): the coder's page."""
    return con.execute(sql("reviewed/coder_findings"), {"coder_id": coder_id}).df()

