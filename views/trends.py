"""Monthly series shared by several pages, from one memoised summary per scope.

Pages draw their p-charts with queries.metrics.control_chart_from on this one monthly summary, so a
page with several p-charts runs the monthly query once instead of once per rate.
"""
from __future__ import annotations

import pandas as pd

from queries import metrics
from queries.metrics import Filters
from views import session


def monthly(filters: Filters) -> pd.DataFrame:
    """summary(by='month') without intervals, remembered for the session."""
    return session.query(metrics.summary, filters, by="month", intervals=False)
