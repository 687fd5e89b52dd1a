"""Drawing a sample at scale: the time `draw_sample` takes (random and stratified) on a frame of every claim of
the store of bench/metrics.py (built once into bench/out/, default 2,000,000 claims), against the job's floor
measured in the same run:
- read: the frame's keys and their sort and stratum columns read from the store, nothing else;
- polars: with those columns already in memory, polars sorting them into frame order and taking the drawn
  positions (the selection alone, no store, no hash, nothing kept);
- and the phases of one draw (frame query, frame SHA-256, selection, frame compression, storing).
Each figure is the median of --runs draws into a review store of its own (removed afterwards).

    python bench/sample_draw.py [--claims N] [--runs R] [--size n]
"""
from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import sys
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.metrics import linked_data_folder  # noqa: E402
from bench.sql_files import sql as bench_sql  # noqa: E402
from queries.store import connect_read_only  # noqa: E402
from review import frame_keys  # noqa: E402
from review.db import ReviewDb  # noqa: E402
from review.design import precision_warnings  # noqa: E402
from review.frame import build_frame  # noqa: E402
from review.random_numbers import random_numbers  # noqa: E402
from review.samples import draw_sample  # noqa: E402
from review.sampling import SampleSpec, select  # noqa: E402

TARGET_MS = 1000.0


def median_ms(fn: Callable[[], object], runs: int) -> float:
    return timed(fn, runs)[0]


def timed(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median wall time and median CPU time of this process (every thread, DuckDB's too), in ms: on a shared
    machine the wall time also holds the waits for a core; the CPU time does not."""
    wall, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def polars_selection(columns: dict[str, np.ndarray], positions: np.ndarray) -> Callable[[], object]:
    try:
        import polars as pl
    except ImportError:
        return lambda: None
    frame = pl.DataFrame(columns)
    return lambda: frame.sort(["service_date", "claim_key"])[positions - 1, "claim_key"].to_list()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--claims", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--size", type=int, default=100)
    args = parser.parse_args()
    paths = linked_data_folder("draw", args.claims)
    db = ReviewDb(paths.reviews_db)
    con = connect_read_only(paths)
    specs = {"random": SampleSpec("random", args.size),
             "stratified (billed bands)": SampleSpec("stratified", args.size, strata_by="billed")}
    print(f"{args.claims:,} claims in the frame; sample of {args.size}; median of {args.runs} runs; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")

    results = {}
    for name, spec in specs.items():
        draw = lambda spec=spec: draw_sample(con, db, spec, seed=2026, user="bench", role="auditor", record=None)  # noqa: E731
        draw()  # warm
        results[name], cpu = timed(draw, args.runs)
        print(f"  draw_sample, {name:<26} {results[name]:8.1f} ms (CPU {cpu:7.1f} ms)  "
              f"{'OK' if results[name] < TARGET_MS else f'OVER {TARGET_MS:,.0f} ms'}")

    columns = con.execute(bench_sql("draw_floor_read")).fetchnumpy()
    read, read_cpu = timed(lambda: con.execute(bench_sql("draw_floor_read")).fetch_arrow_table(), args.runs)
    positions = np.asarray(random_numbers(2026, args.size, 1, len(columns["claim_key"])).selection_order)
    in_memory = polars_selection({k: np.asarray(v) for k, v in columns.items()}, positions)
    polars_ms, polars_cpu = timed(in_memory, args.runs)
    print(f"  floor: read keys, service dates and billed amounts         {read:8.1f} ms (CPU {read_cpu:7.1f} ms)")
    print(f"  floor: polars in memory, sort into frame order and take    {polars_ms:8.1f} ms (CPU {polars_cpu:7.1f} ms)"
          + ("" if polars_ms > 0.1 else "  (polars not installed)"))

    spec = specs["stratified (billed bands)"]
    frame = build_frame(con, spec.filters, strata_by=spec.strata_by, bands=spec.bands)
    drawn, sizes = select(frame, spec, 2026)
    phases = {
        "frame query, order and strata": lambda: build_frame(con, spec.filters, strata_by=spec.strata_by, bands=spec.bands),
        "frame SHA-256 (bytes and hash)": lambda: hashlib.sha256(frame.lines).hexdigest(),
        "selection (random numbers)": lambda: select(frame, spec, 2026),
        "expected precision (warnings)": lambda: precision_warnings(frame, sizes),
        "frame stored form (packed keys)": lambda: frame_keys.pack(frame.binary),
        "frame strata stored form (zlib)": lambda: zlib.compress(frame_keys.numbers_text(frame.stratum_of), 1),
    }
    print("  phases of one stratified draw:")
    for name, fn in phases.items():
        wall, cpu = timed(fn, args.runs)
        print(f"    {name:<32} {wall:8.1f} ms (CPU {cpu:7.1f} ms)")
    con.close()
    shutil.rmtree(paths.data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
