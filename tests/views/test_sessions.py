"""Sessions and the store they read: after a store swap every session sees the new store at its next
action, and once real data is loaded every demo session ends at its next action (recorded as a sign-out
with its reason, explained on the sign-in page) without reading any of it, the PHI reveal included,
because the check is made on the connection that serves the reads."""
from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from audit.log.read import read_events
from audit.permissions import Page, PhiField, PurposeOfUse, Role
from audit.users import UserStore
from config.paths import Paths
from ingest.swap import write_transaction
from ingest.writer import ingest
from queries import metrics
from queries.metrics import Filters
from queries.store import RealDataLoaded, StoreReader, connect_read_only
from review.db import ReviewDb
from review.samples import draw_sample
from review.sampling import SampleSpec
from tests.conftest import Recorded
from tests.views.conftest import open_app
from tests.views.test_pages import reveal, revealed
from views import session

SIGN_IN_TITLE = "Coding audit and compliance"
REAL_CLAIM = {"claim_id": "REAL-0001", "patient_mrn": "MRN99887766", "facility_id": "FAC-REAL", "payer": "Medicare",
              "coder_id": "C900", "encounter_type": "outpatient", "service_date": "2025-03-04", "billed_amount": "100.00"}


def claims(con: duckdb.DuckDBPyConnection) -> int:
    return int(metrics.summary(con, metrics.Filters()).iloc[0]["claims"])


def swap_without_self_pay(paths: Paths) -> None:
    """A real swap through the writers' mechanism (private copy, atomic rename), changing what readers see: the
    payer's claims leave claim_facts and, as an ingest would rebuild them, the per-month totals (payer is in their
    key, so its rows are exactly its claims' sums)."""
    with write_transaction(paths) as con:
        con.execute("DELETE FROM claim_facts WHERE payer = 'Self-pay'")
        con.execute("DELETE FROM claim_month_totals WHERE payer = 'Self-pay'")


def load_real_data(paths: Paths, tmp_path: Path, write_csv) -> None:
    write_csv(tmp_path / "real", "claims", [REAL_CLAIM])
    ingest(tmp_path / "real", paths, recorder=Recorded())


def test_readers_in_one_process_see_the_store_as_it_is_after_a_swap(own_demo, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # where an in-memory DuckDB would spill by default (.tmp)
    first = StoreReader(own_demo)
    before = claims(first.connection())  # the `in_scope` macro stored with the data resolves
    swap_without_self_pay(own_demo)
    second = StoreReader(own_demo)  # opened while the first still holds the old file
    after = claims(second.connection())
    fresh = connect_read_only(own_demo)
    assert 0 < after == claims(fresh) < before
    assert claims(first.connection()) == after  # the first follows the swap at its next use
    settings = dict(fresh.execute(
        "SELECT name, value FROM duckdb_settings() WHERE name IN ('temp_directory', 'memory_limit')").fetchall())
    assert settings["temp_directory"] == ""  # never spills, so never writes beside the working directory
    assert settings["memory_limit"].endswith("MiB") and float(settings["memory_limit"].split()[0]) <= 512
    assert not (tmp_path / ".tmp").exists()
    for con in (first, second):
        con.close()
    fresh.close()


def sign_in_with_password(app: AppTest, username: str, password: str) -> AppTest:
    app.text_input(key="signin.username").input(username)
    app.text_input(key="signin.password").input(password)
    return app.button[-1].click().run()


def overview_claims(app: AppTest, paths: Paths) -> tuple[str, int]:
    """The Overview's caption, and the claims in its scope counted by a reader opened now."""
    scope = app.session_state["filters.current"]
    con = connect_read_only(paths)
    try:
        expected = int(metrics.summary(con, scope).iloc[0]["claims"])
    finally:
        con.close()
    caption = next(c.value for c in app.caption if " claims, " in c.value)
    return caption, expected


def test_two_sessions_see_a_swapped_store_at_their_next_action(own_demo):
    users = UserStore(own_demo.users_db)
    for name in ("first.manager", "second.manager"):
        users.add_user(name, Role.CODING_MANAGER, "a long enough passphrase", actor="test")
    first = sign_in_with_password(open_app(), "first.manager", "a long enough passphrase")
    second = sign_in_with_password(open_app(), "second.manager", "a long enough passphrase")
    caption, expected = overview_claims(first, own_demo)
    assert f"{expected:,} claims" in caption
    swap_without_self_pay(own_demo)
    for app in (second.run(), first.run()):
        caption, now = overview_claims(app, own_demo)
        assert now < expected and f"{now:,} claims" in caption, caption


def reader_threads(app: AppTest) -> int:
    reader = app.session_state[session._READER]
    return int(reader.connection().execute("SELECT current_setting('threads')").fetchone()[0])


def test_each_sessions_reader_runs_the_threads_the_setting_names_across_a_swap(own_demo, monkeypatch):
    """CODEAUDIT_SESSION_THREADS sets the DuckDB threads of every session's reader (2 by default), and a reader
    re-attached after a swap keeps them."""
    assert reader_threads(demo_sign_in(Role.CODING_MANAGER)) == 2
    monkeypatch.setenv("CODEAUDIT_SESSION_THREADS", "1")
    app = demo_sign_in(Role.CODING_MANAGER)
    assert reader_threads(app) == 1
    swap_without_self_pay(own_demo)
    assert reader_threads(app.run()) == 1


def demo_sign_in(role: Role) -> AppTest:
    return open_app().button(key=f"demo.{role.value}").click().run()


def assert_demo_ended(app: AppTest, paths: Paths, role: Role) -> None:
    assert [t.value for t in app.title] == [SIGN_IN_TITLE]
    assert not app.exception, [e.message for e in app.exception]
    assert session.DEMO_ENDED in [m.value for m in (*app.info, *app.warning)]
    assert not [b for b in app.button if b.label.endswith("(demo)")]
    (event,) = read_events(paths, action="sign_out", user=f"demo:{role.value}", limit=1)
    assert event["details"]["reason"] == "real_data_loaded"


def test_demo_sessions_end_at_their_next_action_once_real_data_is_loaded(own_demo, tmp_path, write_csv):
    auditor = demo_sign_in(Role.AUDITOR)
    officer = demo_sign_in(Role.COMPLIANCE_OFFICER)
    assert officer.title[0].value == Page.OVERVIEW.label
    load_real_data(own_demo, tmp_path, write_csv)
    assert_demo_ended(officer.run(), own_demo, Role.COMPLIANCE_OFFICER)
    assert_demo_ended(auditor.switch_page(f"views/pages/{Page.RECORD_REVIEW.value}.py").run(), own_demo, Role.AUDITOR)


@pytest.fixture
def swap_after_the_session_check(monkeypatch):
    """Real data lands just after the session-level check passed: only the check where data is read is left."""
    monkeypatch.setattr(session, "demo_mode", lambda paths: True)


def test_a_demo_reveal_cannot_reach_real_data_even_when_the_swap_follows_the_session_check(
        own_demo, tmp_path, write_csv, swap_after_the_session_check):
    auditor = demo_sign_in(Role.AUDITOR)
    auditor.switch_page(f"views/pages/{Page.RECORD_REVIEW.value}.py").run()
    load_real_data(own_demo, tmp_path, write_csv)
    con = connect_read_only(own_demo)
    (real_key,) = con.execute("SELECT claim_key FROM claims WHERE facility_id = 'FAC-REAL'").fetchone()
    # drawn into a sample, so the auditor's claim scope does not refuse it first: the read's own check must
    draw_sample(con, ReviewDb(own_demo.reviews_db), SampleSpec("random", 1, filters=Filters(facility=("FAC-REAL",))),
                seed=1, user="ann", role="auditor", record=None)
    con.close()
    reveal(auditor, real_key, [PhiField.CLAIM_ID, PhiField.PATIENT_MRN], PurposeOfUse.HOPERAT)
    assert not revealed(auditor)
    assert "MRN99887766" not in str([e.value for e in (*auditor.markdown, *auditor.success)])
    assert not read_events(own_demo, action="phi_reveal", user="demo:auditor")
    assert_demo_ended(auditor, own_demo, Role.AUDITOR)


def test_a_demo_reader_refuses_a_store_with_real_data_or_one_built_after_real_data(own_demo, tmp_path, write_csv):
    reader = StoreReader(own_demo, demo_only=True)
    assert claims(reader.connection()) > 0
    own_demo.real_data_marker.touch()  # real data was loaded once, even if this store was rebuilt since
    swap_without_self_pay(own_demo)
    with pytest.raises(RealDataLoaded):
        reader.connection()
    own_demo.real_data_marker.unlink()
    load_real_data(own_demo, tmp_path, write_csv)
    own_demo.real_data_marker.unlink()  # the store's own contents are checked too, not only the marker
    with pytest.raises(RealDataLoaded):
        StoreReader(own_demo, demo_only=True).connection()
    assert claims(StoreReader(own_demo).connection()) > 0  # an account's reader reads it
