"""The sampling frame: which claims a sample is drawn from, in which order, and its fingerprint.

The frame is the claims in scope of the sidebar filters (queries.metrics.Filters, claim flags included),
optionally without claims already audited, ordered by service date and then claim key (review/frame_keys.py). Its
SHA-256 is taken over an exactly
defined byte string, so an outside statistician can recompute it from `manage.py sample export-frame`:
each claim key (24 lower-case hexadecimal digits, ASCII) followed by one line feed (0x0A), in frame
order, with nothing before, between or after. Strata (by billed- or paid-dollar band, coder, facility, payer
or encounter type, and a certainty stratum of the claims paid over a threshold) number the frame entries of
each stratum from 1 in frame order.
"""
from __future__ import annotations

import csv
import hashlib
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from queries.formats import dollar_limit
from queries.metrics import Filters
from review import frame_keys
from review.sql_files import sql

STRATA_BY = ("billed", "paid", "coder", "facility", "payer", "encounter_type")
DOLLAR_STRATA = ("billed", "paid")  # strata by band of this amount
MEASURE = "paid"                    # the stratification variable of strata that are not dollar bands
CERTAINTY_AMOUNT = "paid"           # a certainty stratum takes every claim paid over a threshold
DEFAULT_BANDS = (1_000.0, 10_000.0, 50_000.0)


class FrameError(ValueError):
    """A frame or strata that cannot be built; the message says what to change."""


@dataclass(frozen=True)
class Stratum:
    """One stratum: its label, what defines it (a band's [low, high) in dollars, or a value), and its size. A
    certainty stratum (every claim paid over `low`) is reviewed in full, never sampled."""

    label: str
    universe: int
    value: str | None = None
    low: float | None = None
    high: float | None = None
    certainty: bool = False

    def as_json(self) -> dict[str, object]:
        body: dict[str, object] = {"label": self.label, "universe": self.universe, "value": self.value, "low": self.low,
                                   "high": self.high}
        return {**body, "certainty": True} if self.certainty else body


@dataclass(frozen=True)
class Frame:
    """The frame in frame order: its keys as an (N, 12) array of bytes, two digits to a byte
    (review/frame_keys.py), each entry's stratum, and each entry's dollar amount of the stratification variable (`amount_name`: billed or
    paid), from which Neyman allocation and the expected precision are worked out."""

    binary: np.ndarray
    lines: np.ndarray              # (N, 25) ASCII: each key and a line feed, the bytes the SHA-256 is taken over
    strata: list[Stratum]          # one ("all") when not stratified
    stratum_of: np.ndarray         # per frame entry, its stratum's index
    amounts: np.ndarray            # 0 throughout a frame that is not stratified
    amount_name: str
    missing_paid: int = 0          # claims without a paid amount (not known or not yet paid), counted as $0 paid

    @property
    def size(self) -> int:
        return len(self.binary)

    @cached_property
    def keys(self) -> list[str]:
        return self.lines.tobytes().decode("ascii").splitlines()

    def key(self, position: int) -> str:
        """The claim key at a 1-based frame position."""
        return frame_keys.key_text(self.binary[position - 1])

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.lines).hexdigest()

    @cached_property
    def _by_stratum(self) -> list[np.ndarray]:
        if len(self.strata) <= 8:  # a pass per stratum is cheaper than a stable sort of the whole frame
            return [np.flatnonzero(self.stratum_of == index) + 1 for index in range(len(self.strata))]
        order = np.argsort(self.stratum_of, kind="stable")
        counts = np.bincount(self.stratum_of, minlength=len(self.strata))
        return np.split(order + 1, np.cumsum(counts)[:-1])

    def stratum_positions(self, index: int) -> np.ndarray:
        """The 1-based frame positions of one stratum's entries, in frame order."""
        return self._by_stratum[index]

    def stratum_amounts(self, index: int) -> np.ndarray:
        return self.amounts[self._by_stratum[index] - 1]


def frame_bytes(keys: Sequence[str]) -> bytes:
    """The hashed form: each key and a line feed, in frame order."""
    return "".join(f"{key}\n" for key in keys).encode("ascii")


def frame_sha256(keys: Sequence[str]) -> str:
    return hashlib.sha256(frame_bytes(keys)).hexdigest()


def parse_bands(text: str) -> tuple[float, ...]:
    """Band limits as typed ('1000,10000,50000'), checked as `band_strata` checks them."""
    try:
        bands = tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        bands = ()
    band_strata(bands)
    return bands


def band_strata(bands: Sequence[float]) -> list[tuple[str, float | None, float | None]]:
    """Labels and [low, high) limits of the dollar bands cut at `bands` (ascending, positive)."""
    cuts = list(bands)
    if not cuts or not all(math.isfinite(b) and b > 0 for b in cuts) or cuts != sorted(set(cuts)):
        raise FrameError("Dollar bands must be positive amounts in increasing order, such as 1000,10000,50000.")
    edges: list[float | None] = [None, *cuts, None]
    out = []
    for low, high in zip(edges, edges[1:]):
        if low is None:
            out.append((f"under {dollar_limit(high)}", None, high))
        elif high is None:
            out.append((f"{dollar_limit(low)} and over", low, None))
        else:
            out.append((f"{dollar_limit(low)} to under {dollar_limit(high)}", low, high))
    return out


def build_frame(con: duckdb.DuckDBPyConnection, filters: Filters, *, exclude_audited: bool = False,
                excluded: Sequence[str] = (), strata_by: str | None = None,
                bands: Sequence[float] = DEFAULT_BANDS, certainty_above: float | None = None) -> Frame:
    """The frame as the store holds it now. `excluded` are claim keys drawn into earlier samples, left out
    (with claims that have imported findings) when `exclude_audited`. With `certainty_above`, every claim paid
    over it forms the last stratum, reviewed in full, and leaves the stratum it fell in. A claim without a
    paid amount counts as $0 paid (the lowest paid band, never a certainty claim)."""
    if strata_by is not None and strata_by not in STRATA_BY:
        raise FrameError(f"Cannot stratify by {strata_by!r}: choose one of {', '.join(STRATA_BY)}.")
    con.register("excluded_claims", pa.table({"claim_key": pa.array(list(excluded), pa.string())}))
    try:
        table = con.execute(sql("frame/frame"), {**filters.params(), "claim_flags": list(filters.claim_flags),
                                                 "exclude_audited": exclude_audited, "strata_by": strata_by,
                                                 "with_amounts": strata_by is not None}).fetch_arrow_table()
    finally:
        con.unregister("excluded_claims")
    try:
        binary = frame_keys.key_binary(table.column("claim_key"))
    except frame_keys.KeyFormatError as exc:
        raise FrameError(str(exc)) from None
    order = frame_keys.frame_order(table.column("service_date").cast(pa.int32()).to_numpy(zero_copy_only=False), binary)
    binary = frame_keys.rows_in(binary, order)
    lines = frame_keys.hashed_lines(binary)
    amount_name = strata_by if strata_by in DOLLAR_STRATA else MEASURE
    amounts = _dollars(table, amount_name)[order]
    if strata_by is None:
        strata, index = [Stratum("all", len(binary))], np.zeros(len(binary), dtype=np.int64)
    elif strata_by in DOLLAR_STRATA:
        limits = band_strata(bands)
        index = np.searchsorted(np.asarray(list(bands), dtype=float), amounts, side="right").astype(np.int64)
        strata = [Stratum(label, 0, low=low, high=high) for label, low, high in limits]
    else:
        column = table.column("stratum_value")
        labels = sorted(pc.unique(column).to_pylist())
        index = pc.index_in(column, value_set=pa.array(labels, pa.string())).to_numpy(zero_copy_only=False).astype(np.int64)[order]
        strata = [Stratum(v, 0, value=v) for v in labels]
    if certainty_above is not None:
        certain = _dollars(table, CERTAINTY_AMOUNT)[order] > certainty_above
        index[certain] = len(strata)
        strata.append(Stratum(f"paid over {dollar_limit(certainty_above)} (reviewed in full)", 0,
                              low=certainty_above, certainty=True))
    counts = np.bincount(index, minlength=len(strata))
    strata = [replace(s, universe=int(counts[i])) for i, s in enumerate(strata)]
    missing_paid = table.column("paid_amount").null_count if strata_by is not None else 0
    return Frame(binary, lines, strata, index, amounts, amount_name, missing_paid)


def _dollars(table: pa.Table, name: str) -> np.ndarray:
    return pc.fill_null(table.column(f"{name}_amount"), 0.0).to_numpy(zero_copy_only=False).astype(float)


def frame_csv(keys: Sequence[str], strata: Sequence[str] | None = None) -> str:
    """`position,claim_key` (position 1..N), and for a stratified frame also `stratum,stratum_position`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if strata is None:
        writer.writerow(("position", "claim_key"))
        writer.writerows((i, key) for i, key in enumerate(keys, start=1))
        return out.getvalue()
    writer.writerow(("position", "claim_key", "stratum", "stratum_position"))
    seen: dict[str, int] = {}
    for i, (key, stratum) in enumerate(zip(keys, strata, strict=True), start=1):
        seen[stratum] = seen.get(stratum, 0) + 1
        writer.writerow((i, key, stratum, seen[stratum]))
    return out.getvalue()
