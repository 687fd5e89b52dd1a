"""Grouping at ingest: the inpatient claims a batch touched are grouped and edited by the MCE from what the
store now holds, and their results replace the ones stored before. The grouping itself, shared with the
review worklist's regrouping, is queries/drg/grouping.py."""
from __future__ import annotations

import duckdb

from ingest.sql_files import sql
from queries.drg.grouping import group_staged


def group_stored_claims(con: duckdb.DuckDBPyConnection) -> int:
    """Group the inpatient claims this batch touched (and any inpatient claim not grouped yet) and replace
    their stored results. Needs the batch's accepted rows (accepted_claims, accepted_claim_codes) after the upsert.
    Returns how many claims were grouped."""
    con.execute(sql("drg/to_group"))
    con.execute(sql("drg/stage_store"))
    tables = group_staged(con)
    for name, rows in tables.items():
        con.register(name, rows)
    con.execute(sql("drg/replace"))
    for name in tables:
        con.unregister(name)
    return tables["drg_new"].num_rows
