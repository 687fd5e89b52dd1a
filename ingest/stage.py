"""The half of an ingest that touches PHI, run in a process of its own (`python -m ingest.stage`).

It reads the input files, checks every row, pseudonymises claim ids and seals PHI values and rejected raw
rows, and hands the writer (ingest/writer.py) only pseudonymous or sealed rows, as Arrow IPC through a
pipe. Why a process: DuckDB can write bytes of uninitialised memory into a store file's blocks, so the
process whose memory reaches the store must never have held plaintext; staging in the writer's memory,
even in another in-memory database, let patient names and claim numbers reach the file (docs/FORMAT.md).
This process never opens the store for writing; it reads the live store (read-only) only to know which
claims and vault values exist. Nothing it prints can carry PHI: it answers on stdout with a pickled
result, and its failures are the sentences of IngestError or the bare kind of any other error.
"""
from __future__ import annotations

import pickle
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa

from audit.keys import DataKeyring
from audit.vault import PhiVault, Pseudonymizer
from ingest.files import SPECS, TABLES, IngestError, InputFile, bounded_reject, stage
from ingest.remittance_stage import INPUT_PREFIX, RemittanceReading, stage_remittances
from ingest.sql_files import sql, sql_template
from ingest.x12 import X12Refused
from queries.sql_files import sql as shared_sql
from queries.sql_files import sql_literal

PHI_FIELDS = ("claim_id", "patient_mrn", "patient_name", "patient_dob", "patient_zip")
# What the writer receives of each file's accepted rows: the columns the store keeps, nothing else.
ACCEPTED_COLUMNS = {
    "claims": ("claim_key", "facility_id", "payer", "coder_id", "encounter_type", "service_date", "discharge_date",
               "billed_amount", "ms_drg", "patient_sex", "discharge_status", "patient_age", "paid_amount", "allowed_amount"),
    "claim_codes": ("claim_key", "code_line", "code_type", "code", "poa", "modifiers", "units"),
    "audit_findings": ("claim_key", "review_id", "auditor_id", "review_date", "code_type", "submitted_code",
                       "audited_code", "finding", "error_category", "dollar_impact"),
    "denials": ("claim_key", "occurrence", "payer", "remit_date", "group_code", "carc", "rarc", "denied_amount",
                "appeal_status", "trace_number", "remark_codes"),
}
STAGER_SETTINGS = {"threads": 2, "preserve_insertion_order": True, "temp_directory": ""}  # never spills


@dataclass(frozen=True)
class StageRequest:
    inputs: dict[str, InputFile]  # opened by the writer; this process inherits the descriptors
    live_store: Path | None
    keyring: DataKeyring
    pseudonym_key: bytes
    today: date
    run_id: str


@dataclass
class Staged:
    """What the writer may hold: per file its accepted rows (ACCEPTED_COLUMNS), the new vault values and
    the rejects (sealed), the counts and the first reject reasons (which never quote a value)."""

    accepted_rows: dict[str, pa.Table] = field(default_factory=dict)
    vault_new: pa.Table | None = None
    rejects_new: list[pa.Table] = field(default_factory=list)
    accepted: dict[str, int] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)
    reject_samples: list[str] = field(default_factory=list)


def _build_claim_map(con: duckdb.DuckDBPyConnection, pseudonyms: Pseudonymizer) -> None:
    claim_ids = con.execute(sql("ingest/claim_ids")).fetch_arrow_table().column("claim_id").to_pylist()
    con.register("claim_map_arrow", pa.table({
        "claim_id": pa.array(claim_ids, pa.string()),
        "claim_key": pa.array(pseudonyms.claim_keys(claim_ids), pa.string()),
    }))
    con.execute(sql("ingest/claim_map"))
    con.unregister("claim_map_arrow")


def _seal_phi(con: duckdb.DuckDBPyConnection, vault: PhiVault) -> pa.Table | None:
    """The accepted claims' PHI values to store, sealed. A value already stored unchanged is left out, so a
    repeated ingest does not rewrite ciphertexts; a blank PHI field keeps what the vault has."""
    accepted = con.execute(sql("ingest/accepted_phi")).fetch_arrow_table()
    stored = con.execute(sql("ingest/stored_phi")).fetch_arrow_table()
    stored_keys, stored_fields = stored.column("claim_key").to_pylist(), stored.column("field").to_pylist()
    existing = dict(zip(zip(stored_keys, stored_fields), vault.open_many("phi_vault", stored_keys, stored_fields, stored)))
    keys: list[str] = accepted.column("claim_key").to_pylist()
    _stage_admission_ages(con, keys, [dob or existing.get((key, "patient_dob"))
                                      for key, dob in zip(keys, accepted.column("patient_dob").to_pylist())])
    out_keys: list[str] = []
    out_fields: list[str] = []
    values: list[str] = []
    for fld in PHI_FIELDS:
        for key, value in zip(keys, accepted.column(fld).to_pylist()):
            if value is not None and (not existing or existing.get((key, fld)) != value):
                out_keys.append(key)
                out_fields.append(fld)
                values.append(value)
    if not values:
        return None
    sealed = vault.seal("phi_vault", out_keys, out_fields, values)
    return pa.table({"claim_key": pa.array(out_keys, pa.string()), "field": pa.array(out_fields, pa.string()),
                     **{name: sealed.column(name) for name in sealed.column_names}})


def _stage_admission_ages(con: duckdb.DuckDBPyConnection, keys: list[str], dobs: list[str | None]) -> None:
    """Age in years at admission of each accepted claim (view v_claims_aged), computed here from the date
    of birth the vault will hold, so the writer receives the age and never the date (ingest/admission_age.sql)."""
    con.register("claim_dob", pa.table({"claim_key": pa.array(keys, pa.string()), "patient_dob": pa.array(dobs, pa.string())}))
    con.execute(sql("ingest/admission_age"))
    con.unregister("claim_dob")


def _seal_rejects(con: duckdb.DuckDBPyConnection, vault: PhiVault, run_id: str, table: str, file_name: str,
                  structural: list[tuple[int, str, str]], staged: Staged) -> None:
    spec = SPECS[table]
    found = structural + con.execute(sql_template("ingest/rejected_rows", checked=spec.checked, raw=spec.raw)).fetchall()
    rows = [bounded_reject(line, reason, str(raw)) for line, reason, raw in found]
    staged.rejected[table] = len(rows)
    if not rows:
        return
    lines = [line for line, _, _ in rows]
    sealed = vault.seal("rejects", [run_id] * len(rows), [f"{file_name}:{line}" for line in lines], [text for _, _, text in rows])
    staged.rejects_new.append(pa.table({
        "run_id": pa.array([run_id] * len(rows), pa.string()),
        "file": pa.array([file_name] * len(rows), pa.string()),
        "line": pa.array(lines, pa.int64()),
        "reason": pa.array([reason for _, reason, _ in rows], pa.string()),
        **{name: sealed.column(name) for name in sealed.column_names},
    }))
    unit = "line" if file_name.endswith(".csv") else "row"
    staged.reject_samples += [f"{file_name} {unit} {line}: {reason}" for line, reason, _ in rows[:5]]


def stage_batch(request: StageRequest) -> Staged:
    """Stage, check, pseudonymise and seal one batch in this process's own in-memory DuckDB."""
    vault, pseudonyms = PhiVault(request.keyring), Pseudonymizer(request.pseudonym_key)
    # The 835 files' validation, the slow part, starts first and runs while the CSV files are staged.
    reading = RemittanceReading({k: s for k, s in request.inputs.items() if k.startswith(INPUT_PREFIX)}, request.today)
    try:
        con = duckdb.connect(":memory:", config=dict(STAGER_SETTINGS))
    except BaseException:  # the workers started above must not outlive a stager that cannot go on
        reading.close()
        raise
    try:
        con.execute(sql("store/writer_settings"))
        if request.live_store is not None:  # which claims and vault values exist already
            con.execute(shared_sql("store/attach_reader").format(path=sql_literal(str(request.live_store))))
        else:
            con.execute(shared_sql("schema"))
        structural = {table: stage(con, SPECS[table], request.inputs.get(table)) for table in TABLES}
        _build_claim_map(con, pseudonyms)
        con.execute(shared_sql("rule_macros"))
        con.execute(shared_sql("finding_rules"))
        dated = {"today": request.today}  # claim_codes has no dates
        con.execute(sql("ingest/validate_claims"), dated)
        con.execute(sql("ingest/claim_problem"))
        for table in TABLES[1:]:
            con.execute(sql(f"ingest/validate_{table}"), None if table == "claim_codes" else dated)
        staged = Staged(vault_new=_seal_phi(con, vault))
        for table, source in request.inputs.items():
            if table in TABLES:
                _seal_rejects(con, vault, request.run_id, table, source.name, structural[table], staged)
        for table in TABLES:
            checked = "v_claims_aged" if table == "claims" else SPECS[table].checked  # claims carry their age
            rows = con.execute(sql_template("ingest/accepted_rows", checked=checked,
                                            columns=list(ACCEPTED_COLUMNS[table]))).fetch_arrow_table()
            staged.accepted_rows[table] = rows
            if table in request.inputs:
                staged.accepted[table] = rows.num_rows
        try:
            stage_remittances(con, reading, vault, pseudonyms, request.run_id, staged)
        except X12Refused as exc:
            raise IngestError(str(exc)) from None
        return staged
    finally:
        con.close()
        reading.close()


def _ipc(table: pa.Table) -> bytes:
    """A table as an Arrow IPC stream: buffers cut to the values they hold, padding zeroed, so nothing of
    this process's memory but the values themselves reaches the writer."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def encode(staged: Staged) -> dict[str, object]:
    return {
        "accepted_rows": {t: _ipc(rows) for t, rows in staged.accepted_rows.items()},
        "vault_new": None if staged.vault_new is None else _ipc(staged.vault_new),
        "rejects_new": [_ipc(t) for t in staged.rejects_new],
        "accepted": staged.accepted, "rejected": staged.rejected, "reject_samples": staged.reject_samples,
    }


def _table(data: bytes) -> pa.Table:
    return pa.ipc.open_stream(data).read_all()


def decode(body: dict[str, object]) -> Staged:
    return Staged(
        accepted_rows={t: _table(rows) for t, rows in body["accepted_rows"].items()},  # type: ignore[union-attr]
        vault_new=None if body["vault_new"] is None else _table(body["vault_new"]),  # type: ignore[arg-type]
        rejects_new=[_table(t) for t in body["rejects_new"]],  # type: ignore[union-attr]
        accepted=dict(body["accepted"]), rejected=dict(body["rejected"]),  # type: ignore[call-overload]
        reject_samples=list(body["reject_samples"]),  # type: ignore[call-overload]
    )


def main() -> int:
    """Read a pickled StageRequest on stdin, answer ("ok", encoded Staged), ("refused", sentence) or
    ("failed", kind of error) on stdout. Exit 0 whenever an answer was written."""
    request = pickle.load(sys.stdin.buffer)
    try:
        answer: tuple[str, object] = ("ok", encode(stage_batch(request)))
    except IngestError as exc:
        answer = ("refused", str(exc))
    except Exception as exc:  # noqa: BLE001 - its text may quote a row: only its kind leaves this process
        answer = ("failed", type(exc).__name__)
    pickle.dump(answer, sys.stdout.buffer, protocol=pickle.HIGHEST_PROTOCOL)
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
