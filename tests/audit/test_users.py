from __future__ import annotations

import argparse
import dataclasses
import io
import sqlite3
import stat
import sys
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher, Type, extract_parameters

from audit import users as users_module
from audit.session_policy import LockoutPolicy
from audit.users import SignInError, User, UserError, UserStore, default_hasher
from cli import users as users_cli

# argon2 is slow by design; tests use the cheapest parameters (one test checks the real ones).
FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
PASSWORD = "correct horse battery"
NEW_PASSWORD = "staple tuning violin"
ADMIN = {"actor": "root-admin", "actor_role": "admin"}
REAL_RECORD_EVENT = users_cli._record_event


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def events() -> list:
    return []


@pytest.fixture
def store(tmp_path, clock) -> UserStore:
    return UserStore(tmp_path / "users.sqlite", hasher=FAST, lockout=LockoutPolicy(), now=clock)


@pytest.fixture
def alice(store, events) -> User:
    return store.add_user("alice", "auditor", PASSWORD, **ADMIN, record=events.append)


def fail(store: UserStore, times: int, events: list | None = None, password: str = "wrong password!!") -> None:
    for _ in range(times):
        with pytest.raises(SignInError):
            store.authenticate("alice", password, record=None if events is None else events.append)


def raw_hash(store: UserStore, username: str) -> str:
    with sqlite3.connect(store.path) as conn:
        return conn.execute("SELECT password_hash FROM users WHERE username = ?", (username,)).fetchone()[0]


def test_production_hasher_is_argon2id_with_rfc9106_parameters(tmp_path):
    hasher = default_hasher()
    assert hasher.type is Type.ID
    params = extract_parameters(hasher.hash(PASSWORD))
    assert (params.type, params.memory_cost, params.time_cost) == (Type.ID, 65536, 3)
    assert UserStore(tmp_path / "u.sqlite", lockout=LockoutPolicy()).hasher.type is Type.ID


def test_sign_in_returns_the_user_and_records_it(store, alice, events):
    user = store.authenticate(" Alice ", PASSWORD, record=events.append)
    assert (user.username, user.role) == ("alice", "auditor")
    last = events[-1]
    assert (last.action, last.outcome, last.user, last.role) == ("sign_in", "success", "alice", "auditor")


def test_every_refusal_gives_the_same_message_without_secrets(store, alice, events, clock):
    messages = set()
    for username, password in [("alice", "wrong password!!"), ("nobody", PASSWORD), ("not valid!", PASSWORD)]:
        with pytest.raises(SignInError) as info:
            store.authenticate(username, password, record=events.append)
        messages.add(str(info.value))
    fail(store, 4)
    with pytest.raises(SignInError) as locked:
        store.authenticate("alice", PASSWORD)
    store.disable_user("alice", **ADMIN)
    with pytest.raises(SignInError) as disabled:
        store.authenticate("alice", PASSWORD)
    messages |= {str(locked.value), str(disabled.value)}
    assert len(messages) == 1
    message = messages.pop()
    assert "alice" not in message and "nobody" not in message and PASSWORD not in message
    assert [(e.user, e.outcome, e.details["reason"]) for e in events[1:]] == [
        ("alice", "failure", "bad_password"),
        ("nobody", "failure", "unknown_user"),
        ("(invalid username)", "failure", "unknown_user"),
    ]


def test_five_failures_lock_the_account_even_for_the_right_password(store, alice, events, clock):
    fail(store, 4, events)
    assert store.get_user("alice").locked_until is None
    fail(store, 1, events)
    lockout = events[-1]
    assert (lockout.action, lockout.outcome, lockout.details["reason"]) == ("sign_in_failed", "failure", "bad_password")
    assert lockout.details["failed_attempts"] == 5
    assert lockout.details["locked_until"] == (clock.now + timedelta(minutes=15)).isoformat()
    with pytest.raises(SignInError):
        store.authenticate("alice", PASSWORD, record=events.append)
    assert (events[-1].outcome, events[-1].details) == ("denied", {"reason": "locked", "failed_attempts": 6})


def test_fewer_failures_then_success_resets_the_count(store, alice, clock):
    fail(store, 4)
    store.authenticate("alice", PASSWORD)
    fail(store, 4)
    assert store.get_user("alice").failed_attempts == 4
    assert not store.get_user("alice").locked(clock.now)


def test_lock_ends_exactly_after_the_window_and_attempts_do_not_extend_it(store, alice, clock):
    fail(store, 5)
    locked_at = clock.now
    clock.advance(minutes=14, seconds=59)
    fail(store, 1, password=PASSWORD)  # counted, refused, lock not extended
    assert store.get_user("alice").failed_attempts == 6
    clock.now = locked_at + timedelta(minutes=15) - timedelta(microseconds=1)
    fail(store, 1, password=PASSWORD)
    clock.now = locked_at + timedelta(minutes=15)
    assert store.authenticate("alice", PASSWORD).failed_attempts == 0


def test_after_a_lock_ends_one_more_failure_locks_again(store, alice, clock):
    fail(store, 5)
    clock.advance(minutes=15)
    fail(store, 1)
    assert store.get_user("alice").locked_until == clock.now + timedelta(minutes=15)
    fail(store, 1, password=PASSWORD)


def test_lockout_is_configurable(tmp_path, clock):
    store = UserStore(tmp_path / "u.sqlite", hasher=FAST, lockout=LockoutPolicy(3, timedelta(minutes=1)), now=clock)
    store.add_user("alice", "auditor", PASSWORD, **ADMIN)
    fail(store, 3)
    fail(store, 1, password=PASSWORD)
    clock.advance(minutes=1)
    store.authenticate("alice", PASSWORD)


def test_unlock_ends_the_lock_at_once(store, alice, events):
    fail(store, 5)
    user = store.unlock("alice", **ADMIN, record=events.append)
    assert (user.failed_attempts, user.locked_until) == (0, None)
    assert (events[-1].action, events[-1].user, events[-1].role, events[-1].resource) == (
        "user_unlock", "root-admin", "admin", "user:alice")
    store.authenticate("alice", PASSWORD)


def test_disabled_user_is_refused_until_enabled(store, alice, events):
    assert store.disable_user("alice", **ADMIN, record=events.append).disabled
    with pytest.raises(SignInError):
        store.authenticate("alice", PASSWORD, record=events.append)
    assert store.get_user("alice").failed_attempts == 0
    assert not store.enable_user("alice", **ADMIN, record=events.append).disabled
    store.authenticate("alice", PASSWORD, record=events.append)
    assert [(e.action, e.outcome, e.details) for e in events[1:]] == [
        ("user_disable", "success", {"disabled": True}),
        ("sign_in_failed", "denied", {"reason": "disabled"}),
        ("user_disable", "success", {"disabled": False}),
        ("sign_in", "success", {}),
    ]


def test_reset_password_replaces_it_and_ends_a_lockout(store, alice, events, clock):
    fail(store, 5)
    clock.advance(minutes=1)
    user = store.reset_password("alice", NEW_PASSWORD, **ADMIN, record=events.append)
    assert (user.password_changed_at, user.failed_attempts, user.locked_until) == (clock.now, 0, None)
    assert (events[-1].action, events[-1].resource) == ("user_reset_password", "user:alice")
    fail(store, 1, password=PASSWORD)
    store.authenticate("alice", NEW_PASSWORD)


def test_add_user_is_recorded(alice, events):
    assert [(e.action, e.user, e.role, e.resource, e.details) for e in events] == [
        ("user_add", "root-admin", "admin", "user:alice", {"role": "auditor"})]


def test_list_users_never_exposes_hashes(store, alice):
    store.add_user("bob", "coding_manager", NEW_PASSWORD, **ADMIN)
    listed = store.list_users()
    assert [(u.username, u.role) for u in listed] == [("alice", "auditor"), ("bob", "coding_manager")]
    assert not any("hash" in f.name or "password" == f.name for f in dataclasses.fields(User))
    assert raw_hash(store, "alice") not in repr(listed)


@pytest.mark.parametrize(
    "username, password, message",
    [
        ("alice", "short pass", "at least 12 characters"),
        ("alice", "my alice password", "contains the username"),
        ("ab", PASSWORD, "not valid"),
        ("bad name", PASSWORD, "not valid"),
        ("-alice", PASSWORD, "not valid"),
    ],
)
def test_add_user_enforces_username_and_password_policy(store, events, username, password, message):
    with pytest.raises(UserError, match=message) as info:
        store.add_user(username, "auditor", password, **ADMIN, record=events.append)
    assert password not in str(info.value)
    assert store.list_users() == [] and events == []


def test_add_user_refuses_duplicates_and_unknown_roles(store, alice):
    with pytest.raises(UserError, match="already exists; use reset-password or enable"):
        store.add_user("ALICE", "auditor", PASSWORD, **ADMIN)
    with pytest.raises(UserError, match="Role 'superuser' does not exist; choose one of: compliance_officer"):
        store.add_user("bob", "superuser", PASSWORD, **ADMIN)


@pytest.mark.parametrize("change", ["disable_user", "enable_user", "unlock"])
def test_changing_an_unknown_user_says_how_to_list_them(store, events, change):
    with pytest.raises(UserError, match="no user named 'ghost'; run `manage.py users list`"):
        getattr(store, change)("ghost", **ADMIN, record=events.append)
    with pytest.raises(UserError, match="no user named 'ghost'"):
        store.reset_password("ghost", NEW_PASSWORD, **ADMIN, record=events.append)
    assert events == []


def test_an_event_that_cannot_be_recorded_undoes_the_change(store, alice):
    def broken_log(event):
        raise OSError("access log disk full")

    with pytest.raises(OSError):
        store.add_user("bob", "auditor", NEW_PASSWORD, **ADMIN, record=broken_log)
    assert store.get_user("bob") is None
    with pytest.raises(OSError):
        store.authenticate("alice", "wrong password!!", record=broken_log)
    assert store.get_user("alice").failed_attempts == 0
    with pytest.raises(OSError):
        store.authenticate("alice", PASSWORD, record=broken_log)


def test_passwords_never_reach_events(store, alice, events):
    store.authenticate("alice", PASSWORD, record=events.append)
    fail(store, 5, events, password=NEW_PASSWORD)
    store.reset_password("alice", NEW_PASSWORD, **ADMIN, record=events.append)
    assert PASSWORD not in repr(events) and NEW_PASSWORD not in repr(events)


def test_weaker_hashes_are_upgraded_at_sign_in(tmp_path, clock):
    path = tmp_path / "u.sqlite"
    UserStore(path, hasher=FAST, lockout=LockoutPolicy(), now=clock).add_user("alice", "auditor", PASSWORD, **ADMIN)
    stronger = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
    store = UserStore(path, hasher=stronger, lockout=LockoutPolicy(), now=clock)
    store.authenticate("alice", PASSWORD)
    assert not stronger.check_needs_rehash(raw_hash(store, "alice"))
    store.authenticate("alice", PASSWORD)


def test_store_is_wal_owner_only_and_shared_between_processes(tmp_path, store, alice):
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    other = UserStore(store.path, hasher=FAST, lockout=LockoutPolicy())  # e.g. the CLI beside the dashboard
    other.disable_user("alice", **ADMIN)
    assert store.get_user("alice").disabled


# --- manage.py users ... ----------------------------------------------------------------------


class Keyboard(io.StringIO):
    """Standard input that is a terminal, where a password prompt can be typed in."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def cli(tmp_path, monkeypatch, capsys, events):
    """Run `users ...` through a parser built like manage.py's; returns (exit code, stdout, stderr)."""
    monkeypatch.setenv("CODEAUDIT_KEY_DIR", str(tmp_path / "keys"))
    for name in ("CODEAUDIT_LOCKOUT_ATTEMPTS", "CODEAUDIT_LOCKOUT_MINUTES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(users_module, "default_hasher", lambda: FAST)
    monkeypatch.setattr(users_cli, "_record_event", lambda paths: events.append)
    parser = argparse.ArgumentParser(prog="manage.py")
    users_cli.register(parser.add_subparsers(dest="command", required=True))

    def run(*argv: str, stdin: str = "", terminal: bool = False) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "stdin", Keyboard(stdin) if terminal else io.StringIO(stdin))
        args = parser.parse_args(["users", *argv, "--data-dir", str(tmp_path / "data")])
        code = args.func(args)
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_cli_add_and_list(cli, events, tmp_path):
    assert cli("add", "Alice", "--role", "auditor", "--password-stdin", stdin=PASSWORD + "\n") == (
        0, "Added alice with role auditor.\n", "")
    assert events[-1].action == "user_add" and events[-1].user.startswith("cli:")
    code, out, _ = cli("list")
    assert code == 0
    header, row = out.splitlines()
    assert header.split()[:3] == ["USERNAME", "ROLE", "STATUS"]
    assert row.split()[:4] == ["alice", "auditor", "active", "0"]
    assert "argon2" not in out
    assert (tmp_path / "data" / "users.sqlite").exists()


def test_cli_coder_account_keeps_its_coder_id_and_only_coders_have_one(cli, events, tmp_path):
    assert cli("add", "cody", "--role", "coder", "--coder-id", "C007", "--password-stdin", stdin=PASSWORD) == (
        0, "Added cody with role coder, coder id C007.\n", "")
    assert events[-1].details == {"role": "coder", "coder_id": "C007"}
    assert UserStore(tmp_path / "data" / "users.sqlite").get_user("cody").coder_id == "C007"
    assert cli("list")[1].splitlines()[1].split()[-1] == "C007"
    code, _, err = cli("add", "nocode", "--role", "coder", "--password-stdin", stdin=PASSWORD)
    assert code == 1 and "needs its coder id" in err
    code, _, err = cli("add", "aud", "--role", "auditor", "--coder-id", "C001", "--password-stdin", stdin=PASSWORD)
    assert code == 1 and "Only a coder account has a coder id" in err


def test_an_accounts_file_from_before_coder_ids_gains_the_column(tmp_path):
    path = tmp_path / "users.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE users (username TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL, "
                     "disabled INTEGER NOT NULL DEFAULT 0, failed_attempts INTEGER NOT NULL DEFAULT 0, locked_until TEXT, "
                     "created_at TEXT NOT NULL, password_changed_at TEXT NOT NULL)")
        conn.execute("INSERT INTO users VALUES ('old.user', 'auditor', 'x', 0, 0, NULL, '2025-01-01T00:00:00+00:00', "
                     "'2025-01-01T00:00:00+00:00')")
    assert UserStore(path).get_user("old.user").coder_id is None


def test_cli_account_changes(cli, events, monkeypatch):
    cli("add", "alice", "--role", "auditor", "--password-stdin", stdin=PASSWORD)
    assert cli("disable", "alice") == (0, "Disabled alice.\n", "")
    assert "disabled" in cli("list")[1]
    assert cli("enable", "alice")[:2] == (0, "Enabled alice.\n")
    assert cli("unlock", "alice")[:2] == (0, "Unlocked alice.\n")
    prompts = iter([NEW_PASSWORD, NEW_PASSWORD])
    monkeypatch.setattr(users_cli.getpass, "getpass", lambda prompt: next(prompts))
    assert cli("reset-password", "alice", terminal=True)[:2] == (0, "Set a new password for alice.\n")
    actions = [e.action for e in events]
    assert actions == ["user_add", "user_disable", "user_disable", "user_unlock", "user_reset_password"]


def test_cli_refusals_exit_1_with_a_sentence(cli, events, monkeypatch):
    assert cli("disable", "ghost") == (
        1, "", "error: There is no user named 'ghost'; run `manage.py users list` to see the accounts.\n")
    prompts = iter([PASSWORD, NEW_PASSWORD])
    monkeypatch.setattr(users_cli.getpass, "getpass", lambda prompt: next(prompts))
    code, _, err = cli("add", "alice", "--role", "auditor", terminal=True)
    assert (code, err) == (1, "error: The two passwords differ; nothing was changed. Run the command again.\n")
    code, _, err = cli("add", "alice", "--role", "auditor", "--password-stdin", stdin="short\n")
    assert code == 1 and "at least 12 characters" in err and "short" not in err.replace("too short", "")
    assert events == []


def test_cli_role_must_be_known(cli):
    with pytest.raises(SystemExit):
        cli("add", "alice", "--role", "superuser", "--password-stdin", stdin=PASSWORD)


def test_cli_changes_nothing_when_the_access_log_cannot_write(cli, monkeypatch):
    from audit.log import writer

    def refuse(self, event):
        raise writer.AccessLogError("disk full")

    monkeypatch.setattr(users_cli, "_record_event", REAL_RECORD_EVENT)
    monkeypatch.setattr(writer.AccessLog, "append", refuse)
    code, _, err = cli("add", "alice", "--role", "auditor", "--password-stdin", stdin=PASSWORD)
    assert code == 1
    assert "access log could not record this change" in err and "nothing was changed" in err
    assert cli("list")[1].startswith("No accounts yet")


def test_cli_without_a_terminal_or_password_stdin_is_refused_without_waiting(cli, events, monkeypatch):
    def no_prompt(prompt: str) -> str:
        raise AssertionError("prompted for a password without a terminal")

    monkeypatch.setattr(users_cli.getpass, "getpass", no_prompt)
    for argv in (("add", "alice", "--role", "auditor"), ("reset-password", "alice")):
        code, out, err = cli(*argv)  # the fixture's standard input is not a terminal
        assert (code, out) == (2, "")
        assert err.count("\n") == 1 and "--password-stdin" in err and err.rstrip().endswith(".")
    assert events == []


def test_cli_reset_mfa_removes_the_second_factor_and_list_shows_it(cli, events, tmp_path):
    from audit.keys import DataKeyring
    from audit.mfa import SecondFactors, totp
    from audit.vault import PhiVault

    cli("add", "alice", "--role", "auditor", "--password-stdin", stdin=PASSWORD)
    store = UserStore(tmp_path / "data" / "users.sqlite", hasher=FAST, lockout=LockoutPolicy(), require_second_factor=False)
    factors = SecondFactors(store, lambda: PhiVault(DataKeyring.first()))
    enrolment = factors.begin("alice")
    factors.confirm(enrolment, totp(enrolment.secret).now())
    header, row = cli("list")[1].splitlines()
    assert header.split()[5:7] == ["SECOND", "FACTOR"] and row.split()[4] == "yes"
    code, out, err = cli("reset-mfa", "Alice")
    assert (code, err) == (0, "") and out.startswith("Removed the second factor of alice;")
    assert (events[-1].action, events[-1].resource, events[-1].details) == (
        "mfa_reset", "user:alice", {"recovery_codes_removed": 10})
    assert events[-1].user.startswith("cli:")
    assert cli("list")[1].splitlines()[1].split()[4] == "no"
    assert cli("reset-mfa", "alice") == (1, "", "error: alice has no second factor to reset; nothing was changed.\n")
    assert cli("reset-mfa", "ghost")[0] == 1 and len(events) == 2
