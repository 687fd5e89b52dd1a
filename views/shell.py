"""What surrounds every page once signed in: the page list from the role, the sidebar (who, sign out,
filters), automatic logoff (idle or session limit), and the page_view record. Access itself is decided only by
audit.permissions; this module just asks it."""
from __future__ import annotations

from datetime import timedelta

import streamlit as st

from audit.events import AccessEvent
from audit.log.writer import AccessLogError
from audit.permissions import Page, allowed_pages
from queries import metrics
from queries.metrics import Filters
from views import filters, problems, second_factor, session
from views.text import md

# Pages that show coding data for a claim scope, and so take the sidebar filters.
CLAIM_SCOPE_PAGES = frozenset({Page.OVERVIEW, Page.ACCURACY, Page.WHERE_ERRORS, Page.SPECIFICITY, Page.DENIALS, Page.DRG, Page.AUDIT_SAMPLING})
CLAIM_SCOPE_PAGES |= {Page.PEER_PERCENTILES}
ICONS = {
    Page.OVERVIEW: ":material/dashboard:",
    Page.ACCURACY: ":material/insights:",
    Page.WHERE_ERRORS: ":material/grid_view:",
    Page.SPECIFICITY: ":material/rule:",
    Page.DENIALS: ":material/money_off:",
    Page.AUDIT_SAMPLING: ":material/casino:",
    Page.DRG: ":material/account_tree:",
    Page.PEER_PERCENTILES: ":material/leaderboard:",
    Page.RECORD_REVIEW: ":material/fact_check:",
    Page.MY_FINDINGS: ":material/assignment_ind:",
    Page.REBUTTALS: ":material/gavel:",
    Page.ACCESS_LOG: ":material/history:",
    Page.ADMIN: ":material/admin_panel_settings:",
}
_LAST_VIEW = "shell.last_view"
_TIMER = "shell.idle_timer"  # when the browser's idle timer was last set, and its interval in seconds
IDLE_MARGIN = timedelta(seconds=2)  # the timer comes due just after the session's end, never just before it


def navigation(who: session.SignedIn) -> tuple[st.Page, Page]:
    """Navigation over the pages the role may open (the others do not exist for this user); returns the
    page to run and which one it is."""
    pages = {
        page: st.Page(f"views/pages/{page.value}.py", title=page.label, icon=ICONS[page], url_path=page.value)
        for page in allowed_pages(who.role)
    }
    current = st.navigation(list(pages.values()))
    return current, next(page for page, entry in pages.items() if entry.title == current.title)


def _sign_out() -> None:
    who = session.signed_in()
    session.end("sign_out", "user", "You signed out.")
    if who is not None and who.method == "sso":
        st.logout()


def _idle_watch() -> None:
    """Signs a session out at its idle or session limit even when nobody touches it, so data does not stay on an
    unattended screen. Runs in every full run (doing nothing there) and when the timer idle_timer() set comes
    due; a session still open then (activity in a fragment, such as opening a table, moved its end) gets a full
    run that is not activity, which sets the timer for the new end."""
    if session.expired():
        st.rerun(scope="app")
    set_at, wait = st.session_state.get(_TIMER, (None, None))
    if set_at is not None and session.now() >= set_at + timedelta(seconds=wait) - IDLE_MARGIN / 2:  # come due
        session.rerun_quietly()


def idle_timer() -> None:
    """At every full run, set the browser's timer (a fragment's run_every) for when this session can end, instead
    of ticking at a fixed period. A tick that reaches the server while a click's full run is still waiting to
    start turns that run into a run of the timer's fragment alone (Streamlit merges the two requests), and the
    click is lost without a word; so the timer must not come due while the user works. The browser restarts its
    countdown only for a changed interval, so each full run sends a different one."""
    end = session.ends_at()
    if end is None:
        return
    set_at = session.now()
    wait = max((end - set_at).total_seconds(), 0.0) + IDLE_MARGIN.total_seconds()
    _, previous = st.session_state.get(_TIMER, (None, None))
    if previous is not None and abs(wait - previous) < 0.01:  # sent as a 32-bit float: keep them apart
        wait += 0.02
    st.session_state[_TIMER] = (set_at, wait)
    st.fragment(_idle_watch, run_every=wait)()


def sidebar(who: session.SignedIn, page: Page) -> Filters | None:
    """The user box and sign-out; the claim filters when the page shows coding data."""
    with st.sidebar:
        st.caption(f"Signed in as **{md(who.display)}**, {who.role.label.lower() if who.role else 'no role'}")
        st.button("Sign out", on_click=_sign_out, icon=":material/logout:")
        if who.method == "password" and not who.details.get("second_factor"):
            st.button("Set up a second factor", on_click=second_factor.start_enrolment, icon=":material/phonelink_lock:",
                      help="Sign in with a code from an authenticator app as well as your password.")
        idle_timer()
    if page not in CLAIM_SCOPE_PAGES:
        return None
    return filters.sidebar(session.query(metrics.filter_options))


def record_page_view(who: session.SignedIn, page: Page, scope: Filters | None) -> None:
    """A page_view event each time the user opens a page or changes its scope (not at every rerun).
    If it cannot be recorded the page is not shown."""
    details = filters.describe(scope) if scope is not None else {}
    view = (page, tuple(sorted((k, str(v)) for k, v in details.items())))
    if st.session_state.get(_LAST_VIEW) == view:
        return
    try:
        session.record(AccessEvent(user=who.user, role=who.role_name, action="page_view", resource=f"page:{page.value}",
                                   details={"filters": details}))
    except AccessLogError as exc:
        st.error(f"This page cannot be shown because the visit could not be recorded. {problems.shown(exc, who.role)}")
        st.stop()
    st.session_state[_LAST_VIEW] = view
