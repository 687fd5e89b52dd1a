"""A hostile demo store: the synthetic demo with payer, coder and facility ids that are Markdown, Streamlit
directives, LaTeX, links and HTML. Every one must be shown as the text it is, on every page, for every
role (tests/views/test_hostile_data.py through AppTest, tests/e2e/test_browser.py in a real browser).
Extend HOSTILE to try another kind of markup."""
from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

import pandas as pd

from config.paths import Paths
from data.demo import generate
from ingest.writer import ingest
from tests.conftest import Recorded

# Column -> {demo value: hostile value}. Each hostile value carries a token (Zq1...) to find it by.
HOSTILE: dict[str, dict[str, str]] = {
    "facility_id": {"FAC-NORTH": "<script>alert('Zq1')</script> FAC-N"},
    "payer": {"Medicare": "**Zq2 Medicare** [pay](http://example.org)",
              "Medicaid": ":red[Zq3 Medicaid] $x^2$ <b>bold</b> :smile:"},
    "coder_id": {"C007": ":material/home: Zq4 C007 ops@example.org _x_",
                 "C023": "www.example.org <i>Zq5</i> &amp; #1 | `C023`"},
}
VALUES: list[str] = [value for mapping in HOSTILE.values() for value in mapping.values()]
TOKENS: list[str] = [f"Zq{i}" for i in range(1, len(VALUES) + 1)]
# Fragments that would be markup if read as Markdown or as Plotly's HTML.
MARKUP = ["<script>alert", "<b>bold", "<i>Zq5", "**Zq2", ":red[Zq3", "$x^2$", "](http://example.org", ":material/home: Zq4",
          "_x_", "`C023`", "<b>bold</b> :smile:"]
DEMO_CLAIMS = 3_000


def build_hostile_store(paths: Paths, today: date | None = None) -> Paths:
    """Generate the demo's raw files, give some ids hostile values, and load them as the demo (so every
    demo role can sign in)."""
    paths.ensure()
    with tempfile.TemporaryDirectory(dir=paths.data_dir, prefix=".hostile-raw-") as tmp:
        folder = Path(tmp)
        generate(folder, DEMO_CLAIMS, today=today)
        for name, columns in (("claims", ("facility_id", "payer", "coder_id")), ("denials", ("payer",))):
            frame = pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)
            for column in columns:
                frame[column] = frame[column].replace(HOSTILE[column])
            frame.to_csv(folder / f"{name}.csv", index=False)
        ingest(folder, paths, recorder=Recorded(), source="demo", today=today)
    return paths
