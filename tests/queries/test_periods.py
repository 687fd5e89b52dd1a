"""Typed dates and named periods, with answers stated by hand."""
from __future__ import annotations

from datetime import date

import pytest

from queries.periods import DateProblem, parse_day, preset


@pytest.mark.parametrize("typed", ["2026-09-30", "2026/09/30", "2026.09.30", "20260930", "09/30/2026", "9/30/2026",
                                   "30 Sep 2026", "30 September 2026", "Sep 30, 2026", " 2026/9/30 "])
def test_common_forms_are_accepted(typed):
    assert parse_day(typed) == date(2026, 9, 30)


@pytest.mark.parametrize(("typed", "says"), [
    ("30/09/2026", "looks like day/month/year"),
    ("2026-02-30", "is not a date"),
    ("next tuesday", "is not a date"),
    ("", "A date is missing"),
])
def test_anything_else_is_refused_in_one_sentence(typed, says):
    with pytest.raises(DateProblem, match=says) as refused:
        parse_day(typed)
    assert "2026-09-30" in str(refused.value)


def test_named_periods_on_a_day_in_the_middle_of_a_quarter():
    last = date(2026, 11, 29)  # Q4 of the calendar year, the second month of fiscal year 2027 (October start)
    assert preset("This quarter", last) == (date(2026, 10, 1), last)
    assert preset("Last quarter", last) == (date(2026, 7, 1), date(2026, 9, 30))
    assert preset("This fiscal year", last) == (date(2026, 10, 1), last)
    assert preset("Last fiscal year", last) == (date(2025, 10, 1), date(2026, 9, 30))
    assert preset("Last 12 months", last) == (date(2025, 12, 1), last)
    assert preset("This fiscal year", last, first_month=7) == (date(2026, 7, 1), last)
    assert preset("Last quarter", date(2026, 2, 10)) == (date(2025, 10, 1), date(2025, 12, 31))
    assert preset("Last fiscal year", date(2026, 9, 30)) == (date(2024, 10, 1), date(2025, 9, 30))
