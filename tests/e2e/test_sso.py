"""Single sign-on against a real OpenID Connect provider, in a real browser: `oidc-provider-mock` (a local
provider: discovery, authorization page, token endpoint, signed ID tokens, end-session endpoint) runs in a
thread of this process; the dashboard runs under `streamlit run` with an `[auth]` section in a secrets file
of its own temporary folder (STREAMLIT_SECRETS_FILES), never in the repository.

Each test walks the whole flow: the dashboard's button sends the browser to the provider, the user is
chosen on its authorization page, the provider redirects to /oauth2callback, Streamlit exchanges the code
and sets its identity cookie, and the dashboard maps the `groups` claim through `[auth.roles]` to a role.
Checked: the role and its pages, the sign-in and page-view events naming the SSO user, sign-out through the
provider's end-session page back to the sign-in page (recorded, and not undone by a reload), a user in no
dashboard group or in two refused with nothing shown, an identity older than the idle limit refused, and a
session signed out when idle (on a dashboard of its own whose idle limit is the floor of one minute, so this
test waits about a minute: the limit cannot be shorter; the others keep the default limit, so a loaded machine
cannot time their sessions out between two steps).
"""
from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from oidc_provider_mock import User, run_server_in_thread
from playwright.sync_api import expect

from audit.log.read import read_events
from audit.permissions import Page, Role, allowed_pages
from config.paths import Paths
from tests.e2e.conftest import DEMO_CLAIMS, Server, copy_of
from tests.e2e.harness import free_port, rerun_by, start_dashboard, stop, wait_drawn, wait_healthy
from tests.e2e.test_browser import WIDTH, assert_clean, open_page
from tests.views.page_content import PAGES

CLIENT_ID = "codeaudit-dashboard"
IDLE_MINUTES = 1  # the idle test's dashboard: the setting's floor (config/settings.py), so it waits as little as it can
ROLES = {"coding-managers": Role.CODING_MANAGER, "hipaa-compliance": Role.COMPLIANCE_OFFICER,
         "coding-auditors": Role.AUDITOR}
STALE_SECONDS = 20 * 60  # an identity signed this long ago, as Streamlit's 30-day cookie may carry one


@dataclass(frozen=True)
class Person:
    sub: str
    email: str
    groups: tuple[str, ...]


MANAGER = Person("00u-manager-7", "mia.manager@example.org", ("coding-managers", "all-staff"))
OFFICER = Person("00u-officer-3", "otto.officer@example.org", ("hipaa-compliance",))
KITCHEN = Person("00u-kitchen-2", "kim.kitchen@example.org", ("all-staff", "kitchen"))
TWO_ROLES = Person("00u-both-9", "bo.both@example.org", ("coding-managers", "coding-auditors"))
RETURNING = Person("00u-returning-5", "rae.returning@example.org", ("coding-managers",))
SSO_BUTTON = "Sign in with single sign-on"
WORD_JOINER = "\u2060"  # views/text.py md() puts one before an @, so an address is not made a link
STALE = "Your single sign-on is older than the idle limit of this dashboard; sign in again."


@dataclass(frozen=True)
class Provider:
    url: str


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    """The identity provider, with its users and their claims predefined (one button each on its page)."""
    people = [User(sub=p.sub, claims={"email": p.email, "groups": list(p.groups)})
              for p in (MANAGER, OFFICER, KITCHEN, TWO_ROLES)]
    # Authlib lets a user's claims override the ID token's own, so this identity reads as signed long ago.
    people.append(User(sub=RETURNING.sub, claims={"email": RETURNING.email, "groups": list(RETURNING.groups),
                                                   "iat": int(time.time()) - STALE_SECONDS}))
    with run_server_in_thread(user_claims=people) as server:
        yield Provider(f"http://localhost:{server.server_port}")


def write_secrets(folder: Path, port: int, provider: Provider) -> Path:
    """Streamlit's [auth] for this provider and the group-to-role table, as an IT team would write them."""
    roles = "\n".join(f'"{group}" = "{role.value}"' for group, role in ROLES.items())
    path = folder / "secrets.toml"
    path.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_urlsafe(32)}"\n'
        f'client_id = "{CLIENT_ID}"\n'
        f'client_secret = "{secrets.token_urlsafe(32)}"\n'
        f'server_metadata_url = "{provider.url}/.well-known/openid-configuration"\n'
        "\n[auth.roles]\n" + roles + "\n")
    path.chmod(0o600)
    return path


def sso_dashboard(root: Path, paths: Paths, provider: Provider, browser, env: dict[str, str]) -> Iterator[Server]:
    """A dashboard on `paths` with single sign-on through `provider`, once its sign-in page is drawn."""
    port = free_port()
    log = root / "streamlit.log"
    process = start_dashboard(paths, port, log, {"CODEAUDIT_DEMO_CLAIMS": DEMO_CLAIMS, **env,
                                                 "STREAMLIT_SECRETS_FILES": str(write_secrets(root, port, provider))})
    server = Server(f"http://127.0.0.1:{port}", paths)
    try:
        wait_healthy(server.url, process, log)
        context = browser.new_context()
        context.new_page().goto(server.url)
        context.pages[0].get_by_role("button", name=SSO_BUTTON).wait_for(timeout=240_000)  # the demo is built
        context.close()
        yield server
    finally:
        stop(process)


@pytest.fixture(scope="module")
def sso_server(tmp_path_factory: pytest.TempPathFactory, provider: Provider, browser) -> Iterator[Server]:
    """A dashboard that builds the demo on first start, with single sign-on through `provider` and the default
    idle limit (15 minutes: no test's own pauses come near it)."""
    root = tmp_path_factory.mktemp("e2e-sso")
    yield from sso_dashboard(root, Paths(data_dir=root / "data", key_dir=root / "keys"), provider, browser, {})


@pytest.fixture(scope="module")
def idle_sso_server(demo_template: Paths, tmp_path_factory: pytest.TempPathFactory, provider: Provider,
                    browser) -> Iterator[Server]:
    """A dashboard of its own for the idle test, on a copy of the demo built once, with the idle limit at the
    setting's floor: on the shared one a loaded machine could leave another test's session idle that long."""
    root = tmp_path_factory.mktemp("e2e-sso-idle")
    yield from sso_dashboard(root, copy_of(demo_template, root), provider, browser, {"CODEAUDIT_IDLE_MINUTES": str(IDLE_MINUTES)})


def through_provider(page, provider: Provider, server: Server, person: Person) -> None:
    """From the dashboard's SSO button to the provider's authorization page, choose `person`, and come back
    through the callback, which must set Streamlit's identity cookie."""
    page.get_by_role("button", name=SSO_BUTTON).click()
    page.wait_for_url(re.compile(re.escape(provider.url) + r"/oauth2/authorize\?"))
    asked = page.url
    assert f"client_id={CLIENT_ID}" in asked and "scope=openid" in asked and "nonce=" in asked and "state=" in asked
    callback = f"{server.url}/oauth2callback"
    expect(page.get_by_role("heading", name="Authorize Client")).to_be_visible()
    expect(page.get_by_text(f"You will be redirected to {callback}")).to_be_visible()
    with page.expect_response(lambda r: r.url.startswith(callback + "?")) as answered:
        page.get_by_role("button", name=person.sub, exact=True).click()
    assert answered.value.status == 302 and "code=" in answered.value.url
    assert "_streamlit_user=" in (answered.value.header_value("set-cookie") or "")
    page.wait_for_url(f"{server.url}/**")


def sso_sign_in(browser, provider: Provider, server: Server, person: Person):
    context = browser.new_context(viewport={"width": WIDTH, "height": 1000})
    page = context.new_page()
    page.goto(server.url)
    through_provider(page, provider, server, person)
    return context, page


def mark(server: Server) -> int:
    """The sequence number of the newest event: what a test records comes after it."""
    newest = read_events(server.paths, limit=1)
    return newest[0]["seq"] if newest else -1


def events_of(server: Server, person: Person, after: int) -> list[dict]:
    """The events of `person` since `after`, oldest first (tests may run in any order on one server)."""
    return [e for e in read_events(server.paths, user=f"sso:{person.sub}") if e["seq"] > after][::-1]


def nav_labels(page) -> list[str]:
    """The page menu's labels (each link's last line: the icon's ligature name comes first)."""
    return [label.strip().splitlines()[-1] for label in page.locator('[data-testid="stSidebarNav"] a').all_inner_texts()]


def expect_signed_in(page, person: Person, role: Role) -> None:
    first = allowed_pages(role)[0]
    page.get_by_role("heading", name=first.label, level=1).wait_for(timeout=60_000)
    wait_drawn(page, PAGES[first].charts)
    caption = page.locator('[data-testid="stSidebar"] [data-testid="stCaptionContainer"]').first.inner_text()
    assert caption.replace(WORD_JOINER, "") == f"Signed in as {person.email}, {role.label.lower()}"


def expect_sign_in_page_only(page) -> None:
    """The sign-in page and nothing behind it: an empty sidebar at most (Streamlit keeps the panel within a
    session), no tiles, tables or drawn data (the page's one chart is the empty warm-up that loads Plotly,
    views/charts.py)."""
    page.get_by_role("heading", name="Coding audit and compliance", level=1).wait_for()
    wait_drawn(page)
    assert [text.strip() for text in page.locator('[data-testid="stSidebar"]').all_inner_texts()] in ([], [""])
    for hidden in ('[data-testid="stMetric"]', '[data-testid="stDataFrame"]', ".js-plotly-plot g.trace"):
        assert page.locator(hidden).count() == 0, hidden


def sign_out_at_provider(page, provider: Provider, server: Server) -> None:
    """The provider's end-session page (reached with the ID token as a hint), then back to the dashboard."""
    page.wait_for_url(re.compile(re.escape(provider.url) + r"/oauth2/end_session\?"))
    assert "id_token_hint=" in page.url and f"client_id={CLIENT_ID}" in page.url
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(f"{server.url}/**")


def test_a_group_maps_to_its_role_and_the_sign_in_and_page_views_are_logged_as_the_sso_user(sso_server, provider, browser):
    before = mark(sso_server)
    context, page = sso_sign_in(browser, provider, sso_server, MANAGER)
    expect_signed_in(page, MANAGER, Role.CODING_MANAGER)
    assert_clean(page)
    assert nav_labels(page) == [p.label for p in allowed_pages(Role.CODING_MANAGER)]
    open_page(page, Page.DENIALS)
    signed_in, *views = events_of(sso_server, MANAGER, before)
    assert (signed_in["action"], signed_in["outcome"], signed_in["role"]) == ("sign_in", "success", "coding_manager")
    assert signed_in["details"] == {"method": "sso", "display": MANAGER.email}
    assert [(e["action"], e["resource"], e["role"]) for e in views] == [
        ("page_view", "page:overview", "coding_manager"), ("page_view", "page:denials", "coding_manager")]
    context.close()


def test_the_compliance_officer_finds_the_sso_users_events_on_the_access_log_page(sso_server, provider, browser):
    before = mark(sso_server)
    context, page = sso_sign_in(browser, provider, sso_server, OFFICER)
    expect_signed_in(page, OFFICER, Role.COMPLIANCE_OFFICER)
    assert nav_labels(page) == [p.label for p in allowed_pages(Role.COMPLIANCE_OFFICER)]
    open_page(page, Page.ACCESS_LOG)
    assert_clean(page)
    field = page.get_by_label("User (part of a name)")
    field.fill(f"sso:{OFFICER.sub}")
    rerun_by(page, lambda: field.press("Enter"))
    logged = [(e["action"], e["resource"]) for e in events_of(sso_server, OFFICER, before)]
    assert logged == [("sign_in", ""), ("page_view", "page:overview"), ("page_view", "page:access_log")]
    expect(page.get_by_text("3 events, newest first.")).to_be_visible()
    context.close()


def test_sign_out_ends_the_session_at_the_provider_returns_to_the_sign_in_page_and_is_logged(sso_server, provider, browser):
    before = mark(sso_server)
    context, page = sso_sign_in(browser, provider, sso_server, MANAGER)
    expect_signed_in(page, MANAGER, Role.CODING_MANAGER)
    page.locator('[data-testid="stSidebar"]').get_by_role("button", name="Sign out").click()
    sign_out_at_provider(page, provider, sso_server)
    expect_sign_in_page_only(page)
    expect(page.get_by_role("button", name=SSO_BUTTON)).to_be_visible()
    assert not [c for c in context.cookies() if c["name"].startswith("_streamlit_user")]
    page.reload()  # the identity is gone: a reload does not sign the user back in
    page.get_by_role("button", name=SSO_BUTTON).wait_for()
    expect_sign_in_page_only(page)
    events = events_of(sso_server, MANAGER, before)
    assert [(e["action"], e["outcome"], e["role"]) for e in events] == [
        ("sign_in", "success", "coding_manager"), ("page_view", "success", "coding_manager"),
        ("sign_out", "success", "coding_manager")]
    assert events[-1]["details"] == {"reason": "user", "method": "sso"}
    context.close()


def test_a_user_in_no_dashboard_group_is_refused_with_nothing_shown_and_the_refusal_is_logged(sso_server, provider, browser):
    before = mark(sso_server)
    context, page = sso_sign_in(browser, provider, sso_server, KITCHEN)
    refusal = page.get_by_text("Your single sign-on account is in no dashboard group, so it has no access. "
                               "Ask your identity administrator to add you to one.")
    expect(refusal).to_be_in_viewport(ratio=1, timeout=60_000)  # said at the top, not below the other ways to sign in
    expect_sign_in_page_only(page)
    page.get_by_role("button", name="Sign out of single sign-on").click()
    sign_out_at_provider(page, provider, sso_server)
    expect_sign_in_page_only(page)
    expect(page.get_by_role("button", name=SSO_BUTTON)).to_be_visible()
    expect(refusal).to_have_count(0)
    assert [(e["action"], e["outcome"], e["role"], e["details"]) for e in events_of(sso_server, KITCHEN, before)] == [
        ("sign_in_failed", "denied", "", {"reason": "no_role", "method": "sso"})]
    context.close()


def test_a_user_whose_groups_give_two_roles_is_refused_in_words(sso_server, provider, browser):
    before = mark(sso_server)
    context, page = sso_sign_in(browser, provider, sso_server, TWO_ROLES)
    refusal = page.get_by_text("Your sign-in groups give you several roles (Auditor, Coding manager); the dashboard "
                               "allows one. Ask your identity administrator to keep you in a single dashboard group.")
    expect(refusal).to_be_in_viewport(ratio=1, timeout=60_000)
    expect_sign_in_page_only(page)
    assert [(e["action"], e["outcome"], e["details"]) for e in events_of(sso_server, TWO_ROLES, before)] == [
        ("sign_in_failed", "denied", {"reason": "conflicting_roles", "method": "sso"})]
    context.close()


def test_an_identity_signed_longer_ago_than_the_idle_limit_is_not_taken(sso_server, provider, browser):
    before = mark(sso_server)
    context, page = sso_sign_in(browser, provider, sso_server, RETURNING)
    expect(page.get_by_text(STALE)).to_be_in_viewport(ratio=1, timeout=60_000)
    expect_sign_in_page_only(page)
    expect(page.get_by_role("button", name=SSO_BUTTON)).to_be_visible()
    assert events_of(sso_server, RETURNING, before) == []
    context.close()


def test_an_idle_sso_session_is_signed_out_logged_and_not_revived_by_the_identity_cookie(idle_sso_server, provider, browser):
    before = mark(idle_sso_server)
    context, page = sso_sign_in(browser, provider, idle_sso_server, MANAGER)
    expect_signed_in(page, MANAGER, Role.CODING_MANAGER)
    started = time.monotonic()
    notice = page.get_by_text("You were signed out after 1 minute without activity; sign in again.")
    expect(notice).to_be_visible(timeout=(IDLE_MINUTES * 60 + 60) * 1000)  # the sidebar timer comes due just after the limit
    assert time.monotonic() - started >= IDLE_MINUTES * 60 - 5
    expect_sign_in_page_only(page)
    expect(page.get_by_text(STALE)).to_be_visible()  # the identity cookie is still there, and not taken
    assert [c for c in context.cookies() if c["name"] == "_streamlit_user"]
    assert [(e["action"], e["role"], e["details"]) for e in events_of(idle_sso_server, MANAGER, before)][-1] == (
        "timeout", "coding_manager", {"reason": "idle", "method": "sso"})
    again = mark(idle_sso_server)
    through_provider(page, provider, idle_sso_server, MANAGER)  # signing in at the provider again gives a fresh identity
    expect_signed_in(page, MANAGER, Role.CODING_MANAGER)
    assert [e["action"] for e in events_of(idle_sso_server, MANAGER, again)] == ["sign_in", "page_view"]
    context.close()
