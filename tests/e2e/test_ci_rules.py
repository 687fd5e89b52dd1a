"""CI cannot go green without the browser tests: with Chromium missing they skip on a developer's machine
and fail under CI=true. Run as a separate pytest on a missing Chromium (CODEAUDIT_CHROMIUM)."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.e2e.harness import REPO

BROWSER_TEST = "tests/e2e/test_browser.py::test_csv_download_is_recorded_and_tables_offer_no_download_or_copy_of_their_own"


def run_without_chromium(ci: str | None) -> subprocess.CompletedProcess:
    env = {**os.environ, "CODEAUDIT_CHROMIUM": "/nonexistent/chromium"}
    env.pop("CI", None)
    if ci is not None:
        env["CI"] = ci
    return subprocess.run([sys.executable, "-m", "pytest", BROWSER_TEST, "-q", "-p", "no:cacheprovider", "-p", "no:xdist"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("ci", ["true"])
def test_under_ci_a_missing_chromium_fails_the_run(ci):
    run = run_without_chromium(ci)
    assert run.returncode != 0, run.stdout
    assert "/nonexistent/chromium is missing" in run.stdout and "must run, not skip" in run.stdout


def test_elsewhere_a_missing_chromium_skips_the_browser_tests():
    run = run_without_chromium(None)
    assert run.returncode == 0, run.stdout
    assert "1 skipped" in run.stdout
