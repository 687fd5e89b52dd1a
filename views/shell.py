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
IDLE_CHECK = timedelta(seconds=30)


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


@st.fragment(run_every=IDLE_CHECK)
def _idle_watch() -> None:
    """Signs a session out at its idle or session limit even when nobody touches it, so data does not stay on an
    unattended screen."""
    if session.expired():
        st.rerun(scope="app")


def sidebar(who: session.SignedIn, page: Page) -> Filters | None:
    """The user box and sign-out; the claim filters when the page shows coding data."""
    with st.sidebar:
        st.caption(f"Signed in as **{md(who.display)}**, {who.role.label.lower() if who.role else 'no role'}")
        st.button("Sign out", on_click=_sign_out, icon=":material/logout:")
        if who.method == "password" and not who.details.get("second_factor"):
            st.button("Set up a second factor", on_click=second_factor.start_enrolment, icon=":material/phonelink_lock:",
                      help="Sign in with a code from an authenticator app as well as your password.")
        _idle_watch()
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
