"""`rotate-key` command. The access-log event is written before the keyring or the store changes;
if it cannot be written, or a key does not fit the store, nothing changes."""
from __future__ import annotations

import argparse
import sys

from audit.events import cli_actor
from audit.keys import KeyProblem
from cli.common import access_log_recorder, paths_from, where
from config.settings import ConfigurationError


def cmd_rotate_key(args: argparse.Namespace) -> int:
    from audit.keys import load_data_keyring, require
    from audit.log.writer import AccessLogError
    from audit.mfa import SecondFactors, keyring_vault
    from audit.users import UserStore
    from audit.vault import DecryptionError, PhiVault
    from ingest.key_rotation import retire_unused, rotate
    from ingest.swap import StoreBusy
    from review import notes
    from review.db import ReviewDb, ReviewError
    from review.integrity import reseal_notes

    try:
        paths = paths_from(args)
        who = {"actor": cli_actor(), "actor_role": "cli", "record": access_log_recorder(paths)}
        reviews = ReviewDb(paths.reviews_db) if paths.reviews_db.exists() else None
        factors = SecondFactors(UserStore(paths.users_db), keyring_vault(paths.key_dir)) if paths.users_db.exists() else None
        if args.retire_old:
            used = (notes.keys_in_use(reviews) if reviews else set()) | (factors.keys_in_use() if factors else set())
            retired = retire_unused(paths, **who, used_elsewhere=used)
        else:
            result = rotate(paths, **who)
    except (KeyProblem, ConfigurationError, StoreBusy, AccessLogError) as exc:
        print(f"rotate-key failed, nothing was changed: {exc}", file=sys.stderr)
        return 2
    if not args.retire_old and reviews is not None:
        try:  # the findings' notes in the review store follow; until then the old key (kept) still opens them
            ring = require(load_data_keyring(paths.key_dir), "data keyring", paths.key_dir)
            result_notes = reseal_notes(paths, PhiVault(ring), ring.primary, user=who["actor"], role="cli",
                                        record=who["record"])
        except (KeyProblem, DecryptionError, ReviewError, AccessLogError) as exc:
            print(f"rotate-key re-encrypted the store, but not the review findings' notes (they stay readable under the "
                  f"old key, which is kept): {exc}", file=sys.stderr)
            return 1
        print(f"re-encrypted the notes of {result_notes} review findings.")
    if not args.retire_old and factors is not None:
        try:  # the accounts' second-factor secrets follow likewise
            ring = require(load_data_keyring(paths.key_dir), "data keyring", paths.key_dir)
            resealed = factors.reseal(PhiVault(ring), ring.primary, actor=who["actor"], actor_role="cli", record=who["record"])
        except (KeyProblem, DecryptionError, AccessLogError) as exc:
            print(f"rotate-key re-encrypted the store, but not the accounts' second-factor secrets (they stay readable "
                  f"under the old key, which is kept): {exc}", file=sys.stderr)
            return 1
        print(f"re-encrypted the second-factor secrets of {resealed} accounts.")
    if args.retire_old:
        print(f"retired key(s) no stored value uses: {', '.join(retired)}" if retired else "no key to retire: every old key still protects stored values (run rotate-key first)")
        return 0
    what = f"new primary key {result.primary}" if result.new_key_created else f"finished an interrupted rotation to {result.primary}"
    print(f"{what}; re-encrypted {result.reencrypted} values. The old key stays in the keyring until "
          "`python manage.py rotate-key --retire-old` (run it once backups made before this rotation have expired).")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("rotate-key", help="make a new primary data key and re-encrypt the PHI vault under it")
    where(p)
    p.add_argument("--retire-old", action="store_true", help="instead of rotating, remove old keys that no stored value uses any more")
    p.set_defaults(func=cmd_rotate_key)
