"""Sampling methods: which frame positions a method and seed select (docs/SAMPLING.md).

- random: a simple random sample of `size` claims: the i-th claim drawn is the frame entry at the i-th
  number `random_numbers(seed, size, 1, N)` gives (so `manage.py random-numbers` reproduces it).
- probe: the same, conventionally about 30 claims, to size the full sample from its spread.
- stratified: strata by billed- or paid-dollar band, coder, facility, payer or encounter type; `size` is split
  over the strata (proportional: by stratum size, largest remainders first, every stratum with claims getting
  at least one; Neyman: by stratum size times the spread of the stratification variable, the same way; equal:
  `size` per stratum, at most the stratum). One seeded generator numbers each stratum's entries from 1 in frame
  order, stratum after stratum (random_numbers.stratified_random_numbers). With `certainty_above`, every claim
  over that amount forms a last, certainty stratum: all of it is reviewed (none drawn by the generator), in
  addition to `size`. A draw is refused when a sampled stratum would get fewer than two claims
  (review/design.py).
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

import numpy as np

from queries.metrics import Filters
from review.frame import DEFAULT_BANDS, DOLLAR_STRATA, STRATA_BY, Frame, FrameError, band_strata
from review.random_numbers import random_numbers, stratified_random_numbers

METHODS = ("random", "stratified", "probe", "per-coder")
ALLOCATIONS = ("proportional", "equal", "neyman")
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
    certainty_above: float | None = None

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
        if self.strata_by not in DOLLAR_STRATA:
            object.__setattr__(self, "bands", ())
        else:
            band_strata(self.bands)
        if self.certainty_above is not None:
            if self.method != "stratified":
                raise FrameError("A certainty stratum belongs to a stratified sample: choose the stratified method, "
                                 "or give no certainty amount.")
            if not (math.isfinite(self.certainty_above) and self.certainty_above > 0):
                raise FrameError("The certainty amount must be a positive dollar amount, such as 100000.")

    @property
    def stratified(self) -> bool:
        return self.strata_by is not None

    def parameters(self) -> dict[str, Any]:
        """As stored with the sample (JSON) and printed by `sample list`."""
        scope = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in self.filters.params().items()}
        if self.filters.claim_flags:  # absent when none: a sample stored before flags existed prints as it was drawn
            scope["claim_flags"] = list(self.filters.claim_flags)
        stored = {"size": self.size, "spares": self.spares, "strata_by": self.strata_by, "bands": list(self.bands),
                  "allocation": self.allocation if self.stratified else None, "filters": scope,
                  "exclude_audited": self.exclude_audited}
        if self.certainty_above is not None:  # absent when none: a sample stored before it prints as it was drawn
            stored["certainty_above"] = self.certainty_above
        return stored

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
                   allocation=parameters["allocation"] or "proportional", spares=parameters["spares"],
                   certainty_above=parameters.get("certainty_above"))


def allocate(universes: Sequence[int], size: int, allocation: str, spreads: Sequence[float] | None = None) -> list[int]:
    """Claims to draw from each stratum. Equal: `size` from each, at most all of it. Proportional: `size`
    split by stratum size (floors, then the largest remainders, ties to the earlier stratum), then each
    stratum with claims but none drawn takes one from the stratum drawing most, so none is left unsampled.
    Neyman: the same with each stratum's weight its size times `spreads` (the standard deviation of the
    stratification variable in it); a stratum whose share is more than its size is taken whole and the rest
    split again over the others (proportionally if no spread is left)."""
    if allocation == "equal":
        return [min(size, n) for n in universes]
    total = sum(universes)
    if size > total:
        raise FrameError(f"The frame holds only {total:,} claims; ask for at most {total:,}.")
    nonempty = sum(1 for n in universes if n)
    if size < nonempty:
        raise FrameError(f"{nonempty} strata hold claims; a stratified sample needs at least one claim from each, "
                         f"so ask for at least {nonempty}.")
    if allocation == "neyman":
        counts = _neyman(universes, size, spreads if spreads is not None else [0.0] * len(universes))
    else:
        counts = _largest_remainder(universes, size)
    for i, n in enumerate(universes):
        if n and not counts[i]:
            donor = max(range(len(counts)), key=lambda j: (counts[j], -j))
            counts[donor] -= 1
            counts[i] = 1
    return counts


def _largest_remainder(weights: Sequence[float], size: int) -> list[int]:
    total = sum(weights)
    quotas = [size * w / total for w in weights]
    counts = [math.floor(q) for q in quotas]
    for i in sorted(range(len(quotas)), key=lambda i: (-(quotas[i] - counts[i]), i))[: size - sum(counts)]:
        counts[i] += 1
    return counts


def _neyman(universes: Sequence[int], size: int, spreads: Sequence[float]) -> list[int]:
    counts = [0] * len(universes)
    open_strata = [i for i, n in enumerate(universes) if n]
    left = size
    while open_strata:
        weights = [universes[i] * spreads[i] for i in open_strata]
        if sum(weights) <= 0:
            weights = [float(universes[i]) for i in open_strata]
        total = sum(weights)
        whole = [i for i, w in zip(open_strata, weights) if left * w / total >= universes[i]]
        if not whole:
            for i, n in zip(open_strata, _largest_remainder(weights, left)):
                counts[i] = n
            break
        for i in whole:
            counts[i] = universes[i]
            left -= universes[i]
        open_strata = [i for i in open_strata if i not in whole]
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
    sampled = [s for s in frame.strata if not s.certainty]
    sizes = allocate([s.universe for s in sampled], spec.size, spec.allocation,
                     stratum_spreads(frame) if spec.allocation == "neyman" else None)
    sizes += [s.universe for s in frame.strata[len(sampled):]]
    draws = stratified_random_numbers(seed, [(0, 0, s.universe) if s.certainty else (n, min(spec.spares, s.universe - n), s.universe)
                                             for n, s in zip(sizes, frame.strata)])
    chosen, certain, spare = [], [], []
    for index, draw in enumerate(draws):
        positions = frame.stratum_positions(index)
        if frame.strata[index].certainty:
            certain += [(int(position), index, False) for position in positions]
        chosen += [(int(positions[number - 1]), index, False) for number in draw.selection_order]
        spare += [(int(positions[number - 1]), index, True) for number in draw.spares]
    return _numbered(frame, chosen + certain + spare), sizes


def stratum_spreads(frame: Frame) -> list[float]:
    """Each sampled stratum's standard deviation of the stratification variable (divisor N_h - 1; 0 for a
    stratum of fewer than two claims): the spread Neyman allocation weighs a stratum's size by."""
    return [float(np.std(frame.stratum_amounts(i), ddof=1)) if s.universe > 1 else 0.0
            for i, s in enumerate(frame.strata) if not s.certainty]


def _numbered(frame: Frame, picks: list[tuple[int, int, bool]]) -> list[Drawn]:
    return [Drawn(i, frame.key(position), position, stratum, spare)
            for i, (position, stratum, spare) in enumerate(picks, start=1)]
