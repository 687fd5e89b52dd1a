"""Appraisal of an audit sample, as OIG's RAT-STATS and Medicare contractors compute it.

Variable appraisal estimates the total overpayment in a universe of N claims from the overpayment of
each sampled claim (a claim with no error counts 0). Unrestricted (simple random sample):
    point estimate  = N * mean
    standard error  = N * s / sqrt(n) * sqrt(1 - n / N)          (s: sample standard deviation)
    limits          = point estimate -/+ t * standard error,  t with n - 1 degrees of freedom
    precision       = t * standard error, also as a percentage of the point estimate
Stratified: the point estimate is the sum of the strata's, the standard error the square root of the
sum of the strata's variances, and t has n - L degrees of freedom (n sampled claims, L strata with a
sample). A certainty stratum (every claim in it reviewed) counts at face value: its total is its claims'
sum and its variance 0, and its claims and itself stay out of n - L (they tell nothing of the spread). Medicare contractors demand the one-sided 90% lower limit; a Corporate Integrity Agreement
repays the lower limit of the two-sided 90% interval. Attribute appraisal (claims in error) gives exact
limits for a finite universe from the hypergeometric distribution. Formulas and worked examples:
docs/SAMPLING.md.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import hypergeom, norm
from scipy.stats import t as student_t

from queries.formats import dollars

TWO_SIDED_LEVELS = (0.80, 0.90, 0.95)
ONE_SIDED_LEVEL = 0.90
POOR_PRECISION_PCT = 25.0  # a two-sided 90% precision wider than this is too loose to extrapolate on
# The largest universe appraised or sized: far above any claims universe, and small enough that the exact
# hypergeometric limits stay accurate and answer in well under a second.
MAX_UNIVERSE = 1_000_000_000
# The largest overpayment one claim may carry (in either sign): with MAX_UNIVERSE it keeps every estimate,
# standard error and limit a finite number (no Infinity in a report or in JSON).
MAX_AMOUNT = 1e12


class AppraisalError(ValueError):
    """An appraisal that cannot be made from these inputs; the message says what to change."""


def level_name(level: float) -> str:
    """0.9 -> '90' (the key of a level in reports and JSON)."""
    return f"{level * 100:g}"


@dataclass(frozen=True)
class Limits:
    """A two-sided interval at one confidence level."""

    level: float
    t: float
    lower: float
    upper: float
    precision: float           # t * standard error, in dollars
    precision_pct: float | None  # precision as a percentage of the point estimate; None when it is 0


@dataclass(frozen=True)
class VariableAppraisal:
    n: int
    universe: int
    nonzero: int
    mean: float
    sd: float | None           # None with one sampled claim: no spread can be measured
    point_estimate: float
    standard_error: float | None
    degrees_of_freedom: int
    two_sided: dict[str, Limits]
    one_sided_90_lower: float | None
    strata: tuple[StratumAppraisal, ...] = ()

    @property
    def warnings(self) -> list[str]:
        """Why limits are missing: each stratum with one sampled claim of a larger universe, in a sentence."""
        return [f"Stratum '{s.label}' has 1 sampled claim of its {s.universe:,}, so its spread, the standard error "
                "and every limit cannot be measured; draw a sample with at least two claims from each stratum."
                for s in self.strata if s.n == 1 and s.universe > 1]

    @property
    def precision_too_poor(self) -> bool:
        """True when the two-sided 90% precision is over POOR_PRECISION_PCT (or cannot be measured)."""
        ninety = self.two_sided[level_name(0.90)].precision_pct
        return self.point_estimate != 0 and (ninety is None or math.isnan(ninety) or ninety > POOR_PRECISION_PCT)

    def as_json(self) -> dict[str, object]:
        """The contract of `manage.py appraise variable --json`."""
        return {
            "n": self.n, "universe": self.universe, "nonzero": self.nonzero, "mean": _plain(self.mean),
            "sd": _plain(self.sd), "point_estimate": _plain(self.point_estimate),
            "standard_error": _plain(self.standard_error), "degrees_of_freedom": self.degrees_of_freedom,
            "two_sided": {
                name: {"t": _plain(x.t), "lower": _plain(x.lower), "upper": _plain(x.upper),
                       "precision": _plain(x.precision), "precision_pct": _plain(x.precision_pct)}
                for name, x in self.two_sided.items()
            },
            "one_sided_90_lower": _plain(self.one_sided_90_lower),
            "strata": [s.as_json() for s in self.strata],
            "warnings": self.warnings,
        }


@dataclass(frozen=True)
class StratumAppraisal:
    label: str
    n: int
    universe: int
    nonzero: int
    mean: float
    sd: float | None
    point_estimate: float
    variance: float            # of the stratum's point estimate
    certainty: bool = False    # reviewed in full: counted at face value, variance 0

    def as_json(self) -> dict[str, object]:
        return {"label": self.label, "n": self.n, "universe": self.universe, "nonzero": self.nonzero,
                "mean": _plain(self.mean), "sd": _plain(self.sd), "point_estimate": _plain(self.point_estimate),
                "standard_error": _plain(math.sqrt(self.variance)), "certainty": self.certainty}


def _plain(value: float | None) -> float | None:
    """JSON has no NaN: an unmeasurable value is null."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def _stratum(label: str, values: Sequence[float], universe: int, certainty: bool = False) -> StratumAppraisal:
    n = len(values)
    if not 1 <= universe <= MAX_UNIVERSE:
        raise AppraisalError(f"Stratum {label!r}: the universe must hold from 1 to {MAX_UNIVERSE:,} claims.")
    if certainty and n != universe:
        raise AppraisalError(f"Certainty stratum {label!r}: all {universe} of its claims must be reviewed; {n} are.")
    if n == 0:
        raise AppraisalError(f"Stratum {label!r} has no sampled claims; sample at least one or merge it.")
    if n > universe:
        raise AppraisalError(f"Stratum {label!r}: {n} sampled claims cannot come from a universe of {universe}.")
    x = np.asarray(values, dtype=float)
    if not np.all(np.isfinite(x)):
        raise AppraisalError(f"Stratum {label!r}: every sampled value must be a number (no blanks or NaN).")
    if np.any(np.abs(x) > MAX_AMOUNT):
        raise AppraisalError(f"Stratum {label!r}: a sampled value is too large to appraise (over {dollars(MAX_AMOUNT)} "
                             "a claim); give each claim's overpayment in dollars.")
    mean = float(x.mean())
    sd = float(x.std(ddof=1)) if n > 1 else None
    fpc = 1.0 - n / universe
    variance = universe**2 * (sd**2 / n) * fpc if sd is not None else (0.0 if fpc == 0 else math.nan)
    return StratumAppraisal(label, n, universe, int(np.count_nonzero(x)), mean, sd, universe * mean, variance, certainty)


def _limits(point: float, se: float, df: int, level: float) -> Limits:
    if df < 1 or math.isnan(se):
        return Limits(level, math.nan, math.nan, math.nan, math.nan, None)
    t = float(student_t.ppf(1 - (1 - level) / 2, df))
    precision = t * se
    pct = precision / abs(point) * 100 if point != 0 else None
    return Limits(level, t, point - precision, point + precision, precision, pct)


def _appraise(strata: list[StratumAppraisal]) -> VariableAppraisal:
    n = sum(s.n for s in strata)
    universe = sum(s.universe for s in strata)
    point = sum(s.point_estimate for s in strata)
    variance = sum(s.variance for s in strata)
    se = math.sqrt(variance) if not math.isnan(variance) else math.nan
    sampled = [s for s in strata if not s.certainty]
    df = sum(s.n for s in sampled) - len(sampled)
    one_sided = None
    if df >= 1 and not math.isnan(se):
        one_sided = point - float(student_t.ppf(ONE_SIDED_LEVEL, df)) * se
    values_sd = strata[0].sd if len(strata) == 1 else None
    return VariableAppraisal(
        n=n, universe=universe, nonzero=sum(s.nonzero for s in strata),
        mean=point / universe if len(strata) > 1 else strata[0].mean, sd=values_sd,
        point_estimate=point, standard_error=None if math.isnan(se) else se, degrees_of_freedom=df,
        two_sided={level_name(level): _limits(point, se, df, level) for level in TWO_SIDED_LEVELS},
        one_sided_90_lower=one_sided, strata=tuple(strata) if len(strata) > 1 else (),
    )


def appraise_variable(values: Sequence[float], universe: int) -> VariableAppraisal:
    """Unrestricted variable appraisal of a simple random sample of `universe` claims."""
    return _appraise([_stratum("all", values, universe)])


def appraise_stratified(strata: Sequence[tuple[str, int, Sequence[float]] | tuple[str, int, Sequence[float], bool]]
                        ) -> VariableAppraisal:
    """Stratified variable appraisal: one (label, universe, sampled values[, certainty]) per stratum. A stratum
    with no claims in its universe is left out; one with claims but no sample is refused (its total would be
    a guess); a certainty stratum must have every claim reviewed. `mean` of the result is the estimated mean
    per claim of the whole universe."""
    kept = [_stratum(label, values, universe, *rest) for label, universe, values, *rest in strata if universe > 0]
    if not kept:
        raise AppraisalError("No stratum holds any claim; there is nothing to appraise.")
    return _appraise(kept)


@dataclass(frozen=True)
class AttributeLimits:
    level: float
    lower_count: int
    upper_count: int

    def as_json(self, universe: int) -> dict[str, object]:
        return {"lower_count": self.lower_count, "upper_count": self.upper_count,
                "lower_rate": self.lower_count / universe, "upper_rate": self.upper_count / universe}


@dataclass(frozen=True)
class AttributeAppraisal:
    """Claims in error: the sample rate, the universe count it projects to, and exact limits on the
    number of claims in error in the universe (hypergeometric, so exact for a finite universe)."""

    n: int
    universe: int
    errors: int
    rate: float
    point_count: float
    two_sided: dict[str, AttributeLimits]
    one_sided_90_upper: int

    def as_json(self) -> dict[str, object]:
        return {"n": self.n, "universe": self.universe, "errors": self.errors, "rate": self.rate,
                "point_count": self.point_count, "method": "exact hypergeometric",
                "two_sided": {name: x.as_json(self.universe) for name, x in self.two_sided.items()},
                "one_sided_90_upper_count": self.one_sided_90_upper}


def _largest(predicate: Callable[[int], bool], low: int, high: int) -> int:
    """The largest K in [low, high] with predicate(K), for a predicate that holds up to some K and not after."""
    while low < high:
        middle = (low + high + 1) // 2
        if predicate(middle):
            low = middle
        else:
            high = middle - 1
    return low


def _hypergeometric_bounds(errors: int, n: int, universe: int, tail: float) -> tuple[int, int]:
    """(lower, upper) number of claims in error in the universe, each with one-sided tail probability
    `tail`: upper is the largest K with P(X <= errors | K) >= tail, lower the smallest K with
    P(X >= errors | K) >= tail (both probabilities are monotone in K). K runs over the counts the sample
    allows, errors .. universe - (n - errors)."""
    k_min, k_max = errors, universe - (n - errors)
    upper = _largest(lambda k: hypergeom.cdf(errors, universe, k, n) >= tail, k_min, k_max)
    if errors == 0:
        return 0, upper
    below = _largest(lambda k: hypergeom.sf(errors - 1, universe, k, n) < tail, k_min - 1, k_max)
    return below + 1, upper


def appraise_attribute(errors: int, n: int, universe: int) -> AttributeAppraisal:
    if universe > MAX_UNIVERSE:
        raise AppraisalError(f"The universe must hold at most {MAX_UNIVERSE:,} claims; it is {universe:,}.")
    if not 0 < n <= universe:
        raise AppraisalError(f"The sample size must be from 1 to the universe ({universe}); it is {n}.")
    if not 0 <= errors <= n:
        raise AppraisalError(f"The claims in error must be from 0 to the sample size ({n}); it is {errors}.")
    two_sided = {}
    for level in TWO_SIDED_LEVELS:
        lower, upper = _hypergeometric_bounds(errors, n, universe, (1 - level) / 2)
        two_sided[level_name(level)] = AttributeLimits(level, lower, upper)
    _, one_sided_upper = _hypergeometric_bounds(errors, n, universe, 1 - ONE_SIDED_LEVEL)
    return AttributeAppraisal(n, universe, errors, errors / n, universe * errors / n, two_sided, one_sided_upper)


def attribute_sample_size(expected_rate: float, confidence: float, precision: float, universe: int) -> int:
    """Claims to sample so that a two-sided interval at `confidence` on the error rate is about
    +/- `precision` (absolute, 0.05 = 5 points) when the rate is `expected_rate`: the normal
    approximation n0 = z^2 p (1 - p) / e^2 with the finite population correction
    n = n0 / (1 + (n0 - 1) / N), rounded up."""
    if not 0 < expected_rate < 1:
        raise AppraisalError("The expected error rate must be between 0 and 1 (0.10, not 10).")
    _check_confidence_and_universe(confidence, universe)
    if not 0 < precision < 1:
        raise AppraisalError("The precision must be between 0 and 1 (0.05 for plus or minus 5 points).")
    z = float(norm.ppf(1 - (1 - confidence) / 2))
    n0 = z**2 * expected_rate * (1 - expected_rate) / precision**2
    return min(universe, math.ceil(n0 / (1 + (n0 - 1) / universe)))


def variable_sample_size(sd: float, mean: float, universe: int, confidence: float, precision_pct: float) -> int:
    """Claims to sample so that the two-sided `confidence` interval of the total overpayment is about
    +/- `precision_pct` percent of the point estimate, from a probe sample's standard deviation `sd` and
    mean `mean` per claim: n0 = (t s / (e * mean))^2, n = n0 / (1 + n0 / N), with t at n - 1 degrees of
    freedom found by iteration (it starts from z)."""
    _check_confidence_and_universe(confidence, universe)
    if not 0 <= sd <= MAX_AMOUNT:
        raise AppraisalError(f"The standard deviation must be a number of dollars from $0.00 to {dollars(MAX_AMOUNT)}.")
    if not abs(mean) <= MAX_AMOUNT:
        raise AppraisalError(f"The mean overpayment must be a number of dollars from {dollars(-MAX_AMOUNT)} to {dollars(MAX_AMOUNT)}.")
    if mean == 0:
        raise AppraisalError("The probe sample's mean overpayment is 0: a relative precision cannot be sized from it.")
    if not 0 < precision_pct < 100:
        raise AppraisalError("The precision must be a percentage between 0 and 100 (10 for plus or minus 10%).")
    margin = precision_pct / 100 * abs(mean)
    quantile = 1 - (1 - confidence) / 2
    n = 2
    factor = float(norm.ppf(quantile))
    for _ in range(100):
        ratio = factor * sd / margin
        n0 = ratio * ratio  # inf for a mean too small to measure against: then the whole universe
        needed = universe if math.isinf(n0) else max(2, min(universe, math.ceil(n0 / (1 + n0 / universe))))
        if needed == n:
            break
        n = needed
        factor = float(student_t.ppf(quantile, n - 1))
    return n


def _check_confidence_and_universe(confidence: float, universe: int) -> None:
    if not 0.5 <= confidence < 1:
        raise AppraisalError("The confidence must be a proportion such as 0.90 or 0.95.")
    if not 1 <= universe <= MAX_UNIVERSE:
        raise AppraisalError(f"The universe must hold from 1 to {MAX_UNIVERSE:,} claims.")
