"""One small demo store per test worker, in temporary folders (never the user's real data or keys); each
test points the dashboard at it through the environment, as `streamlit run` would see it."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from audit.paths import Paths
from data.demo import build_demo
from tests.conftest import Recorded

APP = Path(__file__).resolve().parents[2] / "dashboard.py"
DEMO_CLAIMS = 3_000
KEY_VARIABLES = ("CODEAUDIT_DATA_KEYS", "CODEAUDIT_PSEUDONYM_KEY", "CODEAUDIT_LOG_KEY", "CODEAUDIT_IDLE_MINUTES")


@pytest.fixture(scope="session")
def demo_paths(tmp_path_factory: pytest.TempPathFactory) -> Paths:
    root = tmp_path_factory.mktemp("dashboard")
    paths = Paths(data_dir=root / "data", key_dir=root / "keys").ensure()
    with pytest.MonkeyPatch.context() as env:
        for var in KEY_VARIABLES:
            env.delenv(var, raising=False)
        build_demo(paths, n_claims=DEMO_CLAIMS, recorder=Recorded())
    return paths


@pytest.fixture
def demo_env(demo_paths: Paths, monkeypatch: pytest.MonkeyPatch) -> Paths:
    monkeypatch.setenv("CODEAUDIT_DATA_DIR", str(demo_paths.data_dir))
    monkeypatch.setenv("CODEAUDIT_KEY_DIR", str(demo_paths.key_dir))
    for var in KEY_VARIABLES:
        monkeypatch.delenv(var, raising=False)
    return demo_paths


@pytest.fixture
def app(demo_env: Paths) -> AppTest:
    """The dashboard, run once: on the sign-in page."""
    return AppTest.from_file(str(APP), default_timeout=60).run()
