"""Samples: drawn from a frame built from the store, kept in the review store with everything that
reproduces them (method and parameters with the filters, seed, generator name and version, frame size and
SHA-256, strata, the frame itself and the drawn keys in selection order), and redrawn to prove it.

Each draw writes exactly one `sample_draw` access-log event, inside the transaction that stores it."""
from __future__ import annotations

import json
import secrets
import sqlite3
import zlib
from collections.abc import Sequence
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
    warnings: tuple[str, ...] = ()  # said when it was drawn (review/design.py), not stored with the sample

    @property
    def claim_keys(self) -> list[str]:
        """The sample in selection order (spares not included)."""
        return [d.claim_key for d in self.drawn if not d.spare]

    @property
    def spares(self) -> list[str]:
        return [d.claim_key for d in self.drawn if d.spare]

    def as_json(self) -> dict[str, Any]:
        """The contract of `manage.py sample draw --json` (and redraw, and each entry of `sample list`)."""
        return {"sample_id": self.sample_id, "frame_size": self.frame_size, "frame_sha256": self.frame_sha256,
                "seed": _seed_json(self.seed), "generator": self.generator, "generator_version": self.generator_version,
                "method": self.spec.method, "parameters": self.spec.parameters(), "strata": self.strata,
                "drawn_at": self.drawn_at, "drawn_by": self.drawn_by, "claim_keys": self.claim_keys,
                "spares": self.spares}


def _seed_json(seed: float) -> int | float:
    return int(seed) if float(seed).is_integer() else seed


def new_seed() -> int:
    """A seed for a draw that names none: a six-digit whole number, easy to write down."""
    return 100_000 + secrets.randbelow(900_000)


def _strata(frame: Frame, sizes: Sequence[int], drawn: Sequence[Drawn]) -> list[dict[str, Any]]:
    return [{**s.as_json(), "n": sizes[i], "spares": sum(1 for d in drawn if d.spare and d.stratum == i)}
            for i, s in enumerate(frame.strata)]


def excluded_before(db: ReviewDb, seq: int | None) -> list[str]:
    """Claims drawn into samples before draw number `seq` (None: before a new draw): "already audited"."""
    with db.connect() as conn:
        return [row[0] for row in conn.execute(sql("store/drawn_before"), (seq if seq is not None else 2**62,))]


def _last_seq(conn: sqlite3.Connection) -> int:
    return conn.execute(sql("store/last_seq")).fetchone()[0]


def draw_sample(con: duckdb.DuckDBPyConnection, db: ReviewDb, spec: SampleSpec, *, seed: float | None, user: str,
                role: str, record: Record | None, now: datetime | None = None) -> Sample:
    """Build the frame from the store `con` reads, select, and store the sample with its one access-log
    event. The frame is built outside the write transaction (it may take a second on a large store); if
    another sample was drawn meanwhile the draw is refused, since that sample changes what is excluded. A
    stratified design with a sampled stratum given fewer than two claims is refused; one whose expected
    precision is poor is drawn, with its warnings (`Sample.warnings`, and in the event's details)."""
    seed = new_seed() if seed is None else seed
    with db.connect() as conn:
        seen = _last_seq(conn)
    frame = _frame(con, db, spec, None)
    drawn, sizes = select(frame, spec, seed)
    warnings: list[str] = []
    if spec.method == "stratified":
        check_minimum(frame, sizes)
        warnings = precision_warnings(frame, sizes)
    strata = _strata(frame, sizes, drawn)
    drawn_at = iso(now or utc_now())
    sample_id = f"S{drawn_at[:10].replace('-', '')}-{secrets.token_hex(3)}"
    with db.transaction() as conn:
        if _last_seq(conn) != seen:
            raise ReviewError("Another sample was drawn while this one was being prepared; draw it again.")
        conn.execute(sql("store/sample_insert"), {
            "sample_id": sample_id, "drawn_at": drawn_at, "drawn_by": user, "method": spec.method,
            "parameters": json.dumps(spec.parameters()), "seed": float(seed), "generator": GENERATOR,
            "generator_version": GENERATOR_VERSION, "frame_size": frame.size, "frame_sha256": frame.sha256,
            "strata": json.dumps(strata), "frame": frame_keys.pack(frame.binary),
            "frame_strata": zlib.compress(frame_keys.numbers_text(frame.stratum_of), 1) if spec.stratified else None,
        })
        conn.executemany(sql("store/sample_claim_insert"),
                         [(sample_id, d.selection, d.claim_key, d.frame_position, d.stratum, d.spare) for d in drawn])
        sample = replace(load_sample(db, sample_id, conn), warnings=tuple(warnings))
        details = {key: value for key, value in sample.as_json().items() if key not in ("claim_keys", "spares")}
        emit(record, AccessEvent(user=user, role=role, action="sample_draw", resource=f"sample:{sample_id}",
                                 claim_keys=tuple(d.claim_key for d in drawn),
                                 details={**details, "warnings": list(warnings)} if warnings else details))
    return sample


def _frame(con: duckdb.DuckDBPyConnection, db: ReviewDb, spec: SampleSpec, seq: int | None) -> Frame:
    """The frame a spec gives from the store now, leaving out what was drawn before draw `seq` if it asks."""
    return build_frame(con, spec.filters, exclude_audited=spec.exclude_audited,
                       excluded=excluded_before(db, seq) if spec.exclude_audited else (),
                       strata_by=spec.strata_by, bands=spec.bands, certainty_above=spec.certainty_above)


def _row_to_sample(row: sqlite3.Row, drawn: list[Drawn]) -> Sample:
    return Sample(row["sample_id"], row["seq"], row["drawn_at"], row["drawn_by"],
                  SampleSpec.from_parameters(row["method"], json.loads(row["parameters"])), row["seed"], row["generator"],
                  row["generator_version"], row["frame_size"], row["frame_sha256"], json.loads(row["strata"]), drawn,
                  row["completed_at"])


def load_sample(db: ReviewDb, sample_id: str, conn: sqlite3.Connection | None = None) -> Sample:
    if conn is None:
        with db.connect() as own:
            return load_sample(db, sample_id, own)
    row = conn.execute(sql("store/sample"), (sample_id,)).fetchone()
    if row is None:
        raise ReviewError(f"There is no sample {sample_id!r}; `python manage.py sample list` shows them.")
    drawn = [Drawn(r["selection"], r["claim_key"], r["frame_position"], r["stratum"], bool(r["spare"]))
             for r in conn.execute(sql("store/sample_claims"), (sample_id,))]
    return _row_to_sample(row, drawn)


def claim_states(db: ReviewDb, sample_id: str) -> list[dict[str, Any]]:
    """A sample's drawn claims and spares in selection order, with their review's id, revision and status."""
    with db.connect() as conn:
        return [dict(r) for r in conn.execute(sql("store/sample_claims"), (sample_id,))]


def list_samples(db: ReviewDb) -> list[dict[str, Any]]:
    """Every sample, newest first: what `sample list --json` prints, with review progress."""
    with db.connect() as conn:
        rows = conn.execute(sql("store/samples")).fetchall()
    return [{"sample_id": r["sample_id"], "drawn_at": r["drawn_at"], "drawn_by": r["drawn_by"], "method": r["method"],
             "parameters": json.loads(r["parameters"]), "seed": _seed_json(r["seed"]), "generator": r["generator"],
             "generator_version": r["generator_version"], "frame_size": r["frame_size"], "frame_sha256": r["frame_sha256"],
             "strata": json.loads(r["strata"]), "claims": r["claims"], "reviewed": r["reviewed"],
             "completed_at": r["completed_at"]} for r in rows]


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
    """The numbered frame as CSV (`manage.py sample export-frame`)."""
    return frame_csv(*stored_frame(db, sample_id))


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
    this sample, if it did), and re-run the stored method and seed."""
    sample = load_sample(db, sample_id)
    spec = sample.spec
    frame = _frame(con, db, spec, sample.seq)
    if frame.sha256 != sample.frame_sha256:
        old, new = set(stored_frame(db, sample_id)[0]), set(frame.keys)
        return Redraw(sample, False, added=len(new - old), removed=len(old - new))
    drawn, _ = select(frame, spec, sample.seed)
    if [(d.claim_key, d.spare) for d in drawn] != [(d.claim_key, d.spare) for d in sample.drawn]:
        raise ReviewError(f"Sample {sample_id}'s frame matches but its seed now selects other claims: the generator "
                          f"changed since version {sample.generator_version}. Report this; the stored sample stands.")
    return Redraw(sample, True)
