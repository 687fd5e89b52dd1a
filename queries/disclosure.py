"""The small-cell rule for everything that leaves the system (dashboard downloads, `manage.py metrics`).

CMS cell-size rule: counts from 1 to 10 are not published. One implementation for every export, so the
dashboard and the command line can never disagree about what a suppressed table looks like.
"""
from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from pandas.api.types import is_bool_dtype, is_integer_dtype, is_numeric_dtype

SMALL_CELL_MAX = 10  # CMS cell-size rule: counts from 1 to 10 are not published
SUPPRESSED_FLAG = "small_cells_suppressed"


def count_columns(df: pd.DataFrame) -> list[str]:
    """Whole-number columns: in our aggregates these are counts (claims, codes, errors, denials)."""
    return [c for c in df.columns if is_integer_dtype(df[c]) and not is_bool_dtype(df[c])]


def suppress_small_cells(df: pd.DataFrame, counts: Sequence[str] | None = None) -> pd.DataFrame:
    """A copy for publication: in every row holding a count from 1 to 10, all numbers are blanked (a rate,
    interval or amount beside a small count can give the count away); labels stay. Zero is published.
    Adds SUPPRESSED_FLAG so a reader can tell a blank from a missing value."""
    counts = count_columns(df) if counts is None else list(counts)
    small = df[counts].apply(lambda column: column.between(1, SMALL_CELL_MAX)).any(axis=1) if counts else pd.Series(False, index=df.index)
    out = df.copy()
    for column in out.columns:
        if is_bool_dtype(out[column]) or not is_numeric_dtype(out[column]):
            continue
        if is_integer_dtype(out[column]):
            out[column] = out[column].astype("Int64")
        out[column] = out[column].mask(small)
    out[SUPPRESSED_FLAG] = small.to_numpy()
    return out
