"""`manage.py ingest`, `demo` and `metrics`. Each records its access-log event: ingest and demo inside the
store write (no event, no change), metrics before it prints (no event, no report)."""
from __future__ import annotations

import argparse
import csv
import json
import sqlite3
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from audit.events import AccessEvent, cli_actor
from audit.exports import SUPPRESSED_FLAG
from audit.keys import KeyProblem
from audit.log.export import spreadsheet_safe
from audit.log.writer import AccessLogError
from cli.common import access_log_recorder, connect_reader, filter_arguments, filters_from, paths_from, where
from cli.spark import engine_arguments, spark_report
from config import settings
from config.paths import Paths
from config.settings import ConfigurationError
from ingest.swap import StoreBusy
from ingest.writer import IngestError, IngestResult
from queries import error_families, peers
from queries.formats import is_money, to_the_cent
from queries.metrics import DIMENSION_KEYS, REPORT_FIELDS, Filters, MetricsError, report_rows
from queries.store import StoreMissing


def _stderr_progress(fraction: float, message: str) -> None:
    print(f"[{fraction:4.0%}] {message}", file=sys.stderr, flush=True)


def _print_result(result: IngestResult, as_json: bool) -> None:
    if as_json:
        skipped = {"skipped": result.loaded_before.as_json()} if result.loaded_before else {}
        print(json.dumps(result.counts() | skipped))
        return
    if result.loaded_before:
        print(result.loaded_before.sentence())
        return
    from_835 = {kind: sum(int(read[kind]) for read in result.remittance_files) for kind in ("accepted", "rejected")}
    for table, name in result.files.items():
        if table in result.accepted:
            own = {k: v[table] - (from_835[k] if table == "denials" else 0)
                   for k, v in (("accepted", result.accepted), ("rejected", result.rejected))}
            print(f"{name}: {own['accepted']} accepted, {own['rejected']} rejected")
    for read in result.remittance_files:
        duplicates = f", {read['duplicates']} duplicate remittances skipped" if read["duplicates"] else ""
        print(f"{read['file']} (835): {read['transactions']} transactions, {read['claims']} claims, {read['adjustments']} "
              f"adjustments{duplicates}; {read['accepted']} denial rows accepted, {read['rejected']} claims rejected")
    for line in result.reject_samples:
        print(f"  rejected: {line}")
    if any(result.rejected.values()):
        print("  (all rejects, with their encrypted raw rows, are in the rejects table of this run "
              f"{result.run_id})")


def _warn_new_keys(result: IngestResult) -> None:
    for path in result.created_keys:
        print(f"Created key file {path} (mode 0600). Back it up now: without it the PHI vault "
              "cannot be read and the access log cannot be verified.", file=sys.stderr)




def _data_paths(args: argparse.Namespace, *, may_create: bool) -> Paths:
    """The command's folders. A data folder named on the command line (--data-dir, --db) must exist: a typo
    must not start a new, empty data folder (and keys beside it). The configured one (CODEAUDIT_DATA_DIR,
    default ./var) is created by the first `ingest` when `may_create`; `demo` creates either (paths_from)."""
    paths = paths_from(args, ensure=False)
    named = bool(getattr(args, "db", None) or getattr(args, "data_dir", None))
    if not paths.data_dir.is_dir() and (named or not may_create):
        raise ConfigurationError(
            f"the data folder {paths.data_dir} does not exist. Check the path for a typo; to start a new store "
            f"there, create the folder first (mkdir -m 700 {paths.data_dir}) or run `python manage.py demo`."
        )
    return paths.ensure()


def _load(args: argparse.Namespace, source: str, load: Callable[[Paths], IngestResult]) -> int:
    """Shared by ingest and demo: run the load (which records its access-log event before the swap),
    then report new keys and counts."""
    try:
        paths = _data_paths(args, may_create=True) if source == "real" else paths_from(args)
        result = load(paths)
    except (IngestError, ConfigurationError, StoreBusy) as exc:
        print(f"{'ingest' if source == 'real' else 'demo'} failed, the store is unchanged: {exc}", file=sys.stderr)
        return 2
    _warn_new_keys(result)
    if result.replaced_demo:
        print("The store held only the synthetic demo data set: it was replaced by this ingest, not mixed with "
              "real data, and demo sign-in is gone for good.", file=sys.stderr)
    _print_result(result, args.json)
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    from ingest.writer import ingest

    progress = None if args.json else _stderr_progress
    return _load(args, "real", lambda paths: ingest(Path(args.folder), paths, recorder=access_log_recorder(paths), source="real", progress=progress))


def cmd_demo(args: argparse.Namespace) -> int:
    from data.demo import build_demo

    keep_raw = Path(args.keep_raw) if args.keep_raw else None
    return _load(args, "demo", lambda paths: build_demo(
        paths, args.claims, args.seed, recorder=access_log_recorder(paths), progress=_stderr_progress, keep_raw=keep_raw))


def _export_details(args: argparse.Namespace, filters: Filters, rows: int) -> dict[str, Any]:
    scope = {k: v.isoformat() if isinstance(v, date) else v for k, v in filters.params().items() if v}
    details = {"filters": scope, "by": args.by or "all", "format": args.format, "rows": rows,
               "small_cells": "included" if args.include_small_cells else "suppressed"}
    return details | ({"errors_by": args.errors_by} if args.errors_by else {})


def _report(con: duckdb.DuckDBPyConnection, args: argparse.Namespace, filters: Filters) -> tuple[list[str], list[dict[str, Any]]]:
    """The report's fields and rows: the headline metrics (--by), or errors by code family, payer or facility
    (--errors-by, queries/error_families.py)."""
    suppress = not args.include_small_cells
    if args.errors_by:
        fields = list(error_families.REPORT_FIELDS)
        rows = error_families.report_rows(con, filters, args.errors_by, suppress_small_cells=suppress)
    else:
        fields = ([DIMENSION_KEYS[args.by]] if args.by else []) + list(REPORT_FIELDS)
        rows = report_rows(con, filters, args.by, suppress_small_cells=suppress)
    return _fields(fields, rows), rows


def _fields(fields: list[str], rows: list[dict[str, Any]]) -> list[str]:
    """The CSV header: the report's fields, and the small-cell flag where rows carry it."""
    return fields + ([SUPPRESSED_FLAG] if rows and SUPPRESSED_FLAG in rows[0] else [])


def _gathered(args: argparse.Namespace, filters: Filters, paths: Paths) -> tuple[list[str], list[dict[str, Any]], dict[str, Any]]:
    """The report's CSV fields, its rows and what its export event adds: peer percentiles (queries/peers.py), the
    headline report on Spark over a Parquet export (cli/spark.py), or the headline or errors-by report."""
    if args.percentiles:
        if args.by or args.errors_by or args.engine == "spark" or args.parquet:
            raise MetricsError("give --percentiles alone, not both it and --by, --errors-by or --engine spark.")
        min_volume = settings.load().peer_min_volume
        con = connect_reader(paths)
        try:
            rows = peers.report_rows(con, filters, args.percentiles, min_volume, suppress_small_cells=not args.include_small_cells)
        finally:
            con.close()
        return _fields(list(peers.REPORT_FIELDS), rows), rows, {"by": None, "percentiles": args.percentiles, "min_volume": min_volume}
    if args.engine == "spark":
        if args.errors_by:
            raise MetricsError("--errors-by reads the store only; leave out --engine spark.")
        rows, source = spark_report(args, filters)
        return _fields(([DIMENSION_KEYS[args.by]] if args.by else []) + list(REPORT_FIELDS), rows), rows, source
    if args.parquet:
        raise MetricsError("--parquet is read by --engine spark only; add --engine spark or leave it out.")
    con = connect_reader(paths)
    try:
        fields, rows = _report(con, args, filters)
    finally:
        con.close()
    return fields, rows, {}


def cmd_metrics(args: argparse.Namespace) -> int:
    """The report is an export: it records an `export` event (resource cli:metrics) before it prints, and
    suppresses counts from 1 to 10 unless --include-small-cells is given (docs/SECURITY.md). Numbers stay
    numbers: dollar amounts rounded to the cent, rates as proportions (queries/formats.py)."""
    try:
        filters = filters_from(args)
        paths = _data_paths(args, may_create=False)  # a typo'd folder is refused, never created
        fields, rows, details = _gathered(args, filters, paths)
        rows = [{k: to_the_cent(v) if is_money(k) else v for k, v in row.items()} for row in rows]
        access_log_recorder(paths)(AccessEvent(user=cli_actor(), role="cli", action="export", resource="cli:metrics",
                                     details=_export_details(args, filters, len(rows)) | details))
    except (MetricsError, StoreMissing, ConfigurationError) as exc:
        print(f"metrics failed: {exc}", file=sys.stderr)
        return 2
    except (AccessLogError, KeyProblem) as exc:
        print(f"metrics failed, nothing was printed: the access log could not record the export ({exc})", file=sys.stderr)
        return 2
    except duckdb.Error as exc:
        print(f"metrics failed: the store could not be read ({type(exc).__name__}); run `python manage.py ingest` or restore it.", file=sys.stderr)
        return 2
    except sqlite3.Error as exc:
        print(f"metrics failed: the review store could not be brought up to date ({type(exc).__name__}); try again.", file=sys.stderr)
        return 2
    if args.format == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: spreadsheet_safe(v) if isinstance(v, str) else v for k, v in row.items()} for row in rows)
    else:
        print(json.dumps(rows, indent=None if args.json else 2))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ingest", help="load claims.csv, claim_codes.csv, audit_findings.csv, denials.csv (or .parquet) from a folder")
    p.add_argument("folder")
    where(p, store_file=True)
    p.add_argument("--json", action="store_true", help="print only the accepted and rejected counts as JSON")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("demo", help="generate the synthetic demo data set and load it through ingest")
    p.add_argument("--claims", type=int, default=settings.DEMO_CLAIMS.default, help="number of claims (at least 100)")
    p.add_argument("--seed", type=int, default=2026)
    where(p, store_file=True)
    p.add_argument("--keep-raw", help="keep the generated raw files (fake PHI in plaintext) in this new or empty folder")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("metrics", help="print the headline metrics for a scope, overall or by one dimension (docs/METRICS.md)")
    where(p, store_file=True)
    filter_arguments(p)
    grouping = p.add_mutually_exclusive_group()
    grouping.add_argument("--by", choices=["month", "coder", "facility", "payer", "encounter_type"])
    grouping.add_argument("--errors-by", choices=list(error_families.LEVELS),
                          help="code-level audit errors by code family, payer or facility (docs/METRICS.md)")
    p.add_argument("--percentiles", choices=["coder", "facility"],
                   help="each coder's or facility's percentile among its peers on five measures, flagged at the 80th "
                        "(docs/METRICS.md, Peer percentiles)")
    p.add_argument("--json", action="store_true", help="compact JSON array (the default output is indented JSON)")
    p.add_argument("--format", choices=["json", "csv"], default="json")
    p.add_argument("--include-small-cells", action="store_true",
                   help="print counts from 1 to 10 (suppressed by default, CMS cell-size rule); recorded in the access log")
    engine_arguments(p)
    p.set_defaults(func=cmd_metrics)
