"""Grouping claims: the store's inpatient claims at ingest (ingest/grouping.py), or any claim with a given
set of codes.

At ingest, every inpatient claim a batch loads (or whose codes it loads) is grouped and edited by the MCE
from its stored codes and encounter, and its results replace the ones stored before. Grouping reads only
what the store holds (the age is the stored one, 90 for 90 or older, which groups the same), so the same
claim always gives the same rows: a repeated ingest changes nothing, and `regroup` of a claim's submitted
codes gives what the ingest gave. The request of each claim is built by one SQL file
(queries/sql/drg/requests.sql) for both, and answered by queries.drg.engine.
"""
from __future__ import annotations

from collections.abc import Iterable

import duckdb
import pyarrow as pa

from queries.drg import engine as drg_engine
from queries.drg.grouper import (
    PACKAGE,
    CcMcc,
    ClaimCode,
    CodeFinding,
    DrgFindingProposal,
    DrgResult,
    Encounter,
    MceEdit,
    audited_codes,
    grouper_versions,
    propose_drg_finding,
    versions_table,
)
from queries.sql_files import sql

CLAIM_SCHEMA = pa.schema([("claim_key", pa.string()), ("discharge_date", pa.date32()), ("patient_age", pa.int32()),
                          ("patient_sex", pa.string()), ("discharge_status", pa.string())])
CODE_SCHEMA = pa.schema([("claim_key", pa.string()), ("code_type", pa.string()), ("line", pa.int32()),
                         ("code", pa.string()), ("poa", pa.string())])


def group_staged(con: duckdb.DuckDBPyConnection) -> dict[str, pa.Table]:
    """Group the claims of `drg_claims` with their codes in `drg_codes` (tables or views on `con`, columns as
    CLAIM_SCHEMA and CODE_SCHEMA). Returns the rows of claim_drg, claim_drg_cc and claim_mce_edits, as
    drg_new, drg_cc_new and drg_mce_new."""
    con.register("grouper_versions", versions_table())
    first, last = grouper_versions()[0].first_day, grouper_versions()[-1].last_day
    decided = con.execute(sql("drg/requests"), {"first_day": first.isoformat(), "last_day": last.isoformat(),
                                                "package": PACKAGE}).fetch_arrow_table()
    con.unregister("grouper_versions")
    requests = decided.column("request").to_pylist()
    run = [i for i, request in enumerate(requests) if request is not None]
    outcome = drg_engine.answer_all([requests[i] for i in run])
    n = len(requests)

    def spread(values: list, default: object) -> list:  # answers of the claims run, defaults for the refused
        full = [default] * n
        for i, value in zip(run, values, strict=True):
            full[i] = value
        return full

    answered = outcome["claims"]
    refusals = decided.column("refusal").to_pylist()
    keys = decided.column("claim_key")
    claims = {name: spread(answered[name], None) for name in drg_engine.CLAIM_COLUMNS}
    claims["ungroupable_reason"] = [r if r is not None else a for r, a in zip(refusals, claims["ungroupable_reason"], strict=True)]
    claims["severity_split"] = [bool(v) for v in claims["severity_split"]]
    for name in ("cc_mcc_sdx", "cc_mcc_affecting"):
        claims[name] = [v or 0 for v in claims[name]]
    owners = pa.array([run[i] for i in outcome["cc_mcc"]["claim"]], pa.int64())
    editors = pa.array([run[i] for i in outcome["edits"]["claim"]], pa.int64())
    return {
        "drg_new": pa.table({"claim_key": keys, "grouper_version": decided.column("grouper_version"),
                             "fiscal_year": decided.column("fiscal_year"), **claims}),
        "drg_cc_new": pa.table({"claim_key": keys.take(owners),
                                **{c: outcome["cc_mcc"][c] for c in drg_engine.CC_COLUMNS if c != "claim"}}),
        "drg_mce_new": pa.table({"claim_key": keys.take(editors),
                                 **{c: outcome["edits"][c] for c in drg_engine.EDIT_COLUMNS if c != "claim"}}),
    }


def group_claims(claims: pa.Table, codes: pa.Table) -> dict[str, pa.Table]:
    """Group claims that are not in a store (CLAIM_SCHEMA and CODE_SCHEMA tables), on a private in-memory
    DuckDB that never spills to disk."""
    con = duckdb.connect(":memory:", config={"threads": 1, "temp_directory": ""})
    try:
        con.register("drg_claims", claims)
        con.register("drg_codes", codes)
        return group_staged(con)
    finally:
        con.close()


def results(tables: dict[str, pa.Table]) -> list[DrgResult]:
    """The rows of `group_staged` as one DrgResult per claim, in claim_key order."""
    claims = tables["drg_new"].to_pylist()
    cc: dict[str, list[CcMcc]] = {}
    for row in tables["drg_cc_new"].to_pylist():
        cc.setdefault(row.pop("claim_key"), []).append(CcMcc(**row))
    edits: dict[str, list[MceEdit]] = {}
    for row in tables["drg_mce_new"].to_pylist():
        edits.setdefault(row["claim_key"], []).append(MceEdit(row["edit"], row["code_type"], row["edit_type"], row["codes"]))
    return [DrgResult(
        grouper_version=c["grouper_version"], fiscal_year=c["fiscal_year"], drg=c["grouped_drg"], mdc=c["grouped_mdc"],
        family=c["drg_family"], title=c["drg_title"], severity_split=c["severity_split"], return_code=c["return_code"],
        ungroupable_reason=c["ungroupable_reason"], cc_mcc=tuple(sorted(cc.get(c["claim_key"], []), key=lambda x: x.line)),
        mce_edit_type=c["mce_edit_type"], mce_edits=tuple(edits.get(c["claim_key"], ())),
    ) for c in claims]


def regroup(encounter: Encounter, codes: Iterable[ClaimCode]) -> DrgResult:
    """The DRG (and MCE edits) of a claim with these codes: for the review worklist, where an auditor's
    revised, added and deleted codes give the audited code set of the claim."""
    listed = list(codes)
    claim = pa.Table.from_pylist([{"claim_key": "claim", "discharge_date": encounter.discharge_date, "patient_age": encounter.age,
                                   "patient_sex": encounter.sex, "discharge_status": encounter.discharge_status}], CLAIM_SCHEMA)
    rows = pa.Table.from_pylist([{"claim_key": "claim", "code_type": c.code_type, "line": c.line, "code": c.code, "poa": c.poa}
                                 for c in listed], CODE_SCHEMA)
    return results(group_claims(claim, rows))[0]


def stored_claim(con: duckdb.DuckDBPyConnection, claim_key: str) -> tuple[Encounter, list[ClaimCode], str | None]:
    """A stored claim as the grouper reads it: its encounter, its submitted codes and its billed DRG (for
    the review worklist, which applies an auditor's changes to the codes and calls `regroup`)."""
    row = con.execute(sql("drg/claim_for_regroup"), {"claim_key": claim_key}).fetchone()
    if row is None:
        raise KeyError(f"No claim with key {claim_key} in the store.")
    discharge, age, sex, status, billed = row
    codes = [ClaimCode(*code) for code in con.execute(sql("drg/claim_codes_for_regroup"), {"claim_key": claim_key}).fetchall()]
    return Encounter(discharge, age, sex, status), codes, billed


def drg_weights(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, int], float]:
    """The store's relative weights by (DRG, fiscal year), for queries.drg.grouper.propose_drg_finding."""
    return {(drg, year): weight for drg, year, weight in con.execute(sql("drg/weights")).fetchall()}


def propose_from_findings(con: duckdb.DuckDBPyConnection, claim_key: str, findings: Iterable[CodeFinding]) -> DrgFindingProposal:
    """The DRG finding a stored claim's code-level findings support: its submitted codes with the findings
    applied (queries.drg.grouper.audited_codes), regrouped, against its billed DRG, with the weight difference where
    the store has both weights. The one call the review worklist needs when an auditor saves a code finding."""
    encounter, submitted, billed = stored_claim(con, claim_key)
    return propose_drg_finding(billed, regroup(encounter, audited_codes(submitted, findings)), drg_weights(con))
