"""The sample report in a real browser, on the demo the dashboard builds on first start: the auditor opens Audit
sampling on the demo's completed sample, downloads its frozen PDF report (the latest version, then version 1),
reads the text (pypdfium2), and finds the figures `python manage.py appraise variable --sample SID --json` gives
for the same data folder; each download is an `export` event naming the version and the file's SHA-256. A copy
with claim numbers is made on request, each reveal logged, and downloaded with its own hash."""
from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from audit.log.read import read_events
from audit.permissions import Page, Role
from data.demo_review import AUDITOR
from review import report_versions
from review.db import ReviewDb
from review.samples import list_samples
from tests.e2e.harness import rerun_by
from tests.e2e.test_browser import assert_clean, open_page, pick, sign_in

REPO = Path(__file__).resolve().parents[2]


def money(value: float) -> str:
    return f"-${-value:,.2f}" if value < 0 else f"${value:,.2f}"


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join(page.get_textpage().get_text_range().split()) for page in pdfium.PdfDocument(data))


def appraisal_json(server, sample_id: str) -> dict:
    env = {**os.environ, "CODEAUDIT_DATA_DIR": str(server.paths.data_dir), "CODEAUDIT_KEY_DIR": str(server.paths.key_dir)}
    for var in ("CODEAUDIT_DATA_KEYS", "CODEAUDIT_PSEUDONYM_KEY", "CODEAUDIT_LOG_KEY"):
        env.pop(var, None)
    done = subprocess.run([sys.executable, "manage.py", "appraise", "variable", "--sample", sample_id, "--json"], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout)


def download(page, button: str = "Download PDF report") -> bytes:
    with page.expect_download() as started:
        page.get_by_role("button", name=button).click()
    return Path(started.value.path()).read_bytes()


def outcome(page, expected: str) -> None:
    """Wait for `expected` on the page; when it does not come, fail with what the page said instead (its alerts
    and whether the script was still running), not with a bare timeout."""
    try:
        page.get_by_text(expected).wait_for(timeout=60_000)
    except Exception as exc:
        alerts = page.locator('[data-testid="stAlert"], [data-testid="stException"]').all_inner_texts()
        state = page.locator('[data-testid="stApp"]').get_attribute("data-test-script-state")
        expanders = page.locator('[data-testid="stExpander"] details').evaluate_all(
            "els => els.map(e => [e.querySelector('summary').innerText, e.open])")
        raise AssertionError(f"{expected!r} not shown; script {state}; alerts: {alerts}; expanders: {expanders}") from exc


def test_the_auditor_downloads_the_demo_samples_frozen_report_and_its_figures_equal_the_appraisal(server, browser, monkeypatch):
    page_ready = browser.new_context().new_page()
    page_ready.goto(server.url)
    page_ready.get_by_role("button", name="Sign in as Auditor (demo)").wait_for(timeout=240_000)  # first start built the demo
    page_ready.context.close()
    (demo,) = [s for s in list_samples(ReviewDb(server.paths.reviews_db)) if s["drawn_by"] == AUDITOR[0]]
    sample_id = demo["sample_id"]
    context, page = sign_in(browser, server.url, Role.AUDITOR, accept_downloads=True)
    open_page(page, Page.AUDIT_SAMPLING)
    page.get_by_role("heading", name="Report").wait_for()
    assert_clean(page)
    latest = download(page)
    text = pdf_text(latest)
    expected = appraisal_json(server, sample_id)
    ninety = expected["two_sided"]["90"]
    for figure in (expected["point_estimate"], expected["standard_error"], ninety["lower"], ninety["upper"],
                   expected["one_sided_90_lower"]):
        assert money(figure) in text, (money(figure), text)
    assert f"{money(ninety['lower'])} to {money(ninety['upper'])}" in text
    assert f"{expected['n']} sampled claims of N = {expected['universe']:,}" in text
    for name, label in (("gross_overpayment", "Gross overpayment (sample)"), ("gross_underpayment", "Gross underpayment (sample)"),
                        ("net_overpayment", "Net overpayment (sample)"), ("paid_reviewed", "Paid dollars reviewed")):
        assert f"{label} {money(expected[name])}" in text, (name, expected[name])
    assert expected["gross_underpayment"] > 0 and expected["net_overpayment"] == pytest.approx(
        expected["gross_overpayment"] - expected["gross_underpayment"])
    assert f"Claims review report: audit sample {sample_id}" in text and "Version 2" in text
    first_version, _ = report_versions.versions(ReviewDb(server.paths.reviews_db), sample_id)
    assert "Changes from version 1" in text and f"Net overpayment (sample): {money(first_version.figures['net_overpayment'])} -> " \
        f"{money(expected['net_overpayment'])}." in text
    assert "Dana Demo (demo auditor)" in text and "CCS, CPC" in text and "Signature" in text
    rerun_by(page, lambda: pick(page, "Report version", "1"))  # a fixed pause could end before the rerun began
    first = download(page)
    assert "Version 1," in pdf_text(first)
    assert f"Net overpayment (sample) {money(first_version.figures['net_overpayment'])}" in pdf_text(first)
    monkeypatch.setenv("CODEAUDIT_KEY_DIR", str(server.paths.key_dir))
    exports = [e for e in read_events(server.paths, action="export") if e["resource"].startswith("pdf:sample-report-")]
    assert [(e["user"], e["resource"], e["details"]["sha256"]) for e in exports] == [  # newest first
        ("demo:auditor", f"pdf:sample-report-{sample_id}-v1", hashlib.sha256(first).hexdigest()),
        ("demo:auditor", f"pdf:sample-report-{sample_id}-v2", hashlib.sha256(latest).hexdigest())]
    page.get_by_text("A copy with claim numbers").click()
    # waits for the rerun the click starts, and says so when none came (CI once saw no answer; cause not found)
    rerun_by(page, lambda: page.get_by_role("button", name="Reveal the claim numbers for a copy").click())
    outcome(page, "claim numbers were revealed")
    assert_clean(page)
    copy = download(page, "Download the copy with claim numbers")
    copy_text = pdf_text(copy)
    assert "Claim number" in copy_text and re.search(r"CLM\d{10}", copy_text)
    assert not re.search(r"CLM\d{10}", pdf_text(first))  # the frozen versions hold claim keys only
    (event,) = read_events(server.paths, action="export", limit=1)
    assert (event["resource"], event["details"]["sha256"], event["details"]["claim_numbers"]) == (
        f"pdf:sample-report-{sample_id}-v1", hashlib.sha256(copy).hexdigest(), True)
    assert len(read_events(server.paths, action="phi_reveal")) == demo["claims"]
    context.close()
