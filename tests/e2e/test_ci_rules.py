"""CI cannot go green without the browser tests: with Chromium missing, the `browser` fixture skips them
on a developer's machine and fails them (so the run) under CI=true."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e import conftest

MISSING = Path("/nonexistent/chromium")


@pytest.mark.parametrize("ci", ["true", "1", "TRUE"])
def test_under_ci_a_missing_chromium_fails(monkeypatch, ci):
    monkeypatch.setattr(conftest, "CHROMIUM", MISSING)
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.fail.Exception, match="/nonexistent/chromium is missing.*must run, not skip"):
        conftest.require_chromium()


@pytest.mark.parametrize("ci", [None, "", "false"])
def test_elsewhere_a_missing_chromium_skips(monkeypatch, ci):
    monkeypatch.setattr(conftest, "CHROMIUM", MISSING)
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.skip.Exception, match="apt-get install -y chromium"):
        conftest.require_chromium()

