"""`ingest` and `demo` commands."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from audit.paths import ConfigurationError, Paths, default_paths
from queries.ingest import IngestError, IngestResult


def _paths(args: argparse.Namespace) -> Paths:
    """--db PATH names the store file; its folder is the data folder."""
    if args.db:
        db = Path(args.db)
        if db.name != "store.duckdb":
            raise ConfigurationError("--db must name a file called store.duckdb (its folder holds the rest of the data).")
        return default_paths(db.parent).ensure()
    return default_paths().ensure()


def _stderr_progress(fraction: float, message: str) -> None:
    print(f"[{fraction:4.0%}] {message}", file=sys.stderr, flush=True)


def _print_result(result: IngestResult, as_json: bool) -> None:
    if as_json:
        print(json.dumps(result.counts()))
        return
    for table, name in result.files.items():
        print(f"{name}: {result.accepted[table]} accepted, {result.rejected[table]} rejected")
    for line in result.reject_samples:
        print(f"  rejected: {line}")
    if any(result.rejected.values()):
        print("  (all rejects, with their encrypted raw rows, are in the rejects table of this run "
              f"{result.run_id})")


def _warn_new_keys(result: IngestResult) -> None:
    for path in result.created_keys:
        print(f"Created key file {path} (mode 0600). Back it up now: without it the PHI vault "
              "cannot be read and the access log cannot be verified.", file=sys.stderr)


def cmd_ingest(args: argparse.Namespace) -> int:
    from queries.ingest import ingest

    try:
        result = ingest(Path(args.folder), _paths(args), source="real", progress=None if args.json else _stderr_progress)
    except (IngestError, ConfigurationError) as exc:
        print(f"ingest failed, the store is unchanged: {exc}", file=sys.stderr)
        return 2
    _warn_new_keys(result)
    _print_result(result, args.json)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from data.demo import build_demo

    try:
        result = build_demo(_paths(args), args.claims, args.seed, progress=_stderr_progress,
                            keep_raw=Path(args.keep_raw) if args.keep_raw else None)
    except (IngestError, ConfigurationError) as exc:
        print(f"demo failed, the store is unchanged: {exc}", file=sys.stderr)
        return 2
    _warn_new_keys(result)
    _print_result(result, args.json)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ingest", help="load claims.csv, claim_codes.csv, audit_findings.csv, denials.csv (or .parquet) from a folder")
    p.add_argument("folder")
    p.add_argument("--db", help="store file (default: $CODEAUDIT_DATA_DIR/store.duckdb, ./var/store.duckdb)")
    p.add_argument("--json", action="store_true", help="print only the accepted and rejected counts as JSON")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("demo", help="generate the synthetic demo data set and load it through ingest")
    p.add_argument("--claims", type=int, default=20_000)
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--db")
    p.add_argument("--keep-raw", help="keep the generated raw files (fake PHI in plaintext) in this folder")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_demo)
