"""Known answers for the statistics that separate signal from noise (queries/stats.py)."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

from queries.stats import (
    FUNNEL_STATUSES,
    P_CHART_COLUMNS,
    Signal,
    add_wilson,
    compare_periods,
    funnel_classify,
    funnel_limits,
    p_chart,
    p_chart_signals,
    read_change,
    read_target,
    wilson_interval,
)


def months(count: int) -> list[str]:
    return [f"{2024 + m // 12}-{m % 12 + 1:02d}" for m in range(count)]


def series(successes: list[int], totals: list[int]) -> pd.DataFrame:
    return pd.DataFrame({"period": months(len(totals)), "successes": successes, "totals": totals})


# --- Wilson ---------------------------------------------------------------------------------

def test_wilson_by_hand_8_of_10() -> None:
    # z = 1.959964, z^2 = 3.841459, p = 0.8, n = 10
    # denominator = 1 + z^2/n = 1.384146
    # centre      = (p + z^2/(2n)) / denominator = (0.8 + 0.192073) / 1.384146 = 0.716740
    # half-width  = z * sqrt(p(1-p)/n + z^2/(4n^2)) / denominator
    #             = 1.959964 * sqrt(0.016 + 0.009604) / 1.384146 = 1.959964 * 0.160011 / 1.384146 = 0.226578
    # interval    = 0.716740 -/+ 0.226578 = (0.490162, 0.943318)
    low, high = wilson_interval(8, 10)
    assert low[0] == pytest.approx(0.490162, abs=1e-6)
    assert high[0] == pytest.approx(0.943318, abs=1e-6)


def test_wilson_matches_statsmodels_elementwise() -> None:
    successes = np.array([0, 1, 8, 19, 20, 950, 3])
    totals = np.array([5, 1, 10, 20, 20, 1000, 7])
    for alpha in (0.05, 0.10):
        low, high = wilson_interval(successes, totals, alpha)
        for s, n, lo, hi in zip(successes, totals, low, high):
            assert (lo, hi) == pytest.approx(proportion_confint(s, n, alpha=alpha, method="wilson"))


def test_wilson_empty_group_is_nan_not_zero() -> None:
    low, high = wilson_interval([0, 3], [0, 4])
    assert math.isnan(low[0]) and math.isnan(high[0])
    assert 0 < low[1] < 0.75 < high[1] <= 1


def test_impossible_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="successes <= totals"):
        wilson_interval([5], [4])


def test_add_wilson_columns_and_copy() -> None:
    df = pd.DataFrame({"coder": ["a", "b"], "agreed": [8, 0], "audited": [10, 0]})
    out = add_wilson(df, "agreed", "audited", prefix="accuracy_")
    assert list(out.columns) == ["coder", "agreed", "audited", "accuracy_rate", "accuracy_ci_low", "accuracy_ci_high"]
    assert out["accuracy_rate"].iloc[0] == 0.8
    assert out["accuracy_ci_low"].iloc[0] == pytest.approx(0.490162, abs=1e-6)
    assert out.iloc[1][["accuracy_rate", "accuracy_ci_low", "accuracy_ci_high"]].isna().all()
    assert "accuracy_rate" not in df.columns


def test_add_wilson_empty_frame() -> None:
    out = add_wilson(pd.DataFrame({"agreed": [], "audited": []}), "agreed", "audited")
    assert out.empty and list(out.columns) == ["agreed", "audited", "rate", "ci_low", "ci_high"]


# --- p-chart --------------------------------------------------------------------------------

def test_p_chart_limits_by_hand_with_varying_n() -> None:
    # pbar = (5 + 10 + 36 + 9) / (25 + 100 + 400 + 75) = 60 / 600 = 0.1; pbar(1 - pbar) = 0.09
    # sigma_i = sqrt(0.09 / n_i): n=25 -> 0.06, n=100 -> 0.03, n=400 -> 0.015, n=75 -> sqrt(0.0012) = 0.034641
    # ucl = 0.1 + 3 sigma: 0.28, 0.19, 0.145, 0.203923
    # lcl = 0.1 - 3 sigma: -0.08 -> clipped to 0, 0.01, 0.055, -0.003923 -> clipped to 0
    chart = p_chart(series([5, 10, 36, 9], [25, 100, 400, 75]))
    assert chart["center"].tolist() == pytest.approx([0.1] * 4)
    assert chart["rate"].tolist() == pytest.approx([0.2, 0.1, 0.09, 0.12])
    assert chart["sigma"].tolist() == pytest.approx([0.06, 0.03, 0.015, 0.034641], abs=1e-6)
    assert chart["ucl"].tolist() == pytest.approx([0.28, 0.19, 0.145, 0.203923], abs=1e-6)
    assert chart["lcl"].tolist() == pytest.approx([0.0, 0.01, 0.055, 0.0], abs=1e-6)
    assert not chart["out_of_control"].any()
    assert p_chart_signals(chart, higher_is_better=False) == []


def test_p_chart_clips_upper_limit_at_one() -> None:
    # pbar = 49/50 = 0.98, n = 10: sigma = sqrt(0.98 * 0.02 / 10) = 0.044272; 0.98 + 0.132816 > 1 -> 1
    chart = p_chart(series([10, 10, 10, 10, 9], [10] * 5))
    assert (chart["ucl"] == 1.0).all()
    assert chart["lcl"].iloc[0] == pytest.approx(0.98 - 3 * math.sqrt(0.98 * 0.02 / 10))


def test_p_chart_flags_points_outside_and_alerts_say_which_limit() -> None:
    # pbar = 70/540 = 0.129630
    # n = 100: sigma = sqrt(0.129630 * 0.870370 / 100) = 0.033590, ucl = 0.230398 < 0.3 -> flagged
    # n = 40:  sigma = 0.053110, lcl = 0.129630 - 0.159329 < 0 -> 0, so 0/40 is not flagged
    chart = p_chart(series([10, 10, 10, 10, 30, 0], [100] * 5 + [40]))
    assert chart["ucl"].iloc[4] == pytest.approx(0.230398, abs=1e-6)
    assert chart["lcl"].iloc[5] == 0.0
    assert chart["out_of_control"].tolist() == [False, False, False, False, True, False]
    (signal,) = p_chart_signals(chart, higher_is_better=False)
    assert signal == Signal("2024-05", "limit", "above", "worse", 0.3, chart["ucl"].iloc[4])
    assert signal.label == "above upper limit"


def test_p_chart_baseline_fixes_the_centre_line() -> None:
    # centre from the first four months only: 40/400 = 0.1; ucl = 0.1 + 3 * 0.03 = 0.19
    chart = p_chart(series([10, 10, 10, 10, 5, 30], [100] * 6), baseline=slice(0, 4))
    assert chart["center"].tolist() == pytest.approx([0.1] * 6)
    assert chart["out_of_control"].tolist() == [False] * 5 + [True]
    mask = p_chart(series([10, 10, 10, 10, 5, 30], [100] * 6), baseline=[True] * 4 + [False] * 2)
    pd.testing.assert_frame_equal(chart, mask)
    assert [s.label for s in p_chart_signals(chart, higher_is_better=False)] == ["above upper limit"]


def test_p_chart_below_lower_limit() -> None:
    chart = p_chart(series([10, 10, 10, 10, 0], [100] * 5), baseline=slice(0, 4))
    (signal,) = p_chart_signals(chart, higher_is_better=False)
    assert signal == Signal("2024-05", "limit", "below", "better", 0.0, pytest.approx(0.01))
    assert signal.label == "below lower limit"
    assert p_chart_signals(chart, higher_is_better=True)[0].direction == "worse"  # e.g. accuracy falling


def test_run_of_exactly_8_is_flagged_every_point() -> None:
    # 8 months at 12% then 8 at 8%: centre 0.1, every point inside 0.01..0.19, two runs of 8
    chart = p_chart(series([12] * 8 + [8] * 8, [100] * 16))
    assert not chart["out_of_control"].any()
    assert chart["run_above"].tolist() == [True] * 8 + [False] * 8
    assert chart["run_below"].tolist() == [False] * 8 + [True] * 8
    assert p_chart_signals(chart, higher_is_better=True) == [
        Signal("2024-08", "run", "above", "better", 0.12, pytest.approx(0.1), 8),
        Signal("2025-04", "run", "below", "worse", 0.08, pytest.approx(0.1), 8),
    ]
    assert [s.label for s in p_chart_signals(chart, higher_is_better=True)] == ["run of 8 above center", "run of 8 below center"]


def test_run_of_7_is_not_flagged() -> None:
    chart = p_chart(series([12] * 7 + [8] * 7, [100] * 14))
    assert not chart["run_above"].any() and not chart["run_below"].any()
    assert p_chart_signals(chart, higher_is_better=True) == []


def test_longer_run_flags_from_its_first_point_and_alerts_once() -> None:
    chart = p_chart(series([12] * 10 + [8] * 10, [100] * 20))
    assert chart["run_above"].tolist() == [True] * 10 + [False] * 10
    assert [(s.period, s.label) for s in p_chart_signals(chart, higher_is_better=True)] == [
        ("2024-10", "run of 10 above center"), ("2025-08", "run of 10 below center")
    ]


def test_run_length_is_configurable() -> None:
    chart = p_chart(series([12] * 7 + [8] * 7, [100] * 14), run_length=7)
    assert chart["run_above"].sum() == 7 and chart["run_below"].sum() == 7


def test_point_on_centre_line_breaks_a_run() -> None:
    chart = p_chart(series([12] * 4 + [10] + [12] * 4 + [8] * 8, [100] * 17))
    assert not chart["run_above"].any()


def test_empty_period_is_skipped_by_runs_not_counted() -> None:
    # 4 above, a month with nothing audited, 4 above: still one run of 8 above
    chart = p_chart(series([12] * 4 + [0] + [12] * 4 + [8] * 8, [100] * 4 + [0] + [100] * 12))
    empty = chart.iloc[4]
    assert math.isnan(empty["rate"]) and math.isnan(empty["ucl"]) and math.isnan(empty["lcl"])
    assert not empty["out_of_control"] and not empty["run_above"]
    assert chart["run_above"].tolist() == [True] * 4 + [False] + [True] * 4 + [False] * 8
    assert p_chart_signals(chart, higher_is_better=False)[0] == Signal(
        "2024-09", "run", "above", "worse", 0.12, pytest.approx(0.1), 8)


def test_partial_period_keeps_its_limits_but_is_left_out_of_runs() -> None:
    # 7 full months above the centre, then a partial month also above: 8 points, but the partial one does
    # not count, so there is no run; its own limits still apply.
    data = series([12] * 7 + [3] + [8, 12] * 4, [100] * 7 + [20] + [100] * 8)
    partial = [False] * 7 + [True] + [False] * 8
    chart = p_chart(data, outside_runs=partial)
    assert not chart["run_above"].any()
    assert chart["in_runs"].tolist() == [not p for p in partial]
    center = (7 * 12 + 3 + 4 * 20) / (15 * 100 + 20)  # the partial month counts in the centre line
    assert chart["ucl"].iloc[7] == pytest.approx(center + 3 * math.sqrt(center * (1 - center) / 20))
    assert p_chart(data)["run_above"].sum() == 8  # counted as a full month, it would complete a run of 8
    assert p_chart_signals(chart, higher_is_better=True) == []


def test_p_chart_refuses_unsorted_periods() -> None:
    with pytest.raises(ValueError, match="time order"):
        p_chart(pd.DataFrame({"period": ["2024-02", "2024-01"], "successes": [1, 1], "totals": [2, 2]}))


def test_p_chart_empty_input() -> None:
    chart = p_chart(pd.DataFrame({"period": [], "successes": [], "totals": []}))
    assert chart.empty and list(chart.columns) == ["period", "successes", "totals", *P_CHART_COLUMNS]
    assert p_chart_signals(chart, higher_is_better=True) == []


# --- funnel ---------------------------------------------------------------------------------

def test_funnel_lower_limit_by_hand_n12() -> None:
    # Binomial(12, 0.95): F(7) = 0.000184, F(8) = 0.002236, so the 0.001 quantile is r = 8
    # a = (F(8) - 0.001) / (F(8) - F(7)) = 0.001236 / 0.002052 = 0.6024
    # lower998 = (8 - 0.6024) / 12 = 0.61647
    assert binom.ppf(0.001, 12, 0.95) == 8
    a = (binom.cdf(8, 12, 0.95) - 0.001) / (binom.cdf(8, 12, 0.95) - binom.cdf(7, 12, 0.95))
    limits = funnel_limits([12], 0.95)
    assert limits["lower998"].iloc[0] == pytest.approx((8 - a) / 12)
    assert limits["lower998"].iloc[0] == pytest.approx(0.61647, abs=1e-5)


@pytest.mark.parametrize("n", [12, 50, 200, 1000])
@pytest.mark.parametrize("p0", [0.05, 0.3, 0.95])
def test_funnel_limits_lie_within_one_count_of_binomial_quantiles(n: int, p0: float) -> None:
    limits = funnel_limits([n], p0).iloc[0]
    for level, name in ((0.95, "95"), (0.998, "998")):
        q = (1 - level) / 2
        lower_r, upper_r = binom.ppf(q, n, p0), binom.isf(q, n, p0)
        assert (lower_r - 1) / n <= limits[f"lower{name}"] <= lower_r / n
        assert upper_r / n <= limits[f"upper{name}"] <= (upper_r + 1) / n


@pytest.mark.parametrize("p0", [0.0, 0.05, 0.5, 0.95, 0.999, 1.0])
def test_funnel_status_is_the_exact_binomial_tail_test(p0: float) -> None:
    # every possible result of 12 audited codes: outside a limit exactly when the one-sided
    # tail probability P(X >= y) or P(X <= y) under p0 is below 2.5% (95%) or 0.1% (99.8%)
    y = np.arange(13)
    status = funnel_classify(pd.DataFrame({"group": y, "successes": y, "totals": 12}), p0)["status"]
    upper_tail, lower_tail = binom.sf(y - 1, 12, p0), binom.cdf(y, 12, p0)
    expected = np.select(
        [upper_tail < 0.001, lower_tail < 0.001, upper_tail < 0.025, lower_tail < 0.025],
        ["above 99.8%", "below 99.8%", "above 95%", "below 95%"],
        default="within",
    )
    assert status.tolist() == expected.tolist()


def test_funnel_narrows_as_n_grows() -> None:
    limits = funnel_limits(np.arange(1, 2001), 0.95)
    width95 = limits["upper95"] - limits["lower95"]
    width998 = limits["upper998"] - limits["lower998"]
    assert (limits["lower95"].diff().dropna() >= -1e-12).all()
    assert (limits["upper95"].diff().dropna() <= 1e-12).all()
    assert width998.iloc[-1] < width998.iloc[99] < width998.iloc[11]
    assert (width998 >= width95 - 1e-12).all()


def test_small_coder_is_not_an_outlier_but_large_one_is() -> None:
    df = pd.DataFrame(
        {"group": ["12 codes", "1000 codes", "perfect"], "successes": [10, 800, 12], "totals": [12, 1000, 12]}
    )
    out = funnel_classify(df, p0=0.95)
    small, large, perfect = out.to_dict("records")
    assert small["rate"] == pytest.approx(10 / 12)
    assert small["lower998"] < 10 / 12 and small["status"] == "within"
    assert large["rate"] < large["lower998"] and large["status"] == "below 99.8%"
    assert perfect["status"] == "within"


def test_funnel_target_defaults_to_pooled_rate() -> None:
    df = pd.DataFrame({"group": ["a", "b", "c"], "successes": [90, 45, 0], "totals": [100, 50, 0]})
    out = funnel_classify(df)
    assert out["target"].tolist() == pytest.approx([135 / 150] * 3)
    assert out["status"].tolist() == ["within", "within", "no data"]
    assert set(out["status"]) <= set(FUNNEL_STATUSES)


def test_funnel_refuses_a_percentage_target() -> None:
    with pytest.raises(ValueError, match="0.95, not 95"):
        funnel_classify(pd.DataFrame({"group": ["a"], "successes": [9], "totals": [10]}), p0=95)


def test_funnel_empty_input() -> None:
    out = funnel_classify(pd.DataFrame({"group": [], "successes": [], "totals": []}))
    assert out.empty
    assert list(out.columns) == [
        "group", "successes", "totals", "target", "rate",
        "lower95", "upper95", "lower998", "upper998", "status",
    ]
    assert list(funnel_limits([], 0.95).columns) == ["totals", "lower95", "upper95", "lower998", "upper998"]


def test_funnel_limits_nan_for_zero_totals() -> None:
    assert funnel_limits([0], 0.95).drop(columns="totals").isna().all(axis=None)


# --- period comparison ----------------------------------------------------------------------

def test_compare_periods_matches_statsmodels_ztest() -> None:
    now_s, now_n, before_s, before_n = [30, 5, 14], [100, 50, 40], [20, 9, 14], [120, 60, 40]
    out = compare_periods(now_s, now_n, before_s, before_n)
    for row, s1, n1, s0, n0 in zip(out.itertuples(), now_s, now_n, before_s, before_n):
        assert row.p_value == pytest.approx(proportions_ztest([s1, s0], [n1, n0])[1])
        assert row.change == pytest.approx(s1 / n1 - s0 / n0)


def test_compare_periods_edge_cases() -> None:
    out = compare_periods([0, 0], [40, 0], [0, 3], [30, 5])
    assert out["p_value"].iloc[0] == 1.0  # 0% both times: no evidence of change
    assert math.isnan(out["p_value"].iloc[1]) and math.isnan(out["rate_now"].iloc[1])


# --- reading a change and a target for a tile -------------------------------------------------

def test_significant_change_is_better_or_worse_for_the_rate() -> None:
    # 90/100 against 80/100: pooled 0.85, se = sqrt(0.85 * 0.15 * (1/100 + 1/100)) = 0.050498,
    # z = 0.10 / 0.050498 = 1.9803, two-sided p = 0.0477 (< 0.05)
    row = compare_periods([90], [100], [80], [100]).iloc[0]
    assert row.p_value == pytest.approx(0.0477, abs=1e-4)
    assert read_change(row.change, row.p_value, 100, 100, higher_is_better=True).verdict == "better"
    assert read_change(row.change, row.p_value, 100, 100, higher_is_better=False).verdict == "worse"
    assert read_change(row.change, row.p_value, 100, 100, higher_is_better=True).significant


def test_change_within_noise_is_neutral() -> None:
    # 88/100 against 80/100: z = 0.08 / sqrt(0.84 * 0.16 * 0.02) = 0.08 / 0.051846 = 1.543, p = 0.1228
    row = compare_periods([88], [100], [80], [100]).iloc[0]
    assert row.p_value == pytest.approx(0.1228, abs=1e-4)
    reading = read_change(row.change, row.p_value, 100, 100, higher_is_better=True)
    assert reading.verdict == "no significant change" and not reading.significant


def test_small_sample_gets_no_verdict_even_when_significant() -> None:
    # 29/29 against 10/30: p is tiny, but 29 counted items is under the small-sample line of 30
    row = compare_periods([29], [29], [10], [30]).iloc[0]
    assert row.p_value < 1e-6
    assert read_change(row.change, row.p_value, 29, 30, higher_is_better=True).verdict == "small sample"
    assert read_change(row.change, row.p_value, 30, 30, higher_is_better=True).verdict == "better"
    assert read_change(float("nan"), float("nan"), 40, 0, higher_is_better=True).verdict == "no comparison"


def test_target_is_judged_only_on_enough_items() -> None:
    assert read_target(True, 4) == "small sample"  # 'target met' on 4 audited claims is not a finding
    assert read_target(False, 29) == "small sample"
    assert (read_target(True, 30), read_target(False, 30)) == ("met", "missed")
    assert read_target(None, 0) == "no data"
