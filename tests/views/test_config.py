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
