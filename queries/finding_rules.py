"""The rules of an audit finding for findings typed in the dashboard: the same SQL definition ingest applies
(queries/sql/finding_rules.sql), run on a small in-memory DuckDB, so a review save is refused with the
sentence an ingest of the same row would give, and stored with the same normalisation."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from queries.sql_files import sql

FIELDS = ("code_type", "submitted_code", "audited_code", "finding", "error_category", "dollar_impact")


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
