"""What the worklist shows of a sampled claim, read from the store: its encounter, billed amount and coder,
and the submitted codes with their ICD-10-CM titles. Pseudonymous: identifiers stay in the vault."""
from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd

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
