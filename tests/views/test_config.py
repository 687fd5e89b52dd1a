"""The Streamlit settings the dashboard's safety rests on are set, and the pinned Streamlit knows every one
of them (an option it does not know is ignored with a warning, so a downgrade would silently drop it)."""
from __future__ import annotations

import tomllib
from pathlib import Path

from streamlit import config

CONFIG = Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml"


def settings() -> dict[str, object]:
    table = tomllib.loads(CONFIG.read_text())
    return {f"{section}.{name}": value for section, options in table.items() for name, value in options.items()}


def test_every_option_in_config_toml_is_known_to_the_installed_streamlit():
    known = config.get_config_options()
    assert [option for option in settings() if option not in known] == []


def test_no_data_leaves_but_through_the_governed_download_and_no_traceback_reaches_the_browser():
    chosen = settings()
    assert chosen["client.disableDataExport"] is True  # the grid's own CSV download and clipboard copy are off
    assert chosen["client.showErrorDetails"] == "none"
    assert chosen["client.showErrorLinks"] == "false"  # no "Ask Google / Ask ChatGPT" on an error box
    assert chosen["browser.gatherUsageStats"] is False


def test_the_server_does_not_watch_its_source_files():
    """Streamlit's file watcher serves "run on save" while a developer edits the code; after every script run it
    resolves the path of every loaded module, which took 68% of the dashboard's CPU in a browser walk of every
    page (py-spy, 2026-12-07). A hospital's server runs code that does not change under it."""
    assert settings()["server.fileWatcherType"] == "none"


def test_no_full_garbage_collection_after_every_script_run():
    """Streamlit runs gc.collect(2) after each script run unless told not to: 40% of the dashboard's CPU in a
    browser walk of every page (server CPU 18 s to 11 s for three roles' pages, 2026-12-07), all of it holding
    the lock every other session's script waits for."""
    assert settings()["runner.postScriptGC"] is False
