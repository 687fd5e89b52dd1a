"""The command line: thin wrappers over queries/ and audit/. `python manage.py --help` lists the commands."""
from __future__ import annotations

import argparse
import sys

from audit import keys_cli, users_cli
from audit.log import cli as log_cli
from queries import cli as store_cli


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="manage.py", description="Coding audit and compliance dashboard: command line.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (store_cli, users_cli, log_cli, keys_cli):
        module.register(sub)
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
