"""What every command shares: where the data is (--data-dir, and --db for the store commands), dates
typed on the command line, and the access-log recorder that every change or export goes through.

The recorder opens the log at the first event, not before: a command refused before it changes
anything (a short password, a key that does not fit) creates no log key. A new log key is made only
when no log exists; `record` raises KeyProblem when the log exists without its key and AccessLogError
when the event cannot be written durably, and the command then changes nothing.
"""
from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb

from audit.events import AccessEvent
from audit.key_checks import ensure_log_key
from audit.log.writer import AccessLog
from config.paths import Paths, default_paths
from config.settings import ConfigurationError
from queries.metrics import Filters
from queries.store import connect_read_only
from review.db import update_existing

Record = Callable[[AccessEvent], None]
DATA_DIR_HELP = "data folder (default: $CODEAUDIT_DATA_DIR, else ./var)"


def where(parser: argparse.ArgumentParser, *, store_file: bool = False) -> None:
    """--data-dir DIR for every command; the store commands also take --db PATH (the store file)."""
    if not store_file:
        parser.add_argument("--data-dir", metavar="DIR", help=DATA_DIR_HELP)
        return
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--db", metavar="PATH", help="store file (default: $CODEAUDIT_DATA_DIR/store.duckdb, ./var/store.duckdb)")
    group.add_argument("--data-dir", metavar="DIR", help=DATA_DIR_HELP)


def paths_from(args: argparse.Namespace, *, ensure: bool = True) -> Paths:
    """The folders a command works on. --db names the store file, whose folder is the data folder."""
    db = getattr(args, "db", None)
    if db:
        if Path(db).name != "store.duckdb":
            raise ConfigurationError("--db must name a file called store.duckdb (its folder holds the rest of the data).")
        paths = default_paths(Path(db).parent)
    else:
        paths = default_paths(args.data_dir)
    return paths.ensure() if ensure else paths


def date_arg(text: str) -> date:
    """An argparse type: a date typed as YYYY-MM-DD."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def access_log_recorder(paths: Paths) -> Record:
    log: AccessLog | None = None

    def record(event: AccessEvent) -> None:
        nonlocal log
        if log is None:
            ensure_log_key(paths)
            log = AccessLog(paths)
        log.append(event)

    return record


def filter_arguments(parser: argparse.ArgumentParser) -> None:
    """The claim scope of docs/METRICS.md as options (metrics, sample draw)."""
    parser.add_argument("--from", dest="date_from", type=date_arg, help="first service date, inclusive (YYYY-MM-DD)")
    parser.add_argument("--to", dest="date_to", type=date_arg, help="last service date, inclusive (YYYY-MM-DD)")
    parser.add_argument("--facility", action="append", default=[], help="repeat for several")
    parser.add_argument("--payer", action="append", default=[])
    parser.add_argument("--coder", action="append", default=[])
    parser.add_argument("--encounter-type", action="append", default=[], choices=["inpatient", "outpatient", "professional"])


def filters_from(args: argparse.Namespace) -> Filters:
    """The scope the filter options give (MetricsError for a start after the end)."""
    return Filters(date_from=args.date_from, date_to=args.date_to, facility=tuple(args.facility), payer=tuple(args.payer),
                   coder=tuple(args.coder), encounter_type=tuple(args.encounter_type))


def connect_reader(paths: Paths) -> duckdb.DuckDBPyConnection:
    """A read-only store connection whose metrics count the review store's findings: a review store an older
    release made gains its metrics feed first (review.db.update_existing), so no command reads it without."""
    update_existing(paths.reviews_db)
    return connect_read_only(paths)
