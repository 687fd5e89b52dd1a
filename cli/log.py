"""`manage.py verify-log`, `export-log` and `anchor`: thin wrappers over the audit.log modules (and, for
verify-log, review/integrity.py: every completed review against the hash its event recorded).

Exit codes: 0 clean, 1 problems found (verify-log, or anchor on a log that fails it), 2 could not run (missing key,
unreadable files).
"""
from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from audit.events import AccessEvent, cli_actor
from audit.log.anchors import AnchorRefused, issue
from audit.log.export import export_csv, fhir_bundle
from audit.log.files import missing_log
from audit.log.read import read_events
from audit.log.verify import verify
from audit.log.writer import AccessLog, AccessLogError
from cli.common import date_arg, paths_from, where
from config.paths import Paths
from config.settings import ConfigurationError
from review.integrity import verify_reviews


def register(subparsers: argparse._SubParsersAction) -> None:
    check = subparsers.add_parser(
        "verify-log", help="check the access log's signatures, sequence, chain and checkpoints"
    )
    where(check)
    check.add_argument(
        "--anchor", metavar="FILE", nargs="+", action="extend", type=Path, default=[], dest="anchors",
        help="anchors issued by `manage.py anchor`: prove the log still holds the event each one records",
    )
    check.set_defaults(func=verify_log)

    anchor = subparsers.add_parser(
        "anchor", help="print a signed statement of the log's head, to keep outside this machine"
    )
    where(anchor)
    anchor.add_argument("--out", metavar="FILE", type=Path, help="new file to write (default: standard output)")
    anchor.set_defaults(func=anchor_log)

    export = subparsers.add_parser(
        "export-log", help="export access-log events as a FHIR R4 Bundle of AuditEvents, or CSV"
    )
    export.add_argument("--format", choices=("fhir", "csv"), required=True)
    export.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD", type=date_arg, help="first day to include (YYYY-MM-DD, UTC)")
    export.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", type=date_arg, help="last day to include (YYYY-MM-DD, UTC)")
    export.add_argument("--out", metavar="FILE", type=Path, help="file to write (default: standard output)")
    where(export)
    export.set_defaults(func=export_log)


def _midnight(day: date | None) -> datetime | None:
    return datetime.combine(day, time(), tzinfo=UTC) if day else None


def verify_log(args: argparse.Namespace) -> int:
    """A folder with no log is refused (exit 2) unless checking it finds problems: a log deleted with its
    claim leaves orphaned checkpoints, which are reported (exit 1)."""
    paths = paths_from(args, ensure=False)
    no_log = missing_log(paths)
    try:
        if no_log and not paths.data_dir.is_dir():
            raise OSError(no_log)
        report = verify(paths, args.anchors)
        if no_log and report.ok:
            raise OSError(no_log)
        reviews = verify_reviews(paths)
    except (ConfigurationError, OSError, sqlite3.Error) as exc:
        print(f"verify-log: {exc}", file=sys.stderr)
        return 2
    print(f"access log {paths.log_dir}: log {report.log_id or 'without a valid first event'}, "
          f"checkpoints in {report.checkpoint_folder or paths.checkpoint_dir}")
    print(f"anchor key (Ed25519 public key, base64): {report.anchor_key}")
    for problem in report.problems:
        print(problem)
    print(report.summary())
    if reviews is not None:
        for note in reviews.notes:
            print(f"note: {note}")
        for problem in reviews.problems:
            print(problem)
        print(f"review store {paths.reviews_db}: {reviews.summary()}")
    return 0 if report.ok and not (reviews and reviews.problems) else 1


def export_log(args: argparse.Namespace) -> int:
    """Export, then record the export itself in the access log: reading the audit trail is auditable.
    If that record fails, the export still goes out (it holds no PHI) with a warning, because an export
    is how an operator investigates a damaged log."""
    paths = paths_from(args, ensure=False)
    until = _midnight(args.date_to + timedelta(days=1)) if args.date_to else None
    try:
        if no_log := missing_log(paths):
            raise OSError(no_log)
        events = read_events(paths, since=_midnight(args.date_from), until=until)[::-1]
        text = json.dumps(fhir_bundle(events), indent=2) + "\n" if args.format == "fhir" else export_csv(events)
        if args.out:  # owner-only: justifications are free text written by users
            fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(text)
        else:
            sys.stdout.write(text)
    except (ConfigurationError, OSError) as exc:
        print(f"export-log: {exc}", file=sys.stderr)
        return 2
    _record_export(paths, args, len(events))
    return 0


def _record_export(paths: Paths, args: argparse.Namespace, count: int) -> None:
    event = AccessEvent(
        user=cli_actor(), role="cli", action="export", resource="access_log", purpose_of_use="HOPERAT",
        details={
            "format": args.format, "events": count, "from": str(args.date_from or ""), "to": str(args.date_to or "")
        },
    )
    try:
        with AccessLog(paths) as log:
            log.append(event)
    except (ConfigurationError, AccessLogError) as exc:
        print(f"export-log: warning: the export was not recorded in the access log: {exc}", file=sys.stderr)


def anchor_log(args: argparse.Namespace) -> int:
    """Issue an anchor to stdout or a new file (never over an older anchor); advice goes to stderr."""
    try:
        fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644) if args.out else None
    except FileExistsError:
        print(f"anchor: {args.out} exists; anchors are kept, never replaced, so name a new file.", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"anchor: cannot create {args.out} ({exc.strerror}); name a file in a folder you can write to.",
              file=sys.stderr)
        return 2
    try:
        anchor = issue(paths_from(args, ensure=False))
    except AnchorRefused as exc:
        for problem in exc.report.problems:
            print(problem, file=sys.stderr)
        print(f"anchor: no anchor was issued, because the log fails verification ({exc.report.summary()}). "
              "Investigate the problems above and restore the log and its checkpoints from backup.", file=sys.stderr)
        return _discard(fd, args.out, 1)
    except (ConfigurationError, AccessLogError, OSError) as exc:
        print(f"anchor: {exc}", file=sys.stderr)
        return _discard(fd, args.out, 2)
    if fd is None:
        sys.stdout.write(anchor.to_text())
    else:
        with os.fdopen(fd, "w") as out:
            out.write(anchor.to_text())
    print(f"Anchor of seq {anchor.seq} issued. Keep it outside this machine (minutes, ticket, WORM bucket) and "
          "check it with `python manage.py verify-log --anchor FILE`. "
          f"Anchor key (Ed25519 public key): {anchor.public_key}", file=sys.stderr)
    return 0


def _discard(fd: int | None, path: Path | None, code: int) -> int:
    """Remove the file made for an anchor that was not issued; returns `code`."""
    if fd is not None and path is not None:
        os.close(fd)
        path.unlink(missing_ok=True)
    return code
