"""Twenty users at once: the dashboard (demo store) driven by concurrent sessions, as a coding department opens
it on Monday morning.

Each session signs in with its own local account (a mix of compliance officers, coding managers and auditors,
bench/load_plan.py), waits for the Overview, changes the facility filter, downloads the Overview's headline
rates as CSV (for use inside the organisation; every one of these roles may), and makes one drill-down: the
denied claims behind a bar on Denials (compliance officer, coding manager), or the DRG validation page
(auditor, who has no Denials page). Two drivers play the users, each saying what ends each step:
- ws (the default): Streamlit's own WebSocket protocol, no browser (bench/load_ws.py). The target is the
  server's: a hospital's users draw the pages on their own machines, while twenty Chromium contexts on this
  machine's two cores cost about three times the server's CPU per page and so measure the browser more.
- browser: one headless Chromium, a context per session (bench/load_browser.py); needs /usr/bin/chromium.

Checks: no exception or error box on any page; each session's sidebar names its own account and role and its
pages show its own facility only (no session sees another's scope); the access log holds, for each account,
exactly one sign-in, one page_view per page opened or scope changed and one export per CSV received (for the
session's own facility), and verify-log passes after the run.
Prints p50/p95/max per step, the server's peak resident memory (VmHWM of the streamlit process) and the CPU
seconds the server used during the run (utime + stime, from /proc).

    python bench/load.py [--driver ws|browser] [--sessions 20] [--ramp SECONDS] [--processes N]
                         [--demo-claims 20000 | --store-dir DIR]

Not a timed test: it prints figures (README, "Twenty users at once").
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from bench import load_browser, load_ws  # noqa: E402
from bench.dashboard import build_store, link_store, serve  # noqa: E402
from bench.load_plan import STEPS, Session, add_accounts, check_log, cpu_seconds, peak_memory_mb, percentile  # noqa: E402
from queries.metrics import filter_options  # noqa: E402
from queries.store import connect_read_only  # noqa: E402
from tests.e2e.harness import CHROMIUM, stop  # noqa: E402

DRIVERS = {"browser": load_browser.drive, "ws": load_ws.drive}


@dataclass(frozen=True)
class Figures:
    """What the run cost: wall time, the server's peak memory and CPU seconds, and this process's CPU seconds."""

    elapsed_s: float
    peak_mb: float
    server_cpu_s: float
    driver_cpu_s: float


def run(driver: str, sessions_wanted: int, demo_claims: int, root: Path, store_dir: Path | None = None,
        ramp_s: float = 0.0, processes: int = 1) -> tuple[list[Session], list[str], Figures]:
    """Build the demo (or link the store in `store_dir`), add the accounts, serve it from `processes` dashboard
    processes (the sessions dealt out in turn, as deploy/nginx's route cookie spreads browsers), drive; returns the
    sessions, the log's problems and the run's figures (memory and CPU summed over the processes)."""
    paths = link_store(root, store_dir) if store_dir else build_store(root, demo_claims)
    con = connect_read_only(paths)
    try:
        facilities = filter_options(con).facilities
    finally:
        con.close()
    sessions = add_accounts(paths, sessions_wanted, facilities)
    served = []
    try:
        for _ in range(processes):  # the store exists: no first-start build, so they may start one after another
            served.append(serve(paths, root))
        pids = [process.pid for process, _ in served]
        server_before, driver_before = sum(map(cpu_seconds, pids)), time.process_time()  # start-up is not the run's
        elapsed = asyncio.run(DRIVERS[driver]([url for _, url in served], sessions, facilities, ramp_s))
        figures = Figures(elapsed, sum(map(peak_memory_mb, pids)), sum(map(cpu_seconds, pids)) - server_before,
                          time.process_time() - driver_before)
    finally:
        for process, _ in served:
            stop(process)
    return sessions, check_log(paths, sessions), figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--driver", choices=sorted(DRIVERS), default="ws",
                        help="ws: Streamlit's WebSocket protocol, no browser (the default: it measures the server); "
                             "browser: headless Chromium, a context per session (measures what a person sees, but on "
                             "this machine the browser's drawing takes most of the cores)")
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--demo-claims", type=int, default=20_000)
    parser.add_argument("--store-dir", type=Path, help="instead of building the demo, read the demo store.duckdb in DIR")
    parser.add_argument("--ramp", type=float, default=0.0, help="spread the sessions' starts over this many seconds")
    parser.add_argument("--processes", type=int, default=1,
                        help="dashboard processes, the sessions dealt out in turn (deploy/: one per core behind nginx)")
    args = parser.parse_args()
    if args.driver == "browser" and not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} is missing: apt-get install -y chromium")
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        load_before = os.getloadavg()[0]
        sessions, log_problems, figures = run(args.driver, args.sessions, args.demo_claims, Path(tmp), args.store_dir,
                                              args.ramp, args.processes)
    cores = os.cpu_count() or 1
    print(f"\n{len(sessions)} concurrent sessions over {'Chromium' if args.driver == 'browser' else 'the WebSocket protocol'} "
          f"({', '.join(sorted({s.role.label for s in sessions}))}), "
          f"{'the demo store in ' + str(args.store_dir) if args.store_dir else f'{args.demo_claims:,}-claim demo store'}, "
          f"{args.processes} dashboard process{'es' if args.processes > 1 else ''}, "
          f"starts spread over {args.ramp:.0f} s, all done in {figures.elapsed_s:.1f} s; machine load average "
          f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after ({cores} cores, shared with the driver and any other work)")
    for step in STEPS:
        values = [s.seconds[step] for s in sessions if step in s.seconds]
        if values:
            print(f"  {step:<14} p50 {statistics.median(values):6.2f} s   p95 {percentile(values, 0.95):6.2f} s   "
                  f"max {max(values):6.2f} s   ({len(values)} sessions; target p95 under 3 s)")
    print(f"  server peak memory (VmHWM{', summed over the processes' if args.processes > 1 else ''}): {figures.peak_mb:,.0f} MB")
    print(f"  server CPU during the run: {figures.server_cpu_s:.1f} s, {figures.server_cpu_s / figures.elapsed_s:.2f} of "
          f"{cores} cores on average; this driver process: {figures.driver_cpu_s:.1f} s"
          + (" (Chromium's own processes not counted)" if args.driver == "browser" else ""))
    problems = [f"session {s.number} ({s.username}): {p}" for s in sessions for p in s.problems] + log_problems
    for problem in problems:
        print(f"  PROBLEM {problem}")
    print("  no errors; every session saw only its own account, role and scope; the access log is complete and verifies"
          if not problems else f"  {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
