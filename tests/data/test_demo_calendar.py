"""The demo's window ends on the day it is built and its dated patterns move with it, on any day: month
ends, a leap day, the days around the October code-set update."""
from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from data.demo import Calendar

DAYS = [date(2026, 10, 31), date(2026, 11, 29), date(2026, 12, 31), date(2027, 1, 31), date(2028, 2, 29),
        date(2026, 9, 30), date(2026, 10, 1), date.today()]


def months_between(first: date, last: date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month + 1


@pytest.mark.parametrize("today", DAYS, ids=str)
def test_window_is_the_26_calendar_months_ending_today_with_both_patterns_inside(today):
    window = Calendar.ending(today)
    assert window.end == today and window.start.day == 1 and months_between(window.start, today) == 26
    update = window.code_set_update.astype(object)
    assert (update.month, update.day) == (10, 1)  # code-set updates take effect on October 1
    assert 12 <= months_between(update, today) - 1 <= 23
    degrade = window.degrade.astype(object)
    assert degrade.day == 1 and months_between(degrade, today) - 1 == 16
    assert window.start < degrade < today and window.start < update < today  # both inside the window, with
    assert months_between(update, today) >= 13  # the two months after the update complete


def test_the_docstring_dates_hold_for_a_demo_built_on_2026_10_31():
    window = Calendar.ending(date(2026, 10, 31))
    assert (window.start, window.degrade, window.code_set_update) == (
        date(2024, 9, 1), np.datetime64("2025-06-01"), np.datetime64("2025-10-01"))


def test_later_dates_never_pass_the_day_the_demo_is_built():
    window = Calendar.ending(date(2028, 2, 29))
    later = np.array(["2028-02-10", "2028-03-20"], dtype="datetime64[D]")
    assert list(window.capped(later).astype(str)) == ["2028-02-10", "2028-02-29"]
    assert list(window.after_update(np.array(["2026-09-30", "2026-10-01", "2026-11-30", "2026-12-01"],
                                             dtype="datetime64[D]"))) == [False, True, True, False]
