"""A dashboard process meeting a review store an older release made brings it up to date before its first
reader, so the reviewed findings count on the first page anyone opens, not after the next review change."""
from __future__ import annotations

import sqlite3

from audit.permissions import Role
from tests.views.conftest import open_app
from tests.views.test_pages import no_exception, sign_in

FEED = [("metrics_feed_findings",), ("metrics_feed_version",)]


def _feed(conn: sqlite3.Connection) -> list[tuple[str]]:
    return conn.execute("SELECT name FROM sqlite_master WHERE type = 'view' AND name LIKE 'metrics_feed%' ORDER BY name").fetchall()


def test_the_first_page_opened_brings_an_older_review_store_up_to_date(own_demo):
    with sqlite3.connect(own_demo.reviews_db) as conn:  # the demo's store as the release before the feed left it
        conn.execute("DROP VIEW metrics_feed_version")
        conn.execute("DROP VIEW metrics_feed_findings")
        conn.execute("DELETE FROM schema_migrations WHERE name = '0700_metrics_feed'")
        assert _feed(conn) == []
    app = sign_in(open_app(), Role.COMPLIANCE_OFFICER)
    no_exception(app)
    with sqlite3.connect(own_demo.reviews_db) as conn:
        assert _feed(conn) == FEED
        assert conn.execute("SELECT count(*) FROM schema_migrations WHERE name = '0700_metrics_feed'").fetchone() == (1,)
