"""Samples: drawn from a frame built from the store, kept in the review store with everything that
reproduces them (method and parameters with the filters, seed, generator name and version, frame size and
SHA-256, strata, the frame itself and the drawn keys in selection order), and redrawn to prove it.

Each draw writes exactly one `sample_draw` access-log event, inside the transaction that stores it. The
event and the stored sample carry the sample's SHA-256 (canonical serialisation `codeaudit-sample-1`: a
JSON object with the keys `drawn` (a list of [selection, claim_key, frame_position, stratum, spare 0 or 1]
in selection order), `drawn_at`, `drawn_by`, `format`, `frame_sha256`, `frame_size`, `generator`,
`generator_version`, `method`, `parameters` and `strata` (as stored, parsed), `sample_id`, `seed` (a whole
number when it is one), written as review/integrity.py writes a revision). Before a redraw, a frame export
or an appraisal, `check_sample` proves the stored frame still hashes to its `frame_sha256` and the stored
sample to its SHA-256, so a changed seed or drawn claim reads as a changed sample, never as a changed
generator; `manage.py verify-log` compares each sample with its event as well."""
from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import duckdb

from audit.events import AccessEvent
from review import frame_keys
from review.db import Record, ReviewDb, ReviewError, emit, iso, utc_now
from review.design import check_minimum, precision_warnings
from review.frame import Frame, build_frame, frame_csv
from review.random_numbers import GENERATOR, GENERATOR_VERSION
from review.sampling import Drawn, SampleSpec, select
from review.sql_files import sql


@dataclass(frozen=True)
class Sample:
    sample_id: str
    seq: int
    drawn_at: str
    drawn_by: str
    spec: SampleSpec
    seed: float
    generator: str
    generator_version: str
    frame_size: int
    frame_sha256: str
    strata: list[dict[str, Any]]
    drawn: list[Drawn]
    completed_at: str | None = None
    voided_at: str | None = None
    voided_by: str | None = None
    void_reason: str | None = None
    replaced: tuple[tuple[str, str], ...] = ()  # (replaced claim, spare), in the order they were made
    warnings: tuple[str, ...] = ()  # said when it was drawn (review/design.py), not stored with the sample

    @property
    def reviewed(self) -> list[Drawn]:
        """The claims to review, in selection order: the drawn claims (spares not included), each replaced
        claim with the spare that replaced it in its place (review/lifecycle.py)."""
        claims = [d for d in self.drawn if not d.spare]
        by_key = {d.claim_key: d for d in self.drawn}
        for old, new in self.replaced:
            claims = [by_key[new] if d.claim_key == old else d for d in claims]
        return claims

    @property
    def claim_keys(self) -> list[str]:
        """The claims to review in selection order: what is reviewed, completed and appraised."""
        return [d.claim_key for d in self.reviewed]

    @property
    def drawn_keys(self) -> list[str]:
        """The sample as drawn, in selection order (spares not included, replacements not applied)."""
        return [d.claim_key for d in self.drawn if not d.spare]

    @property
    def spares(self) -> list[str]:
        return [d.claim_key for d in self.drawn if d.spare]

    @property
    def void_sentence(self) -> str | None:
        """Why the sample takes no more reviews and has no appraisal, or None while it is not voided."""
        return void_sentence(self.sample_id, self.voided_at, self.voided_by, self.void_reason)

    def as_json(self) -> dict[str, Any]:
        """The contract of `manage.py sample draw --json` (and redraw, and each entry of `sample list`)."""
        return {"sample_id": self.sample_id, "frame_size": self.frame_size, "frame_sha256": self.frame_sha256,
                "seed": _seed_json(self.seed), "generator": self.generator, "generator_version": self.generator_version,
                "method": self.spec.method, "parameters": self.spec.parameters(), "strata": self.strata,
                "drawn_at": self.drawn_at, "drawn_by": self.drawn_by, "claim_keys": self.drawn_keys,
                "spares": self.spares}


def void_sentence(sample_id: str, voided_at: str | None, voided_by: str | None, reason: str | None) -> str | None:
    """The sentence a voided sample answers every review, completion and appraisal with (None: not voided)."""
    if voided_at is None:
        return None
    return (f"Sample {sample_id} was voided {voided_at[:16].replace('T', ' ')} UTC by {voided_by}: "
            f"{(reason or '').rstrip('.')}. It takes no more reviews and has no appraisal.")


def _seed_json(seed: float) -> int | float:
    return int(seed) if float(seed).is_integer() else seed


def seed_text(seed: float) -> str:
    """A seed as it is typed back in: digits only for a whole number (1234567, never 1,234,567 or 1.23457e+06)."""
    return str(_seed_json(seed))


def new_seed() -> int:
    """A seed for a draw that names none: a six-digit whole number, easy to write down."""
    return 100_000 + secrets.randbelow(900_000)


def _strata(frame: Frame, sizes: Sequence[int], drawn: Sequence[Drawn]) -> list[dict[str, Any]]:
    return [{**s.as_json(), "n": sizes[i], "spares": sum(1 for d in drawn if d.spare and d.stratum == i)}
            for i, s in enumerate(frame.strata)]


def excluded_before(db: ReviewDb, seq: int | None, at: str | None = None) -> list[str]:
    """"Already audited": the claims to review of samples drawn before draw number `seq` (None: a new draw),
    as they stood at `at` (the draw's time; None: now). A sample voided, or a claim replaced, after a draw
    still counts for that draw, so its redraw gives the frame it was drawn from."""
    with db.connect() as conn:
        return [row[0] for row in conn.execute(sql("store/drawn_before"), {
            "seq": seq if seq is not None else 2**62, "at": at or iso(utc_now())})]


def _last_seq(conn: sqlite3.Connection) -> int:
    return conn.execute(sql("store/last_seq")).fetchone()[0]


def draw_sample(con: duckdb.DuckDBPyConnection, db: ReviewDb, spec: SampleSpec, *, seed: float | None, user: str,
                role: str, record: Record | None, now: datetime | None = None) -> Sample:
    """Build the frame from the store `con` reads, select, and store the sample with its one access-log
    event. The frame is built outside the write transaction (it may take a second on a large store); if
    another sample was drawn, voided or had a claim replaced meanwhile, the draw is refused, since that
    changes what is excluded. A stratified design with a sampled stratum given fewer than two claims is
    refused; one whose expected precision is poor is drawn, with its warnings (`Sample.warnings`, and in the
    event's details)."""
    seed = new_seed() if seed is None else seed
    drawn_at = iso(now or utc_now())
    with db.connect() as conn:
        seen = _last_seq(conn)
    excluded = excluded_before(db, None, drawn_at) if spec.exclude_audited else []
    frame = _frame(con, spec, excluded)
    drawn, sizes = select(frame, spec, seed)
    warnings: list[str] = []
    if spec.method == "stratified":
        check_minimum(frame, sizes)
        warnings = precision_warnings(frame, sizes)
    strata = _strata(frame, sizes, drawn)
    sample_id = f"S{drawn_at[:10].replace('-', '')}-{secrets.token_hex(3)}"
    with db.transaction() as conn:
        if _last_seq(conn) != seen:
            raise ReviewError("Another sample was drawn while this one was being prepared; draw it again.")
        if spec.exclude_audited and set(excluded_before(db, None, drawn_at)) != set(excluded):
            raise ReviewError("A sample was voided or a claim replaced while this one was being prepared; draw it again.")
        conn.execute(sql("store/sample_insert"), {
            "sample_id": sample_id, "drawn_at": drawn_at, "drawn_by": user, "method": spec.method,
            "parameters": json.dumps(spec.parameters()), "seed": float(seed), "generator": GENERATOR,
            "generator_version": GENERATOR_VERSION, "frame_size": frame.size, "frame_sha256": frame.sha256,
            "strata": json.dumps(strata), "frame": b"", "frame_strata": None,  # written with the seal (store/sample_seal)
        })
        conn.executemany(sql("store/sample_claim_insert"),
                         [(sample_id, d.selection, d.claim_key, d.frame_position, d.stratum, d.spare) for d in drawn])
        sample = replace(load_sample(db, sample_id, conn), warnings=tuple(warnings))
        sealed = sample_sha256_in(conn, sample_id)
        conn.execute(sql("store/sample_seal"), {
            "sealed": sealed, "sample_id": sample_id, "frame": frame_keys.pack(frame.binary),
            "frame_strata": zlib.compress(frame_keys.numbers_text(frame.stratum_of), 1) if spec.stratified else None})
        details = {**{key: value for key, value in sample.as_json().items() if key not in ("claim_keys", "spares")},
                   "sample_sha256": sealed}
        emit(record, AccessEvent(user=user, role=role, action="sample_draw", resource=f"sample:{sample_id}",
                                 claim_keys=tuple(d.claim_key for d in drawn),
                                 details={**details, "warnings": list(warnings)} if warnings else details))
    return sample


def _frame(con: duckdb.DuckDBPyConnection, spec: SampleSpec, excluded: Sequence[str]) -> Frame:
    """The frame a spec gives from the store now, leaving out `excluded` (claims drawn before) if it asks."""
    return build_frame(con, spec.filters, exclude_audited=spec.exclude_audited, excluded=excluded,
                       strata_by=spec.strata_by, bands=spec.bands, certainty_above=spec.certainty_above)


def _row_to_sample(row: sqlite3.Row, drawn: list[Drawn], replaced: tuple[tuple[str, str], ...]) -> Sample:
    return Sample(row["sample_id"], row["seq"], row["drawn_at"], row["drawn_by"],
                  SampleSpec.from_parameters(row["method"], json.loads(row["parameters"])), row["seed"], row["generator"],
                  row["generator_version"], row["frame_size"], row["frame_sha256"], json.loads(row["strata"]), drawn,
                  row["completed_at"], row["voided_at"], row["voided_by"], row["void_reason"], replaced)


def load_sample(db: ReviewDb, sample_id: str, conn: sqlite3.Connection | None = None) -> Sample:
    if conn is None:
        with db.connect() as own:
            return sample_in(own, sample_id)
    return sample_in(conn, sample_id)


def sample_in(conn: sqlite3.Connection, sample_id: str) -> Sample:
    """The sample as the review store `conn` holds it."""
    row = conn.execute(sql("store/sample_head"), (sample_id,)).fetchone()
    if row is None:
        raise ReviewError(f"There is no sample {sample_id!r}; `python manage.py sample list` shows them.")
    replaced = tuple((r["replaced_key"], r["spare_key"]) for r in conn.execute(sql("store/sample_replacements"), (sample_id,)))
    return _row_to_sample(row, _drawn(conn, sample_id), replaced)


def _drawn(conn: sqlite3.Connection, sample_id: str) -> list[Drawn]:
    return [Drawn(r["selection"], r["claim_key"], r["frame_position"], r["stratum"], bool(r["spare"]))
            for r in conn.execute(sql("store/sample_claims"), (sample_id,))]


def claim_sampled(db: ReviewDb, claim_key: str) -> bool:
    """Whether the claim is drawn (sampled or spare) into any sample: an auditor may reveal its identifiers
    (audit/permissions.py, claim scope)."""
    with db.connect() as conn:
        return bool(conn.execute(sql("store/claim_sampled"), (claim_key,)).fetchone()[0])


def claim_states(db: ReviewDb, sample_id: str) -> list[dict[str, Any]]:
    """A sample's drawn claims and spares in selection order, with their review's id, revision and status."""
    with db.connect() as conn:
        return [dict(r) for r in conn.execute(sql("store/sample_claims"), (sample_id,))]


def list_samples(db: ReviewDb) -> list[dict[str, Any]]:
    """Every sample, newest first: what `sample list --json` prints, with review progress, whether and why it
    was voided, and its replacements."""
    with db.connect() as conn:
        rows = conn.execute(sql("store/samples")).fetchall()
        return [{"sample_id": r["sample_id"], "drawn_at": r["drawn_at"], "drawn_by": r["drawn_by"], "method": r["method"],
                 "parameters": json.loads(r["parameters"]), "seed": _seed_json(r["seed"]), "generator": r["generator"],
                 "generator_version": r["generator_version"], "frame_size": r["frame_size"], "frame_sha256": r["frame_sha256"],
                 "strata": json.loads(r["strata"]), "claims": r["claims"], "reviewed": r["reviewed"],
                 "completed_at": r["completed_at"], "voided_at": r["voided_at"], "voided_by": r["voided_by"],
                 "void_reason": r["void_reason"], "replacements": replacements_in(conn, r["sample_id"])} for r in rows]


def replacements_in(conn: sqlite3.Connection, sample_id: str) -> list[dict[str, str]]:
    """A sample's replacements in the order made: replaced_key, spare_key, reason, by, at (ISO 8601 UTC)."""
    return [{"replaced_key": r["replaced_key"], "spare_key": r["spare_key"], "reason": r["reason"], "by": r["replaced_by"],
             "at": r["replaced_at"]} for r in conn.execute(sql("store/sample_replacements"), (sample_id,))]


def stored_frame(db: ReviewDb, sample_id: str) -> tuple[list[str], list[str] | None]:
    """The frame keys as drawn, and each entry's stratum label for a stratified sample."""
    with db.connect() as conn:
        row = conn.execute(sql("store/sample"), (sample_id,)).fetchone()
    if row is None:
        raise ReviewError(f"There is no sample {sample_id!r}; `python manage.py sample list` shows them.")
    keys = frame_keys.unpack(row["frame"])
    if row["frame_strata"] is None:
        return keys, None
    labels = [s["label"] for s in json.loads(row["strata"])]
    return keys, [labels[int(i)] for i in zlib.decompress(row["frame_strata"]).decode().splitlines()]


def export_frame(db: ReviewDb, sample_id: str) -> str:
    """The numbered frame as CSV (`manage.py sample export-frame`), once the stored sample is proved intact."""
    check_sample(db, sample_id)
    return frame_csv(*stored_frame(db, sample_id))


class SampleMismatch(ReviewError):
    """The stored sample is not the sample that was drawn (the review store was changed); the message names it."""


FORMAT = "codeaudit-sample-1"


def sample_document(row: Mapping[str, Any], drawn: Sequence[Drawn]) -> bytes:
    """The canonical serialisation of a stored sample (module docstring); what `sample_sha256` is taken over."""
    body = {"format": FORMAT, "sample_id": row["sample_id"], "drawn_at": row["drawn_at"], "drawn_by": row["drawn_by"],
            "method": row["method"], "parameters": json.loads(row["parameters"]), "seed": _seed_json(row["seed"]),
            "generator": row["generator"], "generator_version": row["generator_version"], "frame_size": row["frame_size"],
            "frame_sha256": row["frame_sha256"], "strata": json.loads(row["strata"]),
            "drawn": [[d.selection, d.claim_key, d.frame_position, d.stratum, int(d.spare)] for d in drawn]}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("utf-8")


def sample_sha256_in(conn: sqlite3.Connection, sample_id: str) -> str:
    row = conn.execute(sql("store/sample_head"), (sample_id,)).fetchone()
    if row is None:
        raise ReviewError(f"There is no sample {sample_id!r}; `python manage.py sample list` shows them.")
    return hashlib.sha256(sample_document(row, _drawn(conn, sample_id))).hexdigest()


def sample_sha256(db: ReviewDb, sample_id: str) -> str:
    """The SHA-256 of the sample as the store now holds it."""
    with db.connect() as conn:
        return sample_sha256_in(conn, sample_id)


def sample_problem(conn: sqlite3.Connection, sample_id: str) -> str | None:
    """Why the stored sample is not the one drawn (its frame, or its seed, method, parameters or drawn claims
    changed since), as a sentence naming it; None when it is intact. A sample drawn before samples were hashed
    has its frame checked only."""
    row = conn.execute(sql("store/sample"), (sample_id,)).fetchone()
    if row is None:
        raise ReviewError(f"There is no sample {sample_id!r}; `python manage.py sample list` shows them.")
    frame = frame_keys.hashed_bytes(row["frame"])
    advice = "restore the review store from backup and do not use this sample's results until then"
    if hashlib.sha256(frame).hexdigest() != row["frame_sha256"]:
        return (f"Sample {sample_id}'s stored frame does not match the frame SHA-256 {row['frame_sha256'][:12]}... recorded "
                f"when it was drawn (the review store was changed): {advice}.")
    if row["sample_sha256"] is not None and sample_sha256_in(conn, sample_id) != row["sample_sha256"]:
        return (f"Sample {sample_id}'s stored seed, method, frame details or drawn claims no longer match the sample as it "
                f"was drawn (SHA-256 {row['sample_sha256'][:12]}...; the review store was changed): {advice}.")
    return None


def check_sample(db: ReviewDb, sample_id: str) -> None:
    """SampleMismatch when the stored sample is not the one drawn (sample_problem)."""
    with db.connect() as conn:
        problem = sample_problem(conn, sample_id)
    if problem is not None:
        raise SampleMismatch(problem)


@dataclass(frozen=True)
class Redraw:
    """A redraw: the stored sample, and whether the store still gives the same frame (then the same claims)."""

    sample: Sample
    same_frame: bool
    added: int = 0
    removed: int = 0

    @property
    def message(self) -> str:
        return (f"The store no longer gives sample {self.sample.sample_id}'s frame: {self.added:,} claims were added "
                f"to it and {self.removed:,} removed since it was drawn (frame {self.sample.frame_size:,} claims, "
                f"SHA-256 {self.sample.frame_sha256[:12]}...). The sample stays as drawn; export its frame with "
                "`sample export-frame` to reproduce it.")


def redraw(con: duckdb.DuckDBPyConnection, db: ReviewDb, sample_id: str) -> Redraw:
    """Rebuild the frame from the current store with the stored filters (excluding what was drawn before
    this sample, if it did), and re-run the stored method and seed. SampleMismatch first if the stored sample
    is not the one drawn."""
    check_sample(db, sample_id)
    sample = load_sample(db, sample_id)
    spec = sample.spec
    frame = _frame(con, spec, excluded_before(db, sample.seq, sample.drawn_at) if spec.exclude_audited else [])
    if frame.sha256 != sample.frame_sha256:
        old, new = set(stored_frame(db, sample_id)[0]), set(frame.keys)
        return Redraw(sample, False, added=len(new - old), removed=len(old - new))
    drawn, _ = select(frame, spec, sample.seed)
    if [(d.claim_key, d.spare) for d in drawn] != [(d.claim_key, d.spare) for d in sample.drawn]:
        raise ReviewError(f"Sample {sample_id}'s frame matches but its seed now selects other claims: the generator "
                          f"changed since version {sample.generator_version}. Report this; the stored sample stands.")
    return Redraw(sample, True)
