"""The command line (`python manage.py ...`): thin commands over config/, audit/, queries/, ingest/
and data/. Each command module registers its subcommands; each subcommand returns its exit code (0 done,
1 refused or problems found, 2 could not run), with one clear line on standard error when it is not 0."""
from __future__ import annotations

import argparse

from cli import backup, export, keys, log, review, store, users
from config.paths import private_by_default


def main(argv: list[str] | None = None) -> int:
    private_by_default()
    parser = argparse.ArgumentParser(prog="manage.py", description="Coding audit and compliance dashboard: command line.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (store, export, users, log, keys, review, backup):
        module.register(sub)
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)
