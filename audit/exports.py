"""What an aggregate may carry when it leaves as a file, and the access-log event that records it.

- Small cells: counts from 1 to 10 are not published (the CMS cell-size rule). In a row holding one,
  every number is blanked, since a rate, interval or amount beside a small count can give it away;
  labels stay, zero is published, and a flag column tells a blank from a missing value. A rate whose
  numerator or denominator is a small count is blanked even when those counts are not published, and a
  lone suppressed row that totals would give back gets a second one (complementary suppression). Which roles may
  export small cells is decided in audit/permissions.py (`export_small_cells`).
- The file: CSV in which text a spreadsheet would run as a formula is quoted (CSV injection).
- The record: one `export` event per file, naming what was exported, how many rows, under which scope
  and whether small cells were included; it is written before the file is built.

Used by the dashboard's downloads (views/tables.py); never imports streamlit.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from pandas.api.types import is_bool_dtype, is_integer_dtype, is_numeric_dtype

from audit.events import AccessEvent
from audit.log.export import spreadsheet_safe

SMALL_CELL_MAX = 10
SUPPRESSED_FLAG = "small_cells_suppressed"


def count_columns(df: pd.DataFrame) -> list[str]:
    """Whole-number columns: in our aggregates these are counts (claims, codes, errors, denials)."""
    return [c for c in df.columns if is_integer_dtype(df[c]) and not is_bool_dtype(df[c])]


def _small(values: pd.Series) -> pd.Series:
    return values.between(1, SMALL_CELL_MAX)


def suppress_small_cells(df: pd.DataFrame, counts: Sequence[str] | None = None, *,
                         rates: Mapping[str, tuple[str, str]] | None = None, complementary: bool = False) -> pd.DataFrame:
    """A copy for publication: in every row holding a count from 1 to 10 (in `counts`, default every
    whole-number column), all numbers are blanked; labels stay. Adds SUPPRESSED_FLAG.

    `rates` maps a rate column to its (numerator, denominator) columns, which `df` must hold even when
    they are not published (pass the full summary, then select): a rate whose numerator or denominator
    is from 1 to 10 is blanked too, since rate x denominator gives the count back. With `complementary`
    (rows that add up to a total published elsewhere, e.g. `metrics --by` beside `metrics`), a lone
    suppressed row would be the total minus the others, so the other row with the smallest counts is
    suppressed with it."""
    counts = count_columns(df) if counts is None else list(counts)
    small = df[counts].apply(_small).any(axis=1) if counts else pd.Series(False, index=df.index)
    if complementary and small.sum() == 1 and len(df) > 1:
        small.loc[df.loc[~small, counts].sum(axis=1).idxmin()] = True
    out = df.copy()
    for column in out.columns:
        if is_bool_dtype(out[column]) or not is_numeric_dtype(out[column]):
            continue
        if is_integer_dtype(out[column]):
            out[column] = out[column].astype("Int64")
        out[column] = out[column].mask(small)
    flagged = small.copy()
    for rate, (numerator, denominator) in (rates or {}).items():
        gives_away = _small(df[numerator]) | _small(df[denominator])
        out[rate] = out[rate].mask(gives_away)
        flagged |= gives_away & df[rate].notna()
    out[SUPPRESSED_FLAG] = flagged.to_numpy()
    return out


def csv_bytes(df: pd.DataFrame) -> bytes:
    """CSV with text that a spreadsheet would run as a formula prefixed by a quote (CSV injection)."""
    out = df.copy()
    for column in out.columns:
        if out[column].dtype == object:
            out[column] = out[column].map(lambda v: spreadsheet_safe(v) if isinstance(v, str) else v)
    return out.to_csv(index=False).encode()


def publishable_csv(df: pd.DataFrame, *, include_small_cells: bool, counts: Sequence[str] | None = None) -> bytes:
    """The file an export sends: small cells suppressed unless included, formulas neutralised."""
    return csv_bytes(df if include_small_cells else suppress_small_cells(df, counts))


def export_event(user: str, role: str, name: str, rows: int, details: Mapping[str, Any],
                 *, include_small_cells: bool) -> AccessEvent:
    """The `export` event for one aggregate file called `name` (resource `csv:<name>`)."""
    return AccessEvent(
        user=user, role=role, action="export", resource=f"csv:{name}",
        details={**details, "rows": rows, "small_cells": "included" if include_small_cells else "suppressed"},
    )
