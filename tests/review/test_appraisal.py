"""Appraisal against computations done independently in the test: the worked example (N = 2,500,
n = 30) by hand with t values from a printed table, attribute limits by enumerating the hypergeometric
probabilities with math.comb, and the edge cases."""
from __future__ import annotations

import math
from statistics import fmean, stdev

import pytest

from review.appraisal import (
    AppraisalError,
    appraise_attribute,
    appraise_stratified,
    appraise_variable,
    attribute_sample_size,
    variable_sample_size,
)

# A probe of 30 claims from 2,500: 11 overpaid, 19 without error.
WORKED = [0.0] * 19 + [412.50, 88.10, 1250.00, 301.75, 57.20, 640.00, 199.99, 35.00, 980.40, 150.00, 720.25]
N = 2_500
# Student's t, 29 degrees of freedom, from a printed table (0.90, 0.95, 0.975 quantiles).
T29 = {"80": 1.311, "90": 1.699, "95": 2.045}
T29_ONE_SIDED_90 = 1.311


def test_unrestricted_variable_appraisal_worked_example_by_hand():
    n = len(WORKED)
    mean = sum(WORKED) / n
    s = math.sqrt(sum((x - mean) ** 2 for x in WORKED) / (n - 1))
    point = N * mean
    se = N * s / math.sqrt(n) * math.sqrt(1 - n / N)
    result = appraise_variable(WORKED, N)
    assert (result.n, result.universe, result.nonzero) == (30, 2500, 11)
    assert result.mean == pytest.approx(4835.19 / 30)
    assert result.point_estimate == pytest.approx(2500 * 4835.19 / 30)
    assert result.sd == pytest.approx(s) and result.sd == pytest.approx(stdev(WORKED))
    assert result.standard_error == pytest.approx(se)
    for level, t in T29.items():
        limits = result.two_sided[level]
        assert limits.t == pytest.approx(t, abs=5e-4)
        table_rounding = 5e-4 * se  # the printed t has three decimals
        assert limits.lower == pytest.approx(point - t * se, abs=table_rounding)
        assert limits.upper == pytest.approx(point + t * se, abs=table_rounding)
        assert limits.precision_pct == pytest.approx(t * se / point * 100, abs=table_rounding / point * 100)
    assert result.one_sided_90_lower == pytest.approx(point - T29_ONE_SIDED_90 * se, abs=5e-4 * se)
    # The one-sided 90% lower limit is the two-sided 80% lower limit.
    assert result.one_sided_90_lower == pytest.approx(result.two_sided["80"].lower)
    assert result.precision_too_poor  # about 53% at two-sided 90%: too loose to extrapolate


def test_json_contract_has_every_field():
    body = appraise_variable(WORKED, N).as_json()
    assert {"n", "universe", "nonzero", "mean", "sd", "point_estimate", "standard_error", "two_sided",
            "one_sided_90_lower"} <= set(body)
    assert set(body["two_sided"]) == {"80", "90", "95"}
    assert set(body["two_sided"]["90"]) >= {"t", "lower", "upper", "precision_pct"}


def test_all_zero_sample_estimates_zero_with_no_spread():
    result = appraise_variable([0.0] * 30, N)
    assert (result.point_estimate, result.standard_error, result.nonzero) == (0.0, 0.0, 0)
    assert result.two_sided["90"].lower == 0.0 and result.two_sided["90"].precision_pct is None
    assert not result.precision_too_poor


def test_whole_universe_sampled_has_no_sampling_error():
    values = [10.0, 0.0, 25.5, 4.5]
    result = appraise_variable(values, 4)
    assert result.point_estimate == pytest.approx(40.0)
    assert result.standard_error == 0.0
    assert result.two_sided["95"].lower == result.two_sided["95"].upper == pytest.approx(40.0)


def test_one_claim_gives_a_point_estimate_but_no_limits():
    result = appraise_variable([120.0], 50)
    assert result.point_estimate == 6000.0
    assert result.sd is None and result.standard_error is None and result.one_sided_90_lower is None
    assert math.isnan(result.two_sided["90"].lower)
    assert result.as_json()["two_sided"]["90"]["lower"] is None


def test_stratified_appraisal_by_hand():
    strata = [("under $5k", 2_000, [0.0, 0.0, 50.0, 0.0, 120.0, 0.0, 0.0, 35.0, 0.0, 0.0]),
              ("$5k-$50k", 450, [0.0, 900.0, 0.0, 1500.0, 0.0, 0.0, 300.0, 0.0]),
              ("over $50k", 12, [0.0, 8000.0, 0.0, 2500.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])]
    point = variance = 0.0
    for _, universe, values in strata:
        point += universe * fmean(values)
        variance += universe**2 * stdev(values) ** 2 / len(values) * (1 - len(values) / universe)
    result = appraise_stratified(strata)
    assert result.point_estimate == pytest.approx(point)
    assert result.standard_error == pytest.approx(math.sqrt(variance))
    assert result.degrees_of_freedom == 30 - 3
    t27 = 1.703  # 0.95 quantile, 27 degrees of freedom, printed table
    assert result.two_sided["90"].lower == pytest.approx(point - t27 * math.sqrt(variance), abs=5e-4 * math.sqrt(variance))
    assert [s.label for s in result.strata] == ["under $5k", "$5k-$50k", "over $50k"]


def test_stratum_without_claims_is_left_out_but_one_without_a_sample_is_refused():
    kept = appraise_stratified([("a", 100, [1.0, 2.0, 3.0]), ("empty", 0, [])])
    assert kept.point_estimate == pytest.approx(200.0)
    with pytest.raises(AppraisalError, match="no sampled claims"):
        appraise_stratified([("a", 100, [1.0, 2.0]), ("b", 40, [])])


def _hypergeom_pmf(x: int, universe: int, bad: int, n: int) -> float:
    return math.comb(bad, x) * math.comb(universe - bad, n - x) / math.comb(universe, n)


def _exact_limits(errors: int, n: int, universe: int, tail: float) -> tuple[int, int]:
    """By enumeration: every K the sample allows, its two tail probabilities summed term by term."""
    ks = range(errors, universe - (n - errors) + 1)
    at_most = {k: sum(_hypergeom_pmf(x, universe, k, n) for x in range(0, errors + 1)) for k in ks}
    at_least = {k: sum(_hypergeom_pmf(x, universe, k, n) for x in range(errors, min(k, n) + 1)) for k in ks}
    return min(k for k in ks if at_least[k] >= tail), max(k for k in ks if at_most[k] >= tail)


@pytest.mark.parametrize(("errors", "n", "universe"), [(4, 30, 400), (0, 30, 400), (30, 30, 400), (7, 50, 120)])
def test_attribute_limits_are_exact_hypergeometric(errors, n, universe):
    result = appraise_attribute(errors, n, universe)
    for level, limits in result.two_sided.items():
        tail = (1 - int(level) / 100) / 2
        assert (limits.lower_count, limits.upper_count) == _exact_limits(errors, n, universe, tail)
    assert result.one_sided_90_upper == _exact_limits(errors, n, universe, 0.10)[1]
    assert result.point_count == pytest.approx(universe * errors / n)


def test_sample_sizes():
    # n0 = 1.6449^2 x 0.1 x 0.9 / 0.05^2 = 97.4; with N = 2,500: 97.4 / (1 + 96.4 / 2500) = 93.8 -> 94.
    assert attribute_sample_size(0.10, 0.90, 0.05, 2_500) == 94
    n = variable_sample_size(sd=200.0, mean=150.0, universe=2_500, confidence=0.90, precision_pct=10)
    t = 1.6487  # t(0.95, n - 1) at n around 400
    n0 = (t * 200 / 15) ** 2
    assert n == math.ceil(n0 / (1 + n0 / 2_500))
    assert variable_sample_size(sd=200.0, mean=150.0, universe=50, confidence=0.90, precision_pct=10) <= 50


@pytest.mark.parametrize(("call", "message"), [
    (lambda: appraise_variable([1.0] * 31, 30), "cannot come from"),
    (lambda: appraise_variable([], 30), "no sampled claims"),
    (lambda: appraise_attribute(5, 4, 30), "from 0 to the sample size"),
    (lambda: attribute_sample_size(10, 0.9, 0.05, 100), "between 0 and 1"),
    (lambda: variable_sample_size(1.0, 0.0, 100, 0.9, 10), "mean overpayment is 0"),
])
def test_impossible_inputs_are_refused_in_a_sentence(call, message):
    with pytest.raises(AppraisalError, match=message):
        call()
