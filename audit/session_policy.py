"""Session rules that do not depend on Streamlit: automatic logoff, sign-in lockout, SSO role mapping.

Kept apart from the UI so the rules are tested directly and the dashboard only wires them in.
There is no "remember me": a session lives in one browser tab and ends when it is idle too long, or at the
latest a fixed time after sign-in however active it is.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from audit.permissions import PermissionDenied, Role, parse_role
from config import settings
from config.settings import ConfigurationError


def idle_timeout_from_env() -> timedelta:
    """The idle limit (CODEAUDIT_IDLE_MINUTES, config/settings.py)."""
    return timedelta(minutes=settings.load().idle_minutes)


def session_limit_from_env() -> timedelta:
    """The absolute session limit (CODEAUDIT_SESSION_HOURS, config/settings.py)."""
    return timedelta(hours=settings.load().session_hours)


def _plural(count: int, unit: str) -> str:
    return f"1 {unit}" if count == 1 else f"{count} {unit}s"


class SessionExpired(Exception):
    """The session has ended; the user must sign in again. `reason` is what the access log records:
    `idle` or `session_limit`."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass
class SessionGuard:
    """Automatic logoff (45 CFR 164.312(a)(2)(iii)). A session is over once it has been idle for `idle_timeout`
    or longer, or once `session_limit` has passed since it `started` (sign-in), however active it was (OWASP
    ASVS 3.3); it cannot be revived by activity after that. `started` defaults to `last_activity`."""

    last_activity: datetime
    idle_timeout: timedelta = field(default_factory=idle_timeout_from_env)
    session_limit: timedelta = field(default_factory=session_limit_from_env)
    started: datetime | None = None

    def __post_init__(self) -> None:
        if self.started is None:
            self.started = self.last_activity

    def ended_by(self, now: datetime) -> str | None:
        """`idle` or `session_limit`, whichever limit was reached first, or None while the session is open."""
        assert self.started is not None
        idle_end, absolute_end = self.last_activity + self.idle_timeout, self.started + self.session_limit
        reached = sorted((end, reason) for end, reason in ((idle_end, "idle"), (absolute_end, "session_limit")) if now >= end)
        return reached[0][1] if reached else None

    def expired(self, now: datetime) -> bool:
        return self.ended_by(now) is not None

    def ends_at(self) -> datetime:
        """When the session ends unless there is activity first: the idle limit or the session limit, whichever
        comes first."""
        assert self.started is not None
        return min(self.last_activity + self.idle_timeout, self.started + self.session_limit)

    def touch(self, now: datetime) -> None:
        """Record activity; raises SessionExpired instead of extending a session that has already ended."""
        reason = self.ended_by(now)
        if reason == "idle":
            said = _plural(int(self.idle_timeout.total_seconds() // 60), "minute")
            raise SessionExpired(f"You were signed out after {said} without activity; sign in again.", reason)
        if reason == "session_limit":
            said = _plural(int(self.session_limit.total_seconds() // 3600), "hour")
            raise SessionExpired(f"You were signed out because a session ends {said} after sign-in, however active; "
                                 "sign in again.", reason)
        self.last_activity = now


@dataclass(frozen=True)
class LockoutPolicy:
    """After `max_failures` consecutive failed sign-ins an account is locked for `duration`."""

    max_failures: int = 5
    duration: timedelta = timedelta(minutes=15)

    @classmethod
    def from_env(cls) -> LockoutPolicy:
        """CODEAUDIT_LOCKOUT_ATTEMPTS and CODEAUDIT_LOCKOUT_MINUTES (config/settings.py)."""
        configured = settings.load()
        return cls(max_failures=configured.lockout_attempts, duration=timedelta(minutes=configured.lockout_minutes))


def map_sso_claims(claims: Mapping[str, object], mapping: Mapping[str, str], claim_name: str = "groups") -> Role | None:
    """The role for an SSO user, from the identity provider's group (or role) claim.

    `mapping` takes a group name to a role name. A user with no mapped group gets None: no access.
    Several groups mapping to the same role are fine; groups mapping to different roles are refused
    (PermissionDenied) rather than resolved, because the roles are not ranked: picking one could give
    a coding manager an auditor's access to PHI.
    """
    unknown = sorted(role for role in set(mapping.values()) if parse_role(role) is None)
    if unknown:
        raise ConfigurationError(
            f"The SSO role mapping names unknown roles ({', '.join(unknown)}); use only: {', '.join(Role)}."
        )
    value = claims.get(claim_name)
    groups = [value] if isinstance(value, str) else value if isinstance(value, (list, tuple)) else []
    roles = sorted({Role(mapping[g]) for g in groups if isinstance(g, str) and g in mapping})
    if len(roles) > 1:
        raise PermissionDenied(
            f"Your sign-in groups give you several roles ({', '.join(role.label for role in roles)}); the dashboard allows one. "
            "Ask your identity administrator to keep you in a single dashboard group."
        )
    return roles[0] if roles else None
