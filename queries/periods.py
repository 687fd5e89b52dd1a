"""Service-date periods people ask for: dates typed in the common forms, and the named periods the sidebar
offers (this quarter, last quarter, this and last fiscal year, last 12 months), each ending no later than the
last service date in the store. The fiscal year starts in the month config/settings.py names (default
October). Never imports streamlit."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from queries.metrics import months_back

# Forms a date may be typed in, tried in order. Numbers with the year last are read month first (US usage).
FORMS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%m/%d/%Y", "%m-%d-%Y", "%d %b %Y", "%d %B %Y", "%b %d %Y",
         "%B %d %Y", "%b %d, %Y", "%B %d, %Y")
_DAY_FIRST = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*$")
PRESETS = ("Last 12 months", "This quarter", "Last quarter", "This fiscal year", "Last fiscal year")


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


def preset(name: str, last_day: date, first_month: int = 10) -> tuple[date, date]:
    """The period called `name` (one of PRESETS) as it stands on `last_day`, the last service date in the store:
    a current period runs to that day, a past one is complete."""
    if name == "Last 12 months":
        return months_back(last_day, 11), last_day
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
