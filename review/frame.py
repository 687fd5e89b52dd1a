"""The sampling frame: which claims a sample is drawn from, in which order, and its fingerprint.

The frame is the claims in scope of the sidebar filters (queries.metrics.Filters, claim flags included),
optionally without claims already audited, ordered by service date and then claim key. Its SHA-256 is taken over an exactly
defined byte string, so an outside statistician can recompute it from `manage.py sample export-frame`:
each claim key (24 lower-case hexadecimal digits, ASCII) followed by one line feed (0x0A), in frame
order, with nothing before, between or after. Strata (by billed-dollar band, coder, facility, payer or
encounter type) number the frame entries of each stratum from 1 in frame order.
"""
from __future__ import annotations

import csv
import hashlib
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from queries.metrics import Filters
from review.sql_files import sql

STRATA_BY = ("billed", "coder", "facility", "payer", "encounter_type")
_STRATUM_COLUMN = {"coder": "coder_id", "facility": "facility_id", "payer": "payer", "encounter_type": "encounter_type"}
DEFAULT_BANDS = (1_000.0, 10_000.0, 50_000.0)


class FrameError(ValueError):
    """A frame or strata that cannot be built; the message says what to change."""


@dataclass(frozen=True)
class Stratum:
    """One stratum: its label, what defines it (a band's [low, high) in dollars, or a value), and its size."""

    label: str
    universe: int
    value: str | None = None
    low: float | None = None
    high: float | None = None

    def as_json(self) -> dict[str, object]:
        return {"label": self.label, "universe": self.universe, "value": self.value, "low": self.low, "high": self.high}


@dataclass(frozen=True)
class Frame:
    keys: list[str]
    strata: list[Stratum]          # one ("all") when not stratified
    stratum_of: np.ndarray         # per frame entry, its stratum's index

    @property
    def size(self) -> int:
        return len(self.keys)

    @property
    def sha256(self) -> str:
        return frame_sha256(self.keys)

    def stratum_positions(self, index: int) -> np.ndarray:
        """The 1-based frame positions of one stratum's entries, in frame order."""
        return np.flatnonzero(self.stratum_of == index) + 1


def frame_bytes(keys: Sequence[str]) -> bytes:
    """The hashed form: each key and a line feed, in frame order."""
    return "".join(f"{key}\n" for key in keys).encode("ascii")


def frame_sha256(keys: Sequence[str]) -> str:
    return hashlib.sha256(frame_bytes(keys)).hexdigest()


def _money(amount: float) -> str:
    return f"${amount:,.0f}" if amount == int(amount) else f"${amount:,.2f}"


def parse_bands(text: str) -> tuple[float, ...]:
    """Band limits as typed ('1000,10000,50000'), checked as `band_strata` checks them."""
    try:
        bands = tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        bands = ()
    band_strata(bands)
    return bands


def band_strata(bands: Sequence[float]) -> list[tuple[str, float | None, float | None]]:
    """Labels and [low, high) limits of the billed-dollar bands cut at `bands` (ascending, positive)."""
    cuts = list(bands)
    if not cuts or not all(0 < b < math.inf for b in cuts) or cuts != sorted(set(cuts)):
        raise FrameError("Billed-dollar bands must be positive amounts in increasing order, such as 1000,10000,50000.")
    edges: list[float | None] = [None, *cuts, None]
    out = []
    for low, high in zip(edges, edges[1:]):
        if low is None:
            out.append((f"under {_money(high)}", None, high))
        elif high is None:
            out.append((f"{_money(low)} and over", low, None))
        else:
            out.append((f"{_money(low)} to under {_money(high)}", low, high))
    return out


def build_frame(con: duckdb.DuckDBPyConnection, filters: Filters, *, exclude_audited: bool = False,
                excluded: Sequence[str] = (), strata_by: str | None = None,
                bands: Sequence[float] = DEFAULT_BANDS) -> Frame:
    """The frame as the store holds it now. `excluded` are claim keys drawn into earlier samples, left out
    (with claims that have imported findings) when `exclude_audited`."""
    if strata_by is not None and strata_by not in STRATA_BY:
        raise FrameError(f"Cannot stratify by {strata_by!r}: choose one of {', '.join(STRATA_BY)}.")
    con.register("excluded_claims", pa.table({"claim_key": pa.array(list(excluded), pa.string())}))
    try:
        table = con.execute(sql("frame/frame"), {**filters.params(), "claim_flags": list(filters.claim_flags),
                                                 "exclude_audited": exclude_audited}).fetch_arrow_table()
    finally:
        con.unregister("excluded_claims")
    keys: list[str] = table.column("claim_key").to_pylist()
    if strata_by is None:
        return Frame(keys, [Stratum("all", len(keys))], np.zeros(len(keys), dtype=np.int64))
    if strata_by == "billed":
        limits = band_strata(bands)
        billed = table.column("billed_amount").to_numpy()
        index = np.searchsorted(np.asarray(list(bands), dtype=float), billed, side="right")
        counts = np.bincount(index, minlength=len(limits))
        return Frame(keys, [Stratum(label, int(counts[i]), low=low, high=high) for i, (label, low, high) in enumerate(limits)], index)
    column = table.column(_STRATUM_COLUMN[strata_by])
    labels = sorted(pc.unique(column).to_pylist())
    index = pc.index_in(column, value_set=pa.array(labels, pa.string())).to_numpy(zero_copy_only=False).astype(np.int64)
    counts = np.bincount(index, minlength=len(labels))
    return Frame(keys, [Stratum(v, int(counts[i]), value=v) for i, v in enumerate(labels)], index)


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
