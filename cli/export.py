"""`manage.py export-parquet DIR [--from D] [--to D]`: the pseudonymised analytic tables as Parquet for Spark or
another engine (queries/parquet_export.py, docs/FORMAT.md "Parquet export"). An export: its `export` event
is recorded before the folder is put in place (no event, no export)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

from audit.events import cli_actor
from audit.keys import KeyProblem
from audit.log.writer import AccessLogError
from cli.common import access_log_recorder, date_arg, where
from cli.store import _data_paths
from config.settings import ConfigurationError
from queries.parquet_export import ExportError, export_parquet
from queries.store import StoreMissing


def cmd_export_parquet(args: argparse.Namespace) -> int:
    if args.date_from and args.date_to and args.date_from > args.date_to:
        print(f"export-parquet refused: the start date {args.date_from} is after the end date {args.date_to}.", file=sys.stderr)
        return 2
    try:
        paths = _data_paths(args, may_create=False)
        result = export_parquet(paths, Path(args.folder), date_from=args.date_from, date_to=args.date_to,
                                recorder=access_log_recorder(paths), user=cli_actor(), role="cli")
    except (ExportError, StoreMissing, ConfigurationError) as exc:
        print(f"export-parquet refused: {exc}", file=sys.stderr)
        return 2
    except (AccessLogError, KeyProblem) as exc:
        print(f"export-parquet failed, nothing was exported: the access log could not record the export ({exc})", file=sys.stderr)
        return 2
    except (duckdb.Error, OSError) as exc:
        print(f"export-parquet failed, nothing was exported: {type(exc).__name__} while writing {args.folder}; check the "
              "space and permissions there.", file=sys.stderr)
        return 2
    tables = result.manifest["tables"]
    print(f"Exported {sum(t['rows'] for t in tables.values()):,} rows in {len(tables)} tables "
          f"({result.bytes / 1e6:,.1f} MB) to {result.folder} in {result.seconds:.1f} s; manifest.json lists them.")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export-parquet", help="write the pseudonymised analytic tables as Parquet (for Spark; docs/FORMAT.md)")
    p.add_argument("folder", help="a new or empty folder")
    where(p, store_file=True)
    p.add_argument("--from", dest="date_from", type=date_arg, help="first service date, inclusive (YYYY-MM-DD)")
    p.add_argument("--to", dest="date_to", type=date_arg, help="last service date, inclusive (YYYY-MM-DD)")
    p.set_defaults(func=cmd_export_parquet)
