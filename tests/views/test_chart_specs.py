"""The charts built as plain figure dicts (views.charts.Spec) and sent without Plotly's validation: validating
them would change nothing in what Streamlit sends (the JSON of the Figure it is handed), and nothing in them is
refused by it. A property misspelt or a value of the wrong kind fails here instead of in a browser."""
from __future__ import annotations

import json
from datetime import date

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io
import plotly.tools
import pytest

from queries.metrics import control_chart_from
from queries.targets import Target
from views import charts


def _sent(fig: go.Figure) -> dict:
    """What st.plotly_chart (Streamlit 1.60) sends for a Figure: its dict, as JSON."""
    return json.loads(plotly.io.to_json(plotly.tools.return_figure_from_figure_or_data(fig, validate_figure=True),
                                        validate=False))


def _monthly(months: int, partial_last: bool = False, empty_month: int | None = None) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    claims = rng.integers(200, 400, months)
    denied = (claims * rng.uniform(0.05, 0.2, months)).astype(int)
    if empty_month is not None:
        claims[empty_month], denied[empty_month] = 0, 0
    return pd.DataFrame({"month": [f"{2025 + m // 12}-{m % 12 + 1:02d}" for m in range(months)], "claims": claims,
                         "denied_claims": denied, "denied_amount": denied * 812.5,
                         "partial": [partial_last and m == months - 1 for m in range(months)]})


def _chart(monthly: pd.DataFrame) -> pd.DataFrame:
    last = date.fromisoformat(f"{monthly['month'].iloc[-1]}-10" if monthly["partial"].iloc[-1] else f"{monthly['month'].iloc[-1]}-28")
    return control_chart_from(monthly, "denial_rate", date.fromisoformat(f"{monthly['month'].iloc[0]}-01"), last)


def _specs() -> dict[str, charts.Spec]:
    ordinary, odd = _monthly(24), _monthly(14, partial_last=True, empty_month=4)
    target = Target("denial_rate", 0.1, higher_is_better=False)
    return {
        "p-chart": charts.p_chart(_chart(ordinary), "Denial rate <b>by month</b>", target),
        "p-chart, a partial month and a gap, no target": charts.p_chart(_chart(odd), "Denial rate"),
        "p-chart, no months": charts.p_chart(_chart(ordinary).iloc[:0], "Denial rate", target),
        "trend grid": charts.trend_grid([(f"Panel {i}", _chart(ordinary), target) for i in range(4)],
                                        ("Denied dollars by month", ordinary)),
        "trend grid, a partial month, no dollars": charts.trend_grid([("First", _chart(odd), None), ("Second", _chart(odd), target)], None),
        "month bars": charts.month_bars(odd, "month", "denied_amount", "Denied dollars"),
    }


@pytest.mark.parametrize("name", list(_specs()))
def test_a_chart_sent_unvalidated_is_what_plotlys_validation_makes_of_it(name):
    spec = _specs()[name]
    assert isinstance(charts.figure(spec), go.Figure)
    assert _sent(charts.figure(spec)) == _sent(go.Figure(spec))  # validating raises on anything Plotly refuses
