"""The dashboard's pure helpers: small-cell suppression, logged exports, targets, SSO claims."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from audit.key_checks import ensure_log_key
from audit.log.read import read_events
from audit.log.writer import AccessLog, AccessLogError
from audit.paths import ConfigurationError
from audit.permissions import Role
from queries.disclosure import SUPPRESSED_FLAG, suppress_small_cells
from views import sso, tables
from views.session import SignedIn
from views.tables import csv_bytes, export_producer
from views.targets import DEFAULTS, load_targets

GROUPS = pd.DataFrame({
    "coder_id": ["C001", "C002", "C003"],
    "findings": [250, 7, 40],
    "errors": [12, 1, 0],
    "code_accuracy": [0.952, 0.857, 1.0],
    "net_impact": [-120.5, -30.0, 0.0],
    "coding_related": [True, False, True],
})


def test_rows_with_counts_from_1_to_10_lose_every_number_but_keep_their_labels():
    out = suppress_small_cells(GROUPS)
    assert list(out[SUPPRESSED_FLAG]) == [False, True, False]
    assert out.loc[1, "coder_id"] == "C002"
    assert out.loc[1, ["findings", "errors", "code_accuracy", "net_impact"]].isna().all()
    assert out.loc[0, "findings"] == 250 and out.loc[2, "errors"] == 0  # zero is published
    assert list(out["coding_related"]) == [True, False, True]


def test_counts_can_be_named_when_whole_numbers_are_not_all_counts():
    frame = pd.DataFrame({"code": ["K85.92"], "uses": [407], "specific_alternatives": [3]})
    assert not suppress_small_cells(frame, counts=["uses"])[SUPPRESSED_FLAG].any()
    assert suppress_small_cells(frame)[SUPPRESSED_FLAG].all()


def test_csv_text_that_a_spreadsheet_would_run_is_quoted():
    text = csv_bytes(pd.DataFrame({"payer": ["=HYPERLINK(1)", "Medicare"], "amount": [-5.0, 3.0]})).decode()
    assert "'=HYPERLINK(1)" in text and "-5.0" in text


WHO = SignedIn(user="demo:coding_manager", role=Role.CODING_MANAGER, display="m", method="demo")


def test_export_is_recorded_before_the_file_is_built(paths):
    ensure_log_key(paths)
    with AccessLog(paths) as log:
        produce = export_producer(GROUPS, name="coder-scorecards", who=WHO, log=log, details={"filters": {}},
                                  include_small_cells=False)
        assert read_events(paths) == []  # nothing happens until the click
        body = produce().decode()
    (event,) = read_events(paths)
    assert (event["action"], event["resource"], event["details"]["small_cells"]) == ("export", "csv:coder-scorecards", "suppressed")
    assert "C002" in body and ",7," not in body


def test_export_that_cannot_be_recorded_builds_nothing(monkeypatch):
    class BrokenLog:
        def append(self, event):
            raise AccessLogError("disk full")

    built = []
    monkeypatch.setattr(tables, "csv_bytes", lambda frame: built.append(frame) or b"")
    produce = export_producer(GROUPS, name="x", who=WHO, log=BrokenLog(), details={}, include_small_cells=True)
    with pytest.raises(AccessLogError):
        produce()
    assert built == []


def test_targets_default_and_can_be_overridden_by_secrets_then_environment():
    targets = load_targets({}, {})
    assert {m: t.value for m, t in targets.items()} == DEFAULTS
    assert targets["code_accuracy"].describe() == "≥ 95%" and targets["denial_rate"].describe() == "≤ 5%"
    assert targets["unspecified_rate"].met(0.2) is False and targets["code_accuracy"].met(float("nan")) is None
    tuned = load_targets({"code_accuracy": 0.97}, {"CODEAUDIT_TARGET_CODE_ACCURACY": "0.98"})
    assert tuned["code_accuracy"].value == 0.98
    with pytest.raises(ConfigurationError, match="0.95, not 95"):
        load_targets({"code_accuracy": 95}, {})
    with pytest.raises(ConfigurationError, match="unknown metrics"):
        load_targets({"coder_happiness": 0.5}, {})


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
