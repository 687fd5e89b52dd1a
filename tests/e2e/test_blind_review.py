"""Blind review in a real browser: the auditor turns blind review on for a claim not started yet, the coder's
codes and billed MS-DRG disappear, the auditor enters the codes they abstract (principal and a secondary
swapped, a code the coder missed, another MS-DRG), and then sees the coder's codes with exactly those
differences, takes them as findings, and the DRG inputs show the DRG finding they give."""
from __future__ import annotations

import sqlite3

from playwright.sync_api import expect

from audit.permissions import Page, Role
from queries.reference import describe
from queries.store import connect_read_only
from tests.e2e.harness import rerun_by
from tests.e2e.test_browser import (
    assert_clean,
    choose,
    drawn_claim,
    expect_drg_finding,
    open_page,
    screenshot,
    sign_in,
)

EXTRA = ("E785", "I10", "Z7901")


def claim_codes(server, key: str) -> tuple[list[tuple[str, str | None]], list[str], str]:
    """The claim's diagnoses (code, POA) and procedures in line order, and its billed MS-DRG."""
    con = connect_read_only(server.paths)
    try:
        (billed,) = con.execute("SELECT ms_drg FROM claims WHERE claim_key = ?", [key]).fetchone()
        dx = con.execute("SELECT code, poa FROM claim_codes WHERE claim_key = ? AND code_type = 'ICD10CM_DX' ORDER BY line",
                         [key]).fetchall()
        pcs = [c for (c,) in con.execute("SELECT code FROM claim_codes WHERE claim_key = ? AND code_type = 'ICD10PCS' "
                                         "ORDER BY line", [key]).fetchall()]
    finally:
        con.close()
    return dx, pcs, billed


def test_a_blind_review_shows_the_coders_codes_only_after_the_auditors_and_proposes_the_differences(demo_server, browser):
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
    key, _ = drawn_claim(demo_server)
    dx, pcs, billed = claim_codes(demo_server, key)
    assert len(dx) >= 2, dx
    main = page.locator('[data-testid="stMain"]')
    assert f"billed MS-DRG {billed}" in main.inner_text()

    rerun_by(page, lambda: page.get_by_text("Review blind: hide the coder's codes").click())
    page.get_by_label("Diagnoses, principal first: one a line, the ICD-10-CM code and its POA").wait_for()
    assert_clean(page)
    shown = main.inner_text()
    assert f"billed MS-DRG {billed}" not in shown and "DRG finding (inpatient" not in shown
    assert all(describe("ICD10CM_DX", code) not in shown for code, _ in dx)
    assert page.get_by_role("button", name="Save draft").count() == 0

    extra = next(code for code in EXTRA if code[:3] not in {c[:3] for c, _ in dx})
    audited = "292" if billed != "292" else "291"
    lines = [dx[1], dx[0], *dx[2:]]
    page.get_by_label("Diagnoses, principal first").fill("\n".join([*(f"{c} {p or ''}".strip() for c, p in lines), f"{extra} Y"]))
    page.get_by_label("Procedures (ICD-10-PCS), one a line").fill("\n".join(pcs))
    page.get_by_label("MS-DRG the record supports").fill(audited)
    rerun_by(page, lambda: page.get_by_role("button", name="Save my codes and show the coder's").click())
    assert_clean(page)
    page.get_by_text("Blind review: your codes and the differences").wait_for()
    assert f"billed MS-DRG {billed}" in main.inner_text()
    differences = page.locator('[data-testid="stTable"]').nth(1).inner_text()
    assert differences.count("Principal diagnosis") == 2, differences
    for needed in (describe("ICD10CM_DX", dx[0][0]), describe("ICD10CM_DX", dx[1][0]), describe("ICD10CM_DX", extra),
                   f"MS-DRG {billed}", f"MS-DRG {audited}", "Sequencing or principal diagnosis", "Missing code", "DRG change"):
        assert needed in differences, needed
    assert "Changed" not in differences and "Deleted" not in differences
    screenshot(page, "review-auditor-blind-differences")

    rerun_by(page, lambda: page.get_by_role("button", name="Take the chosen differences as findings").click())
    assert_clean(page)
    page.get_by_text("DRG finding (inpatient").wait_for()
    expect_drg_finding(page, "revise", "drg", "0.00")
    expect(page.get_by_label("Audited MS-DRG")).to_have_value(audited)
    context.close()
    with sqlite3.connect(demo_server.paths.reviews_db) as conn:
        found = conn.execute(
            "SELECT f.code_type, f.submitted_code, f.audited_code, f.finding, f.error_category FROM findings f "
            "JOIN reviews r USING (review_id) WHERE r.claim_key = ? AND f.finding <> 'agree' ORDER BY f.position", (key,)).fetchall()
    assert found == [("ICD10CM_DX", dx[0][0], dx[1][0], "revise", "sequencing"), ("ICD10CM_DX", dx[1][0], dx[0][0], "revise", "sequencing"),
                     ("ICD10CM_DX", None, extra, "add", "missing_code"), ("MSDRG", billed, audited, "revise", "drg")]
