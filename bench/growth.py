"""The growth curve: every dashboard query at 1M, 10M and 100M code lines, with the store's size and the reader's
peak memory.

For each size the store is built (once, cached in bench/out/, by bench/metrics.py's bulk SQL generator: claims x 5
code lines) and then read in a fresh child process exactly as a dashboard session reads it
(queries.store.connect_read_only: the reviewed-findings overlay in place, the session's memory limit); the child
times each query (the median of --runs after one warm-up run), the Overview's queries together, the peer
percentiles and where errors concentrate at every level, and reports its own peak resident memory (VmHWM), so
the figure is the reader's alone, not the build's. Targets (issue 19): at 100M code lines every query under 1 s,
peak memory under 8 GiB. The Overview in a real browser on the largest store: `python bench/dashboard.py
--store-dir bench/out/<the printed folder>`.

    python bench/growth.py [--claims 200000,2000000,20000000] [--runs R]

A query that fails (for instance over the session's memory limit) is printed with its error, and the rest go on.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import metrics as bench_metrics  # noqa: E402
from bench.sql_files import sql as bench_sql  # noqa: E402

SIZES = (200_000, 2_000_000, 20_000_000)  # claims: 1M, 10M and 100M code lines
TARGET_S, TARGET_GIB = 1.0, 8.0


def all_queries(con) -> dict:
    """What the pages ask of a reader, by name: the headline queries, the Overview's together, the peer percentiles
    and every level of where errors concentrate."""
    from queries import error_families as ef
    from queries import peers

    scope = bench_metrics.SCOPE
    queries = dict(bench_metrics.dashboard_queries(con))
    queries["Overview, all its queries"] = lambda: bench_metrics.overview(con)
    for peer in peers.PEER_KEYS:
        queries[f"peer percentiles by {peer}"] = lambda p=peer: peers.percentiles(con, scope, p, 30)
    for level in ef.LEVELS:
        queries[f"errors by {level}"] = lambda level=level: ef.errors_by(con, scope, level)
    queries["what moved (payer)"] = lambda: ef.what_moved(con, scope, scope.previous_period(), "payer")
    return queries


def measure(claims: int, runs: int) -> dict:
    """In this (child) process: open the store as a session does and time every query."""
    from queries import store

    paths = bench_metrics.linked_data_folder("growth", claims)
    try:
        started = time.perf_counter()
        con = store.connect_read_only(paths)
        opened_s = time.perf_counter() - started
        lines = con.execute(bench_sql("code_lines")).fetchone()[0]
        timings: dict[str, float | str] = {}
        for name, fn in all_queries(con).items():
            try:
                timings[name] = bench_metrics.median_ms(fn, runs) / 1000
            except Exception as exc:  # noqa: BLE001 - a failing query is a figure of the curve, not the end of it
                timings[name] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"
        con.close()
    finally:
        shutil.rmtree(paths.data_dir, ignore_errors=True)
    return {"claims": claims, "code_lines": lines, "open_s": opened_s, "timings": timings, "peak_rss_gib": peak_gib()}


def peak_gib() -> float:
    """This process's peak resident set (VmHWM), in GiB. Not getrusage's ru_maxrss: Linux carries that across
    exec from the image it replaced, so a child forked from the parent that has just built a 4 GB store reported
    the parent's 19.6 GiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024 ** 2
    raise RuntimeError("no VmHWM in /proc/self/status")


def curve(sizes: list[int], runs: int) -> list[dict]:
    points = []
    for claims in sizes:
        started = time.perf_counter()
        store = bench_metrics.built_store(claims)  # built here, so the child's peak memory is the reader's only
        built_s = time.perf_counter() - started
        child = subprocess.run([sys.executable, __file__, "--one", str(claims), "--runs", str(runs)],
                               capture_output=True, text=True, check=True)
        point = json.loads(child.stdout.strip().splitlines()[-1])
        point.update(store_gib=store.stat().st_size / 1024 ** 3, built_s=built_s, load=os.getloadavg()[0])
        points.append(point)
        print(f"  {claims:,} claims ({point['code_lines']:,} code lines): store {point['store_gib']:.2f} GiB, "
              f"peak memory of the reader {point['peak_rss_gib']:.2f} GiB, load average {point['load']:.1f}", flush=True)
    return points


def table(points: list[dict]) -> None:
    names = list(points[0]["timings"])
    header = "".join(f"{p['code_lines'] / 1e6:g}M".rjust(11) for p in points)
    print(f"\n  {'query (median seconds)':<32}{header}")
    for name in names:
        cells = []
        for p in points:
            value = p["timings"].get(name)
            cells.append(f"{value:>11.3f}" if isinstance(value, float) else f"{'FAILED':>11}")
        print(f"  {name:<32}{''.join(cells)}")
    for label, key in (("store size (GiB)", "store_gib"), ("reader peak memory (GiB)", "peak_rss_gib")):
        print(f"  {label:<32}" + "".join(f"{p[key]:>11.2f}" for p in points))
    largest = points[-1]
    failed = {n: v for n, v in largest["timings"].items() if not isinstance(v, float)}
    slow = {n: v for n, v in largest["timings"].items() if isinstance(v, float) and v >= TARGET_S}
    for name, error in failed.items():
        print(f"  FAILED at {largest['code_lines']:,} code lines: {name}: {error}")
    print(f"  at {largest['code_lines']:,} code lines: {len(slow)} quer{'y' if len(slow) == 1 else 'ies'} at or over "
          f"{TARGET_S:.0f} s ({', '.join(slow) or 'none'}), {len(failed)} failed; peak memory "
          f"{largest['peak_rss_gib']:.2f} GiB (target under {TARGET_GIB:.0f} GiB)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", default=",".join(str(s) for s in SIZES), help="comma-separated store sizes in claims")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # the child: measure one built store
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.runs)))
        return 0
    sizes = [int(s) for s in args.claims.split(",")]
    print(f"growth curve: {', '.join(f'{s:,}' for s in sizes)} claims x 5 code lines; median of {args.runs} runs "
          f"after a warm-up; read as a dashboard session reads; load average {os.getloadavg()[0]:.1f}", flush=True)
    points = curve(sizes, args.runs)
    table(points)
    return 0


if __name__ == "__main__":
    sys.exit(main())
