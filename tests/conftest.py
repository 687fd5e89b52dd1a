"""Shared fixtures: every test gets its own data folder and key folder (never the user's real ones). And the
order the suite runs in: the slowest modules first, each module kept on one xdist worker (see
`pytest_collection_modifyitems`)."""
from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from config.paths import Paths

# The modules that take longest (measured with --durations on the whole suite), longest first. Run first, so that
# under `pytest -n 2` the two workers end together instead of one waiting while the other runs a long browser
# walk at the end. Only an order: the modules missing here run after these, those with more tests first, so the
# run ends on small modules.
SLOWEST_FIRST = (  # by their time in a fresh-clone run of 2026-12-07 (pytest --durations=0, summed per module; views/test_denials_page.py, new, by its own run: 40-70 s)
    "e2e/test_browser.py", "e2e/test_sso.py", "views/test_pages.py", "e2e/test_tls.py", "queries/test_parquet_spark.py",
    "e2e/test_errors_by_family.py", "ingest/test_rerun.py", "views/test_denials_page.py", "ingest/test_ingest.py", "ingest/test_store_privacy.py",
    "ingest/test_remittance_ingest.py", "audit/test_keys_fit.py", "e2e/test_peer_percentiles.py", "queries/test_cli.py",
    "ingest/test_hostile_input.py", "e2e/test_findings.py", "e2e/test_report.py", "ingest/test_drg_ingest.py",
    "views/test_peer_percentiles_page.py", "backup/test_drill.py", "e2e/test_blind_review.py", "ingest/test_x12_split.py",
    "e2e/test_mfa.py", "views/test_review_pages.py", "queries/test_error_families.py", "review/test_samples.py",
)
TESTS = Path(__file__).resolve().parent


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups (its own hook runs without tryfirst)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Each test module is one unit of work for `--dist loadgroup` (pytest.ini), unless a test names its own
    xdist_group: a module's servers and stores (module-scoped fixtures) are then built once, on one worker,
    not once on each. The slowest modules go first (SLOWEST_FIRST), then the others by their number of tests."""
    rank = {name: i for i, name in enumerate(SLOWEST_FIRST)}

    def module_of(item: pytest.Item) -> str:
        return item.path.resolve().relative_to(TESTS).as_posix()

    for item in items:
        if item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(module_of(item)))
    tests = Counter(module_of(item) for item in items)
    items.sort(key=lambda item: (rank.get(module_of(item), len(rank)), -tests[module_of(item)], module_of(item)))


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
