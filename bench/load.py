"""Twenty users at once: the dashboard (demo store) driven by concurrent browser sessions, as a coding
department opens it on Monday morning.

One headless Chromium with one context per session (each context is a separate Streamlit session with its own
cookies), all sessions started together. Each signs in with its own local account (a mix of compliance
officers, coding managers and auditors), waits for the Overview, changes the facility filter, downloads the
Overview's headline rates as CSV (for use inside the organisation; every one of these roles may), and makes one
drill-down: the denied claims behind a bar on Denials (compliance officer, coding manager), or the DRG
validation page (auditor, who has no Denials page). Steps and what ends them:
- sign-in: from the click on "Sign in" to the sidebar naming the user;
- overview: from there to the Overview drawn (its tiles and chart);
- filter change: from choosing the session's facility to the Overview redrawn for it;
- export: from opening "Table and CSV: headline rates" to the CSV received (purpose chosen, "Download CSV");
- drill-down: from the click in the navigation to the page drawn (and, on Denials, the claims behind a bar).

Checks: no exception or error box on any page; each session's sidebar names its own account and role and its
pages show its own facility only (no session sees another's scope); the access log holds, for each account,
exactly one sign-in, one page_view per page opened or scope changed and one export per CSV received (for the
session's own facility), and verify-log passes after the run.
Prints p50/p95 per step and the server's peak resident memory (VmHWM of the streamlit process, from /proc).

    python bench/load.py [--sessions 20] [--ramp SECONDS] [--demo-claims 20000 | --store-dir DIR]

Not a timed test: it prints figures (README, "Twenty users at once"). Needs /usr/bin/chromium.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from playwright.async_api import Browser, Page, async_playwright  # noqa: E402

from audit.log.read import read_events  # noqa: E402
from audit.log.verify import verify  # noqa: E402
from audit.log.writer import AccessLog  # noqa: E402
from audit.permissions import Role  # noqa: E402
from audit.users import UserStore  # noqa: E402
from bench.dashboard import build_store, link_store, serve  # noqa: E402
from config.paths import Paths  # noqa: E402
from queries.metrics import filter_options  # noqa: E402
from queries.store import connect_read_only  # noqa: E402
from tests.e2e.harness import CHROMIUM, CHROMIUM_ARGS, COUNT_RUNS, DRAWN, NOT_DRAWN, RAN_AND_DRAWN, stop  # noqa: E402

STEPS = ("sign-in", "overview", "filter change", "export", "drill-down")
EXPORT = "overview-kpis"  # the Overview's headline rates (views/pages/overview.py): its access-log resource is csv:<name>
ROLES = (Role.COMPLIANCE_OFFICER, Role.CODING_MANAGER, Role.AUDITOR, Role.CODING_MANAGER)  # the mix, in turn
PASSWORD = "load test passphrase 2026"
OVERVIEW_CHARTS, DENIALS_CHARTS, DRG_CHARTS = 1, 8, 4
TIMEOUT_MS = 300_000
SIDEBAR = '[data-testid="stSidebar"]'


@dataclass
class Session:
    number: int
    username: str
    role: Role
    facility: str
    seconds: dict[str, float] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    pages: int = 0  # page_view events this session should have caused
    downloads: int = 0  # CSV files it received
    signed_in: bool = False  # it submitted the sign-in form


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
    caption = await page.locator(SIDEBAR).get_by_text("Signed in as").first.inner_text()
    if caption.strip() != f"Signed in as {session.username}, {session.role.label.lower()}":
        session.problems.append(f"{where}: the sidebar says {caption.strip()!r}")


async def check_scope(page: Page, session: Session, facilities: list[str], where: str) -> None:
    shown = await page.locator('[data-testid="stMain"] [data-testid="stCaptionContainer"]').all_inner_texts()
    scoped = [text for text in shown if "Facility:" in text]
    mine = f"Facility: {session.facility}"
    others = [f for f in facilities if f != session.facility and any(f"Facility: {f}" in t or f", {f}" in t for t in scoped)]
    if not any(mine in text for text in scoped) or others:
        session.problems.append(f"{where}: the page's scope is {scoped[:2]!r}, not {mine!r}")


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
        await page.get_by_text("Table and CSV: headline rates").click()
        purpose = page.get_by_text("Use inside the organisation").first
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
        target = "Denials" if session.role in (Role.COMPLIANCE_OFFICER, Role.CODING_MANAGER) else "DRG validation"
        mark = time.perf_counter()
        await page.locator('[data-testid="stSidebarNav"] a').filter(has_text=target).click()
        session.pages += 1
        await page.get_by_role("heading", name=target, level=1).wait_for(timeout=TIMEOUT_MS)
        await drawn(page, DENIALS_CHARTS if target == "Denials" else DRG_CHARTS)
        if target == "Denials":
            bar = page.locator('[data-testid="stSelectbox"]').filter(has_text="Denied claims behind the bar")
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


def peak_memory_mb(pid: int) -> float:
    """The process's peak resident set (VmHWM) in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def add_accounts(paths: Paths, sessions: int, facilities: list[str]) -> list[Session]:
    users, planned = UserStore(paths.users_db), []
    with AccessLog(paths) as log:
        for n in range(sessions):
            role = ROLES[n % len(ROLES)]
            name = f"load{n:02d}.{role.value.replace('_', '-')}"
            users.add_user(name, role.value, PASSWORD, actor="bench:load", record=log.append)
            planned.append(Session(n, name, role, facilities[n % len(facilities)]))
    return planned


def check_log(paths: Paths, sessions: list[Session]) -> list[str]:
    """One sign-in per account, one page_view per page opened or scope changed, and one export of the headline
    rates, for the session's own facility, per CSV received; verify-log passes."""
    problems = []
    for session in sessions:
        events = read_events(paths, user=session.username)
        counts = {action: sum(e["action"] == action for e in events) for action in ("sign_in", "page_view", "export")}
        expected = {"sign_in": int(session.signed_in), "page_view": session.pages, "export": session.downloads}
        if counts != expected:
            problems.append(f"{session.username}: the access log holds {counts}, expected {expected}")
        for export in (e for e in events if e["action"] == "export"):
            scope = export["details"].get("filters", {})
            if export["resource"] != f"csv:{EXPORT}" or scope.get("facility") != [session.facility]:
                problems.append(f"{session.username}: an export of {export['resource']} for {scope}, not its own facility")
    report = verify(paths)
    if not report.ok:
        problems.append(f"verify-log: {report.summary()}: {[str(p) for p in report.problems[:3]]}")
    return problems


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


async def drive(url: str, sessions: list[Session], facilities: list[str], ramp_s: float) -> float:
    """All sessions at once, their starts spread evenly over `ramp_s` seconds (people arriving, not one click)."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        started = time.perf_counter()
        await asyncio.gather(*(run_session(browser, url, s, facilities, ramp_s * s.number / len(sessions)) for s in sessions))
        elapsed = time.perf_counter() - started
        await browser.close()
    return elapsed


def run(sessions_wanted: int, demo_claims: int, root: Path, store_dir: Path | None = None, ramp_s: float = 0.0
        ) -> tuple[list[Session], list[str], float, float]:
    """Build the demo (or link the store in `store_dir`), add the accounts, serve, drive; returns the sessions, the
    log's problems, the wall time and the server's peak memory in MB."""
    paths = link_store(root, store_dir) if store_dir else build_store(root, demo_claims)
    con = connect_read_only(paths)
    try:
        facilities = filter_options(con).facilities
    finally:
        con.close()
    sessions = add_accounts(paths, sessions_wanted, facilities)
    process, url = serve(paths, root)
    try:
        elapsed = asyncio.run(drive(url, sessions, facilities, ramp_s))
        peak = peak_memory_mb(process.pid)
    finally:
        stop(process)
    return sessions, check_log(paths, sessions), elapsed, peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--demo-claims", type=int, default=20_000)
    parser.add_argument("--store-dir", type=Path, help="instead of building the demo, read the demo store.duckdb in DIR")
    parser.add_argument("--ramp", type=float, default=0.0, help="spread the sessions' starts over this many seconds")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} is missing: apt-get install -y chromium")
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        load_before = os.getloadavg()[0]
        sessions, log_problems, elapsed, peak = run(args.sessions, args.demo_claims, Path(tmp), args.store_dir, args.ramp)
    print(f"\n{len(sessions)} concurrent sessions ({', '.join(sorted({s.role.label for s in sessions}))}), "
          f"{'the demo store in ' + str(args.store_dir) if args.store_dir else f'{args.demo_claims:,}-claim demo store'}, "
          f"starts spread over {args.ramp:.0f} s, all done in {elapsed:.1f} s; machine load average "
          f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after ({os.cpu_count()} cores, shared with the browser)")
    for step in STEPS:
        values = [s.seconds[step] for s in sessions if step in s.seconds]
        if values:
            print(f"  {step:<14} p50 {statistics.median(values):6.2f} s   p95 {percentile(values, 0.95):6.2f} s   "
                  f"max {max(values):6.2f} s   ({len(values)} sessions; target p95 under 3 s)")
    print(f"  server peak memory (VmHWM): {peak:,.0f} MB")
    problems = [f"session {s.number} ({s.username}): {p}" for s in sessions for p in s.problems] + log_problems
    for problem in problems:
        print(f"  PROBLEM {problem}")
    print("  no errors; every session saw only its own account, role and scope; the access log is complete and verifies"
          if not problems else f"  {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
