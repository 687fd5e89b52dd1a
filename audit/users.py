"""Local sign-in accounts: argon2id password hashes, lockout after repeated failures, enable/disable.

Accounts live in SQLite (paths.users_db), not in the DuckDB store: DuckDB lets only one process
open a file read-write, and `python manage.py users add` must work while the dashboard is running.
SQLite in WAL mode with a busy timeout lets both write safely.

An account may also have a second factor (audit/mfa.py): then, or when CODEAUDIT_REQUIRE_MFA requires one, the
right password is not a sign-in: `authenticate` raises SecondFactorNeeded, and the sign-in completes (and the
failure count resets) only when audit/mfa.py accepts a code. Failed codes count toward the same lockout.

Every change, successful sign-in, failure and lockout is passed to the optional `record` callback
(wired by the caller to the access log) inside the same transaction, before it commits: if the
event cannot be recorded, the change is rolled back and the error propagates. Passwords never
appear in events, exceptions or return values; password hashes never leave this module.
"""
from __future__ import annotations

import os
import re
import secrets
import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from audit import sqlite_store
from audit.events import AccessEvent
from audit.permissions import Role, parse_role
from audit.session_policy import LockoutPolicy
from audit.sql_files import sql
from config import settings

Record = Callable[[AccessEvent], object]

MIN_PASSWORD_CHARS = 12
USERNAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._@-]{2,63}")
BUSY_TIMEOUT_SECONDS = sqlite_store.BUSY_TIMEOUT_SECONDS

class UserError(ValueError):
    """An account change that cannot be made; the message says what to do instead."""


class SignInError(Exception):
    """A refused sign-in. The message is the same whatever the reason, so it never tells a stranger
    whether an account exists, is locked or is disabled; the access log records the real reason."""

    def __init__(self) -> None:
        super().__init__(
            "Sign-in failed: the username or password is wrong, or the account is locked or disabled. "
            "Try again in a few minutes or ask an administrator."
        )


@dataclass(frozen=True)
class PasswordAccepted:
    """The right password of an account that must also give a second factor: not a sign-in yet. `enrolled` is
    False when the account has none while one is required, so its next step is enrolment (audit/mfa.py)."""

    username: str
    enrolled: bool
    at: datetime


class SecondFactorNeeded(Exception):
    """The password was right, but this account signs in only with a second factor as well: nothing was recorded
    and the failure count stands until audit/mfa.py accepts a code. Raised rather than returned, so a caller that
    knows nothing of second factors fails closed."""

    def __init__(self, pending: PasswordAccepted) -> None:
        super().__init__("The password is right; the second factor is still to come.")
        self.pending = pending


@dataclass(frozen=True)
class User:
    """An account as callers see it: never the password hash."""

    username: str
    role: str  # a Role value; permissions grant nothing to a role they do not know
    disabled: bool
    failed_attempts: int
    locked_until: datetime | None
    created_at: datetime
    password_changed_at: datetime
    coder_id: str | None = None  # a coder account's coder id: it sees the findings on that coder's claims only
    second_factor: bool = False  # a confirmed TOTP second factor (audit/mfa.py)

    def locked(self, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until


def default_hasher() -> PasswordHasher:
    """argon2id with the RFC 9106 low-memory profile, pinned so a library upgrade cannot weaken it;
    hashes made under older parameters are upgraded at the next sign-in."""
    return PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY)


def normalize_username(username: str) -> str:
    """Lower-cased, trimmed username; raises UserError when it is not a valid one."""
    name = username.strip().lower()
    if not USERNAME_PATTERN.fullmatch(name):
        raise UserError(
            f"Username {username!r} is not valid: use 3 to 64 characters from a-z, 0-9 and . _ @ -, "
            "starting with a letter or digit."
        )
    return name


def check_password_policy(username: str, password: str) -> None:
    """NIST SP 800-63B style: length over composition rules. Messages never echo the password."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise UserError(
            f"The password is too short: use at least {MIN_PASSWORD_CHARS} characters "
            "(a phrase of several words is easy to remember)."
        )
    if username in password.lower():
        raise UserError("The password contains the username; choose one that does not.")


def check_coder_id(role: Role, coder_id: str | None) -> str | None:
    """The coder id a new account keeps: required for a coder (1 to 64 printable characters), refused for others."""
    text = (coder_id or "").strip()
    if role is not Role.CODER:
        if text:
            raise UserError("Only a coder account has a coder id; leave it blank for this role.")
        return None
    if not 0 < len(text) <= 64 or not text.isprintable():
        raise UserError("A coder account needs its coder id, as the claims name the coder (such as C007), "
                        "of at most 64 printable characters.")
    return text


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def account_from_row(row: sqlite3.Row) -> User:
    return User(
        username=row["username"],
        role=row["role"],
        disabled=bool(row["disabled"]),
        failed_attempts=row["failed_attempts"],
        locked_until=row["locked_until"] and datetime.fromisoformat(row["locked_until"]),
        created_at=datetime.fromisoformat(row["created_at"]),
        password_changed_at=datetime.fromisoformat(row["password_changed_at"]),
        coder_id=row["coder_id"],
        second_factor=bool(row["second_factor"]),
    )


def _emit(record: Record | None, event: AccessEvent) -> None:
    if record is not None:
        record(event)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class UserStore:
    """Accounts in one SQLite file. `now` must return timezone-aware datetimes; tests pass a fake clock."""

    def __init__(
        self,
        path: Path,
        *,
        hasher: PasswordHasher | None = None,
        lockout: LockoutPolicy | None = None,
        now: Callable[[], datetime] = _utc_now,
        require_second_factor: bool | None = None,
    ) -> None:
        self.path = path
        self.hasher = hasher or default_hasher()
        self.lockout = lockout or LockoutPolicy.from_env()
        self._require_second_factor = require_second_factor
        self.now = now
        if not path.exists():  # the file holds password hashes: readable by its owner only
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        with self.connect() as conn:
            conn.executescript(sql("users/schema"))
            if "coder_id" not in {row["name"] for row in conn.execute(sql("users/columns"))}:
                conn.execute(sql("users/add_coder_id"))

    @property
    def require_second_factor(self) -> bool:
        """Must every account give a second factor? As constructed, else CODEAUDIT_REQUIRE_MFA as it is now."""
        if self._require_second_factor is None:
            return settings.load().require_mfa
        return self._require_second_factor

    def connect(self) -> AbstractContextManager[sqlite3.Connection]:
        """A short-lived connection per operation: safe across the dashboard's threads and processes."""
        return sqlite_store.connect(self.path, BUSY_TIMEOUT_SECONDS)

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        return sqlite_store.transaction(self.path, BUSY_TIMEOUT_SECONDS)

    @cached_property
    def decoy_hash(self) -> str:
        """Verified against when the username is unknown, so a miss takes as long as a wrong password."""
        return self.hasher.hash(secrets.token_urlsafe(16))

    def _hash_new_password(self, username: str, password: str) -> str:
        check_password_policy(username, password)
        return self.hasher.hash(password)

    def get_user(self, username: str) -> User | None:
        """The account, or None; the dashboard re-checks it on each run so a disabled user is signed out."""
        with self.connect() as conn:
            row = conn.execute(sql("users/account"), (username,)).fetchone()
        return None if row is None else account_from_row(row)

    def list_users(self) -> list[User]:
        with self.connect() as conn:
            rows = conn.execute(sql("users/accounts")).fetchall()
        return [account_from_row(row) for row in rows]

    def add_user(
        self,
        username: str,
        role: Role | str,
        password: str,
        *,
        actor: str,
        actor_role: str = "",
        record: Record | None = None,
        coder_id: str | None = None,
    ) -> User:
        """Create an account. `actor` is who does it (a dashboard user, or "cli:<os user>"). A coder account
        needs its `coder_id` (the claims.coder_id whose findings it sees); no other account has one."""
        name = normalize_username(username)
        if parse_role(role) is None:
            raise UserError(f"Role {str(role)!r} does not exist; choose one of: {', '.join(Role)}.")
        coder = check_coder_id(Role(role), coder_id)
        password_hash = self._hash_new_password(name, password)
        now = _iso(self.now())
        with self.transaction() as conn:
            try:
                conn.execute(sql("users/add"), (name, Role(role).value, password_hash, now, now, coder))
            except sqlite3.IntegrityError:
                raise UserError(
                    f"A user named {name!r} already exists; use reset-password or enable instead."
                ) from None
            _emit(record, self.change_event("user_add", name, actor, actor_role, role=Role(role).value,
                                             **({"coder_id": coder} if coder else {})))
        return self.existing(name)

    def disable_user(self, username: str, *, actor: str, actor_role: str = "", record: Record | None = None) -> User:
        """Refuse all further sign-ins; the account and its history stay for the audit trail."""
        return self._update(username, "disable", "user_disable", actor, actor_role, record, disabled=True)

    def enable_user(self, username: str, *, actor: str, actor_role: str = "", record: Record | None = None) -> User:
        # events.ACTIONS has no "user_enable": recorded as user_disable with disabled=False.
        return self._update(username, "enable", "user_disable", actor, actor_role, record, disabled=False)

    def unlock(self, username: str, *, actor: str, actor_role: str = "", record: Record | None = None) -> User:
        """End a lockout early and forget earlier failures."""
        return self._update(username, "unlock", "user_unlock", actor, actor_role, record)

    def reset_password(
        self, username: str, password: str, *, actor: str, actor_role: str = "", record: Record | None = None
    ) -> User:
        """Set a new password. It also ends any lockout: the user starts afresh with the new password."""
        name = normalize_username(username)
        self.existing(name)
        password_hash = self._hash_new_password(name, password)
        return self._update(
            name,
            "reset_password",
            "user_reset_password",
            actor,
            actor_role,
            record,
            params=(password_hash, _iso(self.now())),
        )

    def existing(self, username: str) -> User:
        user = self.get_user(username)
        if user is None:
            raise UserError(f"There is no user named {username!r}; run `manage.py users list` to see the accounts.")
        return user

    def _update(
        self,
        username: str,
        statement: str,
        action: str,
        actor: str,
        actor_role: str,
        record: Record | None,
        *,
        params: tuple[str, ...] = (),
        **details: object,
    ) -> User:
        """Run one of the account-change statements (audit/sql/users/<statement>.sql, each binding the
        username last) and record it if an account changed."""
        name = normalize_username(username)
        with self.transaction() as conn:
            changed = conn.execute(sql(f"users/{statement}"), (*params, name)).rowcount
            if changed:
                _emit(record, self.change_event(action, name, actor, actor_role, **details))
        return self.existing(name)

    @staticmethod
    def change_event(action: str, username: str, actor: str, actor_role: str, **details: object) -> AccessEvent:
        return AccessEvent(user=actor, role=actor_role, action=action, resource=f"user:{username}", details=details)

    def authenticate(self, username: str, password: str, *, record: Record | None = None) -> User:
        """The signed-in user, or SignInError with one generic message for every kind of refusal; for an account
        that must also give a second factor, SecondFactorNeeded once the password is right (nothing recorded).

        Refused attempts on an enabled account count as failures, including attempts while it is
        locked (even with the right password). Reaching `lockout.max_failures` locks it for
        `lockout.duration`; attempts during a lock do not extend it, so after it ends each further
        failure re-locks at once until a success or an unlock resets the count. Attempts on a
        disabled account are refused and recorded but not counted.
        """
        now = self.now()
        try:
            name = normalize_username(username)
        except UserError:
            name = ""
        # The slow hash is checked before the write transaction, so a burst of attempts (even for
        # unknown names) never queues everyone's sign-in behind the lock; the count is then updated
        # in a short transaction, re-checking the hash only if a reset changed it meanwhile.
        with self.connect() as conn:
            seen = conn.execute(sql("users/password_hash"), (name,)).fetchone()
        checked_hash = seen["password_hash"] if seen else self.decoy_hash
        password_ok = self.verify_hash(checked_hash, password)
        with self.transaction() as conn:
            row = conn.execute(sql("users/sign_in_account"), (name,)).fetchone()
            if row is not None and row["password_hash"] != checked_hash:
                password_ok = self.verify_hash(row["password_hash"], password)
            if row is None:
                event = _sign_in_refused(name or "(invalid username)", "", "unknown_user", outcome="failure")
            elif row["disabled"]:
                event = _sign_in_refused(name, row["role"], "disabled")
            else:
                event = self._count_attempt(conn, account_from_row(row), password_ok, now)
            if (event is None or event.action == "sign_in") and self.hasher.check_needs_rehash(row["password_hash"]):
                conn.execute(sql("users/rehash"), (self.hasher.hash(password), name))
            if event is not None:
                _emit(record, event)
        if event is None:
            raise SecondFactorNeeded(PasswordAccepted(name, bool(row["second_factor"]), now))
        if event.action != "sign_in":
            raise SignInError()
        return self.existing(name)

    def verify_hash(self, password_hash: str, password: str) -> bool:
        """Whether `password` (or a recovery code) matches its argon2 hash; never raises for a wrong one."""
        try:
            return self.hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def _count_attempt(self, conn: sqlite3.Connection, user: User, password_ok: bool, now: datetime) -> AccessEvent | None:
        """Reset the failure count on success; otherwise count the failure and lock when it is due. None: the
        password is right but a second factor must follow, so the count stands until it does."""
        if password_ok and not user.locked(now):
            if user.second_factor or self.require_second_factor:
                return None
            conn.execute(sql("users/unlock"), (user.username,))
            return AccessEvent(user=user.username, role=user.role, action="sign_in")
        outcome, details = self.count_failure(conn, user, now)
        reason = "locked" if outcome == "denied" else "bad_password"
        return _sign_in_refused(user.username, user.role, reason, outcome=outcome, **details)

    def count_failure(self, conn: sqlite3.Connection, user: User, now: datetime) -> tuple[str, dict[str, object]]:
        """Count one failed attempt, a password or a second-factor code alike (one lockout for both), in the
        caller's transaction: ("denied", details) during a lock, which it does not extend; else ("failure",
        details), with `locked_until` when this failure locks the account."""
        failures = user.failed_attempts + 1
        if user.locked(now):
            conn.execute(sql("users/count_failure"), (failures, user.username))
            return "denied", {"failed_attempts": failures}
        details: dict[str, object] = {"failed_attempts": failures}
        if failures >= self.lockout.max_failures:
            details["locked_until"] = _iso(now + self.lockout.duration)
        conn.execute(sql("users/count_failure_and_lock"), (failures, details.get("locked_until"), user.username))
        return "failure", details


def _sign_in_refused(username: str, role: str, reason: str, outcome: str = "denied", **details: object) -> AccessEvent:
    """A refused sign-in. A lockout is the bad_password refusal whose details carry locked_until
    (events.ACTIONS has no separate lockout action)."""
    return AccessEvent(
        user=username, role=role, action="sign_in_failed", outcome=outcome, details={"reason": reason, **details}
    )
