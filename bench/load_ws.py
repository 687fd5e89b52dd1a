"""The WebSocket driver of bench/load.py: each session speaks Streamlit's own protocol (bench/streamlit_ws.py)
instead of running in a browser, so on this 2-core machine the server, not twenty Chromium contexts, has the
cores. A hospital's users bring their own browsers; what the dashboard's machine must carry is the server.

Each session sends what its browser would send for the same clicks and waits for what a person waits for:
- sign-in: from submitting the form (username, password, the "Sign in" trigger) to the sidebar naming the user;
- overview: from there to the Overview's run finished with its heading and chart sent;
- filter change: from setting the sidebar's Facility to the session's facility to that run finished;
- export: from switching on "Table and CSV: headline rates" (a fragment's run), choosing the purpose (another)
  and asking for the deferred CSV to the file received;
- drill-down: from asking for the page (Denials, or DRG validation for auditors) to its run finished with its
  charts sent, and on Denials the second bar chosen in "Denied claims behind the bar" and that run finished.
The time to draw charts in a browser is not in these figures; the server's work for them is.
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

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
from bench.streamlit_tree import MAIN, SIDEBAR, Found, PageTree
from bench.streamlit_ws import StreamlitSession

PURPOSE = "This CSV is for"


def check_page(page: PageTree, session: Session, where: str) -> None:
    for error in page.errors():
        session.problems.append(f"{where}: an error is shown: {error}")
    said = next((text for text in page.texts(SIDEBAR, caption_only=True) if text.startswith("Signed in as")), "")
    session.check_sidebar(said, where)


def drawn(page: PageTree, heading: str, charts: int) -> bool:
    return heading in page.headings() and page.count("plotly_chart") >= charts


def shown(found: Found | None, what: str) -> Found:
    if found is None:
        raise AssertionError(f"{what} is not on the page")
    return found


async def run_session(url: str, session: Session, facilities: list[str], delay: float) -> None:
    await asyncio.sleep(delay)
    client = StreamlitSession(url, TIMEOUT_S)
    page = client.page
    step = "sign-in page"
    try:
        await client.connect()
        mark = await client.rerun()  # the first run, asked for as the browser does once connected
        await client.run_finished(mark, lambda: page.widget("text_input", "Username") is not None)
        submit = shown(page.widget("button", "Sign in"), "the Sign in button")
        started = time.perf_counter()
        mark = await client.rerun((shown(page.widget("text_input", "Username"), "Username"), session.username),
                                  (shown(page.widget("text_input", "Password"), "Password"), PASSWORD),
                                  (submit, True), fragment_id=submit.fragment_id)
        session.signed_in = True
        session.pages += 1  # the landing page (Overview) records its page view whether or not it is drawn in time
        await client.until(lambda: any(t.startswith("Signed in as") for t in page.texts(SIDEBAR, caption_only=True)))
        session.seconds["sign-in"] = time.perf_counter() - started
        step = "overview"
        started = time.perf_counter()
        await client.run_finished(mark, lambda: drawn(page, "Overview", OVERVIEW_CHARTS))
        session.seconds["overview"] = time.perf_counter() - started
        check_page(page, session, "overview")

        step = "filter change"
        box = shown(page.widget("multiselect", "Facility", SIDEBAR), "the sidebar's Facility box")
        started = time.perf_counter()
        mark = await client.rerun((box, [session.facility]), fragment_id=box.fragment_id)
        session.pages += 1
        await client.run_finished(mark, lambda: drawn(page, "Overview", OVERVIEW_CHARTS))
        session.seconds["filter change"] = time.perf_counter() - started
        check_page(page, session, "overview, filtered")
        session.check_scope(page.texts(MAIN, caption_only=True), facilities, "overview, filtered")

        step = "export"
        toggle = shown(page.widget("checkbox", EXPORT_TOGGLE, MAIN), f"the {EXPORT_TOGGLE!r} toggle")
        started = time.perf_counter()
        # The toggle and the purpose rerun only the table's fragment: what each run sends is all there is to wait for.
        mark = await client.rerun((toggle, True), fragment_id=toggle.fragment_id)
        await client.run_finished(mark, lambda: page.widget("radio", PURPOSE, MAIN, toggle.fragment_id) is not None)
        purpose = shown(page.widget("radio", PURPOSE, MAIN, toggle.fragment_id), "the CSV's purpose")
        mark = await client.rerun((purpose, INTERNAL_USE), fragment_id=purpose.fragment_id)

        def enabled() -> Found | None:
            button = page.widget("download_button", "Download CSV", MAIN, toggle.fragment_id)
            return button if button is not None and not button.element.download_button.disabled else None

        await client.run_finished(mark, lambda: enabled() is not None)
        body = (await client.download(shown(enabled(), "Download CSV"))).decode()
        session.seconds["export"] = time.perf_counter() - started
        session.downloads += 1
        if not body.startswith("metric,"):
            session.problems.append(f"export: the CSV begins {body[:40]!r}")
        check_page(page, session, "overview, CSV downloaded")

        step = "drill-down"
        target = session.drill_down
        charts = DENIALS_CHARTS if target == "Denials" else DRG_CHARTS
        started = time.perf_counter()
        mark = await client.rerun(page=target)
        session.pages += 1
        await client.run_finished(mark, lambda: drawn(page, target, charts))
        if target == "Denials":
            bar = shown(page.widget("selectbox", DENIALS_BOX, MAIN), f"the {DENIALS_BOX!r} box")
            chosen = bar.element.selectbox.options[1]
            mark = await client.rerun((bar, chosen), fragment_id=bar.fragment_id)
            await client.run_finished(mark, lambda: drawn(page, target, charts))
        session.seconds["drill-down"] = time.perf_counter() - started
        if target == "Denials" and not any(f"denied claims of {chosen}" in t for t in page.texts(MAIN, caption_only=True)):
            session.problems.append(f"Denials: the claims shown are not those behind {chosen!r}")
        check_page(page, session, target)
        if target == "Denials":
            session.check_scope(page.texts(MAIN, caption_only=True), facilities, target)
    except Exception as exc:  # noqa: BLE001 - every failure is reported with its session
        session.problems.append(f"{step}: {type(exc).__name__}: {str(exc)[:300]}")
    finally:
        await client.close()


async def drive(urls: Sequence[str], sessions: list[Session], facilities: list[str], ramp_s: float) -> float:
    """Each session on the dashboard process at `urls[its number % len(urls)]`, as the proxy pins a browser to one."""
    return await all_at_once(lambda s, delay: run_session(urls[s.number % len(urls)], s, facilities, delay), sessions,
                             ramp_s)
