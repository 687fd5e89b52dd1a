"""Typed dates and named periods, with answers stated by hand."""
from __future__ import annotations

from datetime import date

import pytest

from queries.metrics import Filters
from queries.periods import LAST_12_MONTHS, PRESETS, DateProblem, comparison, parse_day, preset, preset_in_store, year_earlier

CUSTOM = "Custom dates"  # any name that is not a preset, as the sidebar's typed dates


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
    assert preset("This quarter", last, 10) == (date(2026, 10, 1), last)
    assert preset("Last quarter", last, 10) == (date(2026, 7, 1), date(2026, 9, 30))
    assert preset("This fiscal year", last, 10) == (date(2026, 10, 1), last)
    assert preset("Last fiscal year", last, 10) == (date(2025, 10, 1), date(2026, 9, 30))
    assert preset(LAST_12_MONTHS, last, 10) == (date(2025, 11, 1), date(2026, 10, 31))  # November is not over
    assert preset("This fiscal year", last, first_month=7) == (date(2026, 7, 1), last)
    assert preset("Last quarter", date(2026, 2, 10), 10) == (date(2025, 10, 1), date(2025, 12, 31))
    assert preset("Last fiscal year", date(2026, 9, 30), 10) == (date(2024, 10, 1), date(2025, 9, 30))


D = date
# Every named period and the period it is compared with (the same dates a year earlier), on several last
# service dates, fiscal year from October; written out by hand, one line per (day, period).
# day          period                  from            to              compared from   compared to
EVERY_PRESET = [
    (D(2026, 1, 1), LAST_12_MONTHS,     D(2025, 1, 1),  D(2025, 12, 31), D(2024, 1, 1),  D(2024, 12, 31)),
    (D(2026, 1, 1), "This quarter",     D(2026, 1, 1),  D(2026, 1, 1),   D(2025, 1, 1),  D(2025, 1, 1)),
    (D(2026, 1, 1), "Last quarter",     D(2025, 10, 1), D(2025, 12, 31), D(2024, 10, 1), D(2024, 12, 31)),
    (D(2026, 1, 1), "This fiscal year", D(2025, 10, 1), D(2026, 1, 1),   D(2024, 10, 1), D(2025, 1, 1)),
    (D(2026, 1, 1), "Last fiscal year", D(2024, 10, 1), D(2025, 9, 30),  D(2023, 10, 1), D(2024, 9, 30)),
    # 29 February of a leap year: February is complete; a year earlier it ends on the 28th
    (D(2028, 2, 29), LAST_12_MONTHS,     D(2027, 3, 1),  D(2028, 2, 29),  D(2026, 3, 1),  D(2027, 2, 28)),
    (D(2028, 2, 29), "This quarter",     D(2028, 1, 1),  D(2028, 2, 29),  D(2027, 1, 1),  D(2027, 2, 28)),
    (D(2028, 2, 29), "Last quarter",     D(2027, 10, 1), D(2027, 12, 31), D(2026, 10, 1), D(2026, 12, 31)),
    (D(2028, 2, 29), "This fiscal year", D(2027, 10, 1), D(2028, 2, 29),  D(2026, 10, 1), D(2027, 2, 28)),
    (D(2028, 2, 29), "Last fiscal year", D(2026, 10, 1), D(2027, 9, 30),  D(2025, 10, 1), D(2026, 9, 30)),
    # 28 February of the year after: the end of February a year earlier is the 29th
    (D(2029, 2, 28), "This quarter",     D(2029, 1, 1),  D(2029, 2, 28),  D(2028, 1, 1),  D(2028, 2, 29)),
    (D(2029, 2, 27), LAST_12_MONTHS,     D(2028, 2, 1),  D(2029, 1, 31),  D(2027, 2, 1),  D(2028, 1, 31)),
    # 31 March: the end of a quarter, March complete
    (D(2026, 3, 31), LAST_12_MONTHS,     D(2025, 4, 1),  D(2026, 3, 31),  D(2024, 4, 1),  D(2025, 3, 31)),
    (D(2026, 3, 31), "This quarter",     D(2026, 1, 1),  D(2026, 3, 31),  D(2025, 1, 1),  D(2025, 3, 31)),
    (D(2026, 3, 31), "Last quarter",     D(2025, 10, 1), D(2025, 12, 31), D(2024, 10, 1), D(2024, 12, 31)),
    (D(2026, 3, 31), "This fiscal year", D(2025, 10, 1), D(2026, 3, 31),  D(2024, 10, 1), D(2025, 3, 31)),
    (D(2026, 3, 31), "Last fiscal year", D(2024, 10, 1), D(2025, 9, 30),  D(2023, 10, 1), D(2024, 9, 30)),
    # 30 June: mid fiscal year
    (D(2026, 6, 30), LAST_12_MONTHS,     D(2025, 7, 1),  D(2026, 6, 30),  D(2024, 7, 1),  D(2025, 6, 30)),
    (D(2026, 6, 30), "This quarter",     D(2026, 4, 1),  D(2026, 6, 30),  D(2025, 4, 1),  D(2025, 6, 30)),
    (D(2026, 6, 30), "Last quarter",     D(2026, 1, 1),  D(2026, 3, 31),  D(2025, 1, 1),  D(2025, 3, 31)),
    (D(2026, 6, 30), "This fiscal year", D(2025, 10, 1), D(2026, 6, 30),  D(2024, 10, 1), D(2025, 6, 30)),
    (D(2026, 6, 30), "Last fiscal year", D(2024, 10, 1), D(2025, 9, 30),  D(2023, 10, 1), D(2024, 9, 30)),
    # the fiscal-year boundary: the last day of fiscal 2026, then the first day of fiscal 2027
    (D(2026, 9, 30), LAST_12_MONTHS,     D(2025, 10, 1), D(2026, 9, 30),  D(2024, 10, 1), D(2025, 9, 30)),
    (D(2026, 9, 30), "This quarter",     D(2026, 7, 1),  D(2026, 9, 30),  D(2025, 7, 1),  D(2025, 9, 30)),
    (D(2026, 9, 30), "Last quarter",     D(2026, 4, 1),  D(2026, 6, 30),  D(2025, 4, 1),  D(2025, 6, 30)),
    (D(2026, 9, 30), "This fiscal year", D(2025, 10, 1), D(2026, 9, 30),  D(2024, 10, 1), D(2025, 9, 30)),
    (D(2026, 9, 30), "Last fiscal year", D(2024, 10, 1), D(2025, 9, 30),  D(2023, 10, 1), D(2024, 9, 30)),
    (D(2026, 10, 1), LAST_12_MONTHS,     D(2025, 10, 1), D(2026, 9, 30),  D(2024, 10, 1), D(2025, 9, 30)),
    (D(2026, 10, 1), "This quarter",     D(2026, 10, 1), D(2026, 10, 1),  D(2025, 10, 1), D(2025, 10, 1)),
    (D(2026, 10, 1), "Last quarter",     D(2026, 7, 1),  D(2026, 9, 30),  D(2025, 7, 1),  D(2025, 9, 30)),
    (D(2026, 10, 1), "This fiscal year", D(2026, 10, 1), D(2026, 10, 1),  D(2025, 10, 1), D(2025, 10, 1)),
    (D(2026, 10, 1), "Last fiscal year", D(2025, 10, 1), D(2026, 9, 30),  D(2024, 10, 1), D(2025, 9, 30)),
    # 6 December 2026, early in a month: the 12 months end with November, not with today, and are compared
    # with the same 12 months a year earlier
    (D(2026, 12, 6), LAST_12_MONTHS,     D(2025, 12, 1), D(2026, 11, 30), D(2024, 12, 1), D(2025, 11, 30)),
    (D(2026, 12, 6), "This quarter",     D(2026, 10, 1), D(2026, 12, 6),  D(2025, 10, 1), D(2025, 12, 6)),
    (D(2026, 12, 6), "Last quarter",     D(2026, 7, 1),  D(2026, 9, 30),  D(2025, 7, 1),  D(2025, 9, 30)),
    (D(2026, 12, 6), "This fiscal year", D(2026, 10, 1), D(2026, 12, 6),  D(2025, 10, 1), D(2025, 12, 6)),
    (D(2026, 12, 6), "Last fiscal year", D(2025, 10, 1), D(2026, 9, 30),  D(2024, 10, 1), D(2025, 9, 30)),
]


@pytest.mark.parametrize(("day", "name", "first", "last", "before_first", "before_last"), EVERY_PRESET,
                         ids=[f"{row[0]}-{row[1]}" for row in EVERY_PRESET])
def test_every_named_period_and_its_comparison(day, name, first, last, before_first, before_last):
    assert preset(name, day, 10) == (first, last)
    compared = comparison(name, Filters(date_from=first, date_to=last, payer=("Medicare",)))
    assert compared == Filters(date_from=before_first, date_to=before_last, payer=("Medicare",))


def test_every_named_period_on_a_day_is_checked():
    for day in {row[0] for row in EVERY_PRESET} - {D(2029, 2, 28), D(2029, 2, 27)}:
        assert {row[1] for row in EVERY_PRESET if row[0] == day} == set(PRESETS)


@pytest.mark.parametrize(("day", "first_month", "this_year", "last_year"), [
    (D(2026, 6, 30), 7, (D(2025, 7, 1), D(2026, 6, 30)), (D(2024, 7, 1), D(2025, 6, 30))),   # last day of a July year
    (D(2026, 7, 1), 7, (D(2026, 7, 1), D(2026, 7, 1)), (D(2025, 7, 1), D(2026, 6, 30))),     # its first day
    (D(2026, 1, 1), 1, (D(2026, 1, 1), D(2026, 1, 1)), (D(2025, 1, 1), D(2025, 12, 31))),    # calendar fiscal year
    (D(2026, 12, 31), 1, (D(2026, 1, 1), D(2026, 12, 31)), (D(2025, 1, 1), D(2025, 12, 31))),
])
def test_fiscal_years_follow_the_configured_first_month(day, first_month, this_year, last_year):
    assert preset("This fiscal year", day, first_month) == this_year
    assert preset("Last fiscal year", day, first_month) == last_year


def test_typed_dates_are_compared_with_the_equal_period_just_before():
    january = Filters(date_from=D(2025, 1, 1), date_to=D(2025, 1, 31))
    assert comparison(CUSTOM, january) == Filters(date_from=D(2024, 12, 1), date_to=D(2024, 12, 31))
    assert comparison(LAST_12_MONTHS, Filters(date_from=D(2025, 1, 1))) is None


@pytest.mark.parametrize(("day", "expected"), [
    (D(2028, 2, 29), D(2027, 2, 28)), (D(2029, 2, 28), D(2028, 2, 29)), (D(2028, 2, 28), D(2027, 2, 28)),
    (D(2026, 3, 31), D(2025, 3, 31)), (D(2026, 1, 1), D(2025, 1, 1)), (D(2026, 12, 6), D(2025, 12, 6)),
])
def test_a_year_earlier_keeps_the_end_of_a_month(day, expected):
    assert year_earlier(day) == expected


def test_a_named_period_is_clipped_to_the_store_or_refused_in_a_sentence():
    # A store from 2026-11-03 to 2026-11-29: this quarter starts on its first day; the last 12 complete months
    # (2025-11-01 to 2026-10-31) and last quarter end before it.
    assert preset_in_store("This quarter", D(2026, 11, 3), D(2026, 11, 29), 10) == (D(2026, 11, 3), D(2026, 11, 29))
    assert preset_in_store(LAST_12_MONTHS, D(2026, 3, 15), D(2026, 11, 29), 10) == (D(2026, 3, 15), D(2026, 10, 31))
    with pytest.raises(DateProblem, match=r"^Last 12 complete months \(2025-11-01 to 2026-10-31\) ends before the first "
                                          r"service date in the store, 2026-11-03: pick another period or type dates\.$"):
        preset_in_store(LAST_12_MONTHS, D(2026, 11, 3), D(2026, 11, 29), 10)
    with pytest.raises(DateProblem, match="Last quarter"):
        preset_in_store("Last quarter", D(2026, 11, 3), D(2026, 11, 29), 10)
