"""Monthly series shared by several pages, from one memoised summary per scope.

Pages draw their p-charts with `p_chart` here, on this one monthly summary, so a page with several
p-charts runs the monthly query once instead of once per rate. Every month of the scope is a row of a
chart (a month without data is a gap), and the months the scope covers only in part are marked `partial`.
"""
from __future__ import annotations

from datetime import date

import pandas as pd

from queries import metrics
from queries.metrics import Filters
from views import session


def covered(filters: Filters) -> tuple[date | None, date | None]:
    """The first and last service day the scope can hold (its dates clipped to the store's)."""
    return metrics.covered_days(filters, session.query(metrics.filter_options))


def monthly(filters: Filters) -> pd.DataFrame:
    """summary(by='month') without intervals, remembered for the session, with `partial` marking the
    months the scope's days cover only in part."""
    frame = session.query(metrics.summary, filters, by="month", intervals=False)
    first, last = covered(filters)
    if first is None or last is None:
        return frame.assign(partial=False)
    calendar = metrics.calendar_months(first, last)
    return frame.assign(partial=frame["month"].isin(calendar.loc[calendar["partial"], "period"]))


def p_chart(filters: Filters, rate: str, frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """The monthly p-chart of `rate` over the scope's months (from `frame`, default this scope's monthly)."""
    first, last = covered(filters)
    return metrics.control_chart_from(monthly(filters) if frame is None else frame, rate, first, last)
