"""Ingest speed: generate the demo at N claims (default 1,000,000, 20% inpatient), then time the real
ingest of it, encryption included, into a fresh store and again into the filled store (the idempotent
re-run). Prints the part of each ingest spent grouping inpatient claims (MS-DRG grouper and MCE,
ingest/grouping.py), the time grouping adds.

    python bench/ingest.py [--claims N] [--runs R] [--inpatient-share S]
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
from ingest import writer as ingest_module  # noqa: E402
from ingest.writer import ingest  # noqa: E402

GROUPING_TARGET_S = 20.0


class TimedGrouping:
    """Stands in for ingest.writer.group_stored_claims and keeps how long each call took."""

    def __init__(self) -> None:
        self.real = ingest_module.group_stored_claims
        self.seconds: list[float] = []
        self.claims: list[int] = []

    def __call__(self, con: object) -> int:
        t0 = time.perf_counter()
        grouped = self.real(con)
        self.seconds.append(time.perf_counter() - t0)
        self.claims.append(grouped)
        return grouped


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--claims", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--inpatient-share", type=float, default=0.2)
    args = parser.parse_args()
    grouping = TimedGrouping()
    ingest_module.group_stored_claims = grouping
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        files = generate(root / "raw", args.claims, inpatient_share=args.inpatient_share)
        print(f"generated {files.claims:,} claims, {files.code_lines:,} code lines, {files.findings:,} findings, "
              f"{files.denials:,} adjustments in {time.perf_counter() - t0:.1f} s")
        rows = files.claims + files.code_lines + files.findings + files.denials
        fresh, rerun, fresh_grouping, rerun_grouping = [], [], [], []
        events: list[object] = []  # the access log is not what this measures
        for run in range(args.runs):
            paths = Paths(data_dir=root / f"data{run}", key_dir=root / "keys").ensure()
            t0 = time.perf_counter()
            result = ingest(root / "raw", paths, recorder=events.append, source="demo")
            fresh.append(time.perf_counter() - t0)
            fresh_grouping.append(grouping.seconds[-1])
            t0 = time.perf_counter()
            ingest(root / "raw", paths, recorder=events.append, source="demo")
            rerun.append(time.perf_counter() - t0)
            rerun_grouping.append(grouping.seconds[-1])
            print(f"run {run + 1}: fresh store {fresh[-1]:.1f} s (grouping {fresh_grouping[-1]:.1f} s for "
                  f"{grouping.claims[-1]:,} inpatient claims), re-run into the filled store {rerun[-1]:.1f} s "
                  f"(grouping {rerun_grouping[-1]:.1f} s) (accepted {sum(result.accepted.values()):,}, "
                  f"rejected {sum(result.rejected.values()):,})")
            paths.store.unlink()
        f, r = statistics.median(fresh), statistics.median(rerun)
        g, gr = statistics.median(fresh_grouping), statistics.median(rerun_grouping)
        print(f"median fresh ingest: {f:.1f} s = {rows / f:,.0f} rows/s ({files.claims / f:,.0f} claims/s); target < 60 s")
        print(f"median re-run (decrypt + compare + upsert): {r:.1f} s = {rows / r:,.0f} rows/s")
        print(f"median time grouping adds: {g:.1f} s fresh, {gr:.1f} s re-run, for {grouping.claims[-1]:,} inpatient claims "
              f"({grouping.claims[-1] / g:,.0f} claims/s); target < {GROUPING_TARGET_S:.0f} s")


if __name__ == "__main__":
    main()
