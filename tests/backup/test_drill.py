"""The backup drill: the real dashboard (`streamlit run`) serves the installation with an auditor signed in through
Chromium; an auditor completes claims in a loop (the worklist's own functions) while pages are viewed (access-log
events from another writer), and `manage.py backup` runs in its own process in the middle. The dashboard still
answers its health check and draws a page for the signed-in session after the backup. Restored into a new data
folder and key folder: verify-log passes with no note, the log is a prefix of the live one followed by the restore's
own event, the reviews are exactly those completed before the snapshot, each whole, and the metrics equal those of
the installation as it stood then (the same completions replayed on a copy taken before the drill)."""
from __future__ import annotations

import shutil
import sqlite3
import threading
import time
import urllib.request
from contextlib import closing
from pathlib import Path

from audit.events import AccessEvent
from audit.log.read import read_events
from audit.log.writer import AccessLog
from audit.permissions import Page
from config.paths import Paths
from queries.metrics import Filters, report_rows
from queries.store import connect_read_only
from review import worklist
from review.db import ReviewDb
from review.samples import draw_sample
from review.sampling import SampleSpec
from tests.audit.keys_site import KEY_VARIABLES, manage, manage_here
from tests.backup.conftest import copy_site
from tests.backup.site import PASSPHRASE, restore
from tests.e2e.conftest import require_chromium
from tests.e2e.harness import CHROMIUM, CHROMIUM_ARGS, free_port, start_dashboard, stop, wait_drawn, wait_healthy
from tests.views.page_content import PAGES

CLAIMS = 40


def _agree_row(paths: Paths, claim_key: str) -> dict[str, str]:
    con = connect_read_only(paths)
    try:
        code_type, code = con.execute("SELECT code_type, code FROM claim_codes WHERE claim_key = ? ORDER BY line LIMIT 1",
                                      [claim_key]).fetchone()
    finally:
        con.close()
    return {"code_type": code_type, "submitted_code": code, "audited_code": code, "finding": "agree"}


def _complete(paths: Paths, sample_id: str, claim_key: str, row: dict[str, str], record) -> None:
    db = ReviewDb(paths.reviews_db)
    con = connect_read_only(paths)
    try:
        opened = worklist.open_review(db, sample_id, claim_key, "ann.auditor")
        worklist.save_draft(db, opened.review_id, [row], "ann.auditor")
        worklist.complete(db, opened.review_id, con=con, user="ann.auditor", role="auditor", record=record)
    finally:
        con.close()


def _metrics(paths: Paths) -> list[list[dict]]:
    con = connect_read_only(paths)
    try:
        return [report_rows(con, Filters(), by) for by in (None, "coder", "month")]
    finally:
        con.close()


def _completed(db: Path, sample_id: str) -> list[str]:
    with closing(sqlite3.connect(db)) as conn:
        return [k for (k,) in conn.execute(
            "SELECT r.claim_key FROM reviews AS r JOIN revisions AS v USING (review_id) WHERE v.status = 'completed' "
            "AND r.sample_id = ? ORDER BY v.completed_at", [sample_id])]


def _review_rows(db: Path, claims: list[str]) -> list[tuple]:
    marks = ",".join("?" * len(claims))
    with closing(sqlite3.connect(db)) as conn:
        return [tuple(row) for table in ("reviews", "revisions", "findings", "published_findings") for row in conn.execute(
            f"SELECT t.* FROM {table} AS t JOIN reviews AS r USING (review_id) WHERE r.claim_key IN ({marks}) "
            "ORDER BY 1, 2", claims)]


def _signed_in(page, url: str) -> None:
    """ann.auditor (tests/backup/site.py) signs in with her password; the Overview is drawn."""
    page.goto(url)
    page.get_by_label("Username", exact=True).fill("ann.auditor")
    page.get_by_label("Password", exact=True).fill("a long enough passphrase")
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_role("heading", name=Page.OVERVIEW.label, level=1).wait_for()
    wait_drawn(page, PAGES[Page.OVERVIEW].charts)


def _opens(page, entry: Page) -> None:
    page.locator('[data-testid="stSidebarNav"] a').filter(has_text=entry.label).click()
    page.get_by_role("heading", name=entry.label, level=1).wait_for()
    wait_drawn(page, PAGES[entry].charts)
    assert not page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]').count()


def test_backup_while_the_dashboard_runs_an_auditor_saves_and_pages_are_viewed(base_site, tmp_path, monkeypatch):
    require_chromium()
    from playwright.sync_api import sync_playwright

    for variable in KEY_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    paths, _ = copy_site(base_site, tmp_path / "live")
    port, dashboard_log = free_port(), tmp_path / "streamlit.log"
    dashboard = start_dashboard(paths, port, dashboard_log)  # starts while the sample is drawn
    url = f"http://127.0.0.1:{port}"
    with sync_playwright() as playwright, closing(playwright.chromium.launch(executable_path=str(CHROMIUM),
                                                                              args=CHROMIUM_ARGS)) as browser:
        try:
            _drill(paths, tmp_path, url, dashboard, dashboard_log, browser)
        finally:
            stop(dashboard)


def _drill(paths: Paths, tmp_path: Path, url: str, dashboard, dashboard_log: Path, browser) -> None:
    log = AccessLog(paths)
    con = connect_read_only(paths)
    try:
        sample = draw_sample(con, ReviewDb(paths.reviews_db), SampleSpec("random", CLAIMS, exclude_audited=True), seed=11,
                             user="ann.auditor", role="auditor", record=log.append)
    finally:
        con.close()
    rows = {key: _agree_row(paths, key) for key in sample.claim_keys}
    before = Paths(data_dir=tmp_path / "before", key_dir=tmp_path / "before-keys")  # for the replay: store and reviews
    before.data_dir.mkdir()
    shutil.copyfile(paths.store, before.store)
    with closing(sqlite3.connect(paths.reviews_db)) as src, closing(sqlite3.connect(before.reviews_db)) as dst:
        src.backup(dst)

    wait_healthy(url, dashboard, dashboard_log)
    context = browser.new_context()
    context.set_default_timeout(90_000)  # how long a wait may last on a loaded 2-core machine, not a figure asserted
    page = context.new_page()
    _signed_in(page, url)

    stop, done, errors = threading.Event(), [], []

    def auditor() -> None:
        try:
            for key in sample.claim_keys:
                if stop.is_set():
                    return
                _complete(paths, sample.sample_id, key, rows[key], log.append)
                done.append(key)
        except Exception as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)

    def viewer() -> None:
        with AccessLog(paths) as pages:  # a log writer of its own, as another dashboard process has
            while not stop.is_set():
                pages.append(AccessEvent(user="bo.manager", role="coding_manager", action="page_view", resource="overview"))
                time.sleep(0.005)

    threads = [threading.Thread(target=auditor), threading.Thread(target=viewer)]
    for thread in threads:
        thread.start()
    try:
        while len(done) < 5 and not errors and threads[0].is_alive():
            time.sleep(0.05)
        archive, keys = tmp_path / "drill.tar", tmp_path / "drill-keys.json"
        backed = manage(paths, "backup", "--out", str(archive), "--with-keys", str(keys), "--passphrase-stdin",
                        stdin=PASSPHRASE + "\n")
        at_end = len(done)
        while len(done) < at_end + 3 and not errors and threads[0].is_alive():
            time.sleep(0.05)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert not errors and backed.returncode == 0, (errors, backed.stderr)
    assert 5 <= len(done) < CLAIMS, "the backup must fall in the middle of the auditor's work"
    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=10) as health:
        assert health.status == 200
    _opens(page, Page.RECORD_REVIEW)  # the session signed in before the backup goes on after it
    (backup_event,) = [e for e in read_events(paths, action="export") if e["resource"] == "cli:backup"]
    (viewed,) = read_events(paths, action="page_view", user="ann.auditor", limit=1)
    assert viewed["resource"] == f"page:{Page.RECORD_REVIEW.value}" and viewed["seq"] > backup_event["seq"]
    context.close()

    target = Paths(data_dir=tmp_path / "restored" / "data", key_dir=tmp_path / "restored" / "keys")
    restored = restore(archive, target, keys)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    verified = manage_here(target, "verify-log")
    assert verified.returncode == 0 and "note:" not in verified.stdout, verified.stdout

    live_log = (paths.log_dir / "events.jsonl").read_bytes()
    *snapshot, restored_line = (target.log_dir / "events.jsonl").read_bytes().splitlines(keepends=True)
    snapshot_log = b"".join(snapshot)
    assert live_log.startswith(snapshot_log) and len(snapshot_log) < len(live_log)
    assert snapshot_log.count(b'"action":"page_view"') > 0 and b'"action":"restore"' in restored_line

    completed = _completed(target.reviews_db, sample.sample_id)
    assert completed == done[:len(completed)] and 5 <= len(completed) < len(done)  # a prefix: nothing half-written
    assert _review_rows(target.reviews_db, completed) == _review_rows(paths.reviews_db, completed)

    for key in completed:  # the installation as it stood at the snapshot
        _complete(before, sample.sample_id, key, rows[key], None)
    assert _metrics(target) == _metrics(before)
    assert _metrics(target) != _metrics(paths)  # the later completions count in the live installation only
