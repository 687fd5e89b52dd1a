"""Checks on a stratified design at draw time (docs/SAMPLING.md, "Stratified designs").

- At least two claims from each sampled stratum: with one, the stratum's standard deviation, so the
  sample's standard error and every limit, cannot be measured. A stratum holding one claim is reviewed in
  full (its one claim is drawn; with nothing left unsampled its variance is 0, as a certainty stratum's),
  not merged with a neighbour, so the strata stay the ones the auditor chose. The draw is refused otherwise.
- The expected precision, from the stratification variable (the billed or paid dollars of the frame's
  claims, known for every claim before any review): for a stratum h of N_h claims with n_h drawn,
  standard deviation S_h and total Y_h of that variable,
      V_h = N_h^2 * S_h^2 / n_h * (1 - n_h / N_h),   precision_h = t(0.95, n_h - 1) * sqrt(V_h) / Y_h
  and for the design sqrt(sum V_h) / sum Y_h with t at sum (n_h - 1) degrees of freedom (a certainty
  stratum adds its total and no variance). An overpayment estimate is looser than this (most claims are
  without error), so over POOR_PRECISION_PCT is a warning said at the draw; the draw still goes ahead.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy.stats import t as student_t

from queries.formats import percent_value
from review.appraisal import POOR_PRECISION_PCT
from review.frame import Frame, FrameError

MINIMUM_PER_STRATUM = 2


def check_minimum(frame: Frame, sizes: Sequence[int]) -> None:
    """Refuse (FrameError, one sentence) a design with a sampled stratum of two or more claims given fewer
    than two."""
    for stratum, n in zip(frame.strata, sizes, strict=True):
        if not stratum.certainty and stratum.universe >= MINIMUM_PER_STRATUM and n < MINIMUM_PER_STRATUM:
            raise FrameError(
                f"Stratum '{stratum.label}' would get {n} claim{'' if n == 1 else 's'} of its {stratum.universe:,}, and "
                f"a stratum's standard error needs at least {MINIMUM_PER_STRATUM}: ask for a larger sample, use fewer "
                "bands (or coarser strata), or choose equal allocation.")


def _t90(df: int) -> float:
    return float(student_t.ppf(0.95, df))


def expected_precision(frame: Frame, sizes: Sequence[int]) -> tuple[list[float | None], float | None]:
    """The expected two-sided 90% precision (% of the total) of each stratum's total of the stratification
    variable and of the design's, from the frame's own amounts; None where it cannot be worked out (a
    stratum reviewed in full, or one with a total of 0)."""
    per_stratum: list[float | None] = []
    variance = total = 0.0
    df = 0
    for index, (stratum, n) in enumerate(zip(frame.strata, sizes, strict=True)):
        amounts = frame.stratum_amounts(index)
        total += float(amounts.sum())
        if stratum.certainty or n >= stratum.universe or n < MINIMUM_PER_STRATUM:
            per_stratum.append(None)
            continue
        big_n = stratum.universe
        v = big_n**2 * float(np.var(amounts, ddof=1)) / n * (1 - n / big_n)
        variance += v
        df += n - 1
        stratum_total = float(amounts.sum())
        per_stratum.append(_t90(n - 1) * math.sqrt(v) / stratum_total * 100 if stratum_total > 0 else None)
    design = _t90(df) * math.sqrt(variance) / total * 100 if df >= 1 and total > 0 else None
    return per_stratum, design


def precision_warnings(frame: Frame, sizes: Sequence[int]) -> list[str]:
    """One sentence per stratum, and one for the design, whose expected precision is over POOR_PRECISION_PCT;
    and one when paid dollars stratify a frame holding claims without a paid amount."""
    per_stratum, design = expected_precision(frame, sizes)
    what = f"{frame.amount_name} dollars"
    warnings = []
    if frame.missing_paid and (frame.amount_name == "paid" or any(s.certainty for s in frame.strata)):
        warnings.append(f"{frame.missing_paid:,} claims in the frame have no paid amount and count as $0 paid (the "
                        "lowest band, never reviewed in full); if they are not part of the universe, narrow the frame.")
    if design is not None and design > POOR_PRECISION_PCT:
        warnings.append(f"The design's expected 90% precision on the frame's {what} is ±{percent_value(design)} (over "
                        f"{POOR_PRECISION_PCT:g}%), and an overpayment estimate will be looser still: sample more "
                        "claims, or use Neyman allocation to put them where the dollars vary most.")
    for stratum, n, pct in zip(frame.strata, sizes, per_stratum, strict=True):
        if pct is not None and pct > POOR_PRECISION_PCT:
            warnings.append(f"Stratum '{stratum.label}': {n} of its {stratum.universe:,} claims give an expected 90% "
                            f"precision of ±{percent_value(pct)} on its {what} (over {POOR_PRECISION_PCT:g}%); sample more claims "
                            "in it if its own total matters.")
    return warnings
