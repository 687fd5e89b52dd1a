"""`rotate-key` command."""
from __future__ import annotations

import argparse
import sys

from audit.events import AccessEvent, cli_actor
from audit.keys import KeyProblem
from audit.paths import ConfigurationError, Paths, default_paths


def _record(paths: Paths, details: dict[str, object]) -> int:
    from audit.log.writer import AccessLog, AccessLogError

    try:
        AccessLog(paths).append(AccessEvent(
            user=cli_actor(), role="cli", action="key_rotate", resource="data_keyring", details=details,
        ))
    except (AccessLogError, KeyProblem) as exc:
        print(f"warning: the change is done but could not be recorded in the access log: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_rotate_key(args: argparse.Namespace) -> int:
    from audit.key_rotation import retire_unused, rotate
    from queries.store import StoreBusy

    try:
        paths = default_paths(args.data_dir).ensure()
        if args.retire_old:
            retired = retire_unused(paths)
            print(f"retired key(s) no stored value uses: {', '.join(retired)}" if retired else "no key to retire: every old key still protects stored values (run rotate-key first)")
            return _record(paths, {"retired": list(retired)})
        result = rotate(paths)
    except (KeyProblem, ConfigurationError, StoreBusy) as exc:
        print(f"rotate-key failed: {exc}", file=sys.stderr)
        return 2
    what = f"new primary key {result.primary}" if result.new_key_created else f"finished an interrupted rotation to {result.primary}"
    print(f"{what}; re-encrypted {result.reencrypted} values. The old key stays in the keyring until "
          "`python manage.py rotate-key --retire-old` (run it once backups made before this rotation have expired).")
    return _record(paths, {"primary": result.primary, "reencrypted": result.reencrypted})


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("rotate-key", help="make a new primary data key and re-encrypt the PHI vault under it")
    p.add_argument("--data-dir")
    p.add_argument("--retire-old", action="store_true", help="instead of rotating, remove old keys that no stored value uses any more")
    p.set_defaults(func=cmd_rotate_key)
