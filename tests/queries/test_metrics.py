"""Metrics engine: every metric against values worked out by hand on a nine-claim store.

The batch below goes through the real ingest into a temporary store once per module. Each expected
value is arithmetic on the table of per-claim facts further down, written next to the assertion, so
a reader can check the expectation without running any SQL. Edge cases are scopes of the same store:
coder C3 has DRG-only audits, coder C4 has no findings at all, and so on.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import pandas as pd
import pytest
import simple_icd_10_cm as icd
from statsmodels.stats.proportion import proportion_confint

from audit.exports import SUPPRESSED_FLAG
from audit.keys import load_pseudonym_key
from config.paths import Paths
from ingest.reference import CARC_FILE
from ingest.writer import ingest
from queries.metrics import (
    DIMENSION_KEYS,
    RATES,
    REPORT_FIELDS,
    Filters,
    MetricsError,
    appeal_funnel,
    carc_pareto,
    coder_category,
    coder_findings,
    coder_funnel,
    coder_scorecards,
    coding_carcs,
    coding_denial_shares,
    control_chart,
    denials_by,
    denied_claims,
    error_pareto,
    filter_options,
    invalid_codes,
    payer_denials,
    report_rows,
    specificity_by,
    summary,
    top_unspecified,
)
from queries.reference import describe, icd10cm_frame
from queries.stats import add_wilson
from queries.store import connect_read_only
from tests.conftest import Recorded

# ---------------------------------------------------------------------------------------------------
# The batch. Billed amounts are all different so a scope's billed total identifies its claims.
CLAIM_COLUMNS = ("claim_id", "service_date", "facility_id", "payer", "coder_id", "encounter_type", "billed_amount")
CLAIMS = [
    ("CLM-E", "2024-12-31", "F1", "Medicare", "C2", "professional", "400.00"),   # day before January
    ("CLM-A", "2025-01-01", "F1", "Medicare", "C1", "inpatient", "1000.00"),     # first day of January
    ("CLM-B", "2025-01-15", "F1", "Medicaid", "C1", "outpatient", "500.00"),
    ("CLM-C", "2025-01-31", "F2", "Medicare", "C2", "outpatient", "200.00"),     # last day of January
    ("CLM-D", "2025-02-01", "F2", "Summit", "C2", "professional", "300.00"),     # day after January
    ("CLM-G", "2025-02-14", "F3", "Summit", "C3", "inpatient", "2500.00"),
    ("CLM-J", "2025-02-20", "F3", "Medicare", "C3", "inpatient", "3000.00"),
    ("CLM-H", "2025-03-03", "F3", "Medicaid", "C4", "outpatient", "600.00"),
    ("CLM-I", "2025-03-20", "F2", "Medicare", "C4", "professional", "150.00"),
]
# Reference flags (checked in test_fixture_codes_have_the_flags_the_expectations_assume):
# E11.9 valid, NOT unspecified (its title has no "unspecified": a trailing .9 is not the marker);
# R51.9 'Headache, unspecified', J44.9 and N17.9 unspecified; M25.569 'Pain in unspecified knee' is
# unspecified AND laterality-unspecified; E11 is a category header (invalid); ZZZ999 is no code at all.
CODE_COLUMNS = ("claim_id", "line", "code_type", "code")
CODES = [
    ("CLM-A", 1, "ICD10CM_DX", "E11.9"), ("CLM-A", 2, "ICD10CM_DX", "R51.9"), ("CLM-A", 3, "ICD10CM_DX", "M25.569"),
    ("CLM-A", 4, "ICD10CM_DX", "E11"), ("CLM-A", 1, "ICD10PCS", "0DTJ4ZZ"),
    ("CLM-B", 1, "ICD10CM_DX", "R51.9"), ("CLM-B", 2, "ICD10CM_DX", "ZZZ999"), ("CLM-B", 3, "ICD10CM_DX", "I10"),
    ("CLM-C", 1, "ICD10CM_DX", "I10"), ("CLM-C", 2, "ICD10CM_DX", "J44.9"), ("CLM-C", 1, "CPT", "99213"),
    ("CLM-D", 1, "ICD10CM_DX", "E11.65"), ("CLM-D", 1, "CPT", "99214"),
    ("CLM-E", 1, "ICD10CM_DX", "M25.569"), ("CLM-E", 2, "ICD10CM_DX", "E11"),
    ("CLM-G", 1, "ICD10CM_DX", "N17.9"), ("CLM-G", 2, "ICD10CM_DX", "I10"),
    ("CLM-H", 1, "ICD10CM_DX", "I10"),
    ("CLM-J", 1, "ICD10CM_DX", "I10"),
]  # CLM-I has no codes at all.
FINDING_COLUMNS = ("claim_id", "review_id", "code_type", "submitted_code", "audited_code", "finding", "error_category", "dollar_impact")
FINDINGS = [
    ("CLM-A", "R1", "ICD10CM_DX", "E11.9", "E11.9", "agree", "", ""),               # principal dx agreed
    ("CLM-A", "R1", "ICD10CM_DX", "R51.9", "R51.0", "revise", "specificity", "25.00"),
    ("CLM-A", "R1", "ICD10CM_DX", "", "E11.65", "add", "missing_code", "40.00"),   # added code: an error
    ("CLM-A", "R1", "ICD10PCS", "0DTJ4ZZ", "0DTJ4ZZ", "agree", "", ""),
    ("CLM-A", "R1", "MSDRG", "637", "637", "agree", "", ""),
    ("CLM-B", "R2", "ICD10CM_DX", "R51.9", "G44.1", "revise", "wrong_code", "-30.00"),  # principal dx revised
    ("CLM-B", "R2", "ICD10CM_DX", "ZZZ999", "", "delete", "unsupported_code", "-15.50"),  # deleted: an error
    ("CLM-B", "R2", "ICD10CM_DX", "I10", "I10", "agree", "", ""),
    ("CLM-C", "R3", "ICD10CM_DX", "I10", "I10", "agree", "", ""),
    ("CLM-C", "R3", "ICD10CM_DX", "J44.9", "J44.9", "agree", "", ""),
    ("CLM-C", "R3", "CPT", "99213", "99213", "agree", "", ""),
    ("CLM-D", "R4", "CPT", "99214", "99213", "revise", "wrong_code", "-50.00"),     # no dx finding: principal not reviewed
    ("CLM-E", "R5", "ICD10CM_DX", "M25.569", "M25.561", "revise", "specificity", ""),  # blank impact = 0
    ("CLM-G", "R6", "MSDRG", "871", "871", "agree", "", ""),                        # DRG-only audit
    ("CLM-J", "R7", "MSDRG", "291", "292", "revise", "drg", "-1200.00"),            # DRG-only audit
]
DENIAL_COLUMNS = ("claim_id", "payer", "group_code", "carc", "denied_amount", "appeal_status")
DENIALS = [
    ("CLM-A", "Medicare", "CO", "16", "300.00", "overturned"),
    ("CLM-A", "Medicare", "PR", "1", "50.00", ""),           # deductible: not a denial
    ("CLM-B", "Medicaid", "CO", "29", "100.00", "upheld"),   # timely filing: B mixes a non-coding and a coding CARC
    ("CLM-B", "Medicaid", "CO", "16", "200.00", "pending"),
    ("CLM-C", "Medicare", "PR", "2", "20.00", ""),           # PR only: CLM-C is not denied
    ("CLM-D", "Summit", "PI", "197", "60.00", ""),           # authorisation: not coding-related
    ("CLM-D", "Summit", "CO", "A1", "150.00", ""),           # a CARC missing from our table: not coding-related
    ("CLM-E", "Medicare", "CO", "16", "400.00", "overturned"),
    ("CLM-H", "Medicaid", "PR", "1", "30.00", ""),
    ("CLM-H", "Medicaid", "CR", "16", "100.00", "overturned"),  # CR: not a denial, its appeal ignored
    ("CLM-H", "Medicaid", "CO", "45", "0.00", "upheld"),        # nothing denied: not a denial either
    ("CLM-I", "Secondary Co", "OA", "31", "75.00", "overturned"),  # remittance payer differs from the claim's
    ("CLM-I", "Medicare", "PR", "16", "10.00", ""),          # coding CARC but PR: does not make CLM-I coding-denied
]

# Per-claim facts, worked out by hand from the rows above (non-DRG findings / of them agree; DRG
# findings / agree; principal dx reviewed / agreed; denial rows are CO/OA/PI with an amount > 0).
#
# claim  dx unsp inv lat | find agree drg drgA clean | prin | denied coding  amount  ovt uph pend | net      over     under | billed
# E       2   1   1   1  |   1    0    0   0    no   | Y/N  |  yes    yes    400.00   1   0   0   |    0.00     0.00   0.00 |  400
# A       4   2   1   1  |   4    2    1   1    no   | Y/Y  |  yes    yes    300.00   1   0   0   |   65.00     0.00  65.00 | 1000
# B       3   1   1   0  |   3    1    0   0    no   | Y/N  |  yes    yes    300.00   0   1   1   |  -45.50   -45.50   0.00 |  500
# C       2   1   0   0  |   3    3    0   0    yes  | Y/Y  |  no                                |    0.00     0.00   0.00 |  200
# D       1   0   0   0  |   1    0    0   0    no   | N    |  yes    no     210.00   0   0   0   |  -50.00   -50.00   0.00 |  300
# G       2   1   0   0  |   0    0    1   1    yes  | N    |  no                                |    0.00     0.00   0.00 | 2500
# J       1   0   0   0  |   0    0    1   0    no   | N    |  no                                | -1200.00 -1200.00   0.00 | 3000
# H       1   0   0   0  |   not audited               | N    |  no (PR, CR, CO 0.00)              |                         |  600
# I       0   0   0   0  |   not audited               | N    |  yes    no      75.00   1   0   0   |                         |  150
# total  16   6   3   2  |  12    6    3   2    2/7  | 4/2  |  5      3     1285.00   3   1   1   | -1230.50 -1295.50 65.00 | 8650

JANUARY = Filters(date_from=date(2025, 1, 1), date_to=date(2025, 1, 31))
NO_CLAIMS = Filters(date_from=date(2023, 1, 1), date_to=date(2023, 12, 31))


@dataclass(frozen=True)
class Store:
    paths: Paths
    con: duckdb.DuckDBPyConnection

    def claim_key(self, claim_id: str) -> str:
        key = load_pseudonym_key(self.paths.key_dir)
        return hmac.new(key, f"claim_id|{claim_id}".encode(), hashlib.sha256).hexdigest()[:24]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    base = tmp_path_factory.mktemp("metrics")
    paths = Paths(data_dir=base / "data", key_dir=base / "keys").ensure()
    src = base / "in"
    src.mkdir()
    claims = pd.DataFrame(CLAIMS, columns=CLAIM_COLUMNS)
    findings = pd.DataFrame(FINDINGS, columns=FINDING_COLUMNS).assign(auditor_id="A01", review_date="2025-04-01")
    denials = pd.DataFrame(DENIALS, columns=DENIAL_COLUMNS).assign(remit_date="2025-04-15")
    batch = {"claims": claims, "claim_codes": pd.DataFrame(CODES, columns=CODE_COLUMNS), "audit_findings": findings, "denials": denials}
    for table, frame in batch.items():
        frame.to_csv(src / f"{table}.csv", index=False)
    with pytest.MonkeyPatch.context() as mp:  # keys from the temporary key folder, never the environment
        for var in ("CODEAUDIT_DATA_KEYS", "CODEAUDIT_PSEUDONYM_KEY", "CODEAUDIT_LOG_KEY"):
            mp.delenv(var, raising=False)
        result = ingest(src, paths, recorder=Recorded())
        assert result.rejected == dict.fromkeys(batch, 0), result.reject_samples
        con = connect_read_only(paths)
        yield Store(paths, con)
        con.close()


@pytest.fixture(scope="module")
def con(store: Store) -> duckdb.DuckDBPyConnection:
    return store.con


def plain(value: Any) -> Any:
    """NaN -> None and numpy scalars -> Python, so one comparison covers summary() and report_rows()."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def assert_metrics(actual: Mapping[str, Any], expected: Mapping[str, Any]) -> None:
    got = {k: plain(actual[k]) for k in expected}
    assert got == pytest.approx(dict(expected), rel=1e-12, abs=1e-12)


def only_row(df: pd.DataFrame) -> dict[str, Any]:
    assert len(df) == 1
    return df.iloc[0].to_dict()


def by_key(rows: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    return {row[key]: row for row in rows}


# ---------------------------------------------------------------------------------------------------
# Reference assumptions behind the expectations


def test_fixture_codes_have_the_flags_the_expectations_assume(con):
    flags = {r[0]: r[1:] for r in con.execute(
        "SELECT code, billable, unspecified, laterality_unspecified, description FROM icd10cm "
        "WHERE code IN ('E119', 'R519', 'J449', 'N179', 'M25569', 'E11', 'I10', 'E1165')").fetchall()}
    assert flags["E119"][:3] == (True, False, False)        # 'Type 2 diabetes mellitus without complications'
    assert flags["R519"] == (True, True, False, "Headache, unspecified")
    assert flags["J449"][:3] == flags["N179"][:3] == (True, True, False)
    assert flags["M25569"] == (True, True, True, "Pain in unspecified knee")
    assert flags["E11"][0] is False                          # a category header is not billable
    assert flags["I10"][:3] == flags["E1165"][:3] == (True, False, False)
    assert "ZZZ999" not in flags
    # The same facts straight from the code set package.
    assert icd.is_leaf("E11.9") and "unspecified" not in icd.get_description("E11.9").lower()
    assert not icd.is_leaf("E11") and not icd.is_valid_item("ZZZ999")


@pytest.mark.parametrize(("code", "flagged"), [
    ("N63.25", False),   # 'Unspecified lump in the left breast, overlapping quadrants': side and site named
    ("S72.301A", True),  # 'Unspecified fracture of shaft of right femur, ...': S72.321A 'Displaced transverse ...'
    ("N63.20", True),    # 'Unspecified lump in the left breast, unspecified quadrant': the quadrant is not named
    ("N63.0", True),     # 'Unspecified lump in unspecified breast'
    ("J45.909", True),   # 'Unspecified asthma, uncomplicated': no side or site named
    ("H57.9", True),     # 'Unspecified disorder of eye and adnexa': no side named
    ("M25.569", True),   # 'Pain in unspecified knee'
    ("R51.9", True),     # 'Headache, unspecified'
    ("E11.9", False),    # 'Type 2 diabetes mellitus without complications': a trailing 9 is not the marker
])
def test_unspecified_flag_reads_the_title_and_spares_a_named_side(code, flagged):
    frame = icd10cm_frame().set_index("code")
    assert bool(frame.loc[code.replace(".", ""), "unspecified"]) is flagged, icd.get_description(code)


def test_codes_are_described_with_their_official_titles():
    assert describe("ICD10CM_DX", "E119") == "E11.9 Type 2 diabetes mellitus without complications"
    assert describe("ICD10CM_DX", "E11") == "E11 Type 2 diabetes mellitus (category: not billable)"
    assert describe("ICD10CM_DX", "ZZZ999") == "ZZZ999 (not an ICD-10-CM code)"
    assert describe("ICD10PCS", "0DTJ4ZZ") == "0DTJ4ZZ Resection of Appendix, Percutaneous Endoscopic Approach"
    assert describe("ICD10PCS", "5A1955Z") == "5A1955Z (ICD-10-PCS, Extracorporeal or Systemic Assistance and Performance section)"
    assert describe("CPT", "99213") == "99213 (CPT)"  # AMA-licensed descriptions are never shipped
    assert describe("HCPCS", "G0439") == "G0439 (HCPCS Level II)"
    assert describe("MSDRG", "291") == "MS-DRG 291"
    assert describe("ICD10CM_DX", None) == ""


# ---------------------------------------------------------------------------------------------------
# Headline summary

OVERALL = {
    "claims": 9, "audited_claims": 7,           # every claim but H and I has a finding
    "findings": 12, "findings_agree": 6,        # non-DRG findings: A4 + B3 + C3 + D1 + E1; agree A2 + B1 + C3
    "drg_findings": 3, "drg_agree": 2,          # A 637 agree, G 871 agree, J 291->292 revise
    "clean_claims": 2,                          # C and G: every finding (DRG included) agrees
    "dx_codes": 16, "unspecified_dx": 6, "invalid_dx": 3, "laterality_unspecified_dx": 2,
    "denied_claims": 5,                         # A, B, D, E, I; not C (PR only) nor H (PR, CR, CO 0.00)
    "coding_denied_claims": 3,                  # A, B, E (CARC 16; B also 29); D (197, A1) and I (31) are not
    "denied_amount": 1285.00,                   # 300 + 100 + 200 + 60 + 150 + 400 + 75
    "billed_amount": 8650.00,                   # all nine claims
    "appeals_overturned": 3, "appeals_upheld": 1, "appeals_pending": 1, "appeals_decided": 4,
    "principal_dx_reviewed": 4, "principal_dx_agree": 2,  # A, B, C, E reviewed; A, C agree
    "net_impact": -1230.50, "overpaid": -1295.50, "underpaid": 65.00,
    "code_accuracy": 6 / 12,                    # 6 agree of 12 non-DRG findings -> 0.5 (add and delete count as errors)
    "claim_accuracy": 2 / 7,                    # 2 clean of 7 audited claims
    "drg_accuracy": 2 / 3,                      # 2 agree of 3 MSDRG findings
    "unspecified_rate": 6 / 16,                 # R51.9 x2, M25.569 x2, J44.9, N17.9 of 16 dx rows
    "invalid_code_rate": 3 / 16,                # E11 x2, ZZZ999
    "laterality_unspecified_rate": 2 / 16,      # M25.569 x2
    "denial_rate": 5 / 9,
    "denied_dollar_rate": 1285 / 8650,          # over ALL billed in scope, not the 2350 billed on denied claims
    "coding_denial_share": 3 / 5,
    "appeal_overturn_rate": 3 / 4,              # A, E, I overturned; B upheld; B pending and blank ignored,
                                                # H's CR 'overturned' and CO 0.00 'upheld' are not denials
    "principal_dx_accuracy": 2 / 4,
    # DRG validation (tests/queries/drg/test_drg_metrics.py has its own worked example): A, G and J are inpatient
    # but carry no discharge date, so none is grouped; none has a billed DRG, and no weights are loaded.
    "inpatient_claims": 3, "drg_mismatch_rate": None, "ungroupable_rate": 3 / 3, "mce_edit_rate": 0 / 3,
    "single_cc_mcc_share": None, "case_mix_index": None,
}


def test_overall_summary(con):
    assert_metrics(only_row(summary(con, Filters())), OVERALL)


def test_report_rows_overall_are_plain_json_ready_values(con):
    rows = report_rows(con, Filters())
    assert len(rows) == 1 and list(rows[0]) == list(REPORT_FIELDS)
    assert_metrics(rows[0], {k: OVERALL[k] for k in REPORT_FIELDS})
    assert all(type(v) in (int, float, type(None)) for v in rows[0].values())  # null rates are None
    assert json.loads(json.dumps(rows)) == rows


JANUARY_ROW = {  # A, B, C: from 2025-01-01 (A) to 2025-01-31 (C) inclusive
    "claims": 3, "audited_claims": 3, "findings": 10, "dx_codes": 9, "denied_claims": 2,
    "code_accuracy": 6 / 10,          # A 2/4 + B 1/3 + C 3/3
    "claim_accuracy": 1 / 3,          # only C is clean
    "drg_accuracy": 1 / 1,            # A's DRG
    "unspecified_rate": 4 / 9,        # A 2 + B 1 + C 1
    "invalid_code_rate": 2 / 9,       # E11 on A, ZZZ999 on B
    "laterality_unspecified_rate": 1 / 9,
    "denial_rate": 2 / 3,             # A, B
    "denied_dollar_rate": 600 / 1700,  # (300 + 100 + 200) / (1000 + 500 + 200)
    "coding_denial_share": 2 / 2,
    "appeal_overturn_rate": 1 / 2,    # A overturned, B upheld (B's pending row ignored)
    "principal_dx_accuracy": 2 / 3,   # A, B, C reviewed; A, C agree
    "denied_amount": 600.00, "billed_amount": 1700.00,
    "net_impact": 19.50, "overpaid": -45.50, "underpaid": 65.00,   # 65 - 45.50
}
DECEMBER_ROW = {  # E only
    "claims": 1, "audited_claims": 1, "findings": 1, "dx_codes": 2, "denied_claims": 1,
    "code_accuracy": 0.0, "claim_accuracy": 0.0,   # a real 0 of 1, not a null
    "drg_accuracy": None,                          # no DRG finding
    "unspecified_rate": 1 / 2, "invalid_code_rate": 1 / 2, "laterality_unspecified_rate": 1 / 2,
    "denial_rate": 1.0, "denied_dollar_rate": 400 / 400, "coding_denial_share": 1.0,
    "appeal_overturn_rate": 1.0, "principal_dx_accuracy": 0.0,
    "denied_amount": 400.00, "billed_amount": 400.00, "net_impact": 0.0, "overpaid": 0.0, "underpaid": 0.0,
}


def test_january_scope(con):
    assert_metrics(report_rows(con, JANUARY)[0], JANUARY_ROW)


def test_empty_scope_has_zero_counts_and_null_rates(con):
    row = only_row(summary(con, NO_CLAIMS))
    counts = ("claims", "audited_claims", "findings", "dx_codes", "denied_claims", "appeals_decided")
    assert {c: row[c] for c in counts} == dict.fromkeys(counts, 0)
    rates = [c for c in REPORT_FIELDS if c.endswith(("_rate", "_accuracy", "_share", "_index"))]
    assert len(rates) == 16
    assert all(math.isnan(row[r]) for r in rates)                # null, never 0
    assert all(math.isnan(row[f"{r}_ci_low"]) for r in ("code_accuracy", "denial_rate"))
    report = report_rows(con, NO_CLAIMS)[0]
    assert all(report[r] is None for r in rates)
    assert {k: report[k] for k in ("denied_amount", "billed_amount", "net_impact")} == dict.fromkeys(
        ("denied_amount", "billed_amount", "net_impact"), 0.0)


@pytest.mark.parametrize("by", list(DIMENSION_KEYS))
def test_empty_scope_by_group_has_no_rows(con, by):
    assert summary(con, NO_CLAIMS, by).empty
    assert report_rows(con, NO_CLAIMS, by) == []


def test_scope_without_findings_has_null_audit_rates_and_defined_denial_rates(con):
    # Coder C4: H (PR 30.00, CR 100.00 'overturned', CO 0.00 'upheld': no denial) and I (OA 31 75.00 overturned).
    assert_metrics(report_rows(con, Filters(coder=("C4",)))[0], {
        "claims": 2, "audited_claims": 0, "findings": 0, "dx_codes": 1, "denied_claims": 1,
        "code_accuracy": None, "claim_accuracy": None, "drg_accuracy": None, "principal_dx_accuracy": None,
        "unspecified_rate": 0.0, "invalid_code_rate": 0.0,   # H's I10: 0 of 1
        "denial_rate": 1 / 2,                    # I denied, H not
        "denied_dollar_rate": 75 / 750,          # 75 / (600 + 150) = 0.1
        "coding_denial_share": 0 / 1,            # CARC 31 is eligibility; I's PR 16 row is not a denial
        "appeal_overturn_rate": 1 / 1,           # only I's OA row; would be 2/3 if H's CR and CO 0.00 counted
        "denied_amount": 75.00, "net_impact": 0.0,
    })


def test_drg_only_audits(con):
    # Coder C3: G (DRG 871 agree) and J (DRG 291 -> 292); no code-level findings.
    assert_metrics(report_rows(con, Filters(coder=("C3",)))[0], {
        "claims": 2, "audited_claims": 2, "findings": 0, "dx_codes": 3, "denied_claims": 0,
        "code_accuracy": None,                   # 0 non-DRG findings
        "drg_accuracy": 1 / 2,                   # 1 agree of 2 DRG findings
        "claim_accuracy": 1 / 2,                 # G clean, J not
        "principal_dx_accuracy": None,
        "denial_rate": 0 / 2, "denied_dollar_rate": 0 / 5500,   # defined: claims in scope, none denied
        "coding_denial_share": None, "appeal_overturn_rate": None,   # no denied claims, no decided appeals
        "net_impact": -1200.00, "overpaid": -1200.00, "underpaid": 0.0,
    })


# ---------------------------------------------------------------------------------------------------
# Scope filters


@pytest.mark.parametrize(("filters", "claims", "billed"), [
    (Filters(), 9, 8650),
    (JANUARY, 3, 1700),                                                              # A + B + C; E and D out
    (Filters(date_from=date(2025, 1, 31), date_to=date(2025, 1, 31)), 1, 200),       # C, on both boundaries
    (Filters(date_from=date(2025, 2, 1)), 5, 300 + 2500 + 3000 + 600 + 150),         # D (the day after) on
    (Filters(date_to=date(2024, 12, 31)), 1, 400),                                   # E only
    (Filters(date_to=date(2025, 1, 1)), 2, 400 + 1000),                              # E, and A on the to-day
    (Filters(facility=("F2",)), 3, 200 + 300 + 150),                                 # C, D, I
    (Filters(facility=("F1", "F3")), 6, 1000 + 500 + 400 + 2500 + 3000 + 600),       # A, B, E, G, J, H
    (Filters(payer=("Medicare",)), 5, 1000 + 200 + 400 + 150 + 3000),                # A, C, E, I, J
    (Filters(payer=("Medicaid", "Summit")), 4, 500 + 600 + 300 + 2500),              # B, H, D, G
    (Filters(payer=("Secondary Co",)), 0, 0),        # a remittance payer, not a claim payer
    (Filters(coder=("C1", "C4")), 4, 1000 + 500 + 600 + 150),                        # A, B, H, I
    (Filters(encounter_type=("inpatient",)), 3, 1000 + 2500 + 3000),                 # A, G, J
    (Filters(encounter_type=("outpatient", "professional")), 6, 500 + 200 + 600 + 400 + 300 + 150),
    (Filters(facility=("F1",), encounter_type=("inpatient",)), 1, 1000),             # A: filters combine with AND
    (Filters(date_from=date(2025, 1, 1), date_to=date(2025, 2, 28), payer=("Medicare",), coder=("C1", "C2", "C3")),
     3, 1000 + 200 + 3000),                                                          # A, C, J
])
def test_scope_filters(con, filters, claims, billed):
    row = report_rows(con, filters)[0]
    assert (row["claims"], row["billed_amount"]) == (claims, billed)


def test_filter_value_with_sql_metacharacters_matches_nothing(con):
    for hostile in ("x' OR 1=1 --", "Medicare' OR '1'='1", "'; DROP TABLE claims; --"):
        row = report_rows(con, Filters(payer=(hostile,), facility=(hostile,)))[0]
        assert row["claims"] == 0 and row["code_accuracy"] is None
        assert error_pareto(con, Filters(coder=(hostile,))).empty
    assert con.execute("SELECT count(*) FROM claims").fetchone() == (9,)


def test_payer_filter_uses_the_claim_payer_in_denial_details(con):
    # I is a Medicare claim whose denial came on a 'Secondary Co' remittance: in scope for payer Medicare.
    medicare = Filters(payer=("Medicare",))
    assert report_rows(con, medicare)[0]["denied_claims"] == 3            # A, E, I
    assert payer_denials(con, medicare)[["payer", "denied_amount"]].values.tolist() == [["Medicare", 700.0], ["Secondary Co", 75.0]]


def test_start_after_end_is_refused():
    with pytest.raises(MetricsError, match="after the end date"):
        Filters(date_from=date(2025, 2, 1), date_to=date(2025, 1, 31))


# ---------------------------------------------------------------------------------------------------
# By-group outputs


def test_by_coder_every_report_field(con):
    rows = report_rows(con, Filters(), "coder")
    assert [list(r) for r in rows] == [["coder_id", *REPORT_FIELDS]] * 4
    groups = by_key(rows, "coder_id")
    assert list(groups) == ["C1", "C2", "C3", "C4"]
    assert_metrics(groups["C1"], {  # A, B
        "claims": 2, "audited_claims": 2, "findings": 7, "dx_codes": 7, "denied_claims": 2,
        "code_accuracy": 3 / 7,            # A 2 + B 1 agree of 4 + 3
        "claim_accuracy": 0 / 2, "drg_accuracy": 1 / 1,
        "unspecified_rate": 3 / 7, "invalid_code_rate": 2 / 7, "laterality_unspecified_rate": 1 / 7,
        "denial_rate": 2 / 2, "denied_dollar_rate": 600 / 1500, "coding_denial_share": 2 / 2,
        "appeal_overturn_rate": 1 / 2, "principal_dx_accuracy": 1 / 2,
        "denied_amount": 600.0, "billed_amount": 1500.0, "net_impact": 19.50, "overpaid": -45.50, "underpaid": 65.0,
    })
    assert_metrics(groups["C2"], {  # C, D, E
        "claims": 3, "audited_claims": 3, "findings": 5, "dx_codes": 5, "denied_claims": 2,
        "code_accuracy": 3 / 5,            # C 3/3, D 0/1, E 0/1
        "claim_accuracy": 1 / 3, "drg_accuracy": None,
        "unspecified_rate": 2 / 5, "invalid_code_rate": 1 / 5, "laterality_unspecified_rate": 1 / 5,
        "denial_rate": 2 / 3,              # D, E
        "denied_dollar_rate": 610 / 900,   # (60 + 150 + 400) / (200 + 300 + 400)
        "coding_denial_share": 1 / 2,      # E (16) yes, D (197, A1) no
        "appeal_overturn_rate": 1 / 1,     # E overturned; D's rows were not appealed
        "principal_dx_accuracy": 1 / 2,    # C agree, E revise; D not reviewed
        "denied_amount": 610.0, "billed_amount": 900.0, "net_impact": -50.0, "overpaid": -50.0, "underpaid": 0.0,
    })
    assert_metrics(groups["C3"], {"claims": 2, "findings": 0, "code_accuracy": None, "drg_accuracy": 1 / 2,
                                  "unspecified_rate": 1 / 3, "invalid_code_rate": 0.0, "billed_amount": 5500.0})
    assert_metrics(groups["C4"], {"claims": 2, "audited_claims": 0, "code_accuracy": None, "denial_rate": 1 / 2})


BY_GROUP = {
    "month": {  # key 'YYYY-MM' of service_date
        "2024-12": {"claims": 1, "findings": 1, "code_accuracy": 0 / 1, "denial_rate": 1 / 1, "principal_dx_accuracy": 0 / 1},   # E
        "2025-01": {"claims": 3, "findings": 10, "code_accuracy": 6 / 10, "denial_rate": 2 / 3, "principal_dx_accuracy": 2 / 3},  # A B C
        "2025-02": {"claims": 3, "findings": 1, "code_accuracy": 0 / 1, "denial_rate": 1 / 3, "principal_dx_accuracy": None},  # D G J
        "2025-03": {"claims": 2, "findings": 0, "code_accuracy": None, "denial_rate": 1 / 2, "principal_dx_accuracy": None},   # H I
    },
    "facility": {  # F1: A B E; F2: C D I; F3: G H J
        "F1": {"claims": 3, "audited_claims": 3, "findings": 8, "code_accuracy": 3 / 8, "unspecified_rate": 4 / 9, "denial_rate": 3 / 3},
        "F2": {"claims": 3, "audited_claims": 2, "findings": 4, "code_accuracy": 3 / 4, "unspecified_rate": 1 / 3, "denial_rate": 2 / 3},
        "F3": {"claims": 3, "audited_claims": 2, "findings": 0, "code_accuracy": None, "unspecified_rate": 1 / 4, "denial_rate": 0 / 3},
    },
    "payer": {  # the claim's payer. Medicaid: B H (denied 300 of 1100 billed); Medicare: A C E I J (775 of 4750);
                # Summit: D G (210 of 2800)
        "Medicaid": {"claims": 2, "denied_claims": 1, "denial_rate": 1 / 2, "denied_dollar_rate": 300 / 1100, "coding_denial_share": 1},
        "Medicare": {"claims": 5, "denied_claims": 3, "denial_rate": 3 / 5, "denied_dollar_rate": 775 / 4750, "coding_denial_share": 2 / 3},
        "Summit": {"claims": 2, "denied_claims": 1, "denial_rate": 1 / 2, "denied_dollar_rate": 210 / 2800, "coding_denial_share": 0},
    },
    "encounter_type": {
        "inpatient": {"claims": 3, "findings": 4, "code_accuracy": 2 / 4, "drg_accuracy": 2 / 3, "claim_accuracy": 1 / 3},       # A G J
        "outpatient": {"claims": 3, "findings": 6, "code_accuracy": 4 / 6, "drg_accuracy": None, "claim_accuracy": 1 / 2},      # B C H
        "professional": {"claims": 3, "findings": 2, "code_accuracy": 0 / 2, "drg_accuracy": None, "claim_accuracy": 0 / 2},    # D E I
    },
}


@pytest.mark.parametrize("by", list(BY_GROUP))
def test_by_group(con, by):
    key = DIMENSION_KEYS[by]
    rows = by_key(report_rows(con, Filters(), by), key)
    assert list(rows) == list(BY_GROUP[by])
    for group, expected in BY_GROUP[by].items():
        assert_metrics(rows[group], expected)
    frame = summary(con, Filters(), by)
    assert frame[key].tolist() == list(BY_GROUP[by])
    assert frame["claims"].sum() == 9   # the groups partition the scope


def test_by_group_keys_follow_the_dimension(con):
    assert DIMENSION_KEYS == {"month": "month", "coder": "coder_id", "facility": "facility_id",
                              "payer": "payer", "encounter_type": "encounter_type"}
    for by, key in DIMENSION_KEYS.items():
        assert summary(con, JANUARY, by).columns[0] == key
    assert "scope" not in summary(con, JANUARY).columns and "grp" not in summary(con, JANUARY).columns


@pytest.mark.parametrize("bad", ["claim_id", "month; DROP TABLE claims", "Month", "", "all"])
def test_unknown_group_or_level_is_refused(con, bad):
    with pytest.raises(MetricsError, match="choose one of"):
        summary(con, Filters(), bad)
    with pytest.raises(MetricsError, match="choose one of"):
        report_rows(con, Filters(), bad)
    with pytest.raises(MetricsError, match="choose one of"):
        specificity_by(con, Filters(), bad)
    with pytest.raises(MetricsError, match="choose one of"):
        control_chart(con, Filters(), bad)


# ---------------------------------------------------------------------------------------------------
# Periods and intervals


@pytest.mark.parametrize(("now", "before"), [
    ((date(2025, 1, 1), date(2025, 1, 31)), (date(2024, 12, 1), date(2024, 12, 31))),   # 31 days back
    ((date(2024, 2, 1), date(2024, 2, 29)), (date(2024, 1, 3), date(2024, 1, 31))),     # 29 days (leap year)
    ((date(2025, 3, 1), date(2025, 3, 1)), (date(2025, 2, 28), date(2025, 2, 28))),     # one day
    # 365 days, not the calendar year before: 2024 has 366 days, so the previous period starts on 2 January.
    ((date(2025, 1, 1), date(2025, 12, 31)), (date(2024, 1, 2), date(2024, 12, 31))),
])
def test_previous_period_is_the_same_length_just_before(now, before):
    current = Filters(date_from=now[0], date_to=now[1], payer=("Medicare",), coder=("C1",))
    previous = current.previous_period()
    assert previous == Filters(date_from=before[0], date_to=before[1], payer=("Medicare",), coder=("C1",))


def test_previous_period_of_an_open_range_is_none():
    assert Filters(date_from=date(2025, 1, 1)).previous_period() is None
    assert Filters(date_to=date(2025, 1, 1)).previous_period() is None
    assert Filters().previous_period() is None


def test_previous_period_metrics(con):
    assert_metrics(report_rows(con, JANUARY.previous_period())[0], DECEMBER_ROW)


def test_wilson_limits_match_statsmodels(con):
    row = only_row(summary(con, Filters()))
    low, high = proportion_confint(6, 12, alpha=0.05, method="wilson")   # code accuracy 6 of 12
    assert (row["code_accuracy_ci_low"], row["code_accuracy_ci_high"]) == pytest.approx((low, high), rel=1e-12)
    low, high = proportion_confint(5, 9, alpha=0.05, method="wilson")    # denial rate 5 of 9
    assert (row["denial_rate_ci_low"], row["denial_rate_ci_high"]) == pytest.approx((low, high), rel=1e-12)
    c1 = summary(con, Filters(), "coder").set_index("coder_id").loc["C1"]
    low, high = proportion_confint(3, 7, alpha=0.05, method="wilson")    # C1 code accuracy 3 of 7
    assert (c1["code_accuracy_ci_low"], c1["code_accuracy_ci_high"]) == pytest.approx((low, high), rel=1e-12)
    assert math.isnan(c1["drg_accuracy_ci_low"]) is False and c1["drg_accuracy"] == 1.0


@pytest.mark.parametrize("by", [None, "coder", "month"])
def test_every_interval_of_the_summary_is_the_wilson_interval_of_its_own_counts(con, by):
    """summary() computes all rates' intervals in one array call: each equals the interval of that rate's two counts
    alone (add_wilson, one rate at a time), exactly, and the columns come rate by rate, low before high."""
    frame = summary(con, Filters(), by)
    plain = summary(con, Filters(), by, intervals=False)
    assert list(frame.columns) == list(plain.columns) + [f"{name}_ci_{side}" for name in RATES for side in ("low", "high")]
    pd.testing.assert_frame_equal(frame[plain.columns], plain, check_exact=True)
    for name, rate in RATES.items():
        alone = add_wilson(plain, rate.numerator, rate.denominator, prefix=f"{name}_")
        for side in ("low", "high"):
            pd.testing.assert_series_equal(frame[f"{name}_ci_{side}"], alone[f"{name}_ci_{side}"], check_exact=True)
    assert frame[["code_accuracy_ci_low", "denial_rate_ci_high", "unspecified_rate_ci_low"]].notna().any().all()


def test_control_chart_and_coder_views_leave_out_groups_without_findings(con):
    chart = control_chart(con, Filters(), "code_accuracy")
    # Months with code-level findings: 2024-12 (E 0/1), 2025-01 (6/10), 2025-02 (D 0/1); 2025-03 has none, so it
    # is a gap (blank rate), not a 0%. The store's days run from 2024-12-31 to 2025-03-20: the first and last
    # months are partial and left out of runs.
    assert chart["period"].tolist() == ["2024-12", "2025-01", "2025-02", "2025-03"]
    assert chart["rate"].tolist() == pytest.approx([0.0, 0.6, 0.0, math.nan], nan_ok=True)
    assert chart["empty"].tolist() == [False, False, False, True]
    assert chart["partial"].tolist() == [True, False, False, True]
    assert chart["in_runs"].tolist() == [False, True, True, False]
    assert chart["center"].tolist() == pytest.approx([6 / 12] * 4)        # pooled over the counted months
    funnel = coder_funnel(con, Filters())
    assert funnel["group"].tolist() == ["C1", "C2"]                      # C3 (DRG only) and C4 have no findings
    assert funnel["rate"].tolist() == pytest.approx([3 / 7, 3 / 5])
    assert funnel["target"].tolist() == pytest.approx([6 / 12] * 2)       # pooled (3 + 3) / (7 + 5)
    cards = coder_scorecards(con, Filters())
    assert cards["coder_id"].tolist() == ["C1", "C2", "C3", "C4"]         # worst accuracy first, no rate last
    assert cards["code_accuracy"].isna().tolist() == [False, False, True, True]


# ---------------------------------------------------------------------------------------------------
# Audit breakdowns


def test_error_pareto(con):
    # Every non-agree finding, DRG included: specificity A, E; wrong_code B, D; drg J; missing_code A;
    # unsupported_code B -> 7 errors. Ties break by category name.
    df = error_pareto(con, Filters())
    assert df["error_category"].tolist() == ["specificity", "wrong_code", "drg", "missing_code", "unsupported_code"]
    assert df["errors"].tolist() == [2, 2, 1, 1, 1]
    assert df["share"].tolist() == pytest.approx([2 / 7, 2 / 7, 1 / 7, 1 / 7, 1 / 7], rel=1e-12)
    assert df["cumulative_share"].tolist() == pytest.approx([2 / 7, 4 / 7, 5 / 7, 6 / 7, 7 / 7], rel=1e-12)
    assert df["net_impact"].astype(float).tolist() == pytest.approx([25.0, -80.0, -1200.0, 40.0, -15.5])  # 25+0; -30-50
    # By dollars at stake (|impact|): drg 1200, wrong_code 30 + 50 = 80, missing_code 40, specificity 25, unsupported
    # 15.5; of 1360.5 in all. The DRG change is 1 error in 7 and the largest dollar category.
    assert df["dollars"].astype(float).tolist() == pytest.approx([25.0, 80.0, 1200.0, 40.0, 15.5])
    assert df["dollar_share"].tolist() == pytest.approx([25 / 1360.5, 80 / 1360.5, 1200 / 1360.5, 40 / 1360.5, 15.5 / 1360.5])
    by_dollars = df.sort_values("dollars", ascending=False)
    assert by_dollars["dollar_cumulative_share"].tolist() == pytest.approx(
        [1200 / 1360.5, 1280 / 1360.5, 1320 / 1360.5, 1345 / 1360.5, 1.0])


def test_error_pareto_in_scope(con):
    df = error_pareto(con, JANUARY)   # A: specificity, missing_code; B: wrong_code, unsupported_code
    assert df["error_category"].tolist() == ["missing_code", "specificity", "unsupported_code", "wrong_code"]
    assert df["cumulative_share"].tolist() == pytest.approx([0.25, 0.5, 0.75, 1.0])


def test_coder_category(con):
    df = coder_category(con, Filters())
    got = [(r.coder_id, r.error_category, r.errors, r.coder_findings, plain(r.error_rate)) for r in df.itertuples()]
    assert got == pytest.approx([
        ("C1", "missing_code", 1, 7, 1 / 7),      # C1: A 4 + B 3 code-level findings
        ("C1", "specificity", 1, 7, 1 / 7),
        ("C1", "unsupported_code", 1, 7, 1 / 7),
        ("C1", "wrong_code", 1, 7, 1 / 7),
        ("C2", "specificity", 1, 5, 1 / 5),       # C2: C 3 + D 1 + E 1
        ("C2", "wrong_code", 1, 5, 1 / 5),
    ])  # C3 has DRG findings only and DRG findings are left out of this code-level breakdown;
    # C4 has no findings: no rows; agree rows ('none') are left out


def test_coder_findings_carry_pseudonymous_keys_only(store, con):
    df = coder_findings(con, Filters(), "C1")
    assert "claim_id" not in df.columns
    assert len(df) == 8                                            # A 5 + B 3, DRG included
    assert set(df["claim_key"]) == {store.claim_key("CLM-A"), store.claim_key("CLM-B")}
    assert all(len(k) == 24 and int(k, 16) >= 0 for k in df["claim_key"])
    text = df.astype(str).to_string()
    assert not any(cid in text for cid, *_ in CLAIMS)               # no source claim number anywhere
    assert df["service_date"].dt.strftime("%Y-%m-%d").tolist() == ["2025-01-15"] * 3 + ["2025-01-01"] * 5   # latest first
    assert coder_findings(con, JANUARY, "C2")["claim_key"].tolist() == [store.claim_key("CLM-C")] * 3
    assert coder_findings(con, Filters(), "nobody").empty


# ---------------------------------------------------------------------------------------------------
# Specificity


SPECIFICITY_BY_CHAPTER = [  # (group, dx_codes, unspecified_dx, invalid_dx), dx_codes desc then name
    ("9", 5, 0, 0),                         # I10 on B, C, G, H, J
    ("4", 4, 0, 2),                         # E11.9, E11.65 and the header E11 twice (E11 keeps its chapter)
    ("13", 2, 2, 0),                        # M25.569 x2
    ("18", 2, 2, 0),                        # R51.9 x2
    ("(not a billable code)", 1, 0, 1),     # ZZZ999 is in no chapter
    ("10", 1, 1, 0),                        # J44.9
    ("14", 1, 1, 0),                        # N17.9
]


@pytest.mark.parametrize(("level", "expected"), [
    ("chapter", SPECIFICITY_BY_CHAPTER),
    ("block", [("I10-I1A", 5, 0, 0), ("E08-E13", 4, 0, 2), ("M20-M25", 2, 2, 0), ("R50-R69", 2, 2, 0),
               ("(not a billable code)", 1, 0, 1), ("J40-J4A", 1, 1, 0), ("N17-N19", 1, 1, 0)]),
    ("coder", [("C1", 7, 3, 2), ("C2", 5, 2, 1), ("C3", 3, 1, 0), ("C4", 1, 0, 0)]),
    ("facility", [("F1", 9, 4, 3), ("F3", 4, 1, 0), ("F2", 3, 1, 0)]),   # F1: A 4 + B 3 + E 2
])
def test_specificity_by(con, level, expected):
    df = specificity_by(con, Filters(), level)
    assert [(r[level], r.dx_codes, r.unspecified_dx, r.invalid_dx) for _, r in df.iterrows()] == expected
    assert df["invalid_code_rate"].tolist() == pytest.approx([inv / n for _, n, _, inv in expected], rel=1e-12)
    for _, r in df.iterrows():
        low, high = proportion_confint(r.unspecified_dx, r.dx_codes, alpha=0.05, method="wilson")
        assert (r.unspecified_ci_low, r.unspecified_ci_high) == pytest.approx((low, high), rel=1e-12)


def test_specificity_by_keeps_the_unspecified_rate(con):
    # add_wilson(prefix='unspecified_') writes over the SQL's unspecified_rate: the column must stay in the result,
    # with the same value.
    df = specificity_by(con, Filters(), "chapter")
    assert df["unspecified_rate"].tolist() == pytest.approx([u / n for _, n, u, _ in SPECIFICITY_BY_CHAPTER], rel=1e-12)


def specific_alternatives(category: str) -> list[str]:
    """Billable codes of the category whose title does not say 'unspecified', from the package itself."""
    leaves = [c for c in icd.get_descendants(category) if icd.is_leaf(c)]
    return sorted((c for c in leaves if "unspecified" not in icd.get_description(c).lower()), key=lambda c: c.replace(".", ""))


def test_top_unspecified_with_alternatives_from_the_code_set(con):
    df = top_unspecified(con, Filters())
    # M25.569 on A and E, R51.9 on A and B, then J44.9 (C) and N17.9 (G); ties by code.
    assert df[["code", "code_dotted", "uses", "category"]].values.tolist() == [
        ["M25569", "M25.569", 2, "M25"], ["R519", "R51.9", 2, "R51"], ["J449", "J44.9", 1, "J44"], ["N179", "N17.9", 1, "N17"]]
    assert df["description"].tolist()[:2] == ["Pain in unspecified knee", "Headache, unspecified"]
    for row in df.itertuples():
        alternatives = specific_alternatives(row.category)
        assert row.specific_alternatives == len(alternatives) > 0
        assert list(row.examples) == alternatives[:8]
    assert df.set_index("code").loc["R519", "specific_alternatives"] == 1          # R51.0 only
    assert list(df.set_index("code").loc["R519", "examples"]) == ["R51.0"]
    assert top_unspecified(con, Filters(), limit=1)["code"].tolist() == ["M25569"]
    assert top_unspecified(con, Filters(coder=("C4",))).empty                       # H's I10 is specific


def test_invalid_codes(con):
    df = invalid_codes(con, Filters())
    assert [tuple(plain(v) for v in r) for r in df[["code", "uses", "claims", "problem", "description"]].values] == [
        ("E11", 2, 2, "header code: not billable, needs more characters", "Type 2 diabetes mellitus"),  # A and E
        ("ZZZ999", 1, 1, "not in the ICD-10-CM code set", None),                                        # B
    ]
    assert invalid_codes(con, JANUARY)["uses"].tolist() == [1, 1]    # E (2024-12-31) is out of January


# ---------------------------------------------------------------------------------------------------
# Denials


def test_carc_pareto(con):
    df = carc_pareto(con, Filters())
    assert [tuple(plain(v) for v in r) for r in df[["carc", "category", "coding_related", "denial_rows", "denied_claims"]].values] == [
        ("16", "coding", True, 3, 3),                # A 300 + B 200 + E 400; not H's CR nor I's PR
        ("A1", "unknown", False, 1, 1),              # D 150, not in our table
        ("29", "administrative", False, 1, 1),       # B 100
        ("31", "eligibility", False, 1, 1),          # I 75
        ("197", "authorization", False, 1, 1),       # D 60
    ]  # largest first, so the cumulative share does not follow the code order
    assert df["description"].iloc[1] == "(not in our CARC table)"
    assert df["denied_amount"].astype(float).tolist() == [900.0, 150.0, 100.0, 75.0, 60.0]
    assert df["share"].tolist() == pytest.approx([900 / 1285, 150 / 1285, 100 / 1285, 75 / 1285, 60 / 1285], rel=1e-12)
    assert df["cumulative_share"].tolist() == pytest.approx([900 / 1285, 1050 / 1285, 1150 / 1285, 1225 / 1285, 1.0], rel=1e-12)


def test_payer_denials(con):
    df = payer_denials(con, Filters())   # by the remittance payer
    columns = ["payer", "denial_rows", "denied_claims", "denied_amount", "coding_denied_amount"]
    assert [tuple(plain(v) for v in r) for r in df[columns].values] == [
        ("Medicare", 2, 2, 700.0, 700.0),       # A 300 + E 400, both CARC 16
        ("Medicaid", 2, 1, 300.0, 200.0),       # B 100 (29) + 200 (16): only the 200 is coding-related
        ("Summit", 2, 1, 210.0, 0.0),           # D 60 (197) + 150 (A1): no coding dollars is 0, not null
        ("Secondary Co", 1, 1, 75.0, 0.0),      # I 75 (31)
    ]
    assert df["share"].tolist() == pytest.approx([700 / 1285, 300 / 1285, 210 / 1285, 75 / 1285], rel=1e-12)


def test_appeal_funnel(con):
    df = appeal_funnel(con, Filters())
    assert [tuple(plain(v) for v in r) for r in df.values] == [
        ("denied", 7, 1285.0),       # the 7 CO/OA/PI rows with an amount
        ("appealed", 5, 1075.0),     # any appeal status: A 300, B 100 + 200, E 400, I 75 (D's two rows never appealed)
        ("decided", 4, 875.0),       # overturned or upheld: B's pending 200 drops out
        ("overturned", 3, 775.0),    # A 300 + E 400 + I 75; H's CR 'overturned' is not a denial
    ]


def test_appeal_funnel_empty_scope_is_zeros(con):
    assert appeal_funnel(con, NO_CLAIMS)[["denial_rows", "denied_amount"]].values.tolist() == [[0, 0.0]] * 4
    assert carc_pareto(con, NO_CLAIMS).empty and payer_denials(con, NO_CLAIMS).empty


def test_filter_options(con):
    options = filter_options(con)
    assert (options.min_date, options.max_date) == (date(2024, 12, 31), date(2025, 3, 20))
    assert options.facilities == ["F1", "F2", "F3"]
    assert options.payers == ["Medicaid", "Medicare", "Summit"]
    assert options.coders == ["C1", "C2", "C3", "C4"]
    assert options.encounter_types == ["inpatient", "outpatient", "professional"]


def test_control_charts_share_one_monthly_query_and_match_the_summary(con):
    from queries.metrics import control_charts

    charts = control_charts(con, Filters(), ("code_accuracy", "unspecified_rate", "denial_rate"))
    monthly = summary(con, Filters(), "month", intervals=False).set_index("month")
    for rate, (num, den) in {"code_accuracy": ("findings_agree", "findings"), "unspecified_rate": ("unspecified_dx", "dx_codes"),
                             "denial_rate": ("denied_claims", "claims")}.items():
        chart = charts[rate].set_index("period")
        assert chart.index.tolist() == ["2024-12", "2025-01", "2025-02", "2025-03"]  # every month, gaps included
        chart = chart[chart["totals"] > 0]
        expected = monthly[monthly[den] > 0]
        assert chart.index.tolist() == expected.index.tolist()
        assert chart["successes"].tolist() == expected[num].tolist() and chart["totals"].tolist() == expected[den].tolist()
        assert chart["center"].iloc[0] == pytest.approx(expected[num].sum() / expected[den].sum(), rel=1e-12)
    with pytest.raises(MetricsError, match="No control chart for 'nonsense'"):
        control_charts(con, Filters(), ("code_accuracy", "nonsense"))


def test_report_rows_suppressed_from_the_full_summary_are_plain_values(con):
    rows = report_rows(con, Filters(), "coder", suppress_small_cells=True)
    assert [list(r) for r in rows] == [["coder_id", *REPORT_FIELDS, SUPPRESSED_FLAG]] * 4
    assert all(r[SUPPRESSED_FLAG] is True and r["claims"] is None and r["appeal_overturn_rate"] is None for r in rows)
    assert json.loads(json.dumps(rows)) == rows
# ---------------------------------------------------------------------------------------------------
# Denials by what the claim is, and the coding-related share with and without the broad reasons


def test_denials_by_service_line(con):
    # Principal procedures: A 0DTJ4ZZ (ICD-10-PCS section 0: surgical), C CPT 99213 and D CPT 99214 (evaluation and
    # management); the others have none. Denied: E 400 and I 75 (professional, no procedure), A 300, B 300 (B and H
    # outpatient, no procedure), D 210. Largest denied dollars first, ties by name.
    df = denials_by(con, Filters(), "service_line")
    got = [(r.grp, r.claims, r.denied_claims, float(r.denied_amount), float(r.billed_amount)) for r in df.itertuples()]
    assert got == [
        ("Professional no procedure", 2, 2, 475.0, 550.0),
        ("Inpatient surgical", 1, 1, 300.0, 1000.0),
        ("Outpatient no procedure", 2, 1, 300.0, 1100.0),
        ("Professional evaluation and management", 1, 1, 210.0, 300.0),
        ("Inpatient no procedure", 2, 0, 0.0, 5500.0),
        ("Outpatient evaluation and management", 1, 0, 0.0, 200.0),
    ]
    assert df["denial_rate"].tolist() == pytest.approx([1.0, 1.0, 0.5, 1.0, 0.0, 0.0])


def test_denials_by_drg_and_by_principal_procedure(con):
    # DRG: the billed DRG (claims.ms_drg). No claim here has one, though A, G and J have DRG findings: no DRG bar
    # (tests/queries/test_denials_by_drg.py counts the DRG bars).
    assert denials_by(con, Filters(), "drg").empty
    procedure = denials_by(con, Filters(), "procedure")
    assert [(r.grp, r.code_type, r.denied_claims, float(r.denied_amount)) for r in procedure.itertuples()] == [
        ("0DTJ4ZZ", "ICD10PCS", 1, 300.0), ("99214", "CPT", 1, 210.0), ("99213", "CPT", 0, 0.0)]
    with pytest.raises(MetricsError, match="Cannot break denials down by 'payer'"):
        denials_by(con, Filters(), "payer")


def test_each_bar_drills_to_its_denied_claims(store):
    df = denied_claims(store.con, Filters(), "service_line", "Professional no procedure")
    assert df["claim_key"].tolist() == [store.claim_key("CLM-E"), store.claim_key("CLM-I")]  # 400, then 75
    assert df["carcs"].tolist() == ["16", "31"] and df["coding_related"].tolist() == [True, False]
    procedure = denied_claims(store.con, Filters(), "procedure", "99214", "CPT")
    assert procedure["claim_key"].tolist() == [store.claim_key("CLM-D")]
    assert procedure["carcs"].tolist() == ["197, A1"]
    assert denied_claims(store.con, Filters(), "procedure", "99214", "ICD10PCS").empty


def test_coding_share_with_and_without_the_broad_reasons(con):
    # Denied claims: A, B, E, D, I (5). Coding-related: A, B, E, all through CARC 16 (3 of 5). Without CARC 16 and
    # 50 none is left (0 of 5).
    shares = coding_denial_shares(con, Filters())
    assert shares["coding_denied_claims"].tolist() == [3, 0] and shares["denied_claims"].tolist() == [5, 5]
    assert shares["share_rate"].tolist() == pytest.approx([3 / 5, 0.0])
    assert (shares["share_ci_low"].iloc[0], shares["share_ci_high"].iloc[0]) == pytest.approx(
        proportion_confint(3, 5, alpha=0.05, method="wilson"))
    carcs = coding_carcs(con, Filters()).set_index("carc")
    assert carcs.loc["16", ["denied_claims", "denied_amount"]].tolist() == [3, 900.0]   # A 300, B 200, E 400
    assert carcs["broad"][carcs["broad"]].index.tolist() == ["16", "50"]
    assert carcs.drop(index="16")["denied_claims"].sum() == 0
    assert "29" not in carcs.index and "197" not in carcs.index   # not coding-related


def test_the_carc_table_holds_each_code_once():
    """carc_pareto.sql counts per code and joins the names after: equal to grouping the joined rows only so."""
    codes = pd.read_csv(CARC_FILE, dtype=str)["code"]
    assert len(codes) > 30 and codes.is_unique
