"""Ingest speed: generate the demo at N claims (default 1,000,000), then time the real ingest of it,
encryption included, into a fresh store and again into the filled store (the idempotent re-run).

    python bench/ingest.py [--claims N] [--runs R]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config.paths import Paths  # noqa: E402
from data.demo import generate  # noqa: E402
from queries.ingest import ingest  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--claims", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        files = generate(root / "raw", args.claims)
        print(f"generated {files.claims:,} claims, {files.code_lines:,} code lines, {files.findings:,} findings, "
              f"{files.denials:,} adjustments in {time.perf_counter() - t0:.1f} s")
        rows = files.claims + files.code_lines + files.findings + files.denials
        fresh, rerun = [], []
        events: list[object] = []  # the access log is not what this measures
        for run in range(args.runs):
            paths = Paths(data_dir=root / f"data{run}", key_dir=root / "keys").ensure()
            t0 = time.perf_counter()
            result = ingest(root / "raw", paths, recorder=events.append, source="demo")
            fresh.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            ingest(root / "raw", paths, recorder=events.append, source="demo")
            rerun.append(time.perf_counter() - t0)
            print(f"run {run + 1}: fresh store {fresh[-1]:.1f} s, re-run into the filled store {rerun[-1]:.1f} s "
                  f"(accepted {sum(result.accepted.values()):,}, rejected {sum(result.rejected.values()):,})")
            paths.store.unlink()
        f, r = statistics.median(fresh), statistics.median(rerun)
        print(f"median fresh ingest: {f:.1f} s = {rows / f:,.0f} rows/s ({files.claims / f:,.0f} claims/s); target < 60 s")
        print(f"median re-run (decrypt + compare + upsert): {r:.1f} s = {rows / r:,.0f} rows/s")


if __name__ == "__main__":
    main()
