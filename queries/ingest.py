"""Ingest the four coding-record files into the store in one all-or-nothing write.

Rows that break a rule are rejected, not dropped: each goes to `rejects` with its file, line and an
actionable reason, and the raw row itself is kept there encrypted. accepted + rejected = rows read.

PHI never reaches a file in plaintext: the files are staged and checked in TEMP tables of the writer's
in-memory connection (spilling off, `queries.store.write_transaction`); claim ids are pseudonymised and
PHI values and rejected raw rows sealed by the vault there, and only pseudonymous or sealed rows are
written to the store. The access-log event of the ingest is appended inside the write, after all the
work and before the swap: if it cannot be written, the store is left unchanged.
"""
from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from audit.events import AccessEvent, cli_actor
from audit.key_checks import open_store_keys
from audit.vault import PhiVault, Pseudonymizer
from config.paths import Paths
from queries.grouping import group_stored_claims
from queries.ingest_files import SPECS, TABLES, IngestError, find_inputs, stage
from queries.reference import ensure_reference
from queries.sql_files import sql, sql_template
from queries.store import write_transaction, writer_lock

__all__ = ["TABLES", "IngestError", "IngestResult", "Recorder", "find_inputs", "ingest"]

Progress = Callable[[float, str], None]
Recorder = Callable[[AccessEvent], object]  # appends the event durably, or raises
PHI_FIELDS = ("claim_id", "patient_mrn", "patient_name", "patient_dob", "patient_zip")


@dataclass
class IngestResult:
    run_id: str
    accepted: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLES, 0))
    rejected: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLES, 0))
    files: dict[str, str] = field(default_factory=dict)
    created_keys: list[Path] = field(default_factory=list)
    reject_samples: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, dict[str, int]]:
        return {"accepted": dict(self.accepted), "rejected": dict(self.rejected)}


def _build_claim_map(con: duckdb.DuckDBPyConnection, pseudonyms: Pseudonymizer) -> None:
    claim_ids = con.execute(sql("ingest/claim_ids")).fetch_arrow_table().column("claim_id").to_pylist()
    con.register("claim_map_arrow", pa.table({
        "claim_id": pa.array(claim_ids, pa.string()),
        "claim_key": pa.array(pseudonyms.claim_keys(claim_ids), pa.string()),
    }))
    con.execute(sql("ingest/claim_map"))
    con.unregister("claim_map_arrow")


def _store_phi(con: duckdb.DuckDBPyConnection, vault: PhiVault) -> None:
    """Seal accepted claims' PHI into the vault. A value already stored unchanged is left as it is, so a
    repeated ingest does not rewrite ciphertexts; a blank PHI field keeps what the vault has. Stages each
    accepted claim's age at admission first, from the date of birth the vault will hold."""
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
        return
    sealed = vault.seal("phi_vault", out_keys, out_fields, values)
    con.register("vault_new", pa.table({
        "claim_key": pa.array(out_keys, pa.string()), "field": pa.array(out_fields, pa.string()),
        **{name: sealed.column(name) for name in sealed.column_names},
    }))
    con.execute(sql("ingest/vault_upsert"))
    con.unregister("vault_new")


def _stage_admission_ages(con: duckdb.DuckDBPyConnection, keys: list[str], dobs: list[str | None]) -> None:
    """TEMP table claim_age: age in years at admission, computed here, before the date of birth is sealed,
    and kept in the analytic tables (ingest/admission_age.sql)."""
    con.register("claim_dob", pa.table({"claim_key": pa.array(keys, pa.string()), "patient_dob": pa.array(dobs, pa.string())}))
    con.execute(sql("ingest/admission_age"))
    con.unregister("claim_dob")


def _store_rejects(
    con: duckdb.DuckDBPyConnection, vault: PhiVault, run_id: str, table: str, file_name: str,
    structural: list[tuple[int, str, str]], result: IngestResult,
) -> None:
    spec = SPECS[table]
    rows = structural + con.execute(sql_template("ingest/rejected_rows", checked=spec.checked, raw=spec.raw)).fetchall()
    result.rejected[table] = len(rows)
    if not rows:
        return
    lines = [line for line, _, _ in rows]
    sealed = vault.seal("rejects", [run_id] * len(rows), [f"{file_name}:{line}" for line in lines], [str(text) for _, _, text in rows])
    con.register("rejects_new", pa.table({
        "run_id": pa.array([run_id] * len(rows), pa.string()),
        "file": pa.array([file_name] * len(rows), pa.string()),
        "line": pa.array(lines, pa.int64()),
        "reason": pa.array([reason for _, reason, _ in rows], pa.string()),
        **{name: sealed.column(name) for name in sealed.column_names},
    }))
    con.execute(sql("ingest/rejects_insert"))
    con.unregister("rejects_new")
    unit = "line" if file_name.endswith(".csv") else "row"
    result.reject_samples += [f"{file_name} {unit} {line}: {reason}" for line, reason, _ in rows[:5]]


@dataclass(frozen=True)
class _Batch:
    """What one ingest loads: where, the inputs, and the date the date rules are checked against. The keys
    are opened inside the write, where they are checked against the store."""

    paths: Paths
    inputs: dict[str, Path]
    source: str
    today: date


def _write(con: duckdb.DuckDBPyConnection, batch: _Batch, result: IngestResult, report: Progress) -> None:
    started = datetime.now(UTC)
    keys = open_store_keys(batch.paths, con)  # refuses keys that do not fit the store, before anything is sealed
    report(0.05, "Loading reference data")
    ensure_reference(con, synthetic_drg_weights=batch.source == "demo")
    structural = {}
    for i, table in enumerate(TABLES):
        report(0.1 + 0.05 * i, f"Reading {result.files.get(table, table)}")
        structural[table] = stage(con, SPECS[table], batch.inputs.get(table))
    report(0.35, "Pseudonymising claim identifiers")
    _build_claim_map(con, keys.pseudonyms)
    report(0.45, "Checking every row against the format rules")
    con.execute(sql("ingest/macros"))
    dated = {"today": batch.today}  # claim_codes has no dates
    con.execute(sql("ingest/validate_claims"), dated)
    con.execute(sql("ingest/claim_problem"))
    for table in TABLES[1:]:
        con.execute(sql(f"ingest/validate_{table}"), None if table == "claim_codes" else dated)
    report(0.55, "Encrypting PHI into the vault")
    _store_phi(con, keys.vault)
    for table, path in batch.inputs.items():
        _store_rejects(con, keys.vault, result.run_id, table, path.name, structural[table], result)
        result.accepted[table] = con.execute(sql_template("ingest/accepted_count", checked=SPECS[table].checked)).fetchone()[0]
    report(0.7, "Writing accepted rows")
    con.execute(sql("ingest/upsert"))
    report(0.75, "Grouping inpatient claims (MS-DRG) and running the Medicare Code Editor")
    group_stored_claims(con)
    report(0.8, "Summarising claims for the metrics")
    con.execute(sql("claim_facts"))
    con.execute(sql("in_scope"))
    con.execute(sql("ingest/run_insert"), {
        "run_id": result.run_id, "source": batch.source, "started_at": started, "finished_at": datetime.now(UTC),
        "summary": json.dumps({"files": result.files, **result.counts()}),
    })
    result.created_keys = keys.register(con)  # saves the keys a new store needs; before the event, which needs log.key
    report(0.9, "Saving the store")


def ingest(
    src: Path, paths: Paths, *, recorder: Recorder, source: str = "real", actor: tuple[str, str] | None = None,
    progress: Progress | None = None, today: date | None = None,
) -> IngestResult:
    """Load folder `src` into the store as one transaction. `source` is 'demo' only for the generated demo
    set. `recorder` appends the `ingest` access event, by `actor` (user, role; default the OS account as
    `cli`), before the new store is swapped in; if it raises, nothing is loaded. Dates are checked
    against `today` (default: the local date)."""
    if source not in ("demo", "real"):
        raise ValueError("source must be 'demo' or 'real'")
    report = progress or (lambda _f, _m: None)
    inputs = find_inputs(Path(src))  # before the lock: a FIFO or a device is refused without waiting
    user, role = actor or (cli_actor(), "cli")
    paths.ensure()
    with writer_lock(paths):  # keys are read under the lock, so a key rotation cannot interleave
        result = IngestResult(run_id=uuid.uuid4().hex, files={t: p.name for t, p in inputs.items()})
        batch = _Batch(paths, inputs, source, today or date.today())

        def record() -> None:
            event = AccessEvent(user=user, role=role, action="ingest", resource="store",
                                details={"run_id": result.run_id, "source": source, "files": result.files, **result.counts()})
            try:
                recorder(event)
            except Exception as exc:  # the recorder's contract: it raises when the event is not durable
                raise IngestError(f"the access log could not record this ingest ({exc}); nothing was loaded. "
                                  "Fix the access log (python manage.py verify-log) and ingest again.") from exc

        with write_transaction(paths, before_swap=record) as con:
            _write(con, batch, result, report)
    if source == "real":
        paths.real_data_marker.touch()
    report(1.0, "Done")
    return result
