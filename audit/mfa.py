"""A second factor for local accounts: TOTP codes (RFC 6238) from an authenticator app, and recovery codes.

The proposed HIPAA security rule makes multi-factor authentication mandatory; single sign-on gets it from the
identity provider, local accounts get it here.

- **Codes** are what authenticator apps make by default: HMAC-SHA1, 6 digits, 30-second steps (pyotp). A code is
  accepted for the current step and `DRIFT_STEPS` (1) step either side, so a phone clock up to 30 seconds off, or a
  code typed as it changed, still works; and only once: the account keeps the last accepted step, and a code of that
  step or an earlier one is refused as a replay, even within its 30 seconds.
- **Enrolment**: a new secret (160 random bits, base32) is shown once, as a QR code and as text for typing in by
  hand, and takes effect only when a code made from it is typed back (`confirm`); until then it is in the caller's
  memory only. Stored, it is sealed by the PHI vault under the data keyring (AES-256-GCM bound to
  `users|<username>|totp_secret`, so a secret copied to another account fails to open), never in plaintext; the keys
  live in the key folder, never beside users.sqlite. `rotate-key` re-seals the secrets and `--retire-old` keeps the
  keys they use.
- **Recovery codes**: ten, made at enrolment and shown once, for a lost phone. Each is four groups of four
  characters (the first group is kept as the code's id, so a typed code is checked against one argon2 hash instead
  of ten, each of which takes up to a second by design; the other three, about 59 random bits, are known only
  through the hash). Hashed with the password hasher (argon2id), each is spent when used.
- **Lockout**: a refused code counts toward the same lockout as a wrong password (UserStore.count_failure), and no
  code is accepted during a lock. The failure count is reset only when the sign-in completes.
- **Admin reset** removes the secret and the codes (`mfa_reset`); the user sets up a new factor when they choose,
  or at their next sign-in when CODEAUDIT_REQUIRE_MFA requires one.

Events: `mfa_enrol`, `mfa_reset`, `mfa_recovery_code` (with the codes left), `mfa_failed` (with `reason`:
`bad_code`, `replayed` or `locked`, the `factor` typed, and the failure count as for passwords), and the `sign_in`
that completes a sign-in, with `details.second_factor`. Every event is recorded in the transaction that makes the
change, before it commits, as in audit/users.py.
"""
from __future__ import annotations

import hmac
import io
import re
import secrets
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pyotp
import segno

from audit.events import AccessEvent
from audit.keys import load_data_keyring, require
from audit.sql_files import sql
from audit.users import (
    PasswordAccepted,
    Record,
    SignInError,
    User,
    UserError,
    UserStore,
    account_from_row,
    normalize_username,
)
from audit.vault import PhiVault

DIGITS = 6
STEP_SECONDS = 30
DRIFT_STEPS = 1  # a code of the step before or after the current one is accepted too: clocks up to 30 s apart
SECRET_CHARS = 32  # base32: 160 bits, the HMAC-SHA1 key length RFC 4226 recommends
ISSUER = "Coding audit"
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # no 0/o, 1/l/i: read off paper without doubt
RECOVERY_GROUPS, RECOVERY_GROUP_CHARS = 4, 4
# How long the password step stays good for the code or the enrolment that must follow it.
SIGN_IN_WINDOW = timedelta(minutes=10)
TABLE, COLUMN = "users", "totp_secret"  # where a sealed secret is bound (audit/vault.py associated data)
_TOTP_CODE = re.compile(rf"[0-9]{{{DIGITS}}}")


class CodeRefused(SignInError):
    """A second-factor code that was not accepted; one message whatever the reason (the log keeps it)."""

    def __init__(self) -> None:
        Exception.__init__(self, "That code was not accepted: type the code your authenticator app shows now (each "
                                 "code works once), or one of your recovery codes. Repeated failures lock the account.")


class SignInExpired(UserError):
    """The password step is too old, or the account changed since: the user starts again with the password."""

    def __init__(self) -> None:
        super().__init__("This sign-in has expired or the account changed meanwhile; sign in again with your password.")


def totp(secret: str, digits: int = DIGITS) -> pyotp.TOTP:
    """The code generator as configured here: HMAC-SHA1 (pyotp's default), `digits` digits, 30-second steps."""
    return pyotp.TOTP(secret, digits=digits, interval=STEP_SECONDS)


def matching_step(secret: str, code: str, at: datetime) -> int | None:
    """The time step whose code `code` is, within DRIFT_STEPS of the step of `at`; None when it is none of them."""
    generator = totp(secret)
    current = generator.timecode(at)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(generator.generate_otp(step), code):
            return step
    return None


def new_recovery_codes() -> list[str]:
    """RECOVERY_CODES codes as shown to the user, `xxxx-xxxx-xxxx-xxxx`, with distinct first groups (their ids)."""
    codes: dict[str, str] = {}
    while len(codes) < RECOVERY_CODES:
        groups = ["".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_GROUP_CHARS))
                  for _ in range(RECOVERY_GROUPS)]
        codes.setdefault(groups[0], "-".join(groups))
    return list(codes.values())


def recovery_code_parts(typed: str) -> tuple[str, str] | None:
    """(id, the code as hashed) for text that reads as a recovery code, in any case, with or without dashes and
    spaces; None otherwise."""
    text = re.sub(r"[\s-]", "", typed).lower()
    if len(text) != RECOVERY_GROUPS * RECOVERY_GROUP_CHARS or any(c not in RECOVERY_ALPHABET for c in text):
        return None
    return text[:RECOVERY_GROUP_CHARS], text


@dataclass(frozen=True)
class Enrolment:
    """A second factor being set up: a new secret for one account, in memory only until confirmed."""

    username: str
    secret: str = field(repr=False)

    @property
    def uri(self) -> str:
        """The otpauth:// URI authenticator apps read from the QR code."""
        return totp(self.secret).provisioning_uri(name=self.username, issuer_name=ISSUER)

    def qr_png(self) -> bytes:
        """The URI as a QR code image (PNG), for the enrolment page to show once."""
        out = io.BytesIO()
        segno.make(self.uri, error="m").save(out, kind="png", scale=6, border=4)
        return out.getvalue()

    @property
    def grouped_secret(self) -> str:
        """The secret in groups of four, for typing into an app by hand."""
        return " ".join(self.secret[i:i + 4] for i in range(0, len(self.secret), 4))


def keyring_vault(key_dir: Path) -> Callable[[], PhiVault]:
    """The vault over the data keyring, opened only when a secret is sealed or opened."""
    return lambda: PhiVault(require(load_data_keyring(key_dir), "data keyring", key_dir))


def _emit(record: Record | None, events: list[AccessEvent]) -> None:
    for event in events:
        if record is not None:
            record(event)


class SecondFactors:
    """Second factors of the accounts in one UserStore. `vault` gives the PHI vault when a secret is sealed or
    opened (keyring_vault)."""

    def __init__(self, users: UserStore, vault: Callable[[], PhiVault]) -> None:
        self.users = users
        self.vault = vault

    def begin(self, username: str) -> Enrolment:
        """A new secret for an account that has no second factor yet; nothing is stored until `confirm`."""
        account = self.users.existing(normalize_username(username))
        if account.second_factor:
            raise UserError(f"{account.username} already has a second factor; an administrator can reset it "
                            "(`manage.py users reset-mfa`) if the phone is lost.")
        return Enrolment(account.username, pyotp.random_base32(SECRET_CHARS))

    def confirm(self, enrolment: Enrolment, code: str, *, record: Record | None = None,
                pending: PasswordAccepted | None = None) -> tuple[User, list[str]]:
        """Store the second factor once `code` is a current code of the new secret, and return the account with its
        recovery codes (shown once; only their hashes are kept). With `pending` (the password step of a sign-in
        that requires a second factor) the sign-in completes too. A wrong code sets nothing up and is not counted
        toward the lockout: the secret is new, so it proves nothing about the account."""
        now, name, typed = self.users.now(), enrolment.username, "".join(code.split())
        step = matching_step(enrolment.secret, typed, now) if _TOTP_CODE.fullmatch(typed) else None
        if step is None:
            raise UserError("That is not the code the new secret gives now; nothing was set up. Type the 6-digit code "
                            "your authenticator app shows for this account (check that the phone's clock is right).")
        codes = new_recovery_codes()
        hashes = [(parts[0], self.users.hasher.hash(parts[1]))
                  for parts in (recovery_code_parts(c) for c in codes) if parts is not None]
        sealed = self.vault().seal(TABLE, [name], [COLUMN], [enrolment.secret])
        key_id, nonce, ciphertext = (sealed.column(c)[0].as_py() for c in ("key_id", "nonce", "ciphertext"))
        with self.users.transaction() as conn:
            row = conn.execute(sql("users/sign_in_account"), (name,)).fetchone()
            account = None if row is None else account_from_row(row)
            if pending is not None:
                self._check_pending(pending, account, now, enrolled=False)
            if account is None or account.disabled:
                raise UserError(f"There is no enabled account named {name!r}; nothing was set up.")
            if account.second_factor:
                raise UserError(f"{name} already has a second factor; nothing was changed.")
            conn.execute(sql("users/second_factor_add"), (name, key_id, nonce, ciphertext, now.isoformat(), step))
            conn.executemany(sql("users/recovery_code_add"), [(name, code_id, hashed) for code_id, hashed in hashes])
            events = [AccessEvent(user=name, role=account.role, action="mfa_enrol", resource=f"user:{name}",
                                  details={"recovery_codes": len(hashes)})]
            if pending is not None:
                conn.execute(sql("users/unlock"), (name,))
                events.append(AccessEvent(user=name, role=account.role, action="sign_in",
                                          details={"second_factor": "totp"}))
            _emit(record, events)
        return self.users.existing(name), codes

    def verify(self, pending: PasswordAccepted, code: str, *, record: Record | None = None) -> User:
        """Complete a sign-in whose password step is `pending` with a TOTP code or a recovery code: the account,
        or CodeRefused (counted toward the lockout), SignInError for a disabled account, SignInExpired when the
        password step is older than SIGN_IN_WINDOW or the account changed since (start again)."""
        now, name = self.users.now(), pending.username
        typed = "".join(code.split())
        recovery = None if _TOTP_CODE.fullmatch(typed) else recovery_code_parts(typed)
        recovery_ok = False
        if recovery is not None:  # the slow hash is checked before the write transaction, as passwords are
            with self.users.connect() as conn:
                stored = conn.execute(sql("users/recovery_code"), (name, recovery[0])).fetchone()
            recovery_ok = self.users.verify_hash(stored["code_hash"] if stored else self.users.decoy_hash, recovery[1])
        with self.users.transaction() as conn:
            row = conn.execute(sql("users/sign_in_account"), (name,)).fetchone()
            account = self._check_pending(pending, None if row is None else account_from_row(row), now, enrolled=True)
            events = self._attempt(conn, account, typed, recovery, recovery_ok, now)
            _emit(record, events)
        if events[-1].action == "sign_in":
            return self.users.existing(name)
        if events[-1].action == "sign_in_failed":
            raise SignInError()
        raise CodeRefused()

    def _check_pending(self, pending: PasswordAccepted, account: User | None, now: datetime, *, enrolled: bool) -> User:
        """The account, if the password step still stands: recent, the same account, its password and second factor
        unchanged; else SignInExpired."""
        if (account is None or now - pending.at > SIGN_IN_WINDOW or pending.enrolled is not enrolled
                or account.second_factor is not enrolled or account.password_changed_at > pending.at):
            raise SignInExpired()
        return account

    def _attempt(self, conn: sqlite3.Connection, account: User, typed: str, recovery: tuple[str, str] | None, recovery_ok: bool,
                 now: datetime) -> list[AccessEvent]:
        """The events of one code given at sign-in, with the account's counts and the spent code or step updated."""
        name, role = account.username, account.role
        if account.disabled:
            return [AccessEvent(user=name, role=role, action="sign_in_failed", outcome="denied",
                                details={"reason": "disabled"})]
        factor = "recovery_code" if recovery is not None else "totp"
        reason = "locked" if account.locked(now) else "bad_code"
        events: list[AccessEvent] = []
        if reason == "bad_code" and recovery is None and _TOTP_CODE.fullmatch(typed):
            stored = conn.execute(sql("users/second_factor"), (name,)).fetchone()
            secret = self.vault().open(TABLE, name, COLUMN, stored["key_id"], bytes(stored["nonce"]), bytes(stored["ciphertext"]))
            step = matching_step(secret, typed, now)
            if step is not None:
                accepted = conn.execute(sql("users/second_factor_step"), (step, name, step)).rowcount
                reason = "" if accepted else "replayed"
        elif reason == "bad_code" and recovery is not None and recovery_ok:
            if conn.execute(sql("users/recovery_code_use"), (now.isoformat(), name, recovery[0])).rowcount:
                left = conn.execute(sql("users/recovery_codes_left"), (name,)).fetchone()["left"]
                events.append(AccessEvent(user=name, role=role, action="mfa_recovery_code", resource=f"user:{name}",
                                          details={"recovery_codes_left": left}))
                reason = ""
        if not reason:
            conn.execute(sql("users/unlock"), (name,))
            return [*events, AccessEvent(user=name, role=role, action="sign_in", details={"second_factor": factor})]
        outcome, details = self.users.count_failure(conn, account, now)
        return [AccessEvent(user=name, role=role, action="mfa_failed", outcome=outcome, resource=f"user:{name}",
                            details={"reason": reason, "factor": factor, **details})]

    def reset(self, username: str, *, actor: str, actor_role: str = "", record: Record | None = None) -> User:
        """Remove an account's second factor and recovery codes (a lost phone), recorded as `mfa_reset` by `actor`."""
        name = normalize_username(username)
        self.users.existing(name)
        with self.users.transaction() as conn:
            if not conn.execute(sql("users/second_factor_delete"), (name,)).rowcount:
                raise UserError(f"{name} has no second factor to reset; nothing was changed.")
            removed = conn.execute(sql("users/recovery_codes_delete"), (name,)).rowcount
            _emit(record, [self.users.change_event("mfa_reset", name, actor, actor_role, recovery_codes_removed=removed)])
        return self.users.existing(name)

    def recovery_codes_left(self, username: str) -> int:
        with self.users.connect() as conn:
            return conn.execute(sql("users/recovery_codes_left"), (username,)).fetchone()["left"]

    def keys_in_use(self) -> set[str]:
        """The data keys sealed secrets use: `rotate-key --retire-old` keeps them."""
        with self.users.connect() as conn:
            return {row["key_id"] for row in conn.execute(sql("users/second_factor_keys"))}

    def reseal(self, vault: PhiVault, primary: str, *, actor: str, actor_role: str, record: Record) -> int:
        """Re-seal every secret not under the primary key (after `rotate-key`) in one transaction, recorded as a
        `key_rotate` event on `users_store`; every secret is opened first, so one that cannot be authenticated
        stops it before any is written. Returns how many."""
        with self.users.transaction() as conn:
            rows = conn.execute(sql("users/second_factors_to_rotate"), (primary,)).fetchall()
            opened = [(r["username"], vault.open(TABLE, r["username"], COLUMN, r["key_id"], bytes(r["nonce"]),
                                                 bytes(r["ciphertext"]))) for r in rows]
            for name, secret in opened:
                sealed = vault.seal(TABLE, [name], [COLUMN], [secret])
                conn.execute(sql("users/second_factor_reseal"),
                             (*(sealed.column(c)[0].as_py() for c in ("key_id", "nonce", "ciphertext")), name))
            if opened:
                record(AccessEvent(user=actor, role=actor_role, action="key_rotate", resource="users_store",
                                   details={"primary": primary, "resealed": len(opened)}))
        return len(opened)
