"""Grouping at ingest: every inpatient claim a batch loads (or whose codes it loads) is grouped and edited
by the MCE from its stored codes and encounter, and its results replace the ones stored before.

Grouping reads only what the store holds (the age is the stored one, 90 for 90 or older), so the same
claim always gives the same rows: a repeated ingest changes nothing, and the review worklist's
`regroup_stored` gives what the ingest gave for the submitted codes. Runs inside the ingest's write
transaction, on its in-memory connection.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

import duckdb
import pyarrow as pa

from queries.drg import ClaimCode, DrgInput, DrgResult, Encounter, group_many, regroup
from queries.sql_files import sql


def _inputs(table: pa.Table) -> list[DrgInput]:
    columns = {name: table.column(name).to_pylist() for name in table.column_names}
    items = []
    for discharge, age, sex, status, dx, lines, poa, px, admitting in zip(
            columns["discharge_date"], columns["patient_age"], columns["patient_sex"], columns["discharge_status"],
            columns["dx"], columns["dx_line"], columns["dx_poa"], columns["px"], columns["admitting"], strict=True):
        dx, lines, poa = dx or [], lines or [], poa or []
        first = lines.index(1) if 1 in lines else None
        rest = [i for i in range(len(dx)) if i != first]
        items.append(DrgInput(
            encounter=Encounter(discharge, age, sex, status),
            principal=dx[first] if first is not None else None, principal_poa=poa[first] if first is not None else None,
            secondary=tuple(dx[i] for i in rest), secondary_poa=tuple(poa[i] for i in rest),
            secondary_lines=tuple(lines[i] for i in rest), procedures=tuple(px or ()), admitting=admitting,
        ))
    return items


def _result_tables(keys: Sequence[str], results: Sequence[DrgResult]) -> dict[str, pa.Table]:
    claims = pa.table({
        "claim_key": pa.array(keys, pa.string()),
        "grouper_version": pa.array([r.grouper_version for r in results], pa.int32()),
        "fiscal_year": pa.array([r.fiscal_year for r in results], pa.int32()),
        "grouped_drg": pa.array([r.drg for r in results], pa.string()),
        "grouped_mdc": pa.array([r.mdc for r in results], pa.int32()),
        "drg_family": pa.array([r.family for r in results], pa.string()),
        "drg_title": pa.array([r.title for r in results], pa.string()),
        "return_code": pa.array([r.return_code for r in results], pa.string()),
        "ungroupable_reason": pa.array([r.ungroupable_reason for r in results], pa.string()),
        "severity_split": pa.array([r.severity_split for r in results], pa.bool_()),
        "cc_mcc_sdx": pa.array([len(r.cc_mcc) for r in results], pa.int32()),
        "cc_mcc_affecting": pa.array([sum(c.affects_final_drg for c in r.cc_mcc) for r in results], pa.int32()),
        "mce_edit_type": pa.array([r.mce_edit_type for r in results], pa.string()),
    })
    cc = [(k, c) for k, r in zip(keys, results, strict=True) for c in r.cc_mcc]
    edits = [(k, e) for k, r in zip(keys, results, strict=True) for e in r.mce_edits]
    return {
        "drg_new": claims,
        "drg_cc_new": pa.table({
            "claim_key": pa.array([k for k, _ in cc], pa.string()), "line": pa.array([c.line for _, c in cc], pa.int32()),
            "code": pa.array([c.code for _, c in cc], pa.string()), "severity": pa.array([c.severity for _, c in cc], pa.string()),
            "affects_final_drg": pa.array([c.affects_final_drg for _, c in cc], pa.bool_()),
            "excluded": pa.array([c.excluded for _, c in cc], pa.bool_()),
        }),
        "drg_mce_new": pa.table({
            "claim_key": pa.array([k for k, _ in edits], pa.string()), "edit": pa.array([e.name for _, e in edits], pa.string()),
            "code_type": pa.array([e.code_type for _, e in edits], pa.string()),
            "edit_type": pa.array([e.edit_type for _, e in edits], pa.string()),
            "codes": pa.array([e.count for _, e in edits], pa.int32()),
        }),
    }


def group_stored_claims(con: duckdb.DuckDBPyConnection) -> int:
    """Group the inpatient claims this batch touched (and any inpatient claim not grouped yet) and replace
    their stored results. Needs the batch's checked tables (v_claims, v_claim_codes) after the upsert.
    Returns how many claims were grouped."""
    con.execute(sql("drg/to_group"))
    table = con.execute(sql("drg/inputs")).fetch_arrow_table()
    keys = table.column("claim_key").to_pylist()
    tables = _result_tables(keys, group_many(_inputs(table)))
    for name, rows in tables.items():
        con.register(name, rows)
    con.execute(sql("drg/replace"))
    for name in tables:
        con.unregister(name)
    return len(keys)


def stored_claim(con: duckdb.DuckDBPyConnection, claim_key: str) -> tuple[Encounter, list[ClaimCode], str | None]:
    """A stored claim as the grouper reads it: its encounter, its submitted codes and its billed DRG (for
    the review worklist, which applies an auditor's changes to the codes and calls `regroup`)."""
    row = con.execute(sql("drg/claim_for_regroup"), {"claim_key": claim_key}).fetchone()
    if row is None:
        raise KeyError(f"No claim with key {claim_key} in the store.")
    discharge, age, sex, status, billed = row
    codes = [ClaimCode(*code) for code in con.execute(sql("drg/claim_codes_for_regroup"), {"claim_key": claim_key}).fetchall()]
    return Encounter(discharge if isinstance(discharge, date) else None, age, sex, status), codes, billed


def regroup_stored(con: duckdb.DuckDBPyConnection, claim_key: str, codes: Iterable[ClaimCode]) -> DrgResult:
    """The DRG of a stored claim with `codes` in place of its submitted codes."""
    encounter, _, _ = stored_claim(con, claim_key)
    return regroup(encounter, codes)
