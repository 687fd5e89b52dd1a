"""The 835 files of a batch, staged beside the CSV/Parquet files in the stager process (ingest/stage.py).

A file that is not a valid 835 interchange refuses the whole batch (`X12Refused`, naming the file, the
segment number and the rule, never a value). A valid file's claims are matched to stored claims through
their pseudonym, checked, netted (ingest/remittance.py) and handed to the writer as rows: denial rows
(one per CAS reason/amount pair, under `denials`), one remittance row per claim and payer
(`remittances`) and a per-file summary (`remittance_files`). A claim that cannot be loaded is a reject
row (its CLP segment number and the reason), its values sealed like any rejected row.
"""
from __future__ import annotations

import gc
import json
import multiprocessing
import os
import re
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Protocol

import duckdb
import pyarrow as pa

from audit.vault import PhiVault, Pseudonymizer
from config.sql_files import SqlFolder
from ingest.remittance import REVERSAL, ClaimPayment, Transaction, net, read_transactions
from ingest.x12 import (
    InterchangePart,
    X12Refused,
    delimiters,
    envelope_problems,
    part_segments,
    split_interchange,
    split_segments,
    validate,
)
from ingest.x12_speed import load_835_maps, speed_up_pyx12

X12_SQL = SqlFolder(Path(__file__).parent / "sql" / "x12")
INPUT_PREFIX = "x12:"  # the key of an 835 file among a batch's inputs
PROBLEMS_SHOWN = 5
PART_CHARS = 2_000_000  # a file over twice this (about 17,000 claims) is validated in parts, on every core
GROUP_CODES = ("CO", "PR", "OA", "PI", "CR")
_CODE = re.compile(r"[A-Z0-9]{1,5}")
_REMARK = re.compile(r"[A-Z0-9]{1,8}")
_CENT = Decimal("0.01")
REMITTANCE_SCHEMA = pa.schema([
    ("claim_key", pa.string()), ("payer", pa.string()), ("payer_id", pa.string()), ("remit_date", pa.date32()),
    ("trace_number", pa.string()), ("claim_status", pa.string()), ("charge_amount", pa.decimal128(14, 2)),
    ("paid_amount", pa.decimal128(14, 2)), ("allowed_amount", pa.decimal128(14, 2)),
])
SUMMARY_SCHEMA = pa.schema([("file", pa.string()), ("transactions", pa.int64()), ("claims", pa.int64()),
                            ("adjustments", pa.int64()), ("duplicates", pa.int64()), ("accepted", pa.int64()),
                            ("rejected", pa.int64())])


class Source(Protocol):
    name: str

    @property
    def reader_path(self) -> str: ...


class StagedRows(Protocol):
    accepted_rows: dict[str, pa.Table]
    rejects_new: list[pa.Table]
    accepted: dict[str, int]
    rejected: dict[str, int]
    reject_samples: list[str]


def read_interchange(name: str, data: bytes) -> list[Transaction]:
    """The transactions of one file, or X12Refused naming the file and its first problems."""
    try:
        text = data.decode("utf-8").lstrip("\ufeff \t\r\n")
    except UnicodeDecodeError:
        raise X12Refused(f"{name} is not X12 text (it is not ASCII or UTF-8)") from None
    try:
        marks = delimiters(text)
        segments = split_segments(text, marks)
        problems = envelope_problems(segments) or validate(text)
        if problems:
            shown = "; ".join(str(p) for p in problems[:PROBLEMS_SHOWN])
            more = f" (and {len(problems) - PROBLEMS_SHOWN} more)" if len(problems) > PROBLEMS_SHOWN else ""
            raise X12Refused(f"{len(problems)} problem{'s' if len(problems) > 1 else ''} against the 835 "
                             f"implementation guide: {shown}{more}")
        return read_transactions(name, segments, marks.component)
    except X12Refused as exc:
        message = str(exc)
        raise X12Refused(message if message.startswith(name) else f"{name}: {message}") from None


def _claim_reason(claim: ClaimPayment, today: date) -> str | None:
    """The first rule a remitted claim breaks, in our words (never its values)."""
    if not claim.claim_id:
        return "CLP01 (the claim_id) is empty"
    for what, value in (("CLP01 (the claim_id)", claim.claim_id), ("N1*PR (the payer name)", claim.payer)):
        if len(value) > 100:
            return f"{what} is longer than 100 characters"
        if any(ord(c) < 32 or ord(c) == 127 for c in value):
            return f"{what} holds a control character"
    if not claim.payer:
        return "the remittance has no payer name (N1*PR02)"
    if not claim.trace:
        return "the remittance has no trace number (TRN02)"
    if claim.remit_date is None:
        return "the remittance has no date: neither DTM*405 nor BPR16 is a date (CCYYMMDD)"
    if claim.remit_date < date(1990, 1, 1):
        return "the remittance date is before 1990-01-01"
    if claim.remit_date > today + timedelta(days=1):
        return f"the remittance date is after {today + timedelta(days=1)}, the day after the ingest: a future date"
    for what, value in (("CLP03", claim.charge), ("CLP04", claim.paid), ("AMT*AU", claim.allowed)):
        if value is not None and value != value.quantize(_CENT):
            return f"{what} (an amount) has more than 2 decimals"
    for adjustment in claim.adjustments:
        where = f"CAS segment {adjustment.segment}"
        if adjustment.group_code not in GROUP_CODES:
            return f"{where}: the group code is not one of {', '.join(GROUP_CODES)}"
        if not _CODE.fullmatch(adjustment.carc):
            return f"{where}: a reason code is not a CARC (1 to 5 letters or digits)"
        if claim.status != REVERSAL and adjustment.amount < 0:
            return f"{where}: an adjustment amount is negative outside a reversal (CLP02 22)"
        if adjustment.amount != adjustment.amount.quantize(_CENT):
            return f"{where}: an adjustment amount has more than 2 decimals"
        if any(not _REMARK.fullmatch(code) for code in adjustment.remarks):
            return f"{where}: a remark code (MIA, MOA or LQ*HE) is not a RARC (e.g. M51, N130)"
    return None


@dataclass
class _FileRead:
    """A valid file's transactions and, by the CLP segment number, the first rule each claim breaks."""

    transactions: list[Transaction]
    reasons: dict[int, str]


def _read_one(name: str, data: bytes, today: date) -> _FileRead | str:
    """One file read and its claims checked, or the sentence refusing it (a worker process's answer)."""
    try:
        transactions = read_interchange(name, data)
    except X12Refused as exc:
        return str(exc)
    return _FileRead(transactions, {c.segment: reason for t in transactions for c in t.claims
                                    if (reason := _claim_reason(c, today))})


def _read_part(name: str, part: InterchangePart, today: date) -> _FileRead | None:
    """One part of a split file read and its claims checked, or None when the part finds any problem (the
    file is then read whole, so that its refusal is the unsplit file's, word for word)."""
    segments = part_segments(part)
    if segments is None or validate(part.text):
        return None
    try:
        transactions = read_transactions(name, segments, delimiters(part.text).component, part.first)
    except X12Refused:
        return None
    return _FileRead(transactions, {c.segment: reason for t in transactions for c in t.claims
                                    if (reason := _claim_reason(c, today))})


def _parts(data: bytes, part_chars: int) -> list[InterchangePart]:
    if len(data) < 2 * part_chars:  # no fewer bytes than characters
        return []
    try:
        text = data.decode("utf-8").lstrip("\ufeff \t\r\n")
    except UnicodeDecodeError:
        return []
    return split_interchange(text, part_chars)


def _start_worker() -> None:
    """A worker's first act: pyx12 made faster (ingest/x12_speed.py) and the 835 maps parsed, so that no
    file waits for them."""
    speed_up_pyx12()
    load_835_maps()


class RemittanceReading:
    """The batch's 835 files being read and validated, started before the CSV files are staged so that the
    validation (pyx12, the slow part, about 30,000 segments a second per core) runs beside them.

    Up to two worker processes read the files, largest first, so that a big file is not left for last. They
    are started fresh (spawn, not a fork of this process and its database) and get each file's bytes through
    a pipe; like this process, they never touch the store. A file of more than twice `part_chars` is cut
    between transactions (ingest/x12.py, split_interchange) and its parts read side by side, so one huge
    file uses every worker; its rows are the unsplit file's, and if any part finds a problem the file is
    read again whole, so its refusal is too."""

    def __init__(self, sources: dict[str, Source], today: date, part_chars: int = PART_CHARS) -> None:
        self.sources = sorted(sources.values(), key=lambda s: s.name)
        self.today = today
        self._pool: ProcessPoolExecutor | None = None
        self._pending: dict[str, list[Future[_FileRead | str | None]]] = {}
        self._split: dict[str, bytes] = {}  # a split file's bytes, read whole if a part is not clean
        self._paused_collector = False
        if not self.sources:
            return
        # The files' claims come back as about a million small objects without cycles; the cyclic collector,
        # rescanning them each time they grew by a quarter, cost seconds of this process's CPU beside the
        # workers. Reference counting frees them as ever; the collector is back on at close().
        self._paused_collector = gc.isenabled()
        gc.disable()
        jobs: list[tuple[int, str, int, Callable[..., _FileRead | str | None], object]] = []
        for source in self.sources:
            with open(source.reader_path, "rb") as handle:
                data = handle.read()
            parts = _parts(data, part_chars)
            if parts:
                self._split[source.name] = data
            jobs += ([(len(p.text), source.name, i, _read_part, p) for i, p in enumerate(parts)] or
                     [(len(data), source.name, 0, _read_one, data)])
        self._pool = ProcessPoolExecutor(min(2, os.cpu_count() or 1, len(jobs)), initializer=_start_worker,
                                         mp_context=multiprocessing.get_context("spawn"))
        submitted = {(name, index): self._pool.submit(work, name, argument, today)
                     for _, name, index, work, argument in sorted(jobs, key=lambda job: -job[0])}
        for name, index in sorted(submitted):  # a file's parts in their order
            self._pending.setdefault(name, []).append(submitted[name, index])

    @property
    def parts(self) -> dict[str, int]:
        """How many parts each file is read in (1: whole)."""
        return {name: len(futures) for name, futures in self._pending.items()}

    def results(self) -> list[_FileRead | str]:
        """Each file's answer, in file-name order, waiting for those not yet read."""
        return [self._result(source.name) for source in self.sources]

    def _result(self, name: str) -> _FileRead | str:
        futures = self._pending[name]
        if name not in self._split:
            return futures[0].result()  # type: ignore[return-value]
        reads = []
        for future in futures:
            read = future.result()
            if not isinstance(read, _FileRead):
                for rest in futures:
                    rest.cancel()
                assert self._pool is not None
                return self._pool.submit(_read_one, name, self._split[name], self.today).result()
            reads.append(read)
        return _FileRead([t for read in reads for t in read.transactions],
                         {number: reason for read in reads for number, reason in read.reasons.items()})

    def close(self) -> None:
        """Stop the workers: files not yet begun are dropped (a batch refused for its CSV files reads no
        more of them); a file being read is finished first."""
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
        if self._paused_collector:
            gc.enable()
            self._paused_collector = False


@dataclass
class _Read:
    claims: list[ClaimPayment]
    reasons: dict[tuple[str, int], str]  # by file and CLP segment number
    summary: list[dict[str, object]]


def _read_all(reading: RemittanceReading) -> _Read:
    """Every file read and validated; the same remittance twice (same payer and TRN02) is read once, the
    first in file-name order. All broken files are named in one refusal."""
    refusals, claims, summary = [], [], []
    reasons: dict[tuple[str, int], str] = {}
    seen: set[tuple[str, str]] = set()
    for source, read in zip(reading.sources, reading.results()):
        if isinstance(read, str):
            refusals.append(read)
            continue
        kept = [t for t in read.transactions if t.key not in seen or not t.trace]
        seen |= {t.key for t in kept}
        file_claims = [c for t in kept for c in t.claims]
        claims += file_claims
        reasons |= {(source.name, number): reason for number, reason in read.reasons.items()}
        summary.append({"file": source.name, "transactions": len(kept), "claims": len(file_claims),
                        "adjustments": sum(len(c.adjustments) for c in file_claims),
                        "duplicates": len(read.transactions) - len(kept)})
    if refusals:
        raise X12Refused(f"{' | '.join(refusals)}. Nothing was loaded: ask the payer or clearinghouse for a "
                         "corrected file (or remove it from the folder) and ingest again.")
    return _Read(claims, reasons, summary)


def _add_denial_rows(columns: dict[str, list[object]], claim_key: str, claim: ClaimPayment, occurrences: Counter) -> None:
    """A claim's adjustments as denial rows, added to `columns` (one list of values a column of `denials`;
    Arrow builds the table from them far faster than from a dict a row)."""
    occurrence, group_code, carc, rarc, amount, remark_codes = (columns[name] for name in (
        "occurrence", "group_code", "carc", "rarc", "denied_amount", "remark_codes"))
    for adjustment in claim.adjustments:
        first = adjustment.remarks[0] if adjustment.remarks else None
        key = (claim_key, claim.payer, claim.remit_date, adjustment.group_code, adjustment.carc, first)
        occurrences[key] += 1
        occurrence.append(occurrences[key])
        group_code.append(adjustment.group_code)
        carc.append(adjustment.carc)
        rarc.append(first)
        amount.append(adjustment.amount)
        remark_codes.append(" ".join(adjustment.remarks) or None)
    count = len(claim.adjustments)
    for name, value in (("claim_key", claim_key), ("payer", claim.payer), ("remit_date", claim.remit_date),
                        ("appeal_status", None), ("trace_number", claim.trace)):
        columns[name] += [value] * count


def _total(values: list[Decimal | None]) -> Decimal | None:
    return None if not values or None in values else sum(values, Decimal(0))  # type: ignore[arg-type]


def _remittance_row(claim_key: str, standing: list[ClaimPayment], latest: ClaimPayment) -> dict[str, object]:
    """What stands of a claim at one payer: its adjudications' amounts summed (NULL after a reversal)."""
    source = standing[-1] if standing else latest
    return {"claim_key": claim_key, "payer": source.payer, "payer_id": source.payer_id, "remit_date": source.remit_date,
            "trace_number": source.trace, "claim_status": source.status,
            "charge_amount": _total([c.charge for c in standing]), "paid_amount": _total([c.paid for c in standing]),
            "allowed_amount": _total([c.allowed for c in standing])}


def _raw(claim: ClaimPayment) -> str:
    """A rejected claim as kept (sealed): its mapped values only, never the patient's."""
    return json.dumps({"claim_id": claim.claim_id, "status": claim.status, "charge": str(claim.charge),
                       "paid": str(claim.paid), "payer": claim.payer, "trace": claim.trace,
                       "adjustments": [[a.group_code, a.carc, str(a.amount)] for a in claim.adjustments]})


def stage_remittances(con: duckdb.DuckDBPyConnection, reading: RemittanceReading, vault: PhiVault,
                      pseudonyms: Pseudonymizer, run_id: str, staged: StagedRows) -> None:
    """Add the batch's 835 files to `staged`: denial rows appended to the accepted denials, rejected claims
    to the rejects and the counts of `denials`, and the tables `remittances` and `remittance_files` the
    writer applies (ingest/sql/x12/write.sql). Called for every batch, with or without 835 files."""
    read = _read_all(reading)
    keys = dict(zip([c.claim_id for c in read.claims], pseudonyms.claim_keys([c.claim_id for c in read.claims])))
    con.register("remit_claim_keys", pa.table({"claim_key": pa.array(sorted(set(keys.values())), pa.string())}))
    known = dict(con.execute(X12_SQL.sql("claim_problems")).fetchall())
    stored: dict[tuple[str, str], date] = {}
    if con.execute(X12_SQL.sql("has_remittances")).fetchone()[0]:  # type: ignore[index]
        stored = {(k, p): d for k, p, d in con.execute(X12_SQL.sql("stored_remittances")).fetchall()}
    con.unregister("remit_claim_keys")
    rejected = [(c, reason) for c in read.claims
                if (reason := read.reasons.get((c.file, c.segment)) or known.get(keys[c.claim_id]))]
    rejected_ids = {id(c) for c, _ in rejected}
    netted = net([c for c in read.claims if id(c) not in rejected_ids])
    denial_schema = staged.accepted_rows["denials"].schema
    denials: dict[str, list[object]] = {name: [] for name in denial_schema.names}
    remittances: dict[str, list[object]] = {name: [] for name in REMITTANCE_SCHEMA.names}
    occurrences: Counter = Counter()
    accepted_by_file: Counter = Counter()
    for (claim_id, payer), outcome in netted.items():
        claim_key = keys[claim_id]
        if outcome.latest.remit_date < stored.get((claim_key, payer), date.min):  # type: ignore[operator]
            continue
        for name, value in _remittance_row(claim_key, outcome.standing, outcome.latest).items():
            remittances[name].append(value)
        for claim in outcome.standing:
            _add_denial_rows(denials, claim_key, claim, occurrences)
            accepted_by_file[claim.file] += len(claim.adjustments)
    rejected_by_file = Counter(c.file for c, _ in rejected)
    for read_file in read.summary:
        read_file["accepted"] = accepted_by_file[read_file["file"]]
        read_file["rejected"] = rejected_by_file[read_file["file"]]
    staged.accepted_rows["denials"] = pa.concat_tables([staged.accepted_rows["denials"],
                                                        pa.Table.from_pydict(denials, schema=denial_schema)])
    staged.accepted_rows["remittances"] = pa.Table.from_pydict(remittances, schema=REMITTANCE_SCHEMA)
    staged.accepted_rows["remittance_files"] = pa.Table.from_pylist(read.summary, schema=SUMMARY_SCHEMA)
    if reading.sources:
        staged.accepted["denials"] = staged.accepted.get("denials", 0) + len(denials["claim_key"])
        staged.rejected["denials"] = staged.rejected.get("denials", 0) + len(rejected)
    if rejected:
        _seal_rejected(vault, run_id, rejected, staged)


def _seal_rejected(vault: PhiVault, run_id: str, rejected: list[tuple[ClaimPayment, str]], staged: StagedRows) -> None:
    files = [c.file for c, _ in rejected]
    lines = [c.segment for c, _ in rejected]
    sealed = vault.seal("rejects", [run_id] * len(rejected), [f"{f}:{n}" for f, n in zip(files, lines)],
                        [_raw(c) for c, _ in rejected])
    staged.rejects_new.append(pa.table({
        "run_id": pa.array([run_id] * len(rejected), pa.string()), "file": pa.array(files, pa.string()),
        "line": pa.array(lines, pa.int64()), "reason": pa.array([r for _, r in rejected], pa.string()),
        **{name: sealed.column(name) for name in sealed.column_names},
    }))
    staged.reject_samples += [f"{c.file} segment {c.segment}: {reason}" for c, reason in rejected[:5]]


def write_remittances(con: duckdb.DuckDBPyConnection) -> None:
    """The writer's half (after ingest/upsert.sql): replace earlier remittances of the claims and payers
    remitted again, store the standing remittances and fill paid/allowed amounts the claims file left blank."""
    con.execute(X12_SQL.sql("write"))


def summary_rows(staged: StagedRows) -> list[dict[str, object]]:
    """Per 835 file read: transactions, claims and adjustments loaded or checked, duplicates skipped."""
    table = staged.accepted_rows.get("remittance_files")
    return [] if table is None else table.to_pylist()
