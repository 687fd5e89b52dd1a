"""What an aggregate may carry when it leaves as a file, and the access-log event that records it.

- Small cells: counts from 1 to 10 are not published (the CMS cell-size rule) in data that leaves the
  organisation. Whether a file is blanked depends on its purpose, which the user states for every file
  (`ExportPurpose`, `suppresses`): a file for use inside the organisation carries the numbers the role
  already sees on screen; a file that leaves it (a report to a payer, a regulator, the public) has them
  blanked, unless the role may publish small cells (audit/permissions.py, `export_small_cells`) and the
  user asks for them. In a row holding a small count every number is blanked, since a rate, interval or
  amount beside it can give it away; labels stay, zero is published, and a flag column tells a blank
  from a missing value. A rate whose numerator or denominator is a small count is blanked even when those
  counts are not published, and a lone suppressed row that totals would give back gets a second one
  (complementary suppression).
- The file: CSV in which text a spreadsheet would run as a formula is quoted (CSV injection).
- The record: one `export` event per file, naming what was exported, how many rows, under which scope,
  for which purpose and whether small cells were included; it is written before the file is built.

Used by the dashboard's downloads (views/tables.py); never imports streamlit.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

import pandas as pd
from pandas.api.types import is_bool_dtype, is_integer_dtype, is_numeric_dtype

from audit.events import AccessEvent
from audit.log.export import spreadsheet_safe
from audit.permissions import Permission, Role, can

SMALL_CELL_MAX = 10
SUPPRESSED_FLAG = "small_cells_suppressed"


class ExportPurpose(StrEnum):
    """Where an exported file goes, stated by the user for each file and recorded with it."""

    INTERNAL = "internal"   # stays in the organisation: the same numbers the role sees on screen
    EXTERNAL = "external"   # leaves it: a report to a payer, a regulator, the public


PURPOSE_LABELS = {
    ExportPurpose.INTERNAL: "Use inside the organisation",
    ExportPurpose.EXTERNAL: "A report that leaves the organisation",
}


def suppresses(role: Role | str | None, purpose: ExportPurpose | str, include_small_cells: bool = False) -> bool:
    """Whether a file for `purpose` has its small cells blanked: never inside the organisation (the role sees
    the numbers on screen); outside it always, unless the role may publish small cells and asked for them."""
    if ExportPurpose(purpose) is ExportPurpose.INTERNAL:
        return False
    return not (include_small_cells and can(role, Permission.EXPORT_SMALL_CELLS))


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
                 *, include_small_cells: bool, purpose: ExportPurpose | str | None = None) -> AccessEvent:
    """The `export` event for one aggregate file called `name` (resource `csv:<name>`), with its purpose when
    the user stated one (the command line's reports do not)."""
    extra = {"purpose": str(ExportPurpose(purpose))} if purpose is not None else {}
    return AccessEvent(
        user=user, role=role, action="export", resource=f"csv:{name}",
        details={**details, "rows": rows, **extra, "small_cells": "included" if include_small_cells else "suppressed"},
    )
