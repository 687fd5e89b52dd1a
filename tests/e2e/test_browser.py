"""The dashboard in a real browser: first start builds the demo with progress, each demo role signs in and
sees exactly its pages, every page draws its charts without a Streamlit exception, and a CSV download is
recorded in the access log. Screenshots go to tests/e2e/screenshots/ (git-ignored)."""
from __future__ import annotations

from pathlib import Path

import pytest

from audit.log.read import read_events
from audit.permissions import Page, Role, allowed_pages
from tests.e2e.harness import wait_drawn

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
# Charts each page draws on the demo data (at least).
PLOTS = {Page.OVERVIEW: 1, Page.ACCURACY: 5, Page.SPECIFICITY: 3, Page.DENIALS: 6}
WIDTH = 1400


def screenshot(page, name: str) -> None:
    """The whole page: Streamlit scrolls inside its main block, so grow the window to its height first."""
    SCREENSHOTS.mkdir(exist_ok=True)
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": WIDTH, "height": min(int(height) + 40, 9000)})
    page.wait_for_timeout(300)  # let Plotly re-fit the charts to the new size
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
    page.set_viewport_size({"width": WIDTH, "height": 1000})


def assert_clean(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0, page.locator('[data-testid="stException"]').first.inner_text()


@pytest.fixture(scope="module")
def first_start(browser, server):
    """The first visit finds no store: the demo is built with progress shown, then the sign-in page opens."""
    context = browser.new_context(viewport={"width": WIDTH, "height": 1000})
    page = context.new_page()
    page.goto(server.url)
    page.get_by_text("First start").wait_for(timeout=60_000)
    page.locator('[data-testid="stProgress"]').wait_for()
    page.get_by_role("button", name="Sign in as Auditor (demo)").wait_for(timeout=180_000)
    assert_clean(page)
    screenshot(page, "sign-in")
    context.close()
    return server


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_each_demo_role_sees_its_pages_drawn_without_errors(first_start, browser, role):
    context = browser.new_context(viewport={"width": WIDTH, "height": 1000})
    page = context.new_page()
    page.goto(first_start.url)
    page.get_by_role("button", name=f"Sign in as {role.label} (demo)").click()
    expected = allowed_pages(role)
    page.get_by_role("heading", name=expected[0].label, level=1).wait_for()
    wait_drawn(page, PLOTS.get(expected[0], 0))
    nav = page.locator('[data-testid="stSidebarNav"] a')
    shown = [nav.nth(i).inner_text().split("\n")[-1].strip() for i in range(nav.count())]
    assert shown == ([p.label for p in expected] if len(expected) > 1 else [])  # Streamlit hides a one-page menu
    for entry in expected:
        if shown:
            nav.filter(has_text=entry.label).click()
        page.get_by_role("heading", name=entry.label, level=1).wait_for()
        wait_drawn(page, PLOTS.get(entry, 0))
        assert_clean(page)
        assert page.locator(".js-plotly-plot").count() >= PLOTS.get(entry, 0)
        screenshot(page, f"{role.value}-{entry.value}")
    context.close()


def test_csv_download_is_recorded_before_it_is_served(first_start, browser, monkeypatch):
    context = browser.new_context(viewport={"width": WIDTH, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.goto(first_start.url)
    page.get_by_role("button", name="Sign in as Compliance officer (demo)").click()
    page.get_by_role("heading", name=Page.OVERVIEW.label, level=1).wait_for()
    wait_drawn(page, PLOTS[Page.OVERVIEW])
    page.get_by_text("Table and CSV: headline rates").click()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").first.click()
    body = open(download.value.path()).read()
    assert body.startswith("metric,") and "Code accuracy" in body
    monkeypatch.setenv("CODEAUDIT_KEY_DIR", str(first_start.paths.key_dir))
    (event,) = read_events(first_start.paths, action="export", limit=1)
    assert (event["user"], event["resource"], event["details"]["small_cells"]) == (
        "demo:compliance_officer", "csv:overview-kpis", "suppressed")
    context.close()
