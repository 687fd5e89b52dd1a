"""The targets the dashboard uses: queries/targets.py's rules applied to the [targets] table of
`.streamlit/secrets.toml` (read here, the one view concern) and the CODEAUDIT_TARGET_* variables."""
from __future__ import annotations

import streamlit as st

from queries.targets import Target, load_targets


def configured() -> dict[str, Target]:
    """Targets as configured for this app: secrets.toml [targets] and CODEAUDIT_TARGET_* variables."""
    table = st.secrets.get("targets", {}) if st.secrets.load_if_toml_exists() else {}
    return load_targets(table)
