from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from audit.permissions import PermissionDenied, Role
from audit.session_policy import LockoutPolicy, SessionExpired, SessionGuard, map_sso_claims
from config.settings import ConfigurationError

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
TICK = timedelta(microseconds=1)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ("CODEAUDIT_IDLE_MINUTES", "CODEAUDIT_SESSION_HOURS", "CODEAUDIT_LOCKOUT_ATTEMPTS", "CODEAUDIT_LOCKOUT_MINUTES"):
        monkeypatch.delenv(name, raising=False)


def test_session_expires_exactly_at_the_idle_limit():
    guard = SessionGuard(last_activity=T0)
    assert guard.idle_timeout == timedelta(minutes=15)
    assert not guard.expired(T0 + timedelta(minutes=15) - TICK)
    assert guard.expired(T0 + timedelta(minutes=15))


def test_activity_moves_the_limit():
    guard = SessionGuard(last_activity=T0)
    guard.touch(T0 + timedelta(minutes=10))
    assert not guard.expired(T0 + timedelta(minutes=25) - TICK)
    assert guard.expired(T0 + timedelta(minutes=25))


def test_activity_cannot_revive_an_expired_session():
    guard = SessionGuard(last_activity=T0, idle_timeout=timedelta(minutes=5))
    with pytest.raises(SessionExpired, match="after 5 minutes without activity; sign in again"):
        guard.touch(T0 + timedelta(minutes=5))
    assert guard.last_activity == T0
    assert guard.expired(T0 + timedelta(minutes=5))


def test_the_one_minute_limit_is_said_in_the_singular():
    guard = SessionGuard(last_activity=T0, idle_timeout=timedelta(minutes=1))
    with pytest.raises(SessionExpired, match=r"^You were signed out after 1 minute without activity; sign in again\.$"):
        guard.touch(T0 + timedelta(minutes=1))


def test_idle_limit_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("CODEAUDIT_IDLE_MINUTES", " 5 ")
    assert SessionGuard(last_activity=T0).idle_timeout == timedelta(minutes=5)


@pytest.mark.parametrize("value", ["0", "61", "-3", "ten", "2.5"])
def test_bad_idle_setting_is_refused_with_the_allowed_range(monkeypatch, value):
    monkeypatch.setenv("CODEAUDIT_IDLE_MINUTES", value)
    with pytest.raises(ConfigurationError, match="CODEAUDIT_IDLE_MINUTES.*whole number from 1 to 60"):
        SessionGuard(last_activity=T0)


def test_an_active_session_ends_exactly_twelve_hours_after_sign_in():
    """Activity every 10 minutes keeps the idle limit away, but not the absolute one."""
    guard = SessionGuard(last_activity=T0)
    assert (guard.started, guard.session_limit) == (T0, timedelta(hours=12))
    for minutes in range(10, 12 * 60, 10):
        guard.touch(T0 + timedelta(minutes=minutes))
    assert guard.ended_by(T0 + timedelta(hours=12) - TICK) is None
    assert guard.ended_by(T0 + timedelta(hours=12)) == "session_limit"
    with pytest.raises(SessionExpired, match=r"^You were signed out because a session ends 12 hours after sign-in, however "
                                             r"active; sign in again\.$") as ended:
        guard.touch(T0 + timedelta(hours=12))
    assert ended.value.reason == "session_limit"
    assert guard.last_activity == T0 + timedelta(hours=11, minutes=50)


def test_the_limit_reached_first_is_the_reason():
    """Idle from 11:40 after sign-in (limit 15 minutes): at 12:10 both limits have passed, the idle one first (11:55);
    idle from 11:55, at 12:05 only the absolute one has (12:00)."""
    guard = SessionGuard(last_activity=T0 + timedelta(hours=11, minutes=40), started=T0)
    assert guard.ended_by(T0 + timedelta(hours=12, minutes=10)) == "idle"
    guard = SessionGuard(last_activity=T0 + timedelta(hours=11, minutes=55), started=T0)
    assert guard.ended_by(T0 + timedelta(hours=12, minutes=5)) == "session_limit"


def test_a_session_ends_at_its_idle_limit_or_its_session_limit_whichever_comes_first():
    """When the sidebar's idle timer is set for (views/shell.py): the moment the guard first says it has ended."""
    guard = SessionGuard(last_activity=T0 + timedelta(hours=1), started=T0)
    assert guard.ends_at() == T0 + timedelta(hours=1, minutes=15)
    assert not guard.expired(guard.ends_at() - TICK) and guard.expired(guard.ends_at())
    guard = SessionGuard(last_activity=T0 + timedelta(hours=11, minutes=50), started=T0)
    assert guard.ends_at() == T0 + timedelta(hours=12)
    assert guard.ended_by(guard.ends_at()) == "session_limit"


def test_the_session_limit_comes_from_the_environment_in_hours(monkeypatch):
    monkeypatch.setenv("CODEAUDIT_SESSION_HOURS", "1")
    guard = SessionGuard(last_activity=T0, idle_timeout=timedelta(minutes=60))
    guard.touch(T0 + timedelta(minutes=59))
    with pytest.raises(SessionExpired, match="a session ends 1 hour after sign-in"):
        guard.touch(T0 + timedelta(minutes=60))
    monkeypatch.setenv("CODEAUDIT_SESSION_HOURS", "0")
    with pytest.raises(ConfigurationError, match="CODEAUDIT_SESSION_HOURS.*whole number from 1 to 24"):
        SessionGuard(last_activity=T0)


def test_lockout_policy_defaults_and_environment(monkeypatch):
    assert LockoutPolicy.from_env() == LockoutPolicy(max_failures=5, duration=timedelta(minutes=15))
    monkeypatch.setenv("CODEAUDIT_LOCKOUT_ATTEMPTS", "3")
    monkeypatch.setenv("CODEAUDIT_LOCKOUT_MINUTES", "30")
    assert LockoutPolicy.from_env() == LockoutPolicy(max_failures=3, duration=timedelta(minutes=30))
    monkeypatch.setenv("CODEAUDIT_LOCKOUT_ATTEMPTS", "11")
    with pytest.raises(ConfigurationError, match="CODEAUDIT_LOCKOUT_ATTEMPTS"):
        LockoutPolicy.from_env()


# --- SSO role mapping -------------------------------------------------------------------------

MAPPING = {"cdi-managers": "coding_manager", "coding-leads": "coding_manager", "audit-team": "auditor"}


@pytest.mark.parametrize(
    "claims, expected",
    [
        ({"groups": ["staff", "audit-team"]}, Role.AUDITOR),
        ({"groups": "audit-team"}, Role.AUDITOR),
        ({"groups": ["cdi-managers", "coding-leads"]}, Role.CODING_MANAGER),
        ({"groups": ["staff"]}, None),
        ({"groups": []}, None),
        ({"email": "x@example.org"}, None),
        ({"groups": 42}, None),
    ],
    ids=["mapped", "single-string", "two-groups-one-role", "unmapped", "empty", "no-claim", "not-a-list"],
)
def test_sso_groups_map_to_one_role_or_none(claims, expected):
    assert map_sso_claims(claims, MAPPING) == expected


def test_sso_groups_for_different_roles_are_refused():
    with pytest.raises(PermissionDenied, match=r"several roles \(Auditor, Coding manager\).*single dashboard group"):
        map_sso_claims({"groups": ["audit-team", "cdi-managers"]}, MAPPING)


def test_sso_claim_name_is_configurable():
    claims = {"roles": ["audit-team"], "groups": ["cdi-managers"]}
    assert map_sso_claims(claims, MAPPING, claim_name="roles") == Role.AUDITOR


def test_sso_mapping_to_an_unknown_role_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="unknown roles \\(superuser\\)"):
        map_sso_claims({"groups": ["staff"]}, {"staff": "superuser"})
