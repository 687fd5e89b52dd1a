"""How fast the dashboard draws in a real browser, against the floor of a one-chart Streamlit page.

Measures, over several runs (each in a fresh browser context, so a fresh Streamlit session):
- sign-in: from the click on "Sign in as Compliance officer (demo)", on the fully loaded sign-in page, to
  the Overview fully drawn (script finished, nothing stale, all its Plotly charts drawn);
- filter change: from choosing a facility in the sidebar to the Overview redrawn for it;
- floor: from a click to one Plotly chart drawn on bench/one_chart_floor.py.
Prints medians and the ratios to the floor. Targets: sign-in within 1.5x the floor at 10M code lines;
a filter change redrawn in under 1 s.

    python bench/dashboard.py [--runs 7] [--demo-claims 20000]
                              [--store-dir DIR | --claims N]   # also a large store: DIR/store.duckdb,
                                                               # or one built with `manage.py demo --claims N`

Needs /usr/bin/chromium. Stores are built (or linked) into a temporary folder with fresh keys; an existing
store given by --store-dir is only read.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from playwright.sync_api import Browser, sync_playwright  # noqa: E402

from audit.key_checks import ensure_log_key  # noqa: E402
from config.paths import Paths  # noqa: E402
from tests.e2e.harness import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    REPO,
    free_port,
    start_dashboard,
    stop,
    wait_drawn,
    wait_healthy,
)

SIGN_IN = "Sign in as Compliance officer (demo)"
OVERVIEW_PLOTS = 1
OVERVIEW_TILES = 9
FACILITY = "FAC-NORTH"
# Sets window.__redrawn once the chart is drawn anew (a new plot or a new main SVG), so a filter change is not
# counted as done while the old chart is still on screen.
WATCH_REDRAW = """() => {
    window.__redrawn = false;
    const before = document.querySelector('.js-plotly-plot .main-svg');
    new MutationObserver((_, observer) => {
        const now = document.querySelector('.js-plotly-plot .main-svg');
        if (now && now !== before) { window.__redrawn = true; observer.disconnect(); }
    }).observe(document.body, {subtree: true, childList: true});
}"""


def build_store(root: Path, claims: int) -> Paths:
    paths = Paths(data_dir=root / "data", key_dir=root / "keys").ensure()
    print(f"building a demo store of {claims:,} claims in {paths.data_dir} ...", flush=True)
    started = time.perf_counter()
    subprocess.run([sys.executable, "manage.py", "demo", "--claims", str(claims), "--db", str(paths.store)],
                   cwd=REPO, env={**os.environ, "CODEAUDIT_KEY_DIR": str(paths.key_dir)}, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print(f"  built in {time.perf_counter() - started:.0f} s", flush=True)
    return paths


def link_store(root: Path, store_dir: Path) -> Paths:
    """A data folder whose store is the given one (read only); fresh keys for the access log."""
    source = store_dir / "store.duckdb"
    if not source.exists():
        raise SystemExit(f"--store-dir {store_dir}: there is no store.duckdb in it")
    paths = Paths(data_dir=root / "data", key_dir=root / "keys").ensure()
    paths.store.symlink_to(source.resolve())
    ensure_log_key(paths)
    return paths


def code_lines(paths: Paths) -> int:
    import duckdb

    from bench.sql_files import sql as bench_sql

    con = duckdb.connect(str(paths.store), read_only=True)
    try:
        return con.execute(bench_sql("code_lines")).fetchone()[0]
    finally:
        con.close()


def overview_drawn(page) -> None:
    page.get_by_role("heading", name="Overview", level=1).wait_for()  # not the sign-in page's drawn state
    wait_drawn(page, OVERVIEW_PLOTS)
    page.wait_for_function("(n) => document.querySelectorAll('[data-testid=\"stMetric\"]').length >= n", arg=OVERVIEW_TILES)


def time_dashboard(browser: Browser, url: str) -> tuple[float, float]:
    """(sign-in to Overview drawn, facility change to Overview redrawn), in seconds."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(url)
    button = page.get_by_role("button", name=SIGN_IN)
    button.wait_for(timeout=120_000)
    wait_drawn(page, 1)  # the sign-in page fully loaded, as a person sees it before clicking (its blank chart loads Plotly)
    started = time.perf_counter()
    button.click()
    overview_drawn(page)
    sign_in = time.perf_counter() - started
    facility = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').first
    facility.click()
    page.get_by_role("option", name=FACILITY).wait_for()
    page.evaluate(WATCH_REDRAW)
    started = time.perf_counter()
    page.get_by_role("option", name=FACILITY).click()
    page.wait_for_function("(text) => window.__redrawn && [...document.querySelectorAll('[data-testid=\"stCaptionContainer\"]')]"
                           ".some(c => c.innerText.includes(text))", arg=f"Facility: {FACILITY}")
    overview_drawn(page)
    filter_change = time.perf_counter() - started
    context.close()
    return sign_in, filter_change


def time_floor(browser: Browser, url: str) -> float:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(url)
    button = page.get_by_role("button", name="Show chart")
    button.wait_for(timeout=60_000)
    started = time.perf_counter()
    button.click()
    wait_drawn(page, 1)
    elapsed = time.perf_counter() - started
    context.close()
    return elapsed


def serve(paths: Paths, root: Path, script: str = "dashboard.py") -> tuple[subprocess.Popen, str]:
    port = free_port()
    log = root / f"streamlit-{port}.log"
    process = start_dashboard(paths, port, log, script=script)
    url = f"http://127.0.0.1:{port}"
    wait_healthy(url, process, log)
    return process, url


def runs_after_warm_up(runs: int, measure: Callable[[], object]) -> list:
    measure()  # warm-up: imports, caches, the browser's first Plotly load
    return [measure() for _ in range(runs)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--demo-claims", type=int, default=20_000)
    large = parser.add_mutually_exclusive_group()
    large.add_argument("--store-dir", type=Path, help="folder holding a large store.duckdb (read only)")
    large.add_argument("--claims", type=int, help="build a large demo store of N claims (about 5.2 code lines each)")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} is missing: apt-get install -y chromium")
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as tmp:
        root = Path(tmp)
        stores = {"demo": build_store(root / "demo", args.demo_claims)}
        if args.store_dir:
            stores["large"] = link_store(root / "large", args.store_dir)
        elif args.claims:
            stores["large"] = build_store(root / "large", args.claims)
        processes = []
        try:
            floor_process, floor_url = serve(stores["demo"], root, "bench/one_chart_floor.py")
            processes.append(floor_process)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                floor = statistics.median(runs_after_warm_up(args.runs, lambda: time_floor(browser, floor_url)))
                print(f"\nfloor (one Plotly chart after a click): median {floor * 1000:.0f} ms over {args.runs} runs")
                for name, paths in stores.items():
                    process, url = serve(paths, root)
                    processes.append(process)
                    results = runs_after_warm_up(args.runs, lambda url=url: time_dashboard(browser, url))
                    sign_in = statistics.median(r[0] for r in results)
                    change = statistics.median(r[1] for r in results)
                    print(f"\n{name} store: {code_lines(paths):,} code lines")
                    print(f"  sign-in to Overview drawn: median {sign_in * 1000:.0f} ms "
                          f"({sign_in / floor:.2f}x the floor; target 1.5x)  runs: "
                          + ", ".join(f"{r[0] * 1000:.0f}" for r in results))
                    print(f"  filter change redrawn:     median {change * 1000:.0f} ms "
                          f"({change / floor:.2f}x the floor; target under 1000 ms)  runs: "
                          + ", ".join(f"{r[1] * 1000:.0f}" for r in results))
                browser.close()
        finally:
            for process in processes:
                stop(process)
    return 0


if __name__ == "__main__":
    sys.exit(main())
