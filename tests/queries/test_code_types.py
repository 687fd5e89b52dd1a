"""One list of code types: what ingest accepts in claim_codes, what a finding may be on (those and MSDRG),
what the pages name and describe, and what an auditor may add on the Record review page. The admitting
diagnosis (ICD10CM_ADMIT) was once accepted in claim codes but refused in findings, so no review of a claim
that had one could be completed."""
from __future__ import annotations

import duckdb

from queries import reference
from queries.finding_rules import check_findings
from queries.sql_files import sql
from views import reviews


def _sql_list(macro: str) -> list[str]:
    con = duckdb.connect(":memory:")
    try:
        con.execute(sql("rule_macros"))
        return con.execute(f"SELECT {macro}()").fetchone()[0]
    finally:
        con.close()


def test_the_rules_and_the_pages_share_one_list_of_code_types():
    assert _sql_list("claim_code_types") == list(reference.CLAIM_CODE_TYPES)
    assert _sql_list("finding_code_types") == [*reference.CLAIM_CODE_TYPES, "MSDRG"]
    assert set(reference.CODE_TYPES) == {*reference.CLAIM_CODE_TYPES, "MSDRG"}
    assert reviews.CODE_TYPES == reference.CLAIM_CODE_TYPES


def test_a_finding_on_every_claim_code_type_passes_the_rules():
    rows = [{"code_type": kind, "submitted_code": "R06.02", "audited_code": "R06.02", "finding": "agree"}
            for kind in reference.CLAIM_CODE_TYPES]
    assert [result.problem for result in check_findings(rows)] == [None] * len(rows)


def test_an_admitting_diagnosis_is_described_as_a_diagnosis():
    assert reference.describe("ICD10CM_ADMIT", "R0602") == "R06.02 Shortness of breath"
    assert reference.CODE_TYPES["ICD10CM_ADMIT"] == "ICD-10-CM admitting diagnosis"
