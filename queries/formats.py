"""How numbers are written for people, one rule for every surface (tiles, tables, charts, the PDF report,
the command line), and how exports keep them as numbers (docs/METRICS.md, "Numbers on screen and in files").

- A **percentage** has one decimal: 0.9312 -> '93.1%'; a change of a rate is in points, signed, one decimal:
  '+0.8 pp'. A missing value is a dash, never 0%.
- A **dollar amount** is to the cent, the sign before the dollar sign: -1500 -> '-$1,500.00'; an amount that
  rounds to zero cents has no sign. Auditors repay and reconcile to the cent, so no surface rounds dollars
  away, and none shows a fraction of a cent. A dollar limit the user typed, inside a name (a stratum's band),
  is written as typed instead: '$1,000', '$1,000.50' (`dollar_limit`).
- **Files** (CSV, JSON) carry numbers, not formatted text: dollar amounts rounded to the cent (a sum of
  floats never reaches a file as 1285.0000000001), rates as proportions from 0 to 1 at full precision.

Never imports streamlit: the views, review/ (the PDF) and cli/ all use it.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import pandas as pd
from pandas.api.types import is_bool_dtype, is_integer_dtype, is_numeric_dtype

MISSING = "–"
# Column names that hold dollars or proportions, for tables and files that carry whole frames.
MONEY_HINTS = ("amount", "impact", "overpaid", "underpaid", "overpayment", "underpayment", "dollars", "estimate",
               "standard_error", "lower_", "upper_")
PERCENT_HINTS = ("rate", "accuracy", "share", "ci_low", "ci_high", "lower95", "upper95", "lower998", "upper998",
                 "center", "ucl", "lcl", "target", "limit")
# The same rules as d3-format specifiers, for Plotly's hover and text templates: '%{y:' + D3_DOLLARS + '}'.
D3_DOLLARS = "$,.2f"
D3_PERCENT = ".1%"


def d3(field: str, spec: str) -> str:
    """A Plotly template field with a d3 format: d3("y", D3_DOLLARS) -> '%{y:$,.2f}' ('-$1,234.50')."""
    return "%{" + field + ":" + spec + "}"


# The same rules as printf formats, for table columns that hold a percentage already multiplied by 100.
TABLE_PERCENT = "%.1f%%"
# A percentile rank (0 to 100, queries/peers.py) has one decimal and no percent sign: it ranks, it is not a share.
TABLE_PERCENTILE = "%.1f"


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def percent(value: float | None, *, missing: str = MISSING) -> str:
    """A proportion as a percentage with one decimal: 0.9312 -> '93.1%'; None or NaN -> `missing`."""
    if _missing(value):
        return missing
    return f"{float(value) * 100:.1f}%"  # type: ignore[arg-type]


def percent_value(value: float | None, *, missing: str = MISSING) -> str:
    """A value already in percent (a precision of 12.34) with one decimal: '12.3%'; None or NaN -> `missing`."""
    if _missing(value):
        return missing
    return f"{float(value):.1f}%"  # type: ignore[arg-type]


def percentile(value: float | None, *, missing: str = MISSING) -> str:
    """A percentile rank from 0 to 100 with one decimal: 91.666 -> '91.7'; None or NaN -> `missing`."""
    if _missing(value):
        return missing
    return f"{float(value):.1f}"  # type: ignore[arg-type]


def points(change: float) -> str:
    """A change of a rate in percentage points, signed, one decimal: 0.008 -> '+0.8 pp'. A change that rounds
    to zero is '0.0 pp', never '-0.0 pp' or '+0.0 pp'."""
    rounded = round(change * 100, 1)
    return "0.0 pp" if rounded == 0 else f"{rounded:+.1f} pp"


def dollars(value: Any, *, missing: str = MISSING) -> str:
    """Dollars to the cent, the sign before the dollar sign: -32309 -> '-$32,309.00'; an amount that rounds to
    zero cents has no sign; None or NaN -> `missing`. Takes floats, ints and Decimals."""
    if _missing(value):
        return missing
    shown = f"${abs(value):,.2f}"
    return f"-{shown}" if value < 0 and shown != "$0.00" else shown


def dollar_limit(amount: float) -> str:
    """A dollar limit the user typed, as part of a name (a stratum's band, the certainty threshold): whole dollars
    without cents, '$1,000', otherwise to the cent, '$1,000.50'. The names are stored with each sample when it is
    drawn (review/samples.py), so this format is kept: another would name the same band differently in samples
    drawn before and after it."""
    return f"${amount:,.0f}" if amount == int(amount) else f"${amount:,.2f}"


def signed_dollars(value: Any) -> str:
    """A change in dollars with its sign: '+$1,500.00', '-$1,500.00', '$0.00'."""
    shown = dollars(value)
    return shown if shown.startswith("-") or shown == "$0.00" else f"+{shown}"


def is_money(column: str) -> bool:
    return any(hint in column for hint in MONEY_HINTS)


def is_percent(column: str) -> bool:
    """A proportion from 0 to 1 (a rate, a share, a limit), shown multiplied by 100."""
    return any(hint in column for hint in PERCENT_HINTS)


def is_percentile(column: str) -> bool:
    """A percentile rank from 0 to 100 (`percentile`), shown with one decimal (TABLE_PERCENTILE)."""
    return column == "percentile" or column.endswith("_percentile")


def is_percent_value(column: str) -> bool:
    """A value already in percent (`precision_pct`: 12.3 means 12.3%)."""
    return column.endswith("_pct")


def to_the_cent(value: Any) -> Any:
    """A dollar amount for a file: rounded to the cent (a float; None stays None)."""
    return None if _missing(value) else round(float(value), 2)


def file_ready(df: pd.DataFrame, money: Iterable[str] | None = None) -> pd.DataFrame:
    """The frame as a CSV carries it: its dollar columns (by name, MONEY_HINTS, or `money`) rounded to the cent,
    still numbers; every other column as it is."""
    out = df.copy()
    names = list(money) if money is not None else [c for c in out.columns if is_money(str(c))]
    for column in names:
        dtype = out[column].dtype
        if is_numeric_dtype(dtype) and not is_bool_dtype(dtype) and not is_integer_dtype(dtype):
            out[column] = out[column].round(2)
    return out
