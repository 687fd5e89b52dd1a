"""The metrics on Spark (local mode) beside DuckDB, at scale, in the same run; and the Parquet export's time and size.

Uses the bench store of bench/metrics.py (--claims claims x 5 code lines; default 2,000,000 claims = 10,000,000
code lines, built once into bench/out/), exports it with `export-parquet`'s function, then times the summary, the
by-month trend and the error Pareto on DuckDB (the store) and on Spark (the export, local[N]): the median of
--runs runs after one warm run. Spark's first query also builds and caches claim_facts from the export; that
time is printed on its own. On one machine Spark is not expected to win: the figures show its overhead.

    pip install -r requirements-spark.txt
    python bench/spark.py [--claims N] [--runs R] [--master local[2]] [--driver-memory 4g]
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.metrics import OUT, SCOPE, linked_data_folder, median_ms  # noqa: E402
from bench.sql_files import sql as bench_sql  # noqa: E402
from queries import metrics as m  # noqa: E402
from queries.parquet_export import export_parquet  # noqa: E402
from queries.spark.engine import SparkStore, start_session  # noqa: E402
from queries.store import connect_read_only  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--claims", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--driver-memory", default="4g", help="the local-mode JVM's heap (Spark's default is 1g)")
    args = parser.parse_args()
    os.environ["PYSPARK_SUBMIT_ARGS"] = f"--driver-memory {args.driver_memory} pyspark-shell"
    paths = linked_data_folder("spark", args.claims)
    export = OUT / f"spark_export_{args.claims}"
    shutil.rmtree(export, ignore_errors=True)
    try:
        result = export_parquet(paths, export, recorder=lambda event: None, user="bench", role="cli")
        files = sum(len(t["files"]) for t in result.manifest["tables"].values())
        duck = connect_read_only(paths)
        lines = duck.execute(bench_sql("code_lines")).fetchone()[0]
        print(f"{args.claims:,} claims, {lines:,} code lines; scope {SCOPE.date_from} to {SCOPE.date_to}; median of {args.runs} runs")
        print(f"export-parquet: {result.seconds:.1f} s, {result.bytes / 1e6:,.1f} MB in {files} files")

        queries = {
            "summary": lambda con: m.summary(con, SCOPE),
            "summary by month (trend)": lambda con: m.summary(con, SCOPE, "month"),
            "error pareto": lambda con: m.error_pareto(con, SCOPE),
        }
        on_duckdb = {name: median_ms(lambda q=q: q(duck), args.runs) for name, q in queries.items()}
        duck.close()

        t0 = time.perf_counter()
        spark, scratch = start_session(args.master)
        started = time.perf_counter() - t0
        t0 = time.perf_counter()
        store = SparkStore(spark, export, scratch=scratch, own_session=True)
        m.summary(store, SCOPE)
        first = time.perf_counter() - t0
        on_spark = {name: median_ms(lambda q=q: q(store), args.runs) for name, q in queries.items()}
        store.close()
        print(f"Spark {args.master}: session start {started:.1f} s; export opened and claim_facts built and cached with the "
              f"first summary {first:.1f} s")
        print(f"  {'query':<26} {'DuckDB':>10} {'Spark':>11} {'ratio':>7}")
        for name in queries:
            print(f"  {name:<26} {on_duckdb[name]:8.0f} ms {on_spark[name]:8.0f} ms {on_spark[name] / on_duckdb[name]:6.1f}x")
    finally:
        shutil.rmtree(export, ignore_errors=True)
        shutil.rmtree(paths.data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
