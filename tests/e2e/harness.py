"""Driving the real dashboard: start `streamlit run` on a free port with its own data and key folders,
wait for it, stop it; and tell when a page has finished drawing in the browser. Used by tests/e2e and
bench/dashboard.py."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import warnings
from pathlib import Path

from config.paths import Paths

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# The script has finished, nothing is stale, and the expected charts exist and are drawn (Plotly loads lazily,
# after the script run).
DRAWN = """(plots) => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
    if (document.querySelector('[data-stale="true"]')) return false;
    const charts = document.querySelectorAll('.js-plotly-plot');
    return charts.length >= plots && [...charts].every(c => c.querySelector('.main-svg'));
}"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_dashboard(paths: Paths, port: int, log: Path, extra_env: dict[str, str] | None = None,
                    script: str = "dashboard.py") -> subprocess.Popen:
    """`streamlit run` with the data and key folders of `paths`; its output goes to `log`."""
    env = {**os.environ, "CODEAUDIT_DATA_DIR": str(paths.data_dir), "CODEAUDIT_KEY_DIR": str(paths.key_dir), **(extra_env or {})}
    for var in ("CODEAUDIT_DATA_KEYS", "CODEAUDIT_PSEUDONYM_KEY", "CODEAUDIT_LOG_KEY"):
        env.pop(var, None)
    with open(log, "ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port),
             "--server.headless", "true", "--server.address", "127.0.0.1"],
            cwd=REPO, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        )


def wait_healthy(url: str, process: subprocess.Popen, log: Path, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited early:\n{log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"streamlit did not answer at {url} within {timeout_s:.0f} s")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=15)


# What DRAWN is still waiting for, said when the wait times out.
NOT_DRAWN = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    const charts = [...document.querySelectorAll('.js-plotly-plot')];
    return {script: app && app.getAttribute('data-test-script-state'),
            stale: [...document.querySelectorAll('[data-stale="true"]')].map(e => (e.getAttribute('data-testid') || e.tagName)
                + ': ' + e.innerText.slice(0, 80)).slice(0, 5),
            charts: charts.length, undrawn: charts.filter(c => !c.querySelector('.main-svg')).length,
            // after rerun_by: 0 state changes means the click never started a run in the page; 1, that one was
            // asked for and never answered; the status widget shows a lost connection ("Connecting")
            stateChanges: window.__stateChanges ?? null,
            // messages from the server since the action (null: the context does not count them, FrameCountingBrowser)
            frames: window.__wsFrames === undefined ? null : window.__wsFrames - (window.__wsFramesAtStart ?? 0),
            status: document.querySelector('[data-testid="stStatusWidget"]')?.innerText ?? null};
}"""


def wait_drawn(page, plots: int = 0, timeout_ms: float = 120_000) -> None:
    """Wait until the script run is over and `plots` Plotly charts are drawn; on a timeout, say what was missing."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(DRAWN, arg=plots, timeout=timeout_ms)
    except PlaywrightTimeout:
        raise AssertionError(f"not drawn within {timeout_ms / 1000:.0f} s (wanted {plots} charts): "
                             f"{page.evaluate(NOT_DRAWN)}") from None


# Counts the changes of the script state from now on (each run changes it at least twice: to running, then back),
# and notes how many server messages the page had received (FrameCountingBrowser).
COUNT_RUNS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    window.__stateChanges = 0;
    window.__wsFramesAtStart = window.__wsFrames;
    if (window.__runObserver) window.__runObserver.disconnect();
    window.__runObserver = new MutationObserver((records) => { window.__stateChanges += records.length; });
    window.__runObserver.observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""
# A run is seen by its state changes, or, when React drew the whole run in one render (its start and end messages
# came in before the page rendered, so the state attribute never changed), by the server's messages since the
# action (every run sends at least its new-session and script-finished messages) once they have stopped for a
# second: a quiet second after them means the run's end has come in, and the page is drawn with it.
RAN_AND_DRAWN = """(plots) => {
    const frames = window.__wsFrames === undefined ? 0 : window.__wsFrames - (window.__wsFramesAtStart ?? 0);
    const ran = window.__stateChanges >= 2 || (frames >= 2 && performance.now() - window.__wsLastFrameAt > 1000);
    return ran && (""" + DRAWN + """)(plots);
}"""

# Counts the messages a page's WebSockets receive (Streamlit's one connection), and when the last came in.
COUNT_FRAMES = """(() => {
    const Native = window.WebSocket;
    window.__wsFrames = 0;
    window.__wsLastFrameAt = 0;
    window.WebSocket = class extends Native {
        constructor(...args) {
            super(...args);
            this.addEventListener('message', () => { window.__wsFrames += 1; window.__wsLastFrameAt = performance.now(); });
        }
    };
})();"""


class FrameCountingBrowser:
    """The launched browser, whose every new context counts the server messages its pages receive: what lets
    rerun_by see a run that React drew in one render."""

    def __init__(self, browser) -> None:
        self._browser = browser

    def new_context(self, **options):
        context = self._browser.new_context(**options)
        context.add_init_script(COUNT_FRAMES)
        return context

    def __getattr__(self, name: str):
        return getattr(self._browser, name)


def rerun_by(page, action, plots: int = 0, timeout_ms: float = 120_000) -> None:
    """Do `action` (a click, a key press) and wait until the rerun it starts has run and been drawn. Unlike a
    fixed pause, this never returns before the rerun has begun, however loaded the machine: a click made
    while an earlier rerun is still on its way can otherwise lose its trigger."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.evaluate(COUNT_RUNS)
    action()
    try:
        page.wait_for_function(RAN_AND_DRAWN, arg=plots, timeout=timeout_ms)
    except PlaywrightTimeout:
        raise AssertionError(f"no rerun drawn within {timeout_ms / 1000:.0f} s: {page.evaluate(NOT_DRAWN)}") from None
    if page.evaluate("() => window.__stateChanges") < 2:  # said in the run's warnings: how often this happens
        warnings.warn("rerun_by: a run seen by its server messages only (React drew it in one render)", stacklevel=2)
