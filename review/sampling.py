"""Sampling methods: which frame positions a method and seed select (docs/SAMPLING.md).

- random: a simple random sample of `size` claims: the i-th claim drawn is the frame entry at the i-th
  number `random_numbers(seed, size, 1, N)` gives (so `manage.py random-numbers` reproduces it).
- probe: the same, conventionally about 30 claims, to size the full sample from its spread.
- stratified: strata by billed-dollar band, coder, facility, payer or encounter type; `size` is split over
  the strata (proportional: by stratum size, largest remainders first, every stratum with claims getting at
  least one; equal: `size` per stratum, at most the stratum). One seeded generator numbers each stratum's
  entries from 1 in frame order, stratum after stratum (random_numbers.stratified_random_numbers).
- per-coder: "N per coder per period": stratified by coder with `size` claims per coder (equal allocation),
  the period being the filters' service dates.
Spares are drawn after the sample (per stratum when stratified) for claims that turn out not reviewable.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from queries.metrics import Filters
from review.frame import DEFAULT_BANDS, STRATA_BY, Frame, FrameError, band_strata
from review.random_numbers import random_numbers, stratified_random_numbers

METHODS = ("random", "stratified", "probe", "per-coder")
ALLOCATIONS = ("proportional", "equal")
PROBE_SIZE = 30


@dataclass(frozen=True)
class SampleSpec:
    """What to draw: everything a redraw needs besides the seed and the store."""

    method: str
    size: int
    filters: Filters = field(default_factory=Filters)
    exclude_audited: bool = False
    strata_by: str | None = None
    bands: tuple[float, ...] = DEFAULT_BANDS
    allocation: str = "proportional"
    spares: int = 0

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise FrameError(f"There is no sampling method {self.method!r}: choose one of {', '.join(METHODS)}.")
        if self.size < 1 or self.spares < 0:
            raise FrameError("The sample size must be at least 1 and the spares zero or more.")
        if self.allocation not in ALLOCATIONS:
            raise FrameError(f"Allocation must be one of {', '.join(ALLOCATIONS)}.")
        if self.method == "per-coder":
            object.__setattr__(self, "strata_by", "coder")
            object.__setattr__(self, "allocation", "equal")
        elif self.method == "stratified":
            if self.strata_by not in STRATA_BY:
                raise FrameError(f"A stratified sample needs strata: choose one of {', '.join(STRATA_BY)}.")
        else:
            object.__setattr__(self, "strata_by", None)
        if self.strata_by != "billed":
            object.__setattr__(self, "bands", ())
        else:
            band_strata(self.bands)

    @property
    def stratified(self) -> bool:
        return self.strata_by is not None

    def parameters(self) -> dict[str, Any]:
        """As stored with the sample (JSON) and printed by `sample list`."""
        scope = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in self.filters.params().items()}
        if self.filters.claim_flags:  # absent when none: a sample stored before flags existed prints as it was drawn
            scope["claim_flags"] = list(self.filters.claim_flags)
        return {"size": self.size, "spares": self.spares, "strata_by": self.strata_by, "bands": list(self.bands),
                "allocation": self.allocation if self.stratified else None, "filters": scope,
                "exclude_audited": self.exclude_audited}

    @classmethod
    def from_parameters(cls, method: str, parameters: Mapping[str, Any]) -> SampleSpec:
        scope = parameters["filters"]
        filters = Filters(
            date_from=date.fromisoformat(scope["date_from"]) if scope.get("date_from") else None,
            date_to=date.fromisoformat(scope["date_to"]) if scope.get("date_to") else None,
            **{name: tuple(scope.get(name) or ()) for name in ("facility", "payer", "coder", "encounter_type", "claim_flags")},
        )
        return cls(method=method, size=parameters["size"], filters=filters, exclude_audited=parameters["exclude_audited"],
                   strata_by=parameters["strata_by"], bands=tuple(parameters["bands"]) or DEFAULT_BANDS,
                   allocation=parameters["allocation"] or "proportional", spares=parameters["spares"])


def allocate(universes: Sequence[int], size: int, allocation: str) -> list[int]:
    """Claims to draw from each stratum. Equal: `size` from each, at most all of it. Proportional: `size`
    split by stratum size (floors, then the largest remainders, ties to the earlier stratum), then each
    stratum with claims but none drawn takes one from the stratum drawing most, so none is left unsampled."""
    if allocation == "equal":
        return [min(size, n) for n in universes]
    total = sum(universes)
    if size > total:
        raise FrameError(f"The frame holds only {total:,} claims; ask for at most {total:,}.")
    nonempty = sum(1 for n in universes if n)
    if size < nonempty:
        raise FrameError(f"{nonempty} strata hold claims; a stratified sample needs at least one claim from each, "
                         f"so ask for at least {nonempty}.")
    quotas = [size * n / total for n in universes]
    counts = [math.floor(q) for q in quotas]
    for i in sorted(range(len(quotas)), key=lambda i: (-(quotas[i] - counts[i]), i))[: size - sum(counts)]:
        counts[i] += 1
    for i, n in enumerate(universes):
        if n and not counts[i]:
            donor = max(range(len(counts)), key=lambda j: (counts[j], -j))
            counts[donor] -= 1
            counts[i] = 1
    return counts


@dataclass(frozen=True)
class Drawn:
    """One drawn claim: its place in the selection (1.. then the spares), in the frame, and its stratum."""

    selection: int
    claim_key: str
    frame_position: int
    stratum: int
    spare: bool


def select(frame: Frame, spec: SampleSpec, seed: float) -> tuple[list[Drawn], list[int]]:
    """The drawn claims in selection order (the sample, then the spares) and the sample size per stratum."""
    if frame.size == 0:
        raise FrameError("No claims match these filters (after leaving out claims already audited, if asked); "
                         "widen the service dates or clear a filter.")
    if not spec.stratified:
        if spec.size > frame.size:
            raise FrameError(f"The frame holds only {frame.size:,} claims; ask for at most {frame.size:,}.")
        spares = min(spec.spares, frame.size - spec.size)
        draw = random_numbers(seed, spec.size, 1, frame.size, spares)
        picks = [(number, 0, False) for number in draw.selection_order] + [(number, 0, True) for number in draw.spares]
        return _numbered(frame, picks), [spec.size]
    universes = [s.universe for s in frame.strata]
    sizes = allocate(universes, spec.size, spec.allocation)
    draws = stratified_random_numbers(seed, [(n, min(spec.spares, size - n), size) for n, size in zip(sizes, universes)])
    chosen, spare = [], []
    for index, draw in enumerate(draws):
        positions = frame.stratum_positions(index)
        chosen += [(int(positions[number - 1]), index, False) for number in draw.selection_order]
        spare += [(int(positions[number - 1]), index, True) for number in draw.spares]
    return _numbered(frame, chosen + spare), sizes


def _numbered(frame: Frame, picks: list[tuple[int, int, bool]]) -> list[Drawn]:
    return [Drawn(i, frame.keys[position - 1], position, stratum, spare)
            for i, (position, stratum, spare) in enumerate(picks, start=1)]
