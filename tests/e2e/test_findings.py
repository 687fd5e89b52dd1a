"""Findings that explain themselves, in a real browser: the auditor types the DRG finding's rationale, reference
and where the record documents it, and completes the claim; the review store on disk never holds them in
plaintext; the coder sees none of it until they ask, the reveal is recorded in the access log, and then reads it
before rebutting."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from audit.log.read import read_events
from audit.permissions import Page, Role
from tests.e2e.harness import rerun_by
from tests.e2e.test_browser import (
    assert_clean,
    choose,
    choose_option,
    drawn_claim,
    open_page,
    overpaid_within_paid,
    screenshot,
    sign_in,
    type_drg_finding,
)

RATIONALE = "Echo 2026-03-01 shows preserved EF; acute systolic failure not documented"
REFERENCE = "Coding Clinic 3Q 2023 p.12"
LOCATION = "H&P 2026-03-02, discharge summary"


def type_in(page, label: str, text: str) -> None:
    """Type into an input of the claim's form (sent with Save draft or Complete: typing reruns nothing)."""
    field = page.get_by_label(label)
    field.fill(text)
    field.press("Tab")


def test_the_auditors_notes_reach_the_coder_after_a_recorded_reveal(demo_server, browser):
    context, page = sign_in(browser, demo_server.url, Role.AUDITOR)
    choose(page, "Coder", "C007")
    choose(page, "Encounter type", "inpatient")
    open_page(page, Page.AUDIT_SAMPLING)
    page.get_by_label("Sample size (per coder for per-coder)").fill("1")
    page.get_by_text("Leave out claims already audited").click()
    page.get_by_role("button", name="Draw the sample").click()
    page.get_by_text("It is recorded in the access log").wait_for()
    open_page(page, Page.RECORD_REVIEW)
    page.get_by_text("DRG finding (inpatient").wait_for()
    billed = page.get_by_label("Billed MS-DRG")
    type_in(page, "Billed MS-DRG", "291" if billed.input_value() != "291" else "290")
    type_in(page, "Audited MS-DRG", "292")
    type_in(page, "DRG rationale", RATIONALE)
    type_in(page, "DRG reference (OCG, Coding Clinic)", REFERENCE)
    type_in(page, "DRG documented in", LOCATION)
    type_drg_finding(page, "revise", "drg", overpaid_within_paid(demo_server, drawn_claim(demo_server)[0]))
    for label, text in (("Audited MS-DRG", "292"), ("DRG rationale", RATIONALE), ("DRG reference (OCG, Coding Clinic)", REFERENCE),
                        ("DRG documented in", LOCATION)):
        expect(page.get_by_label(label)).to_have_value(text)
    rerun_by(page, lambda: page.get_by_role("button", name="Complete the claim").click())
    assert_clean(page)
    page.get_by_role("button", name="Start a correction").wait_for()
    context.close()
    stored = b"".join(p.read_bytes() for p in demo_server.paths.data_dir.glob("reviews.sqlite*"))
    for text in (RATIONALE, REFERENCE, LOCATION):
        assert text.encode() not in stored

    key, _ = drawn_claim(demo_server)
    context, page = sign_in(browser, demo_server.url, Role.CODER)
    assert RATIONALE not in page.locator('[data-testid="stMain"]').inner_text()
    rerun_by(page, lambda: page.get_by_role("button", name="Show the auditor's rationale, reference and where it is documented").click())
    assert_clean(page)
    shown = page.locator('[data-testid="stTable"]').inner_text()
    assert RATIONALE in shown and REFERENCE in shown and LOCATION in shown
    events = read_events(demo_server.paths, limit=400)
    reveal = [e for e in events if e["action"] == "finding_notes_reveal" and e["user"] == "demo:coder" and key in e["claim_keys"]]
    assert len(reveal) == 1 and reveal[0]["outcome"] == "success" and reveal[0]["details"] == {"findings": 1}
    screenshot(page, "findings-coder-notes")
    choose_option(page, "Claim", key)
    page.get_by_label(re.compile(r"MSDRG .* revise: why it is wrong")).fill("The echo supports DRG 291.")
    page.get_by_role("button", name="Rebut").click()
    page.get_by_text("Your rebuttal is recorded").wait_for()
    assert_clean(page)
    context.close()
