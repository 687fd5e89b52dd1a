"""Named SQL files beside the code that runs them (queries/sql/**.sql).

Values are always bound as parameters. A few statements need a name SQL cannot bind (the staging table
of one input file, a column of the format): those files are templates with `{placeholders}`, filled by
`sql_template` with identifiers that come from allow-lists in code (`queries.ingest_files.SPECS`), never
from input, and checked to be plain lower-case identifiers. `sql_literal` quotes the one value DuckDB
cannot bind, a file path in ATTACH.
"""
from __future__ import annotations

import re
from functools import cache
from pathlib import Path

SQL_DIR = Path(__file__).parent / "sql"
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")


@cache
def sql(name: str) -> str:
    """The text of queries/sql/<name>.sql. Static files only: never builds SQL from input."""
    return (SQL_DIR / f"{name}.sql").read_text()


def sql_template(name: str, **identifiers: str | list[str] | tuple[str, ...]) -> str:
    """queries/sql/<name>.sql with each `{placeholder}` replaced by an identifier (or a comma-separated
    list of them). Callers pass names from allow-lists in code; anything else is refused."""
    filled: dict[str, str] = {}
    for placeholder, value in identifiers.items():
        names = [value] if isinstance(value, str) else list(value)
        bad = [n for n in names if not _IDENTIFIER.fullmatch(n)]
        if bad or not names:
            raise ValueError(f"sql_template({name!r}): {placeholder} must be plain identifiers, got {bad or names!r}")
        filled[placeholder] = ", ".join(names)
    return sql(name).format(**filled)


def sql_literal(text: str) -> str:
    """A SQL string literal, for the one place DuckDB takes no parameter: the file path of ATTACH."""
    if "\x00" in text:
        raise ValueError("a SQL literal cannot hold a NUL character")
    return "'" + text.replace("'", "''") + "'"
