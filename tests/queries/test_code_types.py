"""One finding vocabulary: the code types ingest accepts in claim_codes, what a finding may be on (those and
MSDRG), its findings and error categories, named once in queries.finding_rules and held equal by the SQL
rules, the words the pages show and the choices the Record review page offers. The admitting diagnosis
(ICD10CM_ADMIT) was once accepted in claim codes but refused in findings, so no review of a claim that had
one could be completed."""
from __future__ import annotations

import duckdb

from queries import finding_rules, reference, words
from queries.finding_rules import check_findings
from queries.sql_files import sql
from views import reviews


def _sql_list(macro: str) -> list[str]:
    con = duckdb.connect(":memory:")
    try:
        con.execute(sql("rule_macros"))
        con.execute(sql("finding_rules"))
        return con.execute(f"SELECT {macro}()").fetchone()[0]
    finally:
        con.close()


def test_the_rules_and_the_pages_share_one_list_of_code_types():
    assert _sql_list("claim_code_types") == list(reference.CLAIM_CODE_TYPES)
    assert _sql_list("finding_code_types") == [*reference.CLAIM_CODE_TYPES, "MSDRG"]
    assert set(reference.CODE_TYPES) == {*reference.CLAIM_CODE_TYPES, "MSDRG"}
    assert _sql_list("finding_code_types") == list(finding_rules.FINDING_CODE_TYPES)
    assert reviews.CODE_TYPES == reference.CLAIM_CODE_TYPES


def test_the_rules_the_words_and_the_pages_share_one_list_of_findings_and_error_categories():
    assert _sql_list("finding_kinds") == list(finding_rules.FINDINGS)
    assert _sql_list("error_categories") == list(finding_rules.ERROR_CATEGORIES)
    assert tuple(words.FINDINGS) == finding_rules.FINDINGS and tuple(words.ERROR_CATEGORIES) == finding_rules.ERROR_CATEGORIES
    assert (reviews.FINDINGS, reviews.CATEGORIES) == (finding_rules.FINDINGS, finding_rules.ERROR_CATEGORIES)


def test_a_finding_outside_the_vocabulary_is_refused_naming_the_vocabulary():
    base = {"code_type": "CPT", "submitted_code": "99213", "audited_code": "99214"}
    problems = [r.problem for r in check_findings([{**base, "finding": "maybe"}, {**base, "finding": None},
                                                   {**base, "finding": "revise"},
                                                   {**base, "finding": "revise", "error_category": "typo"}])]
    assert problems == ["finding 'aaaaa' is not one of agree, revise, add, delete",
                        "finding is missing (agree, revise, add or delete)",
                        "error_category is missing for finding revise (specificity, wrong_code, sequencing, missing_code, "
                        "unsupported_code, modifier, poa, drg or other)",
                        "error_category 'aaaa' is not one of specificity, wrong_code, sequencing, missing_code, "
                        "unsupported_code, modifier, poa, drg, other"]


def test_a_finding_on_every_claim_code_type_passes_the_rules():
    rows = [{"code_type": kind, "submitted_code": "R06.02", "audited_code": "R06.02", "finding": "agree"}
            for kind in reference.CLAIM_CODE_TYPES]
    assert [result.problem for result in check_findings(rows)] == [None] * len(rows)


def test_an_admitting_diagnosis_is_described_as_a_diagnosis():
    assert reference.describe("ICD10CM_ADMIT", "R0602") == "R06.02 Shortness of breath"
    assert reference.CODE_TYPES["ICD10CM_ADMIT"] == "ICD-10-CM admitting diagnosis"
