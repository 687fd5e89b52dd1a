"""Ingest the four coding-record files into the store in one all-or-nothing write.

Rows that break a rule are rejected, not dropped: each goes to `rejects` with its file, line and an
actionable reason, and the raw row itself is kept there encrypted. accepted + rejected = rows read.
PHI columns go to the encrypted vault only; analytic tables get the claim pseudonym.
"""
from __future__ import annotations

import csv
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from audit.key_checks import open_store_keys
from audit.paths import Paths
from audit.vault import PhiVault, Pseudonymizer
from queries.reference import load_carc, load_icd10cm
from queries.sql_files import sql
from queries.store import write_transaction, writer_lock

Progress = Callable[[float, str], None]

TABLES = ("claims", "claim_codes", "audit_findings", "denials")
PHI_FIELDS = ("claim_id", "patient_mrn", "patient_name", "patient_dob", "patient_zip")


@dataclass(frozen=True)
class FileSpec:
    table: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional


SPECS = {
    "claims": FileSpec(
        "claims",
        ("claim_id", "facility_id", "payer", "coder_id", "encounter_type", "service_date", "billed_amount"),
        ("patient_mrn", "patient_name", "patient_dob", "patient_zip", "discharge_date"),
    ),
    "claim_codes": FileSpec("claim_codes", ("claim_id", "line", "code_type", "code"), ("poa", "modifiers", "units")),
    "audit_findings": FileSpec(
        "audit_findings",
        ("claim_id", "review_id", "auditor_id", "review_date", "code_type", "finding"),
        ("submitted_code", "audited_code", "error_category", "dollar_impact"),
    ),
    "denials": FileSpec(
        "denials",
        ("claim_id", "payer", "remit_date", "group_code", "carc", "denied_amount"),
        ("rarc", "appeal_status"),
    ),
}

_CSV_ERRORS = {
    "MISSING COLUMNS": "the row has fewer fields than the header",
    "TOO MANY COLUMNS": "the row has more fields than the header",
    "UNQUOTED VALUE": "a field has a stray quote character",
    "LINE SIZE OVER MAXIMUM": "the row is longer than the reader's line limit",
    "INVALID UNICODE": "the row is not valid UTF-8",
}


class IngestError(ValueError):
    """The batch cannot be loaded at all; the store is unchanged. The message says what to fix."""


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


def find_inputs(src: Path) -> dict[str, Path]:
    if not src.is_dir():
        raise IngestError(f"{src} is not a folder: give the folder that holds claims.csv and the other files.")
    found: dict[str, Path] = {}
    for table in TABLES:
        present = [p for p in (src / f"{table}.csv", src / f"{table}.parquet") if p.exists()]
        if len(present) == 2:
            raise IngestError(f"{src} holds both {table}.csv and {table}.parquet: keep one so it is clear which to load.")
        if present:
            found[table] = present[0]
    if not found:
        raise IngestError(f"{src} holds none of {', '.join(t + '.csv' for t in TABLES)} (or .parquet): nothing to ingest.")
    return found


def _check_header(path: Path, names: list[str], spec: FileSpec) -> list[str]:
    cleaned = [n.strip().lower() for n in names]
    unknown = [n for n in cleaned if n not in spec.columns]
    if unknown and not set(spec.required) <= set(cleaned):
        # Most likely no header at all: the "names" are a data row and may be PHI, so none is quoted.
        raise IngestError(
            f"{path.name}: the first line is not a header of known columns (column {cleaned.index(unknown[0]) + 1} is not one). "
            f"The header must name the columns, e.g. {', '.join(spec.required)}; nothing was loaded."
        )
    if unknown:
        raise IngestError(
            f"{path.name}: unknown column '{unknown[0]}'. Known columns: {', '.join(spec.columns)}. "
            "Remove or rename it; nothing was loaded (an unexpected column could carry PHI into the store)."
        )
    dupes = sorted({n for n in cleaned if cleaned.count(n) > 1})
    if dupes:
        raise IngestError(f"{path.name}: column '{dupes[0]}' appears twice in the header; nothing was loaded.")
    missing = [n for n in spec.required if n not in cleaned]
    if missing:
        raise IngestError(f"{path.name}: required column '{missing[0]}' is missing; nothing was loaded.")
    return cleaned


def _csv_header(path: Path) -> list[str]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        try:
            return next(csv.reader(fh))
        except StopIteration:
            raise IngestError(f"{path.name} is empty: it needs at least a header line.") from None
        except UnicodeDecodeError:
            raise IngestError(f"{path.name} is not UTF-8 text: save it as UTF-8 CSV.") from None


def _load_raw(con: duckdb.DuckDBPyConnection, spec: FileSpec, path: Path | None) -> list[tuple[int, str, str]]:
    """Create temp table raw_<table> (src_line + every known column as text). Returns rows the CSV
    reader itself could not parse, as (line, reason, raw text)."""
    raw = f"raw_{spec.table}"  # identifiers below come from SPECS, never from the file
    structural: list[tuple[int, str, str]] = []
    if path is None:
        cols = ", ".join(f"CAST(NULL AS VARCHAR) AS {c}" for c in spec.columns)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {raw} AS SELECT CAST(NULL AS BIGINT) AS src_line, {cols} LIMIT 0")
        return structural
    if path.suffix == ".csv":
        names = _check_header(path, _csv_header(path), spec)
        rej = f"rej_{spec.table}"
        try:
            # The format is fixed (docs/FORMAT.md): no sniffing, which a stray quote near the top would derail.
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE {raw} AS SELECT * FROM read_csv(?, header = true, auto_detect = false, "
                f"columns = ?, delim = ',', quote = '\"', escape = '\"', encoding = 'utf-8', strict_mode = true, "
                f"store_rejects = true, rejects_table = '{rej}', rejects_scan = 'scan_{spec.table}')",
                [str(path), dict.fromkeys(names, "VARCHAR")],
            )
        except duckdb.Error as exc:  # its text may quote a row, so only the kind of error is shown
            raise IngestError(f"{path.name} could not be read as CSV ({type(exc).__name__}); nothing was loaded.") from None
        errors = con.execute(
            f"SELECT line, any_value(error_type), any_value(csv_line) FROM {rej} GROUP BY line ORDER BY line"
        ).fetchall()
        for line, _, text in errors:
            if text and "\n" in text.rstrip("\r\n"):
                raise IngestError(
                    f"{path.name} line {line} opens a quote that is never closed, so the rest of the file cannot be "
                    "read row by row; nothing was loaded. Close the quote (a quote inside a value is written \"\") and ingest again."
                )
        structural = [(int(line), _CSV_ERRORS.get(kind, "the row could not be read as CSV"), text or "") for line, kind, text in errors]
        # Rows keep file order (preserve_insertion_order); inside a transaction DuckDB numbers them from
        # an offset, so the n-th row is rowid - min(rowid). DuckDB's reject table numbers records with the
        # header as 1, and the n-th good row is the n-th record number that was not rejected.
        first = con.execute(f"SELECT coalesce(min(rowid), 0) FROM {raw}").fetchone()[0]
        total = con.execute(f"SELECT count(*) FROM {raw}").fetchone()[0] + len(structural)
        con.execute(f"ALTER TABLE {raw} ADD COLUMN src_line BIGINT")
        con.execute(
            f"UPDATE {raw} SET src_line = m.line FROM ("
            f"  SELECT row_number() OVER (ORDER BY line) - 1 AS n, line FROM range(2, ? + 2) AS t(line)"
            f"  WHERE line NOT IN (SELECT line FROM {rej})) AS m WHERE {raw}.rowid - ? = m.n",
            [total, first],
        )
        for c in spec.columns:
            if c not in names:
                con.execute(f"ALTER TABLE {raw} ADD COLUMN {c} VARCHAR")
    else:
        try:
            names = [r[0] for r in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()]
        except duckdb.Error:
            raise IngestError(f"{path.name} could not be read as Parquet; nothing was loaded.") from None
        stripped = [n.strip().lower() for n in names]
        _check_header(path, names, spec)
        if stripped != names:
            raise IngestError(f"{path.name}: Parquet column names must be lower case without spaces, as in docs/FORMAT.md.")
        cols = ", ".join(
            f"CAST({c} AS VARCHAR) AS {c}" if c in names else f"CAST(NULL AS VARCHAR) AS {c}" for c in spec.columns
        )
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {raw} AS SELECT file_row_number + 1 AS src_line, {cols} "
            "FROM read_parquet(?, file_row_number = true)",
            [str(path)],
        )
    return structural


def _build_claim_map(con: duckdb.DuckDBPyConnection, pseudonyms: Pseudonymizer) -> None:
    ids = con.execute(
        " UNION ".join(f"SELECT DISTINCT trim(claim_id) AS claim_id FROM raw_{t} WHERE nullif(trim(claim_id), '') IS NOT NULL" for t in TABLES)
    ).fetch_arrow_table()
    claim_ids = ids.column("claim_id").to_pylist()
    mapping = pa.table({"claim_id": pa.array(claim_ids, pa.string()), "claim_key": pa.array(pseudonyms.claim_keys(claim_ids), pa.string())})
    con.register("claim_map_arrow", mapping)
    con.execute("CREATE OR REPLACE TEMP TABLE claim_map AS SELECT * FROM claim_map_arrow")
    con.unregister("claim_map_arrow")


def _store_phi(con: duckdb.DuckDBPyConnection, vault: PhiVault) -> None:
    """Encrypt accepted claims' PHI into the vault. A value already stored unchanged is left as it is,
    so a repeated ingest does not rewrite ciphertexts; a blank PHI field keeps what the vault has."""
    accepted = con.execute(
        f"SELECT claim_key, {', '.join(PHI_FIELDS)} FROM v_claims WHERE reason IS NULL"
    ).fetch_arrow_table()
    stored = con.execute(
        "SELECT v.claim_key, v.field, v.key_id, v.nonce, v.ciphertext FROM phi_vault AS v "
        "SEMI JOIN (SELECT claim_key FROM v_claims WHERE reason IS NULL) AS a ON a.claim_key = v.claim_key"
    ).fetch_arrow_table()
    stored_keys, stored_fields = stored.column("claim_key").to_pylist(), stored.column("field").to_pylist()
    existing = dict(zip(zip(stored_keys, stored_fields), vault.open_many("phi_vault", stored_keys, stored_fields, stored)))
    keys: list[str] = accepted.column("claim_key").to_pylist()
    out_keys, out_fields, values = [], [], []
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
        "claim_key": pa.array(out_keys, pa.string()),
        "field": pa.array(out_fields, pa.string()),
        **{name: sealed.column(name) for name in sealed.column_names},
    }))
    if existing:
        con.execute("DELETE FROM phi_vault AS v USING vault_new AS n WHERE v.claim_key = n.claim_key AND v.field = n.field")
    con.execute("INSERT INTO phi_vault SELECT claim_key, field, key_id, nonce, ciphertext FROM vault_new")
    con.unregister("vault_new")


def _store_rejects(
    con: duckdb.DuckDBPyConnection, vault: PhiVault, run_id: str, table: str, file_name: str,
    structural: list[tuple[int, str, str]], result: IngestResult,
) -> None:
    rows = [(line, reason, text) for line, reason, text in structural]
    rows += con.execute(
        f"SELECT v.src_line, v.reason, to_json(r) FROM v_{table} AS v JOIN raw_{table} AS r USING (src_line) "
        "WHERE v.reason IS NOT NULL ORDER BY v.src_line"
    ).fetchall()
    result.rejected[table] = len(rows)
    if not rows:
        return
    sealed = vault.seal("rejects", [run_id] * len(rows), [f"{file_name}:{line}" for line, _, _ in rows], [str(text) for _, _, text in rows])
    con.register("rejects_new", pa.table({
        "run_id": pa.array([run_id] * len(rows), pa.string()),
        "file": pa.array([file_name] * len(rows), pa.string()),
        "line": pa.array([line for line, _, _ in rows], pa.int64()),
        "reason": pa.array([reason for _, reason, _ in rows], pa.string()),
        **{name: sealed.column(name) for name in sealed.column_names},
    }))
    con.execute("INSERT INTO rejects SELECT * FROM rejects_new")
    con.unregister("rejects_new")
    unit = "line" if file_name.endswith(".csv") else "row"
    result.reject_samples += [f"{file_name} {unit} {line}: {reason}" for line, reason, _ in rows[:5]]


def ensure_reference(con: duckdb.DuckDBPyConnection) -> None:
    have = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'icd10cm'").fetchone()[0]
    if not have:
        load_icd10cm(con)
    load_carc(con)


def _write(paths: Paths, inputs: dict[str, Path], result: IngestResult, source: str, report: Progress) -> None:
    started = datetime.now(UTC)
    with write_transaction(paths) as con:
        keys = open_store_keys(paths, con)  # refuses keys that do not fit the store, before anything is sealed
        vault, pseudonyms = keys.vault, keys.pseudonyms
        report(0.05, "Loading reference data")
        ensure_reference(con)
        structural = {}
        for i, table in enumerate(TABLES):
            report(0.1 + 0.05 * i, f"Reading {result.files.get(table, table)}")
            structural[table] = _load_raw(con, SPECS[table], inputs.get(table))
        report(0.35, "Pseudonymising claim identifiers")
        _build_claim_map(con, pseudonyms)
        report(0.45, "Checking every row against the format rules")
        con.execute(sql("ingest/validate_claims"))
        con.execute(sql("ingest/claim_problem"))
        for table in TABLES[1:]:
            con.execute(sql(f"ingest/validate_{table}"))
        report(0.55, "Encrypting PHI into the vault")
        _store_phi(con, vault)
        for table in TABLES:
            if table in inputs:
                _store_rejects(con, vault, result.run_id, table, inputs[table].name, structural[table], result)
                result.accepted[table] = con.execute(f"SELECT count(*) FROM v_{table} WHERE reason IS NULL").fetchone()[0]
        report(0.7, "Writing accepted rows")
        con.execute(sql("ingest/upsert"))
        report(0.8, "Summarising claims for the metrics")
        con.execute(sql("claim_facts"))
        summary = {"files": result.files, **result.counts()}
        con.execute(
            "INSERT INTO ingest_runs VALUES (?, ?, ?, ?, ?)",
            [result.run_id, source, started, datetime.now(UTC), json.dumps(summary)],
        )
        result.created_keys = keys.register(con)
        report(0.9, "Saving the store")


def ingest(src: Path, paths: Paths, *, source: str = "real", progress: Progress | None = None) -> IngestResult:
    """Load DIR into the store as one transaction. `source` is 'demo' only for the generated demo set."""
    if source not in ("demo", "real"):
        raise ValueError("source must be 'demo' or 'real'")
    report = progress or (lambda _f, _m: None)
    inputs = find_inputs(Path(src))
    paths.ensure()
    with writer_lock(paths):  # keys are read under the lock, so a key rotation cannot interleave
        result = IngestResult(run_id=uuid.uuid4().hex, files={t: p.name for t, p in inputs.items()})
        _write(paths, inputs, result, source, report)
    if source == "real":
        paths.real_data_marker.touch()
    report(1.0, "Done")
    return result
