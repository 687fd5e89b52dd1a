"""The sidebar's named periods on demo stores built on given days: a session opens on the last 12 complete
months, the overview compares a named period with the same dates a year earlier and typed dates with the
equal period just before (tests/queries/test_periods.py has every period on every day)."""
from __future__ import annotations

from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from audit.permissions import Role
from queries.metrics import FilterOptions, filter_options
from queries.periods import LAST_12_MONTHS
from queries.store import connect_read_only
from tests.views.conftest import open_app, point_at
from views.filters import CUSTOM, default_range


def opened_on(demo_store_for, monkeypatch: pytest.MonkeyPatch, today: date) -> AppTest:
    paths = point_at(demo_store_for(today), monkeypatch)
    with connect_read_only(paths) as con:
        assert filter_options(con).max_date == today  # the demo has claims on the day it is built
    return open_app().button(key=f"demo.{Role.COMPLIANCE_OFFICER.value}").click().run()


def shown(app: AppTest) -> str:
    return " ".join(c.value for c in app.caption)


# The demo's last service date, and by hand: the 12 complete months and the same months a year earlier.
@pytest.mark.parametrize(("today", "first", "last", "before"), [
    (date(2026, 11, 29), date(2025, 11, 1), date(2026, 10, 31), "2024-11-01 to 2025-10-31"),  # November not over
    (date(2026, 12, 31), date(2026, 1, 1), date(2026, 12, 31), "2025-01-01 to 2025-12-31"),   # December complete
    (date(2028, 2, 29), date(2027, 3, 1), date(2028, 2, 29), "2026-03-01 to 2027-02-28"),     # a leap day
])
def test_a_session_opens_on_the_last_12_complete_months_against_a_year_earlier(demo_store_for, monkeypatch, today,
                                                                              first, last, before):
    app = opened_on(demo_store_for, monkeypatch, today)
    assert app.selectbox(key="flt.period").value == LAST_12_MONTHS
    assert (app.text_input(key="flt.from").value, app.text_input(key="flt.to").value) == (first.isoformat(), last.isoformat())
    assert f"Service dates {first:%Y-%m-%d} to {last:%Y-%m-%d}" in shown(app)
    assert f"Changes are against {before}, the same dates a year earlier." in shown(app)
    assert "complete months" in app.selectbox(key="flt.period").help


def test_named_and_typed_periods_are_compared_each_by_its_rule(demo_store_for, monkeypatch):
    app = opened_on(demo_store_for, monkeypatch, date(2026, 11, 29))
    app.selectbox(key="flt.period").set_value("This fiscal year").run()  # October start: 2026-10-01 to 2026-11-29
    assert "Service dates 2026-10-01 to 2026-11-29" in shown(app)
    assert "Changes are against 2025-10-01 to 2025-11-29, the same dates a year earlier." in shown(app)
    app.text_input(key="flt.from").input("2026-11-01").run()              # typed: 29 days, the 29 just before
    assert app.selectbox(key="flt.period").value == "Custom dates"
    assert "Changes are against 2026-10-03 to 2026-10-31, the period of equal length just before." in shown(app)
    assert not app.exception


def test_a_store_without_a_complete_month_opens_on_its_whole_span():
    options = FilterOptions(date(2026, 11, 3), date(2026, 11, 29), [], [], [], [])
    assert default_range(options) == (CUSTOM, date(2026, 11, 3), date(2026, 11, 29))
    longer = FilterOptions(date(2026, 3, 15), date(2026, 11, 29), [], [], [], [])
    assert default_range(longer) == (LAST_12_MONTHS, date(2026, 3, 15), date(2026, 10, 31))  # clipped to the first
