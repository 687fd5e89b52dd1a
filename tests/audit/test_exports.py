"""What an aggregate may carry when it leaves as a file: the small-cell rule, formula-safe CSV, and the
export event that records it."""
from __future__ import annotations

import pandas as pd
import pytest

from audit.exports import (
    SUPPRESSED_FLAG,
    ExportPurpose,
    csv_bytes,
    export_event,
    publishable_csv,
    suppress_small_cells,
    suppresses,
)

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


def test_the_published_file_suppresses_small_cells_unless_they_are_included():
    suppressed = publishable_csv(GROUPS, include_small_cells=False).decode().splitlines()
    assert suppressed[0].endswith(f",{SUPPRESSED_FLAG}") and suppressed[2] == "C002,,,,,False,True"
    included = publishable_csv(GROUPS, include_small_cells=True).decode().splitlines()
    assert included[2] == "C002,7,1,0.857,-30.0,False"


def test_the_export_event_names_the_file_its_rows_scope_and_small_cell_choice():
    event = export_event("demo:auditor", "auditor", "coder-scorecards", 3, {"filters": {"payer": ["Medicare"]}},
                         include_small_cells=True)
    assert (event.user, event.role, event.action, event.resource) == ("demo:auditor", "auditor", "export", "csv:coder-scorecards")
    assert event.details == {"filters": {"payer": ["Medicare"]}, "rows": 3, "small_cells": "included"}
    assert export_event("u", "coding_manager", "x", 0, {}, include_small_cells=False).details["small_cells"] == "suppressed"


# A full summary: published counts (claims), and a rate whose numerator and denominator are not published.
SUMMARY = pd.DataFrame({
    "payer": ["Big", "Mid", "Tiny", "Large"],
    "claims": [400, 300, 5, 500],
    "appeals_overturned": [2, 30, 0, 40],
    "appeals_decided": [3, 60, 0, 80],
    "appeal_overturn_rate": [2 / 3, 0.5, None, 0.5],
})
APPEALS = {"appeal_overturn_rate": ("appeals_overturned", "appeals_decided")}


def test_a_rate_whose_numerator_or_denominator_is_small_is_suppressed_too():
    out = suppress_small_cells(SUMMARY, counts=["claims"], rates=APPEALS)
    # Big: 400 claims, but its rate 2/3 gives away 2 of 3 appeals; the claims count itself stays.
    assert pd.isna(out.loc[0, "appeal_overturn_rate"]) and out.loc[0, "claims"] == 400
    assert out.loc[1, "appeal_overturn_rate"] == 0.5 and out.loc[3, "appeal_overturn_rate"] == 0.5
    assert list(out[SUPPRESSED_FLAG]) == [True, False, True, False]


def test_one_suppressed_row_is_protected_by_a_second_from_the_totals():
    # Without it, Tiny's 5 claims = the overall total (1,205) minus the other rows.
    out = suppress_small_cells(SUMMARY, counts=["claims"], complementary=True)
    assert pd.isna(out.loc[2, "claims"]) and pd.isna(out.loc[1, "claims"])  # Mid: the smallest other row
    assert list(out["claims"].dropna()) == [400, 500]
    assert list(out[SUPPRESSED_FLAG]) == [False, True, True, False]
    single = suppress_small_cells(SUMMARY.iloc[[2]], counts=["claims"], complementary=True)
    assert pd.isna(single["claims"].iloc[0])  # one row alone: nothing else to suppress
@pytest.mark.parametrize(("role", "purpose", "include", "suppressed"), [
    ("coding_manager", "internal", False, False),     # the numbers the manager sees on screen, kept in-house
    ("coding_manager", "external", False, True),      # leaving the organisation: blanked
    ("coding_manager", "external", True, True),       # a manager may not publish small cells even if asked
    ("compliance_officer", "external", False, True),
    ("compliance_officer", "external", True, False),  # may publish them, and asked to
    ("auditor", "external", True, False),
    ("auditor", "internal", False, False),
])
def test_small_cells_are_decided_by_purpose_and_role(role, purpose, include, suppressed):
    assert suppresses(role, purpose, include) is suppressed


def test_the_export_event_records_the_purpose():
    event = export_event("demo:coding_manager", "coding_manager", "coder-by-category", 205, {}, include_small_cells=True,
                         purpose=ExportPurpose.INTERNAL)
    assert event.details == {"rows": 205, "purpose": "internal", "small_cells": "included"}
