"""DRG validation metrics against values worked out by hand on a ten-claim store.

The batch below goes through the real ingest (grouping included) once per module, with a weights file of
our own. Each claim's DRG follows from the MS-DRG definitions (tests/queries/drg/test_drg.py checks the same
groupings one by one); the per-claim table further down gives every flag, and each expected value is
arithmetic on that table, written next to the assertion.
"""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest
from statsmodels.stats.proportion import proportion_confint

from config.paths import Paths
from ingest import reference
from ingest.writer import ingest
from queries import sql_files
from queries.drg import metrics as drg_metrics
from queries.drg.grouping import propose_from_findings
from queries.metrics import FLAGGED_QUERIES, REPORT_FIELDS, Filters, MetricsError, control_chart, error_pareto, report_rows, summary
from queries.store import connect_read_only
from review import claims
from tests.conftest import Recorded
from tests.queries.drg.test_drg import Finding

REPO = Path(__file__).resolve().parents[3]
# claim, coder, facility, encounter, service, discharge, dob, sex, billed DRG, codes (line 1 first; '!' a procedure)
CLAIMS = [
    ("P1", "C1", "F1", "inpatient", "2026-05-01", "2026-05-03", "1950-01-01", "M", "291", ["I50.20", "N17.0"]),
    ("P2", "C1", "F1", "inpatient", "2026-05-01", "2026-05-03", "1950-01-01", "M", "291", ["I50.20", "N17.0", "E87.1"]),
    ("P3", "C2", "F1", "inpatient", "2026-05-01", "2026-05-03", "1950-01-01", "M", "292", ["I50.20"]),
    ("P4", "C2", "F2", "inpatient", "2026-05-01", "2026-05-03", "1950-01-01", "M", "690", ["N39.0", "E87.1"]),
    ("P5", "C2", "F2", "inpatient", "2026-05-01", "2026-05-03", "1950-01-01", "M", "313", ["R07.9", "E87.1"]),
    ("P6", "C1", "F2", "inpatient", "2026-05-01", "2026-05-03", "1950-01-01", "M", "293", ["V00.01XA", "E87.1"]),
    ("P7", "C1", "F1", "inpatient", "2027-04-28", "2027-05-01", "1950-01-01", "M", "291", ["I50.20"]),
    ("P8", "C2", "F1", "outpatient", "2026-05-01", "", "1950-01-01", "M", "291", ["I50.20"]),
    ("P9", "C2", "F1", "inpatient", "2026-05-01", "2026-05-03", "1930-01-01", "M", "", ["I50.20", "N17.0"]),
    ("P10", "C1", "F2", "inpatient", "2024-05-28", "2024-06-01", "1955-01-01", "F", "724", ["C61"]),
]
# What each claim is, from the definitions:
#
# claim  grouped  billed  mismatch  ungroupable            MCE edit        split  rests on   CC/MCC  single  billed weight
# P1     291      291     -         -                      -               yes    N17.0 MCC  1       yes     1.3
# P2     291      291     -         -                      -               yes    N17.0 MCC  2       -       1.3
# P3     293      292     yes       -                      -               yes    -          0       -       0.9
# P4     690      690     -         -                      -               yes    - (E87.1 is a CC; 690 splits on MCC only)  0.8
# P5     313      313     -         -                      -               no     - (chest pain has no split)                0.7
# P6     999      293     yes       grouper: V00.01XA      E_CODE_AS_PDX   no     -          1 (E87.1 reported)          0.65
# P7     (none)   291     - (not grouped: no answer)  refused: discharged after 2027-03-31    -  -  -                     none for FY2027
# P8     outpatient: not an inpatient claim, in no DRG metric
# P9     291      (none)  -         -                      -               yes    N17.0 MCC  1       yes     - (not billed)
# P10    724      724     -         -                      SEX_CONFLICT    yes    -          0       -       1.1 (FY2024)
#        (prostate cancer on a female patient, discharged in FY2024, when the MCE still had its sex-conflict edit)
WEIGHTS = "drg,fiscal_year,weight\n291,2026,1.3\n292,2026,0.9\n293,2026,0.65\n690,2026,0.8\n313,2026,0.7\n724,2024,1.1\n"
FINDINGS = [  # DRG findings of audits: P3 revised as the grouper did, P4 revised to 689 (no weight), P1 agreed
    ("P3", "292", "293", "revise", "drg"), ("P4", "690", "689", "revise", "drg"), ("P1", "291", "291", "agree", ""),
]
BASE_RATE = 6000.0
OVERALL = {
    "inpatient_claims": 9,             # all but P8
    "billed_drg_claims": 8,            # inpatient with a billed DRG: all but P9
    "drg_mismatches": 2,               # P3 (292 vs 293), P6 (293 vs 999); P7 has no grouped DRG to differ
    "drg_mismatch_rate": 2 / 8,
    "ungroupable_claims": 2, "ungroupable_rate": 2 / 9,   # P6 (the grouper's 999), P7 (refused)
    "mce_edit_claims": 2, "mce_edit_rate": 2 / 9,         # P6, P10
    "severity_split_claims": 6,        # P1, P2, P3, P4, P9, P10
    "cc_mcc_captured": 3, "cc_mcc_capture_rate": 3 / 6,   # P1, P2, P9
    "cc_mcc_claims": 3, "single_cc_mcc_claims": 2, "single_cc_mcc_share": 2 / 3,  # P1 and P9 of P1, P2, P9
    "weighted_claims": 7, "case_mix_index": (1.3 + 1.3 + 0.9 + 0.8 + 0.7 + 0.65 + 1.1) / 7,
}
BY_CODER = {
    "C1": {"inpatient_claims": 5, "drg_mismatch_rate": 1 / 5, "ungroupable_rate": 2 / 5, "mce_edit_rate": 2 / 5,
           "cc_mcc_capture_rate": 2 / 3, "single_cc_mcc_share": 1 / 2, "case_mix_index": (1.3 + 1.3 + 0.65 + 1.1) / 4},
    "C2": {"inpatient_claims": 4, "drg_mismatch_rate": 1 / 3, "ungroupable_rate": 0 / 4, "mce_edit_rate": 0 / 4,
           "cc_mcc_capture_rate": 1 / 3, "single_cc_mcc_share": 1 / 1, "case_mix_index": (0.9 + 0.8 + 0.7) / 3},
}


def write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.write_text("\n".join(",".join(row) for row in [header, *rows]) + "\n")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Paths, duckdb.DuckDBPyConnection]]:
    root = tmp_path_factory.mktemp("drg-metrics")
    src = root / "in"
    src.mkdir()
    write(src / "claims.csv", ["claim_id", "coder_id", "facility_id", "encounter_type", "service_date", "discharge_date",
                               "patient_dob", "patient_sex", "ms_drg", "payer", "billed_amount", "discharge_status"],
          [[*row[:9], "Medicare", "1000.00", "01"] for row in CLAIMS])
    write(src / "claim_codes.csv", ["claim_id", "line", "code_type", "code", "poa"],
          [[row[0], str(line), "ICD10CM_DX", code, "Y"] for row in CLAIMS for line, code in enumerate(row[9], 1)])
    write(src / "audit_findings.csv", ["claim_id", "review_id", "auditor_id", "review_date", "code_type", "submitted_code",
                                       "audited_code", "finding", "error_category"],
          [[claim, "R1", "A1", "2027-05-20", "MSDRG", *rest] for claim, *rest in FINDINGS])
    (root / "drg_weights.csv").write_text(WEIGHTS)
    paths = Paths(data_dir=root / "data", key_dir=root / "keys").ensure()
    with pytest.MonkeyPatch.context() as env:
        env.setattr(reference, "DRG_WEIGHTS_FILE", root / "drg_weights.csv")
        for var in ("CODEAUDIT_DATA_KEYS", "CODEAUDIT_PSEUDONYM_KEY", "CODEAUDIT_LOG_KEY"):
            env.delenv(var, raising=False)
        ingest(src, paths, recorder=Recorded(), today=date(2027, 6, 1))
    con = connect_read_only(paths)
    yield paths, con
    con.close()


@pytest.fixture(scope="module")
def con(store):
    return store[1]


def approx(expected: dict) -> object:
    return pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_overall(con):
    row = summary(con, Filters()).iloc[0]
    assert {k: row[k] for k in OVERALL} == approx(OVERALL)
    low, high = proportion_confint(2, 8, alpha=0.05, method="wilson")
    assert (row["drg_mismatch_rate_ci_low"], row["drg_mismatch_rate_ci_high"]) == approx((low, high))


def test_by_coder_and_by_month(con):
    by_coder = summary(con, Filters(), by="coder").set_index("coder_id")
    for coder, expected in BY_CODER.items():
        assert {k: by_coder.loc[coder, k] for k in expected} == approx(expected), coder
    by_month = summary(con, Filters(), by="month").set_index("month")
    # 2024-05: P10; 2026-05: P1-P6, P9 (P8 is outpatient); 2027-04: P7, the one refused.
    assert by_month["inpatient_claims"].to_dict() == {"2024-05": 1, "2026-05": 7, "2027-04": 1}
    assert by_month["ungroupable_rate"].to_dict() == approx({"2024-05": 0.0, "2026-05": 1 / 7, "2027-04": 1.0})
    chart = control_chart(con, Filters(), "drg_mismatch_rate")
    # every month of the scope is charted (months without inpatient claims are gaps, 0 of 0)
    months = list(zip(chart.period, chart.successes, chart.totals))
    assert [m for m in months if m[2]] == [("2024-05", 0, 1), ("2026-05", 2, 6), ("2027-04", 0, 1)]
    assert len(months) == 36 and {m[1:] for m in months if m[0] not in ("2024-05", "2026-05", "2027-04")} == {(0, 0)}


def test_report_rows_carry_exactly_the_six_drg_fields(con):
    drg_fields = ["inpatient_claims", "drg_mismatch_rate", "ungroupable_rate", "mce_edit_rate", "single_cc_mcc_share", "case_mix_index"]
    assert list(REPORT_FIELDS[-6:]) == drg_fields
    row = report_rows(con, Filters())[0]
    assert {k: row[k] for k in drg_fields} == approx({k: OVERALL[k] for k in drg_fields})
    coder = {r["coder_id"]: r for r in report_rows(con, Filters(), by="coder")}
    assert coder["C2"]["single_cc_mcc_share"] == 1.0 and coder["C1"]["case_mix_index"] == pytest.approx(4.35 / 4)


def test_case_mix_index_is_null_without_weights(con):
    row = summary(con, Filters(facility=("F9",))).iloc[0]  # an empty scope
    assert row["inpatient_claims"] == 0 and math.isnan(row["case_mix_index"]) and math.isnan(row["drg_mismatch_rate"])


def test_mce_edits_by_type(con):
    edits = drg_metrics.mce_edits(con, Filters())
    assert list(zip(edits.edit, edits.claims, edits.inpatient_claims)) == [("E_CODE_AS_PDX", 1, 9), ("SEX_CONFLICT", 1, 9)]
    assert edits.edit_rate.tolist() == approx([1 / 9, 1 / 9])


def test_drg_shifts_from_audits_and_from_the_grouper(con):
    shifts = drg_metrics.audit_drg_shifts(con, Filters(), BASE_RATE)
    pairs = shifts.pairs
    assert list(zip(pairs.billed_drg, pairs.revised_drg, pairs.findings, pairs.weighted)) == [("292", "293", 1, 1), ("690", "689", 1, 0)]
    assert pairs.weight_difference[0] == pytest.approx(0.65 - 0.9) and math.isnan(pairs.weight_difference[1])
    assert pairs.dollar_impact[0] == pytest.approx((0.65 - 0.9) * BASE_RATE)
    # totals over every pair, not only those shown: 2 revising findings, 1 with both weights (P3), -0.25 x base rate
    assert (shifts.changes, shifts.weighted) == (2, 1) and shifts.weight_difference == pytest.approx(-0.25)
    assert shifts.dollar_impact == pytest.approx(-0.25 * BASE_RATE)
    assert drg_metrics.audit_drg_shifts(con, Filters(), BASE_RATE, limit=1).changes == 2
    without = drg_metrics.audit_drg_shifts(con, Filters())  # no base rate: weights only
    assert "dollar_impact" not in without.pairs.columns and without.dollar_impact is None
    grouped = drg_metrics.mismatch_pairs(con, Filters(), BASE_RATE)
    pairs = grouped.pairs
    assert list(zip(pairs.billed_drg, pairs.grouped_drg, pairs.claims, pairs.weighted)) == [("292", "293", 1, 1), ("293", "999", 1, 0)]
    assert pairs.weight_difference[0] == pytest.approx(-0.25)
    # P3 (292 -> 293: 0.65 - 0.9) and P6 (293 -> 999, which has no weight)
    assert (grouped.changes, grouped.weighted, grouped.weight_difference) == (2, 1, pytest.approx(-0.25))
    none = drg_metrics.mismatch_pairs(con, Filters(coder=("C9",)), BASE_RATE)
    assert none.pairs.empty and (none.changes, none.weighted, none.weight_difference, none.dollar_impact) == (0, 0, None, None)


def test_capture_by_family(con):
    families = drg_metrics.families(con, Filters())
    assert list(zip(families.drg_family, families.family_title, families.claims, families.cc_mcc_captured, families.single_cc_mcc_claims)) == [
        ("291", "Heart Failure and Shock", 4, 3, 2), ("689", "Kidney and Urinary Tract Infections", 1, 0, 0),
        ("722", "Malignancy, male reproductive system", 1, 0, 0)]
    assert families.capture_rate[0] == pytest.approx(3 / 4)


def test_flagged_claims_behind_the_figures(con):
    def shown(flag: str) -> list[tuple]:
        claims = drg_metrics.flagged_claims(con, Filters(), flag, BASE_RATE)
        return sorted(zip(claims.billed_drg.fillna(""), claims.grouped_drg.fillna(""), claims.cc_mcc_codes.fillna(""),
                          claims.mce_edits.fillna(""), claims.age, claims.sex))
    # P1 and P9 (96 at admission: shown 90+; no billed DRG)
    assert shown("single_cc_mcc") == [("", "291", "N17.0 MCC*", "", "90+", "M"), ("291", "291", "N17.0 MCC*", "", "76", "M")]
    # P3; P6, whose E87.1 the grouper still reports, though it moved nothing
    assert shown("drg_mismatch") == [("292", "293", "", "", "76", "M"), ("293", "999", "E87.1 CC", "E_CODE_AS_PDX", "76", "M")]
    assert shown("mce_edit") == [("293", "999", "E87.1 CC", "E_CODE_AS_PDX", "76", "M"), ("724", "724", "", "SEX_CONFLICT", "69", "F")]
    mismatch = drg_metrics.flagged_claims(con, Filters(), "drg_mismatch", BASE_RATE).set_index("billed_drg")
    assert mismatch.loc["292", "weight_difference"] == pytest.approx(-0.25)
    assert mismatch.loc["292", "dollar_impact"] == pytest.approx(-0.25 * BASE_RATE)
    assert math.isnan(mismatch.loc["293", "weight_difference"])  # 999 has no weight
    ungrouped = drg_metrics.flagged_claims(con, Filters(), "drg_ungroupable")
    assert sorted(reason[:24] for reason in ungrouped.ungroupable_reason) == [  # P7 refused, P6 the grouper's 999
        "discharged 2027-05-01, o", "grouper: the principal d"]
    assert all(len(key) == 24 for key in ungrouped.claim_key)  # pseudonymous keys, never claim ids
    assert len(drg_metrics.flagged_claims(con, Filters(), "mce_edit", limit=1)) == 1
    with pytest.raises(MetricsError, match="No claim flag 'upcoded'"):
        drg_metrics.flagged_claims(con, Filters(), "upcoded")


def test_review_findings_on_a_stored_claim_propose_the_drg_finding(con):
    p2 = con.execute("SELECT claim_key FROM claims AS c WHERE ms_drg = '291' AND "
                     "(SELECT count(*) FROM claim_codes AS k WHERE k.claim_key = c.claim_key) = 3").fetchone()[0]
    # P2 (I50.20, N17.0 MCC, E87.1 CC; billed 291): without the MCC, the CC leaves it in 292
    deleted = propose_from_findings(con, p2, [Finding("ICD10CM_DX", "N170", None, "delete")])
    assert (deleted.finding, deleted.submitted_code, deleted.audited_code) == ("revise", "291", "292")
    assert deleted.weight_difference == pytest.approx(0.9 - 1.3)  # the weights file's FY2026 weights
    kept = propose_from_findings(con, p2, [Finding("ICD10CM_DX", "E871", None, "delete")])  # the MCC still carries 291
    assert (kept.finding, kept.audited_code, kept.weight_difference) == ("agree", "291", 0.0)


def test_the_worklist_proposes_the_drg_finding_from_the_rows_typed_so_far(con):
    """The Record review page regroups live: the rows as the auditor typed them (dots, lower case, an MSDRG
    row among them) give the proposal; a row that breaks a finding rule, or changes a code the claim does not
    have, gives none, with the reason."""
    p2 = con.execute("SELECT claim_key FROM claims AS c WHERE ms_drg = '291' AND "
                     "(SELECT count(*) FROM claim_codes AS k WHERE k.claim_key = c.claim_key) = 3").fetchone()[0]
    typed = [{"code_type": "ICD10CM_DX", "submitted_code": "I50.20", "audited_code": "i50.20", "finding": "agree"},
             {"code_type": "ICD10CM_DX", "submitted_code": "n17.0", "audited_code": None, "finding": "delete",
              "error_category": "unsupported_code", "dollar_impact": "-10"},
             {"code_type": "ICD10CM_DX", "submitted_code": "E87.1", "audited_code": "E87.1", "finding": "agree"},
             {"code_type": "MSDRG", "submitted_code": "291", "audited_code": "291", "finding": "agree"}]
    proposal = claims.drg_proposal(con, p2, typed)
    assert (proposal.finding, proposal.submitted_code, proposal.audited_code, proposal.error_category) == ("revise", "291", "292", "drg")
    assert proposal.title == "Heart Failure and Shock with CC"
    assert proposal.dollars(BASE_RATE) == pytest.approx((0.9 - 1.3) * BASE_RATE) and proposal.dollars(None) is None
    broken = claims.drg_proposal(con, p2, [typed[0], {**typed[1], "error_category": None}])
    assert broken.finding is None and broken.reason.startswith("finding 2: error_category is missing")
    absent = claims.drg_proposal(con, p2, [{**typed[1], "submitted_code": "I10"}])
    assert absent.finding is None and "has no ICD10CM_DX code I10" in absent.reason


def test_claim_flags_narrow_the_frame(con):
    def claims(*flags: str) -> int:
        return int(summary(con, Filters(claim_flags=flags)).iloc[0]["claims"])
    assert (claims("single_cc_mcc"), claims("drg_mismatch"), claims("mce_edit"), claims("mce_edit", "drg_ungroupable")) == (2, 2, 2, 1)
    with pytest.raises(MetricsError, match="cannot be narrowed to flagged claims"):
        error_pareto(con, Filters(claim_flags=("mce_edit",)))
    with pytest.raises(MetricsError, match="No claim flag 'upcoded'"):
        Filters(claim_flags=("upcoded",))


def test_the_queries_that_honour_claim_flags_are_those_whose_sql_reads_them():
    """FLAGGED_QUERIES is the declaration _run obeys; a query reading $claim_flags outside it would be refused a
    flagged scope (and one inside it not reading them would fail to bind)."""
    folder = Path(sql_files.__file__).parent / "sql" / "metrics"
    reading = {path.stem for path in folder.glob("*.sql") if "$claim_flags" in path.read_text()}
    assert reading == FLAGGED_QUERIES


def test_weights_source_says_whose_weights_these_are(con):
    source = drg_metrics.weights_source(con)
    assert (source.weights, source.synthetic, source.first_year, source.last_year) == (6, False, 2024, 2026)
    assert "data/reference/drg_weights.csv" in source.describe()


def test_command_line_prints_the_drg_fields(store):
    paths, _ = store
    env = {**os.environ, "CODEAUDIT_DATA_DIR": str(paths.data_dir), "CODEAUDIT_KEY_DIR": str(paths.key_dir)}
    run = subprocess.run([sys.executable, "manage.py", "metrics", "--json", "--include-small-cells"], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=120)
    row = json.loads(run.stdout)[0]
    assert {k: row[k] for k in ("inpatient_claims", "drg_mismatch_rate", "ungroupable_rate", "mce_edit_rate", "single_cc_mcc_share",
                                "case_mix_index")} == approx({k: OVERALL[k] for k in ("inpatient_claims", "drg_mismatch_rate",
                                                                                      "ungroupable_rate", "mce_edit_rate",
                                                                                      "single_cc_mcc_share", "case_mix_index")})


def test_an_audited_code_the_mce_calls_invalid_proposes_no_drg_shift(con):
    """An auditor who revises N17.0 (the MCC) to the header code N17 (a typo: not a valid
    ICD-10-CM code) gets a live proposal 'revise 291 -> 292' with its dollars, although the grouper only
    dropped the MCC because the MCE found the code invalid (INVALID_CODE). The page says it regrouped
    'through the MS-DRG grouper and MCE', so a proposal resting on an invalid audited code must say so
    rather than offer a one-click DRG downgrade."""
    p2 = con.execute("SELECT claim_key FROM claims AS c WHERE ms_drg = '291' AND "
                     "(SELECT count(*) FROM claim_codes AS k WHERE k.claim_key = c.claim_key) = 3").fetchone()[0]
    typed = [{"code_type": "ICD10CM_DX", "submitted_code": "N17.0", "audited_code": "N17", "finding": "revise",
              "error_category": "specificity", "dollar_impact": "0"}]
    proposal = claims.drg_proposal(con, p2, typed)
    assert proposal.finding is None, proposal
    assert "N17" in (proposal.reason or "") or "INVALID_CODE" in (proposal.reason or "")
