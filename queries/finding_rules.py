"""The finding vocabulary and the rules of an audit finding.

The vocabulary (a finding's fields, its findings, error categories and code types) is named here once for
Python: review/ and the pages import it, queries.words gives each value its words, and the SQL rules
(queries/sql/finding_rules.sql, macros finding_kinds() and error_categories(); finding_code_types() in
queries/sql/rule_macros.sql) hold the same lists (tests/queries/test_code_types.py keeps them equal).

The rules, for findings typed in the dashboard: the same SQL definition ingest applies, run on a small
in-memory DuckDB, so a review save is refused with the sentence an ingest of the same row would give, and
stored with the same normalisation."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from queries.reference import CLAIM_CODE_TYPES
from queries.sql_files import sql

# A finding's fields, in the order of the findings file (docs/FORMAT.md) and of the worklist's grid.
FIELDS = ("code_type", "submitted_code", "audited_code", "finding", "error_category", "dollar_impact")
# What an auditor found about one code, in the order the pages offer it.
FINDINGS = ("agree", "revise", "add", "delete")
# Why a finding other than agree is an error, in the order the pages offer it.
ERROR_CATEGORIES = ("specificity", "wrong_code", "sequencing", "missing_code", "unsupported_code", "modifier", "poa",
                    "drg", "other")
# The code types a finding may be on: every claim code type, and the claim's DRG.
DRG_CODE_TYPE = "MSDRG"
FINDING_CODE_TYPES = (*CLAIM_CODE_TYPES, DRG_CODE_TYPE)


@dataclass(frozen=True)
class CheckedFinding:
    """A finding as ingest would store it (codes upper case without dots, blanks None, the amount as a
    decimal string such as '-120.00'), or the first rule it breaks (`problem`)."""

    problem: str | None
    code_type: str | None
    submitted_code: str | None
    audited_code: str | None
    finding: str | None
    error_category: str | None
    dollar_impact: str | None


def check_findings(rows: Sequence[Mapping[str, object]]) -> list[CheckedFinding]:
    """Each row (keys FIELDS; values text or None) normalised and checked, in order."""
    if not rows:
        return []
    table = pa.table({
        "position": pa.array(range(len(rows)), pa.int64()),
        **{name: pa.array([None if row.get(name) is None else str(row.get(name)) for row in rows], pa.string())
           for name in FIELDS},
    })
    con = duckdb.connect(":memory:", config={"threads": 1, "temp_directory": ""})
    try:
        con.execute(sql("rule_macros"))
        con.execute(sql("finding_rules"))
        con.register("typed_findings", table)
        return [CheckedFinding(*row) for row in con.execute(sql("findings/check")).fetchall()]
    finally:
        con.close()
