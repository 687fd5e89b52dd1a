"""The rate axes of the p-charts: a round tick step, and a range that step divides into a handful of ticks.

A rate that is the same every month (no invalid code in a coder's year: 0% throughout) once left the axis
range to Plotly, which pads a flat series by a whole unit either side: with the 0.1% step chosen for that
series, the browser measured thousands of tick labels and the page did not finish drawing for over a minute.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from queries.targets import Target
from views import axes, charts

FLAT_AND_ORDINARY = {
    "all zero": [0.0] * 12,
    "all one": [1.0] * 12,
    "one month": [0.25],
    "flat middle": [0.5] * 6,
    "almost flat": [0.1, 0.1005, 0.1001],
    "ordinary": [0.91, 0.95, 0.88, 0.97],
    "whole range": [0.0, 1.0],
}


def _ticks(axis: dict) -> int:
    low, high = axis["range"]
    return math.floor(high / axis["dtick"]) - math.ceil(low / axis["dtick"]) + 1


@pytest.mark.parametrize("values", FLAT_AND_ORDINARY.values(), ids=FLAT_AND_ORDINARY.keys())
def test_a_rate_axis_holds_its_values_between_three_and_six_round_ticks(values):
    axis = axes.rate_axis(values)
    low, high = axis["range"]
    assert low < min(values) and max(values) < high
    assert 3 <= _ticks(axis) <= 6
    assert axis["tick0"] == 0 and any(math.isclose(axis["dtick"], m * 10 ** e) for m in (1, 2, 2.5, 5) for e in range(-4, 1))


def test_a_flat_zero_rate_keeps_its_axis_at_zero_and_above():
    """Hand check: 0% every month: the least span, 0.4 points, from 0 up; ticks 0.1 points apart."""
    axis = axes.rate_axis([0.0] * 24)
    assert axis["dtick"] == pytest.approx(0.001)
    assert -0.001 < axis["range"][0] < 0 and 0.004 < axis["range"][1] < 0.005
    assert axis["tickformat"] == ".1%"


def test_a_flat_hundred_percent_rate_stays_at_or_below_one():
    axis = axes.rate_axis([1.0] * 24)
    assert 0.995 < axis["range"][0] < 0.996 and 1 < axis["range"][1] < 1.001


def _chart(rates: list[float]) -> pd.DataFrame:
    periods = [f"2026-{month:02d}" for month in range(1, len(rates) + 1)]
    rate = np.array(rates)
    return pd.DataFrame({"period": periods, "rate": rate, "ucl": rate, "lcl": rate, "center": rate, "successes": 0,
                         "totals": 10, "out_of_control": False, "run_above": False, "run_below": False, "partial": False})


def test_every_rate_panel_of_the_trend_grid_has_a_range_its_ticks_divide_into_a_few():
    flat = _chart([0.0] * 12)
    full = _chart([1.0] * 12)
    panels = [("Invalid code rate", flat, Target("invalid_code_rate", 0.01, False)), ("Overturned", full, None)]
    money = ("Denied dollars", pd.DataFrame({"month": flat["period"], "denied_amount": 0.0}))
    layout = charts.trend_grid(panels, money)["layout"]
    for axis in (layout["yaxis"], layout["yaxis2"]):
        assert axis["range"] is not None and 3 <= _ticks(axis) <= 6
    single = charts.p_chart(flat, "Invalid code rate")["layout"]["yaxis"]
    assert single["range"] is not None and 3 <= _ticks(single) <= 6


@pytest.mark.parametrize("values", [[0.385, 0.427], [0.339, 0.552], [0.126, 0.333]])
def test_an_ordinary_two_value_rate_gets_at_least_three_ticks(values):
    """The contract is 'a range the step divides into three to six ticks', but when span/4
    falls just above a round step the step doubles and the padded range holds only two ticks
    (38.5% to 42.7%: step 2 points, ticks 40% and 42% only). About one ordinary chart in twenty-five."""
    axis = axes.rate_axis(values)
    assert 3 <= _ticks(axis) <= 6, axis


def test_the_funnel_hover_names_each_group_with_its_title_as_text():
    from queries.stats import funnel_classify

    groups = funnel_classify(pd.DataFrame({"group": ["0D", "05", "Medicare"], "successes": [40, 3, 12],
                                           "totals": [100, 50, 200]}), 0.1)
    titles = ["Gastrointestinal System", "Diseases & Disorders <b>of the Circulatory System", ""]
    hover = charts.funnel(groups, 0.1, "t", "group", rate_title="error rate", titles=titles).data[-1].customdata[:, 0]
    assert hover.tolist() == ["0D Gastrointestinal System", "05 Diseases &amp; Disorders &lt;b&gt;of the Circulatory System",
                              "Medicare"]
    untitled = charts.funnel(groups, 0.1, "t", "group", rate_title="error rate").data[-1].customdata[:, 0]
    assert untitled.tolist() == ["0D", "05", "Medicare"]
