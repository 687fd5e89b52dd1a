"""`manage.py backup` and `manage.py restore` (backup/): one command each, while the dashboard runs.

backup records an `export` event (resource cli:backup) before it takes the snapshot, so the archive holds its
own record; restore checks the archive whole before it puts anything in place, then runs verify-log's checks
on what it restored. A passphrase is read from the terminal, or with --passphrase-stdin from the first line of
standard input, never from the command line (where other accounts could see it in the process list).
Exit codes: 0 done, 1 restored but verify-log finds problems, 2 refused or could not run (one sentence)."""
from __future__ import annotations

import argparse
import getpass
import sqlite3
import sys
from pathlib import Path

from audit.events import AccessEvent, cli_actor
from audit.keys import KeyProblem, load_data_keyring, load_log_key, load_pseudonym_key
from audit.log.files import missing_log
from audit.log.verify import VerifyReport, verify
from audit.log.writer import AccessLogError
from backup.archive import write_backup
from backup.keyfile import BackedUpKeys, KeyFileError, check_passphrase, open_sealed, seal
from backup.restore import Restored, RestoreRefused, restore
from backup.snapshot import SnapshotError
from cli.common import access_log_recorder, paths_from, where
from config.paths import Paths, default_paths
from config.settings import ConfigurationError
from ingest.swap import StoreBusy
from review.integrity import verify_reviews


class NoPassphrase(ValueError):
    """No terminal to type the passphrase in, and --passphrase-stdin not given."""


def _passphrase(args: argparse.Namespace, *, confirm: bool) -> str:
    if args.passphrase_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise NoPassphrase("there is no terminal to type the key file's passphrase in; give it on standard input "
                           "with --passphrase-stdin.")
    passphrase = getpass.getpass("Passphrase for the key file: ")
    if confirm and getpass.getpass("Repeat the passphrase: ") != passphrase:
        raise NoPassphrase("the two passphrases differ; run the command again.")
    return passphrase


def _configured_keys(paths: Paths) -> BackedUpKeys:
    from audit.keys import encode_key

    ring, pseudonym, log = load_data_keyring(paths.key_dir), load_pseudonym_key(paths.key_dir), load_log_key(paths.key_dir)
    return BackedUpKeys(ring.to_json() if ring else None, encode_key(pseudonym).decode() if pseudonym else None,
                        encode_key(log).decode() if log else None)


def cmd_backup(args: argparse.Namespace) -> int:
    out, keys_out = Path(args.out), Path(args.with_keys) if args.with_keys else None
    try:
        paths = paths_from(args, ensure=False)
        if problem := missing_log(paths):
            raise ConfigurationError(problem)
        if not paths.store.is_file():
            raise ConfigurationError(f"there is no store in {paths.data_dir}; check --data-dir (or CODEAUDIT_DATA_DIR)")
        for target in (out, keys_out):
            if target is not None and (target.exists() or not target.parent.is_dir()):
                raise ConfigurationError(f"{target} exists or its folder does not; name a new file in an existing folder "
                                         "(a backup never overwrites one)")
        if keys_out is not None and keys_out.resolve() == out.resolve():
            raise ConfigurationError("--with-keys must name another file than --out: keys never travel in the archive")
        keys = None
        if keys_out is not None:
            passphrase = _passphrase(args, confirm=True)
            check_passphrase(passphrase)
            keys = (keys_out, seal(_configured_keys(paths), passphrase))
        event = AccessEvent(user=cli_actor(), role="cli", action="export", resource="cli:backup", purpose_of_use="HOPERAT",
                            details={"file": out.name, "keys": keys_out.name if keys_out else ""})
        manifest = write_backup(paths, out, access_log_recorder(paths), event, keys)
    except (ConfigurationError, KeyFileError, NoPassphrase, AccessLogError, SnapshotError, StoreBusy, OSError,
            sqlite3.Error) as exc:
        print(f"backup failed, no backup was written: {exc}", file=sys.stderr)
        return 2
    size = sum(m["size"] for m in manifest["members"].values())
    print(f"Backed up {len(manifest['members'])} files ({size:,} bytes) to {out}, up to access-log event "
          f"{manifest['log']['seq']}." + (f" Keys sealed in {keys_out}: keep it apart from the archive." if keys_out else
                                          " Keys are not in it: back up the key folder separately, or use --with-keys."))
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    try:
        paths = default_paths(args.data_dir)
        if args.key_dir:
            paths = Paths(data_dir=paths.data_dir, key_dir=Path(args.key_dir))
        keys = None
        if args.keys:
            keys = open_sealed(Path(args.keys).read_bytes(), _passphrase(args, confirm=False))
        restored = restore(Path(args.file), paths, keys)
        report, reviews = verify(paths), verify_reviews(paths)
    except (RestoreRefused, KeyFileError, NoPassphrase, ConfigurationError, KeyProblem, OSError, sqlite3.Error) as exc:
        print(f"restore refused: {exc}", file=sys.stderr)
        return 2
    for path in restored.keys_written:
        print(f"Restored key file {path} (mode 0600).")
    print(f"Restored the backup of {restored.manifest['created_at']} into {paths.data_dir}; checkpoints in "
          f"{restored.checkpoint_folder}.")
    verified = report.ok and not (reviews and reviews.problems)
    if verified:
        try:
            report = _record_restore(paths, Path(args.file), restored)
        except (AccessLogError, ConfigurationError, KeyProblem, OSError) as exc:
            print(f"restore could not be recorded in the restored access log: {exc}", file=sys.stderr)
            return 1
        verified = report.ok
    else:
        print("The restore is not recorded in the restored log, which does not verify: keep it as evidence.")
    for problem in [*report.problems, *(reviews.problems if reviews else [])]:
        print(problem)
    print(f"verify-log: {report.summary()}" + (f"; review store: {reviews.summary()}" if reviews else ""))
    return 0 if verified else 1


def _record_restore(paths: Paths, archive: Path, restored: Restored) -> VerifyReport:
    """The restored log's own record that it was restored (after its last backed-up event): who ran the restore,
    the archive's SHA-256 and the time of the snapshot; then the log is verified again, with that event."""
    manifest = restored.manifest
    access_log_recorder(paths)(AccessEvent(
        user=cli_actor(), role="cli", action="restore", resource="cli:restore", purpose_of_use="HOPERAT",
        details={"file": archive.name, "archive_sha256": restored.archive_sha256, "snapshot_at": manifest["created_at"],
                 "snapshot_seq": manifest["log"]["seq"]}))
    return verify(paths)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("backup", help="write a consistent backup of the store, accounts, reviews and access log (keys apart)")
    where(p)
    p.add_argument("--out", required=True, metavar="FILE", help="the archive to write (a new file)")
    p.add_argument("--with-keys", metavar="FILE2", help="also write the keys to this separate new file, sealed under a "
                                                        "passphrase (asked for, never given on the command line)")
    p.add_argument("--passphrase-stdin", action="store_true", help="read the passphrase from the first line of standard input")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="restore a backup archive into a new, empty data folder")
    p.add_argument("file", help="the archive written by `manage.py backup`")
    p.add_argument("--data-dir", required=True, metavar="DIR", help="a new or empty folder for the data")
    p.add_argument("--keys", metavar="FILE2", help="the key file written by `backup --with-keys`: its keys go to the key folder")
    p.add_argument("--key-dir", metavar="DIR", help="key folder (default: $CODEAUDIT_KEY_DIR), outside the data folder")
    p.add_argument("--passphrase-stdin", action="store_true", help="read the passphrase from the first line of standard input")
    p.set_defaults(func=cmd_restore)
