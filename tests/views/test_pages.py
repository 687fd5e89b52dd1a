"""Every page for every role, through Streamlit's AppTest, on demo stores built on several days: the
navigation holds exactly the role's pages, each page shows its content without an exception or error
box, refused actions are refused and recorded, and the session rules hold."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import streamlit
from streamlit.testing.v1 import AppTest

from audit.exports import ExportPurpose
from audit.log.read import read_events
from audit.permissions import Page, PhiField, PurposeOfUse, Role, allowed_pages
from audit.session_policy import SessionGuard
from audit.users import UserStore
from config.settings import ConfigurationError
from queries.store import connect_read_only
from tests.views.conftest import APP, DEMO_DAYS, open_app, point_at
from tests.views.page_content import FILTERS
from tests.views.page_content import expected as content_for
from views import problems, session
from views.shell import CLAIM_SCOPE_PAGES
from views.sign_in import demo_label
from views.text import md

ROLES = list(Role)


def sign_in(app: AppTest, role: Role) -> AppTest:
    return app.button(key=f"demo.{role.value}").click().run()


def unescaped(markdown: str) -> str:
    """Text shown through views.text.md, as the reader sees it."""
    return markdown.replace("\\", "").replace("\u2060", "")


def set_dates(app: AppTest, first: date, last: date) -> AppTest:
    """Type the service dates into the sidebar, the start first (an end before the start would be refused)."""
    app.text_input(key="flt.from").input(first.isoformat()).run()
    return app.text_input(key="flt.to").input(last.isoformat()).run()


def page_file(page: Page) -> str:
    return f"views/pages/{page.value}.py"


def titles(app: AppTest) -> list[str]:
    return [t.value for t in app.title]


def no_exception(app: AppTest) -> None:
    """No exception, neither Streamlit's box nor our own message for an unexpected one (views.problems)."""
    assert not app.exception, [e.message for e in app.exception]
    assert not [e.value for e in app.error if problems.UNEXPECTED in e.value]


def input_labels(app: AppTest) -> list[str]:
    kinds = ("text_input", "text_area", "selectbox", "multiselect", "date_input", "radio")
    return [widget.label for kind in kinds for widget in app.get(kind)]


def assert_shows_its_content(app: AppTest, page: Page, role: Role) -> None:
    """The page's sections, tiles, charts, tables and inputs (tests/views/page_content.py), and no error box."""
    no_exception(app)
    assert not app.error, [e.value for e in app.error]
    expected = content_for(page, role)
    assert titles(app)[0] == page.label
    sections = [h.value for h in app.subheader]
    assert [s for s in expected.sections if not any(h.startswith(s) for h in sections)] == [], sections
    assert len(app.metric) >= expected.tiles
    assert len(app.get("plotly_chart")) >= expected.charts
    assert len(app.dataframe) >= expected.tables
    labels = input_labels(app)
    assert [label for label in expected.inputs if label not in labels] == [], labels
    shown = " ".join(m.value for m in (*app.caption, *app.info, *app.success, *app.markdown))
    assert [t for t in expected.texts if t not in shown] == []
    if page in CLAIM_SCOPE_PAGES:
        assert [f for f in FILTERS if f not in labels] == []
    else:
        assert not [f for f in FILTERS if f in labels], "a page without a claim scope offers no claim filters"


def test_sign_in_page_offers_one_demo_button_per_role_and_a_password_form(app):
    labels = [b.label for b in app.button]
    assert [demo_label(role) for role in Role] == [label for label in labels if label.endswith("(demo)")]
    assert "Sign in as Compliance officer (demo)" in labels
    assert [t.label for t in app.text_input] == ["Username", "Password"]
    no_exception(app)


@pytest.fixture
def navigation_spy(monkeypatch):
    """The page titles each st.navigation call received."""
    calls: list[list[str]] = []
    real = streamlit.navigation

    def spy(pages, **kwargs):
        calls.append([p.title for p in pages])
        return real(pages, **kwargs)

    monkeypatch.setattr(streamlit, "navigation", spy)
    return calls


@pytest.mark.parametrize("role", ROLES, ids=[r.value for r in ROLES])
@pytest.mark.parametrize("today", DEMO_DAYS, ids=str)
def test_every_allowed_page_shows_its_content_on_a_demo_built_that_day(demo_store_for, monkeypatch, today, role,
                                                                        navigation_spy):
    point_at(demo_store_for(today), monkeypatch)
    app = sign_in(open_app(), role)
    no_exception(app)
    allowed = allowed_pages(role)
    assert navigation_spy[-1] == [p.label for p in allowed]
    for page in allowed:
        app.switch_page(page_file(page)).run()
        assert_shows_its_content(app, page, role)


@pytest.mark.parametrize("role", ROLES, ids=[r.value for r in ROLES])
def test_no_other_page_exists_for_a_role(app, role):
    sign_in(app, role)
    for page in set(Page) - set(allowed_pages(role)):
        app.switch_page(page_file(page)).run()
        no_exception(app)
        assert page.label not in titles(app)


def test_overview_shows_every_headline_tile_and_the_trend_charts(app):
    sign_in(app, Role.COMPLIANCE_OFFICER)
    assert sorted(m.label for m in app.metric) == sorted([
        "Code accuracy", "Claim accuracy", "DRG accuracy", "Unspecified code rate", "Invalid code rate",
        "Denial rate", "Denied dollars", "Coding-related denial share", "Appeal overturn rate",
        "Overpaid (audits)", "Underpaid (audits)",
    ])
    assert all(m.value not in ("", "–") for m in app.metric)
    assert len(app.get("plotly_chart")) == 1
    assert [c.value for c in app.caption if c.value.startswith("Target")]


def test_page_views_are_recorded_with_the_filters(app, demo_env):
    sign_in(app, Role.CODING_MANAGER)
    app.multiselect(key="flt.payer").set_value(["Medicare"]).run()
    views = read_events(demo_env, action="page_view", user="demo:coding_manager", limit=2)
    assert views[0]["details"]["filters"]["payer"] == ["Medicare"]
    assert views[0]["resource"] == "page:overview"
    assert "payer" not in views[1]["details"]["filters"]


def test_dates_typed_in_common_forms_are_used_and_others_refused_in_a_sentence(app, demo_env):
    sign_in(app, Role.COMPLIANCE_OFFICER)
    last = date.fromisoformat(app.text_input(key="flt.to").value)
    first = last - timedelta(days=40)
    app.text_input(key="flt.from").input(f"{first:%Y/%m/%d}").run()  # 2026/09/30 style
    assert not app.sidebar.error
    assert app.selectbox(key="flt.period").value == "Custom dates"
    assert app.text_input(key="flt.from").value == first.isoformat()
    assert f"Service dates {first:%Y-%m-%d} to {last:%Y-%m-%d}" in " ".join(c.value for c in app.caption)
    app.text_input(key="flt.to").input(f"{last:%d}/{last:%m}/{last:%Y}").run()  # day first: ambiguous, refused
    if last.day > 12:
        assert "looks like day/month/year" in unescaped(app.sidebar.error[0].value)
        assert f"Service dates {first:%Y-%m-%d} to {last:%Y-%m-%d}" in " ".join(c.value for c in app.caption)  # kept
    app.text_input(key="flt.to").input("sometime").run()
    assert "'sometime' is not a date: type it as 2026-09-30" in unescaped(app.sidebar.error[0].value)
    assert f"The dates in use are still {first:%Y-%m-%d} to {last:%Y-%m-%d}." in unescaped(app.sidebar.error[0].value)
    app.selectbox(key="flt.period").set_value("Last quarter").run()
    assert not app.sidebar.error
    start, end = date.fromisoformat(app.text_input(key="flt.from").value), date.fromisoformat(app.text_input(key="flt.to").value)
    assert start.day == 1 and start.month in (1, 4, 7, 10) and (end + timedelta(days=1)).day == 1 and end < last
    no_exception(app)


def test_filters_survive_page_changes(app):
    sign_in(app, Role.CODING_MANAGER)
    app.multiselect(key="flt.facility").set_value(["FAC-NORTH"]).run()
    app.switch_page(page_file(Page.ACCESS_LOG)).run()  # not this role's: falls back to a page with filters
    app.switch_page(page_file(Page.DENIALS)).run()
    assert app.multiselect(key="flt.facility").value == ["FAC-NORTH"]
    assert f"Facility: {md('FAC-NORTH')}" in " ".join(c.value for c in app.caption)


def test_an_empty_scope_says_so_instead_of_failing(app):
    sign_in(app, Role.CODING_MANAGER)
    app.multiselect(key="flt.coder").set_value(["C001"]).run()
    app.multiselect(key="flt.facility").set_value(["FAC-CLINIC"]).run()
    app.multiselect(key="flt.payer").set_value(["Self-pay"]).run()
    app.multiselect(key="flt.encounter_type").set_value(["inpatient"]).run()
    for page in allowed_pages(Role.CODING_MANAGER):
        app.switch_page(page_file(page)).run()
        no_exception(app)
        assert not app.error
        assert app.info, page


def test_tables_open_on_request_and_only_some_roles_may_include_small_cells(app):
    sign_in(app, Role.CODING_MANAGER)
    assert not app.dataframe
    app.toggle(key="table.overview-kpis").set_value(True).run()
    assert len(app.dataframe) == 1
    assert app.radio(key="purpose.overview-kpis").value is None  # the user says where the file goes, each time
    app.radio(key="purpose.overview-kpis").set_value(ExportPurpose.EXTERNAL).run()
    assert not [c for c in app.checkbox if c.key.startswith("small.")]
    assert any("CMS cell-size rule" in c.value for c in app.caption)
    other = AppTest.from_file(app._script_path, default_timeout=60).run()
    sign_in(other, Role.COMPLIANCE_OFFICER)
    other.toggle(key="table.overview-kpis").set_value(True).run()
    other.radio(key="purpose.overview-kpis").set_value(ExportPurpose.INTERNAL).run()
    assert not [c for c in other.checkbox if c.key.startswith("small.")]  # nothing to suppress inside
    other.radio(key="purpose.overview-kpis").set_value(ExportPurpose.EXTERNAL).run()
    assert [c.key for c in other.checkbox if c.key.startswith("small.")] == ["small.overview-kpis"]


def test_admin_sees_no_claim_filters_and_account_changes_are_recorded(app, demo_env):
    sign_in(app, Role.ADMIN)
    assert not [m for m in app.multiselect if m.key and m.key.startswith("flt.")]
    assert not app.get("plotly_chart")
    form = [t for t in app.text_input if t.label == "Username"][0]
    form.input("new.auditor")
    app.selectbox[0].set_value(Role.AUDITOR)
    [t for t in app.text_input if t.label == "Initial password"][0].input("correct horse battery staple")
    [b for b in app.button if b.label == "Add account"][0].click().run()
    no_exception(app)
    assert any(md("new.auditor") in s.value for s in app.success)
    (event,) = read_events(demo_env, action="user_add", user="demo:admin", limit=1)
    assert event["resource"] == "user:new.auditor"


def test_a_failed_add_account_keeps_what_was_entered(app, demo_env):
    sign_in(app, Role.ADMIN)
    app.text_input(key="admin.add.username").input("kept.name")
    app.selectbox(key="admin.add.role").set_value(Role.CODING_MANAGER)
    app.text_input(key="admin.add.password").input("short")
    [b for b in app.button if b.label == "Add account"][0].click().run()
    assert app.error  # the password is too short: one sentence
    assert app.text_input(key="admin.add.username").value == "kept.name"
    assert app.selectbox(key="admin.add.role").value == Role.CODING_MANAGER
    app.text_input(key="admin.add.password").input("a long enough passphrase").run()
    [b for b in app.button if b.label == "Add account"][0].click().run()
    assert any(md("kept.name") in s.value for s in app.success)
    assert app.text_input(key="admin.add.username").value == ""  # a done change clears the form


def test_local_account_sign_in_and_refusal_are_recorded(app, demo_env):
    UserStore(demo_env.users_db).add_user("casey.manager", Role.CODING_MANAGER, "a long enough passphrase", actor="test")
    app.text_input(key="signin.username").input("casey.manager")
    app.text_input(key="signin.password").input("the wrong passphrase")
    app.button[-1].click().run()
    assert app.error[0].value.startswith(md("Sign-in failed"))
    assert read_events(demo_env, action="sign_in_failed", user="casey.manager", limit=1)
    app.text_input(key="signin.username").input("casey.manager")
    app.text_input(key="signin.password").input("a long enough passphrase")
    app.button[-1].click().run()
    no_exception(app)
    assert titles(app)[0] == Page.OVERVIEW.label
    assert "signin.password" not in app.session_state
    assert read_events(demo_env, action="sign_in", user="casey.manager", limit=1)


def test_sign_out_is_recorded_and_returns_to_sign_in(app, demo_env):
    sign_in(app, Role.AUDITOR)
    [b for b in app.button if b.label == "Sign out"][0].click().run()
    assert titles(app) == ["Coding audit and compliance"]
    assert read_events(demo_env, action="sign_out", user="demo:auditor", limit=1)


def test_idle_session_is_signed_out_and_recorded(app, demo_env):
    sign_in(app, Role.COMPLIANCE_OFFICER)
    guard = app.session_state["auth.guard"]
    guard.last_activity -= timedelta(minutes=16)
    app.run()
    assert titles(app) == ["Coding audit and compliance"]
    assert any("15 minutes" in w.value for w in app.warning)
    (event,) = read_events(demo_env, action="timeout", user="demo:compliance_officer", limit=1)
    assert event["details"]["reason"] == "idle"


def _signed_in_twelve_hours_ago(app: AppTest) -> None:
    """The session began 12 hours ago and was active a minute ago: only the absolute limit can end it."""
    guard = app.session_state["auth.guard"]
    guard.started -= timedelta(hours=12)
    guard.last_activity -= timedelta(minutes=1)


SESSION_LIMIT = "You were signed out because a session ends 12 hours after sign-in, however active; sign in again."


def test_an_active_local_session_ends_twelve_hours_after_sign_in_and_is_recorded(app, demo_env):
    UserStore(demo_env.users_db).add_user("robin.limit", Role.AUDITOR, "a long enough passphrase", actor="test")
    app.text_input(key="signin.username").input("robin.limit")
    app.text_input(key="signin.password").input("a long enough passphrase")
    app.button[-1].click().run()
    assert titles(app)[0] == Page.OVERVIEW.label
    _signed_in_twelve_hours_ago(app)
    app.run()
    assert titles(app) == ["Coding audit and compliance"]
    assert [w.value for w in app.warning] == [SESSION_LIMIT]
    (event,) = read_events(demo_env, action="timeout", user="robin.limit", limit=1)
    assert (event["details"]["reason"], event["details"]["method"]) == ("session_limit", "password")


def test_an_sso_session_ends_at_the_same_limit(app, demo_env):
    """A single sign-on session, as views.sign_in opens it after the provider's callback, meets the same guard."""
    who = session.SignedIn(user="sso:limit-subject", role=Role.CODING_MANAGER, display="pat@example.org", method="sso",
                           details={"display": "pat@example.org"})
    app.session_state["auth.user"] = who
    app.session_state["auth.guard"] = SessionGuard(last_activity=datetime.now(UTC))
    app.run()
    assert titles(app)[0] == Page.OVERVIEW.label
    _signed_in_twelve_hours_ago(app)
    app.run()
    assert titles(app) == ["Coding audit and compliance"]
    assert [w.value for w in app.warning] == [SESSION_LIMIT]
    (event,) = read_events(demo_env, action="timeout", user="sso:limit-subject", limit=1)
    assert (event["details"]["reason"], event["details"]["method"]) == ("session_limit", "sso")


def test_demo_sign_in_disappears_once_real_data_is_loaded(demo_env):
    demo_env.real_data_marker.touch()
    try:
        app = AppTest.from_file(str(APP), default_timeout=60).run()
        assert not [b for b in app.button if b.label.endswith("(demo)")]
    finally:
        demo_env.real_data_marker.unlink()


@pytest.fixture
def claim_key(demo_env) -> str:
    con = connect_read_only(demo_env)  # same settings as the app's connections in this process
    try:
        return con.execute("SELECT claim_key FROM claims ORDER BY claim_key LIMIT 1").fetchone()[0]
    finally:
        con.close()


def revealed(app: AppTest) -> list:
    """The tables of revealed identifiers on the page (the worklist above the reveal form has tables of its own)."""
    return [t for t in app.table if "identifier" in t.value.columns]


def reveal(app: AppTest, claim_key: str, fields, purpose, justification: str = "") -> AppTest:
    """The reveal form filled and sent, its inputs found by their labels (the worklist above it has inputs of its
    own: the demo holds a completed sample)."""
    next(t for t in app.text_input if t.label == "Claim key").input(claim_key)
    next(m for m in app.multiselect if m.label == "Identifiers").set_value(list(fields))
    next(b for b in app.selectbox if b.label == "Purpose of use").set_value(purpose)
    next(t for t in app.text_area if t.label.startswith("Justification")).input(justification)
    return [b for b in app.button if b.label == "Reveal"][0].click().run()


def test_auditor_reveal_is_recorded_before_the_values_are_shown_and_only_for_a_sampled_claim(own_demo):
    """An auditor reveals identifiers of a claim drawn into a sample; another claim is refused (and the refusal
    recorded) unless by break-glass, which is granted, recorded and flagged for review."""
    from review.db import ReviewDb
    from review.samples import claim_sampled, draw_sample
    from review.sampling import SampleSpec
    con = connect_read_only(own_demo)
    try:
        sample = draw_sample(con, ReviewDb(own_demo.reviews_db), SampleSpec("random", 1), seed=11, user="ann",
                             role="auditor", record=None)
        (claim_key,) = sample.claim_keys
        # outside every sample, the demo's completed one and its spares included: claim keys are pseudonyms
        # under this build's own key, so the first key by order may be anyone's (CI once drew a sampled one)
        outside = next(key for (key,) in con.execute("SELECT claim_key FROM claims ORDER BY claim_key").fetchall()
                       if not claim_sampled(ReviewDb(own_demo.reviews_db), key))
    finally:
        con.close()
    app = sign_in(open_app(), Role.AUDITOR)
    app.switch_page(page_file(Page.RECORD_REVIEW)).run()
    assert [f for f in next(m for m in app.multiselect if m.label == "Identifiers").options] == [PhiField.CLAIM_ID.label, PhiField.PATIENT_MRN.label, PhiField.PATIENT_DOB.label]
    reveal(app, claim_key, [PhiField.CLAIM_ID, PhiField.PATIENT_MRN], PurposeOfUse.HOPERAT)
    no_exception(app)
    shown = revealed(app)[0].value
    assert list(shown["identifier"]) == ["Claim number", "Medical record number"]
    assert shown["value"].iloc[0].startswith("CLM")
    (event,) = read_events(own_demo, action="phi_reveal", user="demo:auditor", limit=1)
    assert (event["outcome"], event["claim_keys"], event["purpose_of_use"]) == ("success", [claim_key], "HOPERAT")
    assert shown["value"].iloc[0] not in str(event)
    reveal(app, outside, [PhiField.PATIENT_MRN], PurposeOfUse.HOPERAT)
    no_exception(app)
    assert not revealed(app) and "only of claims drawn into an audit sample" in app.error[0].value
    (event,) = read_events(own_demo, action="phi_reveal", user="demo:auditor", limit=1)
    assert (event["outcome"], event["claim_keys"]) == ("denied", [outside])
    app.toggle(key="reveal.break_glass").set_value(True).run()
    reveal(app, outside, [PhiField.PATIENT_MRN], PurposeOfUse.ETREAT, "chart needed for a patient transfer now")
    no_exception(app)
    assert revealed(app) and any("flagged for review" in w.value for w in app.warning)
    (event,) = read_events(own_demo, action="phi_reveal", user="demo:auditor", limit=1)
    assert (event["outcome"], event["claim_keys"], event["details"]["needs_review"]) == ("success", [outside], True)


def test_break_glass_without_justification_is_refused_and_recorded(app, demo_env, claim_key):
    sign_in(app, Role.AUDITOR)
    app.switch_page(page_file(Page.RECORD_REVIEW)).run()
    app.toggle(key="reveal.break_glass").set_value(True).run()
    reveal(app, claim_key, [PhiField.PATIENT_NAME], PurposeOfUse.ETREAT)
    assert "justification" in app.error[0].value
    assert not revealed(app)
    (event,) = read_events(demo_env, action="phi_reveal", user="demo:auditor", limit=1)
    assert (event["outcome"], event["details"]["break_glass"]) == ("denied", True)


def test_compliance_officer_reviews_a_break_glass_reveal_and_the_warning_clears(own_demo):
    con = connect_read_only(own_demo)
    try:
        key = con.execute("SELECT claim_key FROM claims ORDER BY claim_key LIMIT 1").fetchone()[0]
    finally:
        con.close()
    auditor = sign_in(open_app(), Role.AUDITOR)
    auditor.switch_page(page_file(Page.RECORD_REVIEW)).run()
    auditor.toggle(key="reveal.break_glass").set_value(True).run()
    reveal(auditor, key, [PhiField.PATIENT_NAME], PurposeOfUse.ETREAT, "patient transferred, chart needed now")
    assert revealed(auditor)
    app = sign_in(open_app(), Role.COMPLIANCE_OFFICER)
    app.switch_page(page_file(Page.ACCESS_LOG)).run()
    no_exception(app)
    assert app.success[0].value.startswith("Log verified")
    assert [w.value for w in app.warning if "break-glass" in w.value] == [
        "1 break-glass reveal(s) need review by a compliance officer other than the person who used it."]
    assert len(app.dataframe[0].value) >= 3
    assert "Revealed patient identifiers" in set(app.dataframe[0].value["Action"])  # actions in words
    [b for b in app.button if b.label == "Mark reviewed"][0].click().run()
    assert [e.value for e in app.error] == [md("Write a review note: what you checked and what you concluded.")]
    [t for t in app.text_area if t.label == "Review note"][0].input("Called the ward: the transfer was real.")
    [b for b in app.button if b.label == "Mark reviewed"][0].click().run()
    no_exception(app)
    assert not [w for w in app.warning if "break-glass" in w.value]
    assert any("marked reviewed" in s.value for s in app.success)
    assert "Every break-glass reveal has been reviewed." in [s.value for s in app.success]
    (review,) = read_events(own_demo, action="break_glass_review")
    (reveal_event,) = read_events(own_demo, action="phi_reveal", user="demo:auditor")
    assert (review["user"], review["details"]["reviewed_seq"], review["justification"]) == (
        "demo:compliance_officer", reveal_event["seq"], "Called the ward: the transfer was real.")


SSO = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "not-a-real-secret",
       "client_id": "dashboard", "client_secret": "x", "server_metadata_url": "https://idp.example.org/.well-known/openid-configuration"}


def test_single_sign_on_is_offered_only_where_configured_with_a_role_mapping(demo_env, app, caplog):
    assert not [b for b in app.button if "single sign-on" in b.label]
    configured = AppTest.from_file(str(APP), default_timeout=60)
    configured.secrets["auth"] = {**SSO, "roles": {"coding-managers": "coding_manager"}}
    configured.run()
    no_exception(configured)
    assert [b.label for b in configured.button if "single sign-on" in b.label] == ["Sign in with single sign-on"]
    unmapped = AppTest.from_file(str(APP), default_timeout=60)
    unmapped.secrets["auth"] = SSO
    with caplog.at_level("ERROR", logger="codeaudit.dashboard"):
        unmapped.run()
    assert unmapped.error[0].value == problems.FOR_ADMINISTRATORS[ConfigurationError]  # visitors: no detail
    assert "no group-to-role mapping" in caplog.text  # the operator does, in the server log
    assert not [b for b in unmapped.button if "single sign-on" in b.label]


def test_specificity_lists_an_unspecified_code_that_has_no_more_specific_alternative(app, demo_env):
    """Codes such as K37 or R52 head a category with no more specific billable code, so their list of
    alternatives is missing (DuckDB gives pd.NA); on the 20,000-claim demo of 2026-11-29 one of them is
    among the 20 used most. Here: one coder's claims on the day they used one."""
    con = connect_read_only(demo_env)
    try:
        coder, day = con.execute("""
            SELECT d.coder_id, d.service_date FROM dx_facts AS d JOIN icd10cm AS i USING (code)
            WHERE d.unspecified AND NOT EXISTS (
                SELECT 1 FROM icd10cm AS s WHERE s.category = i.category AND s.billable AND NOT s.unspecified)
            ORDER BY d.service_date DESC, d.coder_id LIMIT 1
        """).fetchone()
    finally:
        con.close()
    assert isinstance(day, date)
    sign_in(app, Role.CODING_MANAGER)
    app.multiselect(key="flt.coder").set_value([coder]).run()
    set_dates(app, day, day)
    app.switch_page(page_file(Page.SPECIFICITY)).run()
    no_exception(app)
    top = next(table.value for table in app.dataframe if "examples" in table.value.columns)
    assert (top["specific_alternatives"] == 0).any()
    assert list(top.loc[top["specific_alternatives"] == 0, "examples"].unique()) == [""]
