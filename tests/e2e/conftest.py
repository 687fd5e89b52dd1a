"""A real `streamlit run dashboard.py` on a free port with its own temporary data and key folders (it builds
the demo itself on first start), and a headless Debian Chromium driven by Playwright."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from audit.paths import Paths
from tests.e2e.harness import CHROMIUM, CHROMIUM_ARGS, free_port, start_dashboard, stop, wait_healthy

DEMO_CLAIMS = "3000"


@dataclass(frozen=True)
class Server:
    url: str
    paths: Paths


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("e2e")
    paths = Paths(data_dir=root / "data", key_dir=root / "keys")
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
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's Chromium (apt-get install -y chromium) to run browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
