"""Named SQL files: each package keeps its statements in `<package>/sql/**.sql` beside the code that runs
them, and loads them through one `SqlFolder`.

Values are always bound as parameters. A few statements need a name SQL cannot bind (the staging table
of one input file, a column of the format): those files are templates with `{placeholders}`, filled by
`template` with identifiers that come from allow-lists in code, never from input, and checked to be
plain lower-case identifiers. `literal` quotes the one value DuckDB cannot bind, a file path in ATTACH.
"""
from __future__ import annotations

import re
from functools import cache
from pathlib import Path

_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")


class SqlFolder:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.sql = cache(self._read)

    def _read(self, name: str) -> str:
        """The text of <folder>/<name>.sql. Static files only: never builds SQL from input."""
        return (self.folder / f"{name}.sql").read_text()

    def template(self, name: str, **identifiers: str | list[str] | tuple[str, ...]) -> str:
        """<name>.sql with each `{placeholder}` replaced by an identifier (or a comma-separated list of
        them). Callers pass names from allow-lists in code; anything else is refused."""
        filled: dict[str, str] = {}
        for placeholder, value in identifiers.items():
            names = [value] if isinstance(value, str) else list(value)
            bad = [n for n in names if not _IDENTIFIER.fullmatch(n)]
            if bad or not names:
                raise ValueError(f"template {name!r}: {placeholder} must be plain identifiers, got {bad or names!r}")
            filled[placeholder] = ", ".join(names)
        return self.sql(name).format(**filled)


def literal(text: str) -> str:
    """A SQL string literal, for the one place DuckDB takes no parameter: the file path of ATTACH."""
    if "\x00" in text:
        raise ValueError("a SQL literal cannot hold a NUL character")
    return "'" + text.replace("'", "''") + "'"
