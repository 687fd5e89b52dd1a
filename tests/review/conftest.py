"""A small demo store built once per test worker, and for each test a data folder of its own holding a copy
of it (so each test has its own review store and access log) with the shared key folder."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from config.paths import Paths
from data.demo import build_demo
from tests.conftest import Recorded

DEMO_CLAIMS = 600


@pytest.fixture(scope="session")
def review_demo(tmp_path_factory: pytest.TempPathFactory) -> Paths:
    root = tmp_path_factory.mktemp("review-demo")
    paths = Paths(data_dir=root / "data", key_dir=root / "keys").ensure()
    with pytest.MonkeyPatch.context() as env:
        for var in ("CODEAUDIT_DATA_KEYS", "CODEAUDIT_PSEUDONYM_KEY", "CODEAUDIT_LOG_KEY"):
            env.delenv(var, raising=False)
        build_demo(paths, n_claims=DEMO_CLAIMS, recorder=Recorded())
    return paths


@pytest.fixture
def store(review_demo: Paths, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Paths:
    """This test's data folder: a copy of the demo store, no review store yet, the demo's keys."""
    paths = Paths(data_dir=tmp_path / "data", key_dir=review_demo.key_dir).ensure()
    shutil.copyfile(review_demo.store, paths.store)
    monkeypatch.setenv("CODEAUDIT_DATA_DIR", str(paths.data_dir))
    monkeypatch.setenv("CODEAUDIT_KEY_DIR", str(paths.key_dir))
    for var in ("CODEAUDIT_DATA_KEYS", "CODEAUDIT_PSEUDONYM_KEY", "CODEAUDIT_LOG_KEY", "CODEAUDIT_REBUTTAL_DAYS"):
        monkeypatch.delenv(var, raising=False)
    return paths
