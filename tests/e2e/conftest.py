"""A real `streamlit run dashboard.py` on a free port with its own temporary data and key folders, and a
headless Debian Chromium driven by Playwright. Two servers: one that builds the demo itself on first
start, one on a copy of the same demo built once for the whole run (for walks that need a demo but do not check
the first start), and one on a prepared store whose ids are hostile (tests/views/hostile.py).

Without Chromium the browser tests are skipped on a developer's machine, but fail under CI=true: CI must
never go green without having run them."""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from cli.common import access_log_recorder
from config.paths import Paths
from data.demo import build_demo
from tests.built_once import built_once
from tests.e2e.harness import CHROMIUM, CHROMIUM_ARGS, FrameCountingBrowser, free_port, start_dashboard, stop, wait_healthy
from tests.views.hostile import build_hostile_store

DEMO_CLAIMS = "3000"
KEY_VARIABLES = ("CODEAUDIT_DATA_KEYS", "CODEAUDIT_PSEUDONYM_KEY", "CODEAUDIT_LOG_KEY")


@dataclass(frozen=True)
class Server:
    url: str
    paths: Paths


def running(root: Path, paths: Paths) -> Iterator[Server]:
    port = free_port()
    log = root / "streamlit.log"
    process = start_dashboard(paths, port, log, {"CODEAUDIT_DEMO_CLAIMS": DEMO_CLAIMS})
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process, log)
        yield Server(url, paths)
    finally:
        stop(process)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A dashboard with no store yet: it builds the demo on first start."""
    root = tmp_path_factory.mktemp("e2e")
    yield from running(root, Paths(data_dir=root / "data", key_dir=root / "keys"))


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Paths:
    """The demo a dashboard builds on first start (DEMO_CLAIMS claims, today, its events in the real access log
    under the first start's actor), built once for the whole run (tests/built_once.py). Never served itself:
    `demo_server` copies it."""
    def build(root: Path) -> None:
        paths = Paths(data_dir=root / "data", key_dir=root / "keys").ensure()
        with pytest.MonkeyPatch.context() as env:
            for var in KEY_VARIABLES:
                env.delenv(var, raising=False)
            build_demo(paths, n_claims=int(DEMO_CLAIMS), recorder=access_log_recorder(paths),
                       actor=("dashboard:first-start", "system"))

    root = built_once(tmp_path_factory, "e2e-demo-template", build)
    return Paths(data_dir=root / "data", key_dir=root / "keys")


@pytest.fixture(scope="module")
def demo_server(demo_template: Paths, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A dashboard on its own copy of the demo (store, reviews, access log, keys): what `server` serves after its
    first start, without building it again. For a module's walks that change the store but do not check the
    first start itself (tests/e2e/test_browser.py does)."""
    root = tmp_path_factory.mktemp("e2e-demo")
    yield from running(root, copy_of(demo_template, root))


def copy_of(template: Paths, root: Path) -> Paths:
    """A copy of the demo `template` (store, reviews, access log, keys) in `root`'s data and keys folders."""
    paths = Paths(data_dir=root / "data", key_dir=root / "keys")
    shutil.copytree(template.data_dir, paths.data_dir)
    shutil.copytree(template.key_dir, paths.key_dir)
    return paths


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("e2e-hostile")
    paths = Paths(data_dir=root / "data", key_dir=root / "keys").ensure()
    with pytest.MonkeyPatch.context() as env:
        for var in KEY_VARIABLES:
            env.delenv(var, raising=False)
        build_hostile_store(paths)
    yield from running(root, paths)


def require_tool(tool: Path, package: str, tests: str) -> None:
    """Skip where `tool` is missing, but fail under CI=true: there the tests must run (.ci/run installs it)."""
    if tool.exists():
        return
    message = f"{tool} is missing: install Debian's {package} (apt-get install -y {package}) to run the {tests}"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{message}. Under CI=true they must run, not skip.", pytrace=False)
    pytest.skip(message)


def require_chromium() -> None:
    require_tool(CHROMIUM, "chromium", "browser tests")


@pytest.fixture(scope="module")
def browser():
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield FrameCountingBrowser(chromium)
        finally:
            chromium.close()
