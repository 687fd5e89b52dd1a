"""The axes of the dashboard's charts: months as dates with one label per 1, 2, 3, 6 or 12 months, and
rates as percentages on round steps over a range set here. Kept apart from views.charts (which draws) so
the tick arithmetic can be read and tested on its own (tests/views/test_charts.py)."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

HALF_MONTH = pd.Timedelta(days=15)
LEAST_RATE_SPAN = 0.004  # 0.4 percentage points: the least height of a rate axis


def months(periods: pd.Series) -> pd.Series:
    """'2025-10' -> the first day of that month, so the axis spaces and labels months as dates. The format is
    given: pandas would otherwise guess it anew at every call (most of the cost)."""
    return pd.to_datetime(periods.astype(str), format="%Y-%m")


def _month_range(periods: pd.Series) -> list[pd.Timestamp]:
    """Half a month either side of the data: Plotly's own padding around markers leaves months of blank axis."""
    x = months(periods)
    return [x.min() - HALF_MONTH, x.max() + HALF_MONTH]


def month_axis(periods: pd.Series, most_ticks: int = 8, tickformat: str = "%b %Y") -> dict:
    """An x axis of months with one label per 1, 2, 3, 6 or 12 months, whichever keeps at most `most_ticks`
    labels: Plotly's own choice can put two ticks in one month and print the same month twice."""
    count = max(len(periods), 1)
    every = next((k for k in (1, 2, 3, 6, 12) if count / k <= most_ticks), 12)
    axis: dict = dict(dtick=f"M{every}", tickformat=tickformat, ticklabelmode="instant")
    if len(periods):  # no months: no range (Plotly's own)
        axis["range"] = _month_range(periods)
    return axis


def rate_axis(*values: object) -> dict:
    """A percentage y axis whose tick step is a round number (1, 2, 2.5 or 5 times a power of ten) with as
    many decimals as the step needs, so no two ticks print alike ("0%, 1%, 1%"), over a range set here that
    the step divides into three to six ticks. The range is never left to Plotly: it pads a flat series (0%
    every month) by a whole unit either side, and the small step chosen for it then meant thousands of tick
    labels, which kept the browser busy for over a minute. A flat series gets the least span, 0.4 points,
    kept within 0% to 100% when its values are."""
    finite = np.array([v for v in np.concatenate([np.ravel(np.asarray(v, dtype=float)) for v in values]) if np.isfinite(v)])
    if not len(finite):
        return dict(tickformat=".0%")
    least, most = float(finite.min()), float(finite.max())
    span = max(most - least, LEAST_RATE_SPAN)
    low = (least + most - span) / 2
    if low < 0 <= least:
        low = 0.0
    elif low + span > 1 >= most:
        low = 1.0 - span
    raw = span / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    steps = [m * magnitude for m in (0.5, 1, 2, 2.5, 5, 10)]
    pad = span * 0.08  # room for the markers at either end
    bottom, top = low - pad, low + span + pad
    at = next(i for i, s in enumerate(steps) if s >= raw * 0.999)
    while at > 0 and math.floor(top / steps[at] + 1e-9) - math.ceil(bottom / steps[at] - 1e-9) + 1 < 3:
        at -= 1  # a doubled step can leave the padded range two ticks: halve it back
    step = steps[at]
    decimals = len(f"{round(step * 100, 6):g}".partition(".")[2])
    return dict(tickformat=f".{decimals}%", dtick=step, tick0=0, range=[bottom, top])
