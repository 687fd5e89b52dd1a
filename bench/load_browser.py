"""The browser driver of bench/load.py: one headless Chromium with one context per session (each context is a
separate Streamlit session with its own cookies), each session clicking through the steps as a person does.
What each step ends on:
- sign-in: from the click on "Sign in" to the sidebar naming the user;
- overview: from there to the Overview drawn (its tiles and chart);
- filter change: from choosing the session's facility to the Overview redrawn for it;
- export: from opening "Table and CSV: headline rates" to the CSV received (purpose chosen, "Download CSV");
- drill-down: from the click in the navigation to the page drawn (and, on Denials, the claims behind a bar).
Needs /usr/bin/chromium.
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from pathlib import Path

from playwright.async_api import Browser, Page, async_playwright

from bench.load_plan import (
    DENIALS_BOX,
    DENIALS_CHARTS,
    DRG_CHARTS,
    EXPORT_TOGGLE,
    INTERNAL_USE,
    OVERVIEW_CHARTS,
    PASSWORD,
    TIMEOUT_S,
    Session,
    all_at_once,
)
from tests.e2e.harness import CHROMIUM, CHROMIUM_ARGS, COUNT_RUNS, DRAWN, NOT_DRAWN, RAN_AND_DRAWN

TIMEOUT_MS = TIMEOUT_S * 1000
SIDEBAR = '[data-testid="stSidebar"]'


async def drawn(page: Page, charts: int, script: str = DRAWN) -> None:
    try:
        await page.wait_for_function(script, arg=charts, timeout=TIMEOUT_MS)
    except Exception:
        heading = await page.locator("h1").first.inner_text() if await page.locator("h1").count() else "no heading"
        raise AssertionError(f"{heading!r} not drawn with {charts} chart(s): {await page.evaluate(NOT_DRAWN)}") from None


async def rerun(page: Page, action, charts: int, session: Session | None = None) -> None:
    """Do `action` and wait for the rerun it starts to be drawn (tests/e2e/harness.py rerun_by); a `session` given
    counts the page view the rerun records."""
    await page.evaluate(COUNT_RUNS)
    await action()
    if session is not None:
        session.pages += 1
    await drawn(page, charts, RAN_AND_DRAWN)


async def check_page(page: Page, session: Session, where: str) -> None:
    for test_id in ("stException", "stAlertContentError"):
        if await page.locator(f'[data-testid="{test_id}"]').count():
            session.problems.append(f"{where}: an error is shown: {await page.locator(f'[data-testid={test_id!r}]').first.inner_text()}")
    session.check_sidebar(await page.locator(SIDEBAR).get_by_text("Signed in as").first.inner_text(), where)


async def check_scope(page: Page, session: Session, facilities: list[str], where: str) -> None:
    shown = await page.locator('[data-testid="stMain"] [data-testid="stCaptionContainer"]').all_inner_texts()
    session.check_scope(shown, facilities, where)


async def run_session(browser: Browser, url: str, session: Session, facilities: list[str], delay: float) -> None:
    await asyncio.sleep(delay)
    context = await browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)  # a click waits for its element as long as a page may take to draw
    page = await context.new_page()
    step = "sign-in page"
    try:
        await page.goto(url, timeout=TIMEOUT_MS)
        await page.get_by_label("Username", exact=True).wait_for(timeout=TIMEOUT_MS)
        await drawn(page, 0)
        await page.get_by_label("Username", exact=True).fill(session.username)
        await page.get_by_label("Password", exact=True).fill(PASSWORD)
        started = time.perf_counter()
        await page.get_by_role("button", name="Sign in", exact=True).click()
        session.signed_in = True
        session.pages += 1  # the landing page (Overview) records its page view whether or not it is drawn in time
        await page.locator(SIDEBAR).get_by_text("Signed in as").wait_for(timeout=TIMEOUT_MS)
        session.seconds["sign-in"] = time.perf_counter() - started
        step = "overview"
        mark = time.perf_counter()
        await page.get_by_role("heading", name="Overview", level=1).wait_for(timeout=TIMEOUT_MS)
        await drawn(page, OVERVIEW_CHARTS)
        session.seconds["overview"] = time.perf_counter() - mark
        await check_page(page, session, "overview")

        step = "filter change"
        box = page.locator(f'{SIDEBAR} [data-testid="stMultiSelect"]').filter(has_text="Facility")
        await box.locator("input").click()
        await page.keyboard.type(session.facility)
        option = page.get_by_role("option").filter(has_text=session.facility).first
        await option.wait_for(timeout=TIMEOUT_MS)
        mark = time.perf_counter()
        await rerun(page, option.click, OVERVIEW_CHARTS, session)
        session.seconds["filter change"] = time.perf_counter() - mark
        await page.keyboard.press("Escape")
        await check_page(page, session, "overview, filtered")
        await check_scope(page, session, facilities, "overview, filtered")

        step = "export"
        mark = time.perf_counter()
        # The toggle and the purpose rerun only the table's fragment: wait for what each one shows, not for a page run.
        await page.get_by_text(EXPORT_TOGGLE).click()
        purpose = page.get_by_text(INTERNAL_USE).first
        await purpose.wait_for(timeout=TIMEOUT_MS)
        await purpose.click()
        async with page.expect_download(timeout=TIMEOUT_MS) as started:
            await page.get_by_role("button", name="Download CSV").first.click()  # waits until the purpose enables it
        body = Path(await (await started.value).path()).read_text()
        session.seconds["export"] = time.perf_counter() - mark
        session.downloads += 1
        if not body.startswith("metric,"):
            session.problems.append(f"export: the CSV begins {body[:40]!r}")
        await check_page(page, session, "overview, CSV downloaded")

        step = "drill-down"
        target = session.drill_down
        mark = time.perf_counter()
        await page.locator('[data-testid="stSidebarNav"] a').filter(has_text=target).click()
        session.pages += 1
        await page.get_by_role("heading", name=target, level=1).wait_for(timeout=TIMEOUT_MS)
        await drawn(page, DENIALS_CHARTS if target == "Denials" else DRG_CHARTS)
        if target == "Denials":
            bar = page.locator('[data-testid="stSelectbox"]').filter(has_text=DENIALS_BOX)
            await bar.locator("input").click()  # the box itself: a click on its label only focuses it
            await rerun(page, page.get_by_role("option").nth(1).click, DENIALS_CHARTS)
        session.seconds["drill-down"] = time.perf_counter() - mark
        await check_page(page, session, target)
        if target == "Denials":
            await check_scope(page, session, facilities, target)
    except Exception as exc:  # noqa: BLE001 - every failure is reported with its session
        session.problems.append(f"{step}: {type(exc).__name__}: {str(exc)[:300]}")
    finally:
        await context.close()


async def drive(urls: Sequence[str], sessions: list[Session], facilities: list[str], ramp_s: float) -> float:
    """Each session on the dashboard process at `urls[its number % len(urls)]`, as the proxy pins a browser to one."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        elapsed = await all_at_once(lambda s, delay: run_session(browser, urls[s.number % len(urls)], s, facilities, delay),
                                    sessions, ramp_s)
        await browser.close()
    return elapsed
