"""Service-date periods people ask for: dates typed in the common forms, and the named periods the sidebar
offers (the last 12 complete months, this and last quarter, this and last fiscal year) with the period
each is compared with. A named period is read on the last service date in the store (the data's "today"):
a current period runs to that day, a past one is complete. The fiscal year starts in the month
config/settings.py names (CODEAUDIT_FISCAL_YEAR_START). Never imports streamlit. The rules, with examples,
are in docs/METRICS.md ("Named periods")."""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, timedelta

from queries.metrics import Filters, months_back

# Forms a date may be typed in, tried in order. Numbers with the year last are read month first (US usage).
FORMS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%m/%d/%Y", "%m-%d-%Y", "%d %b %Y", "%d %B %Y", "%b %d %Y",
         "%B %d %Y", "%b %d, %Y", "%B %d, %Y")
_DAY_FIRST = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*$")
LAST_12_MONTHS = "Last 12 complete months"
PRESETS = (LAST_12_MONTHS, "This quarter", "Last quarter", "This fiscal year", "Last fiscal year")


class DateProblem(ValueError):
    """A typed date that is not one; the message says how to type it."""


def parse_day(text: str) -> date:
    """A date typed as 2026-09-30, 2026/09/30, 2026.09.30, 20260930, 09/30/2026, 30 Sep 2026 or Sep 30, 2026.
    A day-first form (30/09/2026) is refused rather than guessed."""
    typed = " ".join(str(text).split())
    for form in FORMS:
        try:
            return datetime.strptime(typed, form).date()
        except ValueError:
            continue
    example = "type it as 2026-09-30 (2026/09/30, 09/30/2026 and 30 Sep 2026 work too)"
    if (day_first := _DAY_FIRST.match(typed)) and int(day_first.group(1)) > 12:
        raise DateProblem(f"'{typed}' looks like day/month/year, which is ambiguous here: {example}.")
    raise DateProblem(f"'{typed}' is not a date: {example}." if typed else f"A date is missing: {example}.")


def _quarter_start(day: date) -> date:
    return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def _fiscal_start(day: date, first_month: int) -> date:
    year = day.year if day.month >= first_month else day.year - 1
    return date(year, first_month, 1)


def last_complete_month(day: date) -> date:
    """The first day of the last month that has ended by `day`, inclusive: `day`'s own month when `day` is its last
    day (the data of that day are in), else the month before."""
    return months_back(day, 0 if (day + timedelta(days=1)).day == 1 else 1)


def preset(name: str, last_day: date, first_month: int) -> tuple[date, date]:
    """The period called `name` (one of PRESETS) as it stands on `last_day`, the last service date in the store,
    with the fiscal year starting in month `first_month`: a current period runs to that day, a past one is
    complete; the last 12 complete months end with the last month that has ended (last_complete_month)."""
    if name == LAST_12_MONTHS:
        end = last_complete_month(last_day)
        return months_back(end, 11), months_back(end, -1) - timedelta(days=1)
    if name == "This quarter":
        return _quarter_start(last_day), last_day
    if name == "Last quarter":
        end = _quarter_start(last_day) - timedelta(days=1)
        return _quarter_start(end), end
    if name == "This fiscal year":
        return _fiscal_start(last_day, first_month), last_day
    if name == "Last fiscal year":
        end = _fiscal_start(last_day, first_month) - timedelta(days=1)
        return _fiscal_start(end, first_month), end
    raise ValueError(f"unknown period {name!r}; choose one of {', '.join(PRESETS)}")


def preset_in_store(name: str, first_day: date, last_day: date, first_month: int) -> tuple[date, date]:
    """The period called `name` on a store whose service dates run from `first_day` to `last_day`, its start
    clipped to `first_day`; DateProblem, in a sentence, when the period ends before `first_day`."""
    first, last = preset(name, last_day, first_month)
    if last < first_day:
        raise DateProblem(f"{name} ({first:%Y-%m-%d} to {last:%Y-%m-%d}) ends before the first service date in the "
                          f"store, {first_day:%Y-%m-%d}: pick another period or type dates.")
    return max(first, first_day), last


def year_earlier(day: date) -> date:
    """The same day a year before; the last day of a month stays the last (29 Feb 2028 -> 28 Feb 2027,
    28 Feb 2029 -> 29 Feb 2028), so a period of whole months maps to the same whole months."""
    if (day + timedelta(days=1)).day == 1:
        return months_back(day, 11) - timedelta(days=1)
    return date(day.year - 1, day.month, day.day)


def comparison(name: str, scope: Filters) -> Filters | None:
    """The scope `scope` is compared with, its other filters kept. A named period (`name` one of PRESETS) is
    compared with the same dates a year earlier, so a season is not read as a change; any other range with
    the period of the same number of days just before it (Filters.previous_period). None for an open range."""
    if scope.date_from is None or scope.date_to is None:
        return None
    if name in PRESETS:
        return replace(scope, date_from=year_earlier(scope.date_from), date_to=year_earlier(scope.date_to))
    return scope.previous_period()
