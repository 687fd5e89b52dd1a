"""A local account's second factor in a real browser, on a dashboard started with CODEAUDIT_REQUIRE_MFA=true: the
account sets it up after its password (the secret read off the page, shown once, its code computed with pyotp), signs
out, signs in with password and code (a wrong code refused first), and a recovery code works once. The demo buttons,
no account, stay as they are. Neither the secret nor a recovery code is ever in the users store on disk."""
from __future__ import annotations

import time
from collections.abc import Iterator

import pyotp
import pytest
from playwright.sync_api import expect

from audit.log.read import read_events
from audit.permissions import Page, Role
from audit.users import UserStore
from config.paths import Paths
from tests.e2e.conftest import Server
from tests.e2e.harness import free_port, rerun_by, start_dashboard, stop, wait_drawn, wait_healthy
from tests.e2e.test_browser import WIDTH, assert_clean
from tests.views.page_content import PAGES

USER, PASSWORD = "mfa.auditor", "a long enough passphrase"
FIRST_PAGE = Page.OVERVIEW  # the auditor's first page


@pytest.fixture(scope="module")
def mfa_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A dashboard that requires a second factor of every local account, with one account that has none yet; it
    builds a small demo on first start."""
    root = tmp_path_factory.mktemp("e2e-mfa")
    paths = Paths(data_dir=root / "data", key_dir=root / "keys").ensure()
    UserStore(paths.users_db).add_user(USER, Role.AUDITOR, PASSWORD, actor="test")
    port, log = free_port(), root / "streamlit.log"
    process = start_dashboard(paths, port, log, {"CODEAUDIT_DEMO_CLAIMS": "1000", "CODEAUDIT_REQUIRE_MFA": "true"})
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process, log)
        yield Server(url, paths)
    finally:
        stop(process)


def main_text(page) -> str:
    return page.locator('[data-testid="stMain"]').inner_text()


def password_step(page, heading: str) -> None:
    page.get_by_label("Username", exact=True).fill(USER)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    rerun_by(page, lambda: page.get_by_role("button", name="Sign in", exact=True).click())
    page.get_by_role("heading", name=heading).wait_for()
    assert page.locator('[data-testid="stSidebarNav"]').count() == 0  # nothing but this step


def give_code(page, code: str) -> None:
    page.get_by_label("Code", exact=True).fill(code)
    rerun_by(page, lambda: page.get_by_role("button", name="Continue").click())


def signed_in(page) -> None:
    page.get_by_role("heading", name=FIRST_PAGE.label, level=1).wait_for(timeout=120_000)
    wait_drawn(page, PAGES[FIRST_PAGE].charts)
    assert_clean(page)


def sign_out(page) -> None:
    rerun_by(page, lambda: page.get_by_role("button", name="Sign out").click())
    page.get_by_label("Username", exact=True).wait_for()


def test_enrol_then_sign_in_with_a_code_and_a_recovery_code_once(mfa_server, browser):
    context = browser.new_context(viewport={"width": WIDTH, "height": 1000})
    page = context.new_page()
    page.goto(mfa_server.url)
    page.get_by_role("button", name="Sign in as Auditor (demo)").wait_for(timeout=240_000)  # the demo is no account

    password_step(page, "Set up a second factor")
    assert page.locator('[data-testid="stMain"] img').count() == 1  # the QR code
    secret = page.locator('[data-testid="stCode"]').inner_text().replace(" ", "").strip()
    assert len(secret) == 32
    page.get_by_label("Code from the app", exact=True).fill(pyotp.TOTP(secret).now())
    rerun_by(page, lambda: page.get_by_role("button", name="Confirm and set up").click())
    page.get_by_role("heading", name="Your recovery codes").wait_for(timeout=120_000)  # ten argon2 hashes first
    codes = page.locator('[data-testid="stCode"]').inner_text().split()
    assert len(codes) == 10 and secret not in main_text(page).replace(" ", "")
    rerun_by(page, lambda: page.get_by_role("button", name="I have saved my recovery codes").click())
    signed_in(page)
    assert secret not in page.content() and codes[0] not in page.content()  # shown once: gone now
    sign_out(page)

    password_step(page, "Second factor")
    right = pyotp.TOTP(secret).at(time.time(), counter_offset=1)  # a later step than the enrolment's
    give_code(page, "000000" if right != "000000" else "111111")
    expect(page.get_by_text("That code was not accepted")).to_be_visible()
    assert page.get_by_role("heading", name="Second factor").count() == 1
    give_code(page, right)
    signed_in(page)
    sign_out(page)

    password_step(page, "Second factor")
    give_code(page, codes[0])
    signed_in(page)
    sign_out(page)
    password_step(page, "Second factor")
    give_code(page, codes[0])  # spent
    expect(page.get_by_text("That code was not accepted")).to_be_visible()
    context.close()

    events = [e for e in reversed(read_events(mfa_server.paths, user=USER, limit=100)) if e["action"] != "page_view"]
    assert [(e["action"], e["details"].get("second_factor") or e["details"].get("reason")) for e in events] == [
        ("mfa_enrol", None), ("sign_in", "totp"), ("sign_out", "user"),
        ("mfa_failed", "bad_code"), ("sign_in", "totp"), ("sign_out", "user"),
        ("mfa_recovery_code", None), ("sign_in", "recovery_code"), ("sign_out", "user"),
        ("mfa_failed", "bad_code")]
    assert events[6]["details"]["recovery_codes_left"] == 9 and events[-1]["details"]["factor"] == "recovery_code"
    stored = b"".join(p.read_bytes() for p in mfa_server.paths.data_dir.glob("users.sqlite*"))
    for text in (secret, *codes, *(c.replace("-", "") for c in codes)):
        assert text.encode() not in stored
