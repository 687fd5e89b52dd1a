"""Small demo stores in temporary folders (never the user's real data or keys), built once per test worker:
one per "today" the demo is built on, so the pages meet the data a new user would see on that day. Each
test points the dashboard at a store through the environment, as `streamlit run` would see it."""
from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cli.common import access_log_recorder
from config.paths import Paths
from data.demo import build_demo
from tests.built_once import built_once

APP = Path(__file__).resolve().parents[2] / "dashboard.py"
DEMO_CLAIMS = 3_000
KEY_VARIABLES = ("CODEAUDIT_DATA_KEYS", "CODEAUDIT_PSEUDONYM_KEY", "CODEAUDIT_LOG_KEY", "CODEAUDIT_IDLE_MINUTES")
# Days a demo is built on: month ends, a leap day, a day that once crashed a page, and the real today.
DEMO_DAYS = sorted({date(2026, 11, 29), date(2026, 12, 31), date(2027, 1, 31), date(2028, 2, 29), date.today()})

StoreFor = Callable[[date], Paths]


def new_paths(root: Path) -> Paths:
    return Paths(data_dir=root / "data", key_dir=root / "keys").ensure()


def without_key_variables(env: pytest.MonkeyPatch) -> None:
    for var in KEY_VARIABLES:
        env.delenv(var, raising=False)


@pytest.fixture(scope="session")
def demo_store_for(tmp_path_factory: pytest.TempPathFactory) -> StoreFor:
    """The demo store built on a given day, built on first use and kept for the worker's session."""
    built: dict[date, Paths] = {}

    def store(today: date) -> Paths:
        if today not in built:
            paths = new_paths(tmp_path_factory.mktemp(f"demo-{today}"))
            with pytest.MonkeyPatch.context() as env:
                without_key_variables(env)
                build_demo(paths, n_claims=DEMO_CLAIMS, recorder=access_log_recorder(paths), today=today)
            built[today] = paths
        return built[today]

    return store


@pytest.fixture(scope="session")
def demo_paths(demo_store_for: StoreFor) -> Paths:
    return demo_store_for(date.today())


def point_at(paths: Paths, env: pytest.MonkeyPatch) -> Paths:
    """Make the dashboard (and anything else reading the environment) use these folders."""
    env.setenv("CODEAUDIT_DATA_DIR", str(paths.data_dir))
    env.setenv("CODEAUDIT_KEY_DIR", str(paths.key_dir))
    without_key_variables(env)
    return paths


@pytest.fixture
def demo_env(demo_paths: Paths, monkeypatch: pytest.MonkeyPatch) -> Paths:
    return point_at(demo_paths, monkeypatch)


def open_app() -> AppTest:
    """The dashboard, run once: on the sign-in page."""
    return AppTest.from_file(str(APP), default_timeout=60).run()


@pytest.fixture
def app(demo_env: Paths) -> AppTest:
    return open_app()


@pytest.fixture(scope="session")
def own_demo_template(tmp_path_factory: pytest.TempPathFactory) -> Paths:
    """The small demo `own_demo` copies: built once for the whole run (tests/built_once.py), never handed to a
    test itself. Built as on first start, its events (the demo's completed sample and reviews) in the real access
    log, so the Access log page's check of the review store against the log holds in every copy."""
    def build(root: Path) -> None:
        paths = new_paths(root)
        with pytest.MonkeyPatch.context() as env:
            point_at(paths, env)
            build_demo(paths, n_claims=300, recorder=access_log_recorder(paths))

    root = built_once(tmp_path_factory, "own-demo-template", build)
    return Paths(data_dir=root / "data", key_dir=root / "keys")


@pytest.fixture
def own_demo(own_demo_template: Paths, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Paths:
    """A small demo store of this test's own, for tests that change the store (the shared ones are read only):
    a copy of the worker's template (store, reviews, keys), the same as building it again, only faster."""
    paths = new_paths(tmp_path)
    shutil.copytree(own_demo_template.data_dir, paths.data_dir, dirs_exist_ok=True)
    shutil.copytree(own_demo_template.key_dir, paths.key_dir)
    return point_at(paths, monkeypatch)
