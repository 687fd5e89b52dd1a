"""Shared fixtures: every test gets its own data folder and key folder (never the user's real ones)."""
from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest

from config.paths import Paths


@pytest.fixture
def paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Paths:
    data, keys = tmp_path / "data", tmp_path / "keys"
    monkeypatch.setenv("CODEAUDIT_DATA_DIR", str(data))
    monkeypatch.setenv("CODEAUDIT_KEY_DIR", str(keys))
    for var in ("CODEAUDIT_DATA_KEYS", "CODEAUDIT_PSEUDONYM_KEY", "CODEAUDIT_LOG_KEY"):
        monkeypatch.delenv(var, raising=False)
    return Paths(data_dir=data, key_dir=keys).ensure()


WriteCsv = Callable[[Path, str, list[dict[str, str]]], Path]


def write_csv_file(folder: Path, table: str, rows: list[dict[str, str]], header: list[str] | None = None) -> Path:
    """`table`.csv in `folder` with `rows`; the header is every key in order of first use (blank where a row lacks one)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{table}.csv"
    fields = header or list(dict.fromkeys(k for row in rows for k in row))
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def write_csv() -> WriteCsv:
    return write_csv_file


class Recorded(list):
    """A recorder for `ingest` and `build_demo` in tests that do not check the access log: keeps the
    events in memory (tests/ingest/test_ingest.py checks the real log)."""

    def __call__(self, event: object) -> None:
        self.append(event)


@pytest.fixture
def recorder() -> Recorded:
    return Recorded()
