"""`manage.py users ...`: manage local accounts from the command line, also while the dashboard runs.

Every change is recorded in the access log, attributed to the operating-system account that ran it
("cli:<name>"); if the log cannot be opened or written, nothing is changed.
"""
from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from datetime import UTC, datetime

from audit.events import AccessEvent, cli_actor
from audit.permissions import Role
from audit.users import Record, User, UserError, UserStore
from cli.common import access_log_recorder, paths_from, where
from config.paths import Paths
from config.settings import ConfigurationError

Command = Callable[[UserStore, argparse.Namespace, Paths], str]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `users add|disable|enable|reset-password|unlock|reset-mfa|list`. Each sets `args.func(args)`,
    which returns the exit code: 0 done, 1 refused with a message on standard error, 2 a password asked for
    without a terminal to type it in (and without --password-stdin)."""
    common = argparse.ArgumentParser(add_help=False)
    where(common)
    account = argparse.ArgumentParser(add_help=False, parents=[common])
    account.add_argument("username")
    password = argparse.ArgumentParser(add_help=False)
    password.add_argument(
        "--password-stdin", action="store_true",
        help="read the password from the first line of standard input (for scripts) instead of prompting",
    )

    users = subparsers.add_parser("users", help="manage local sign-in accounts")
    commands = users.add_subparsers(dest="users_command", required=True, metavar="COMMAND")
    add = commands.add_parser("add", parents=[account, password], help="create an account")
    add.add_argument("--role", required=True, choices=list(Role), help="what the account may see (docs/SECURITY.md)")
    add.add_argument("--coder-id", metavar="ID", help="for --role coder: the coder id the claims carry (e.g. C007); "
                                                      "the account sees the findings on those claims only")
    add.set_defaults(command=_add)
    commands.add_parser(
        "reset-password", parents=[account, password], help="set a new password (also ends a lockout)"
    ).set_defaults(command=_reset_password)
    for name, method, done, help_text in (
        ("disable", UserStore.disable_user, "Disabled", "refuse further sign-ins"),
        ("enable", UserStore.enable_user, "Enabled", "allow sign-ins again"),
        ("unlock", UserStore.unlock, "Unlocked", "end a lockout and clear failed sign-ins"),
    ):
        commands.add_parser(name, parents=[account], help=help_text).set_defaults(command=_account_change(method, done))
    commands.add_parser(
        "reset-mfa", parents=[account], help="remove the account's second factor and recovery codes (a lost phone)"
    ).set_defaults(command=_reset_mfa)
    commands.add_parser("list", parents=[common], help="show accounts and their status").set_defaults(command=_list)
    users.set_defaults(func=_run)


class NoTerminal(UserError):
    """A password prompt with no terminal to type in: it could only hang or read a script's input."""


def _run(args: argparse.Namespace) -> int:
    try:
        paths = paths_from(args)
        print(args.command(UserStore(paths.users_db), args, paths))
    except NoTerminal as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (UserError, ConfigurationError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def _record_event(paths: Paths) -> Record:
    """The access-log writer for changes made here: an event that cannot be written durably (or a log
    whose key is missing) stops the change (the user store rolls back), with a sentence instead of a
    traceback. The log is opened at the first event, so a refused change creates no key."""
    from audit.keys import KeyProblem
    from audit.log.writer import AccessLogError

    append = access_log_recorder(paths)

    def record(event: AccessEvent) -> None:
        try:
            append(event)
        except (AccessLogError, KeyProblem) as exc:
            raise ConfigurationError(f"The access log could not record this change, so nothing was changed: {exc}") from None

    return record


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise NoTerminal("There is no terminal to type the password in; nothing was changed. "
                         "Give it on standard input with --password-stdin.")
    password = getpass.getpass("New password: ")
    if getpass.getpass("Repeat the new password: ") != password:
        raise UserError("The two passwords differ; nothing was changed. Run the command again.")
    return password


def _add(store: UserStore, args: argparse.Namespace, paths: Paths) -> str:
    record = _record_event(paths)
    user = store.add_user(args.username, args.role, _read_password(args), actor=cli_actor(), record=record,
                          coder_id=args.coder_id)
    return f"Added {user.username} with role {user.role}" + (f", coder id {user.coder_id}." if user.coder_id else ".")


def _reset_password(store: UserStore, args: argparse.Namespace, paths: Paths) -> str:
    record = _record_event(paths)
    user = store.reset_password(args.username, _read_password(args), actor=cli_actor(), record=record)
    return f"Set a new password for {user.username}."


def _account_change(method: Callable[..., User], done: str) -> Command:
    def change(store: UserStore, args: argparse.Namespace, paths: Paths) -> str:
        user = method(store, args.username, actor=cli_actor(), record=_record_event(paths))
        return f"{done} {user.username}."

    return change


def _reset_mfa(store: UserStore, args: argparse.Namespace, paths: Paths) -> str:
    from audit.mfa import SecondFactors, keyring_vault

    user = SecondFactors(store, keyring_vault(paths.key_dir)).reset(args.username, actor=cli_actor(), record=_record_event(paths))
    return (f"Removed the second factor of {user.username}; they set up a new one at their next sign-in"
            + (" (CODEAUDIT_REQUIRE_MFA is on)." if store.require_second_factor else " if they choose to."))


def _status(user: User, now: datetime) -> str:
    if user.disabled:
        return "disabled"
    if user.locked(now):
        return f"locked until {user.locked_until:%Y-%m-%d %H:%M} UTC"
    return "active"


def _list(store: UserStore, args: argparse.Namespace, paths: Paths) -> str:
    users = store.list_users()
    if not users:
        return "No accounts yet; add one with `manage.py users add USERNAME --role ROLE`."
    now = datetime.now(UTC)
    rows = [("USERNAME", "ROLE", "STATUS", "FAILED SIGN-INS", "SECOND FACTOR", "CREATED", "CODER ID")] + [
        (u.username, u.role, _status(u, now), str(u.failed_attempts), "yes" if u.second_factor else "no",
         f"{u.created_at:%Y-%m-%d}", u.coder_id or "") for u in users
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)
