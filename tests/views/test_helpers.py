"""The dashboard's helpers: downloads recorded before their file is built, SSO settings and claims."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from audit import exports
from audit.key_checks import ensure_log_key
from audit.log.read import read_events
from audit.log.writer import AccessLog, AccessLogError
from audit.permissions import Role
from audit.session_policy import SessionGuard
from audit.users import UserStore
from config.settings import ConfigurationError
from views import session, sso
from views.session import SignedIn
from views.tables import export_producer

GROUPS = pd.DataFrame({
    "coder_id": ["C001", "C002", "C003"],
    "findings": [250, 7, 40],
    "errors": [12, 1, 0],
    "code_accuracy": [0.952, 0.857, 1.0],
    "net_impact": [-120.5, -30.0, 0.0],
    "coding_related": [True, False, True],
})
WHO = SignedIn(user="demo:coding_manager", role=Role.CODING_MANAGER, display="m", method="demo")


def test_export_is_recorded_before_the_file_is_built(paths):
    ensure_log_key(paths)
    with AccessLog(paths) as log:
        produce = export_producer(GROUPS, name="coder-scorecards", who=WHO, log=log, details={"filters": {}},
                                  purpose="external", session_check=lambda: None)
        assert read_events(paths) == []  # nothing happens until the click
        body = produce().decode()
    (event,) = read_events(paths)
    assert (event["action"], event["resource"], event["details"]["small_cells"]) == ("export", "csv:coder-scorecards", "suppressed")
    assert event["details"]["purpose"] == "external"
    assert "C002" in body and ",7," not in body


def test_an_internal_export_carries_what_the_manager_sees_on_screen(paths):
    """The coding manager's coder-by-category file was blanked whole (205 of 205 rows) though the same numbers are on
    screen: inside the organisation nothing is suppressed, and the event says the file was for internal use."""
    ensure_log_key(paths)
    with AccessLog(paths) as log:
        body = export_producer(GROUPS, name="coder-by-category", who=WHO, log=log, details={}, purpose="internal",
                               session_check=lambda: None)().decode()
    (event,) = read_events(paths)
    assert (event["details"]["purpose"], event["details"]["small_cells"]) == ("internal", "included")
    assert "C002,7,1," in body


def test_export_that_cannot_be_recorded_builds_nothing(monkeypatch):
    class BrokenLog:
        def append(self, event):
            raise AccessLogError("disk full")

    built = []
    monkeypatch.setattr(exports, "publishable_csv", lambda frame, **_: built.append(frame) or b"")
    produce = export_producer(GROUPS, name="x", who=WHO, log=BrokenLog(), details={}, purpose="internal",
                              session_check=lambda: None)
    with pytest.raises(AccessLogError):
        produce()
    assert built == []


def _ended_download(paths, who: SignedIn, guard: SessionGuard, users: UserStore) -> None:
    """The producer of a download clicked now, with the session check download_check() builds."""

    def check() -> None:
        if (why := session.ending(who, guard, paths, users, datetime.now(UTC))) is not None:
            raise session.DownloadRefused(why[2])

    with AccessLog(paths) as log:
        produce = export_producer(GROUPS, name="x", who=who, log=log, details={}, purpose="external",
                                  session_check=check)
        with pytest.raises(session.DownloadRefused):
            produce()


@pytest.mark.parametrize("why", ["idle", "demo after real data", "account disabled"])
def test_download_clicked_after_the_session_ended_records_and_builds_nothing(paths, monkeypatch, why):
    ensure_log_key(paths)
    users = UserStore(paths.users_db)
    users.add_user("mgr", Role.CODING_MANAGER, "correct horse battery", actor="test")
    who = SignedIn(user="mgr", role=Role.CODING_MANAGER, display="m", method="password")
    fresh = SessionGuard(last_activity=datetime.now(UTC), idle_timeout=timedelta(minutes=15))
    assert session.ending(who, fresh, paths, users, datetime.now(UTC)) is None
    guard = fresh
    if why == "idle":  # a tab whose timers stopped (a sleeping laptop): no run signed it out
        guard = SessionGuard(last_activity=datetime.now(UTC) - timedelta(minutes=16), idle_timeout=timedelta(minutes=15))
    elif why == "demo after real data":
        who = WHO
        paths.real_data_marker.touch()
    else:
        users.disable_user("mgr", actor="test")
    built = []
    monkeypatch.setattr(exports, "publishable_csv", lambda frame, **_: built.append(frame) or b"")
    _ended_download(paths, who, guard, users)
    assert built == [] and read_events(paths) == []


AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "s", "client_id": "c"}


def test_sso_is_off_without_an_auth_section_and_needs_a_role_mapping():
    assert sso.settings(None, {}) is None
    assert sso.settings({"client_id": "c"}, {}) is None
    with pytest.raises(ConfigurationError, match="auth.roles"):
        sso.settings(AUTH, {})
    from_secrets = sso.settings({**AUTH, "roles": {"coders-mgmt": "coding_manager"}, "role_claim": "roles"}, {})
    assert from_secrets == sso.SsoSettings({"coders-mgmt": "coding_manager"}, "roles")
    from_env = sso.settings(AUTH, {sso.ROLES_ENV: '{"audit": "auditor"}'})
    assert from_env == sso.SsoSettings({"audit": "auditor"}, "groups")


def test_sso_identity_must_be_fresh_and_have_a_subject():
    now = datetime(2026, 11, 1, 12, tzinfo=UTC)
    limit = timedelta(minutes=15)
    assert sso.fresh({"iat": now.timestamp() - 60}, now, limit)
    assert not sso.fresh({"iat": now.timestamp() - 16 * 60}, now, limit)
    assert not sso.fresh({}, now, limit)
    assert sso.subject({"sub": "abc", "email": "a@example.org"}) == ("sso:abc", "a@example.org")
    with pytest.raises(ConfigurationError):
        sso.subject({"email": "a@example.org"})
