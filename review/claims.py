"""What the worklist shows of a sampled claim, read from the store: its encounter, billed amount and coder,
its submitted codes, and the DRG finding the auditor's code findings support. Pseudonymous: identifiers
stay in the vault."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import duckdb
import pandas as pd

from queries.drg.grouper import DrgFindingProposal, FindingMismatch
from queries.drg.grouping import propose_from_findings
from queries.finding_rules import FIELDS, check_findings
from queries.reference import describe
from review.sql_files import sql


def claim(con: duckdb.DuckDBPyConnection, claim_key: str) -> dict[str, Any] | None:
    found = con.execute(sql("frame/claim"), {"claim_key": claim_key}).df()
    return None if found.empty else found.iloc[0].to_dict()


def submitted_codes(con: duckdb.DuckDBPyConnection, claim_key: str) -> pd.DataFrame:
    return con.execute(sql("frame/submitted_codes"), {"claim_key": claim_key}).df()


def first_findings(codes: pd.DataFrame) -> list[dict[str, Any]]:
    """A new review's starting rows: one `agree` per submitted code (the DRG finding is entered apart)."""
    return [{"code_type": row.code_type, "submitted_code": row.code, "audited_code": row.code, "finding": "agree",
             "error_category": None, "dollar_impact": 0.0} for row in codes.itertuples()]


def drg_proposal(con: duckdb.DuckDBPyConnection, claim_key: str, rows: Sequence[Mapping[str, object]]) -> DrgFindingProposal:
    """The DRG finding the code-level rows typed so far support: the audited codes regrouped live
    (queries.drg.grouping.propose_from_findings). Rows are as the worklist's editor holds them (text as typed;
    MSDRG rows are left out). A row that breaks a finding rule, or revises or deletes a code the claim does
    not have, gives no proposal, with the reason."""
    code_rows = [{name: row.get(name) for name in FIELDS} for row in rows if row.get("code_type") != "MSDRG"]
    checked = check_findings(code_rows)
    for i, result in enumerate(checked, start=1):
        if result.problem is not None:
            return DrgFindingProposal(None, None, None, None, None, reason=f"finding {i}: {result.problem}")
    try:
        return propose_from_findings(con, claim_key, checked)
    except FindingMismatch as exc:
        return DrgFindingProposal(None, None, None, None, None, reason=str(exc))


def drg_finding_impact(finding: str | None, dollars: float | None) -> float | None:
    """The dollar impact a DRG finding taken from the grouper carries: 0.00 for agree (the billed DRG stands, so
    no payment changes, whether or not the weights are known); otherwise `dollars`, the weight difference at
    the base rate (DrgFindingProposal.dollars), None when not known, for the auditor to type."""
    return 0.0 if finding == "agree" else dollars


def claim_lines(codes: pd.DataFrame, rows: Sequence[Mapping[str, object]]) -> list[int | None]:
    """The claim line each finding's submitted code is on, so two findings on one code are told apart: the k-th
    finding on a code is on the k-th line holding it (in line order, as the regrouping matches them); None for an
    added code or one the claim does not have."""
    free: dict[tuple[object, object], list[int]] = {}
    for code in codes.itertuples():
        free.setdefault((code.code_type, code.code), []).append(int(code.line))
    found = []
    for row in rows:
        lines = free.get((row.get("code_type"), row.get("submitted_code")))
        found.append(lines.pop(0) if lines else None)
    return found


def described(row: Mapping[str, object]) -> str:
    """A finding's codes as a coder reads them: 'E87.1 Hypo-osmolality and hyponatremia -> E87.0 ...' for a
    revise, the one code otherwise (queries.reference.describe: official titles, never CPT's)."""
    code_type = str(row.get("code_type") or "")
    submitted, audited = row.get("submitted_code"), row.get("audited_code")
    parts = [describe(code_type, str(code)) for code in (submitted, audited) if code]
    if len(parts) == 2 and submitted == audited:
        parts = parts[:1]
    return " -> ".join(parts)
