"""The Denials page on a store whose denials all came from 835 remittances: the demo's own 835 and one of
tests/ingest with three remark codes, denials.csv left out. Behind every bar of the drill-down each denial
shows the remittance it came from (payer, remittance date, trace number), as the store holds it, and the
remark-code view names each RARC with its description from data/reference/rarc.csv."""
from __future__ import annotations

import csv
import json
import re
from datetime import date

import pandas as pd
import pytest

from audit.permissions import Page, Role
from config.paths import Paths
from data.demo import generate
from data.demo_remittances import DEMO_835
from ingest.reference import RARC_FILE
from ingest.writer import ingest
from tests.conftest import Recorded
from tests.ingest.remits import PAYER, paid_claim, remit, write_835
from tests.store_rows import store_rows
from tests.views.conftest import new_paths, open_app, point_at, without_key_variables
from tests.views.test_pages import no_exception, page_file, set_dates, sign_in
from views.text import plotly_text

TODAY = date(2026, 11, 29)
DRILL_DOWN = "Denied claims behind the bar"
# A denial as the page defines it: a CO, OA or PI adjustment with dollars denied.
STORED = """SELECT claim_key, payer, CAST(remit_date AS VARCHAR), trace_number, carc, CAST(denied_amount AS DOUBLE)
            FROM denials WHERE group_code IN ('CO', 'OA', 'PI') AND denied_amount > 0"""


@pytest.fixture(scope="module")
def remitted(tmp_path_factory: pytest.TempPathFactory) -> Paths:
    """The demo's raw files without denials.csv, so every denial comes from an 835: the demo's 835 and one
    remittance (trace TRA) for three claims the demo's 835 leaves out, the first with its remark codes out of
    alphabetical order."""
    paths = new_paths(tmp_path_factory.mktemp("remitted"))
    raw = paths.data_dir / ".raw"
    with pytest.MonkeyPatch.context() as env:
        without_key_variables(env)
        generate(raw, 600, today=TODAY)
        (raw / "denials.csv").unlink()
        in_demo_835 = set(re.findall(r"CLP\*([^*~]+)\*", (raw / DEMO_835).read_text()))
        with open(raw / "claims.csv", newline="") as fh:
            others = [row["claim_id"] for row in csv.DictReader(fh) if row["claim_id"] not in in_demo_835][:3]
        claims = [paid_claim(others[0], remarks=["MA130", "M81"]), *(paid_claim(claim_id) for claim_id in others[1:])]
        write_835(raw, "acme.835", [[remit(claims, trace="TRA")]])
        ingest(raw, paths, recorder=Recorded(), source="demo", today=TODAY)
    return paths



def _frame(app, column: str) -> pd.DataFrame:
    """The last table drawn with this column."""
    return next(df.value for df in reversed(app.dataframe) if column in df.value.columns)


@pytest.fixture
def denials_page(remitted: Paths, monkeypatch: pytest.MonkeyPatch):
    point_at(remitted, monkeypatch)
    app = sign_in(open_app(), Role.CODING_MANAGER)
    app.switch_page(page_file(Page.DENIALS)).run()
    first, last = store_rows(remitted, "SELECT min(service_date), max(service_date) FROM claims")[0]
    set_dates(app, first, last)  # every claim in scope
    no_exception(app)
    assert not app.error, [e.value for e in app.error]
    return app


def test_each_denial_behind_the_bars_shows_its_remittance_and_remark_codes(remitted, denials_page):
    app = denials_page
    stored = store_rows(remitted, STORED)
    shown = []
    labels = next(s for s in app.selectbox if s.label == DRILL_DOWN).options
    assert labels
    for label in labels:
        next(s for s in app.selectbox if s.label == DRILL_DOWN).set_value(label).run()
        no_exception(app)
        sources = _frame(app, "trace_number")
        assert not sources[["payer", "remit_date", "trace_number"]].isna().any().any(), label
        shown += [(r.claim_key, r.payer, str(r.remit_date)[:10], r.trace_number, r.carc, float(r.denied_amount))
                  for r in sources.itertuples()]
        acme = sources[sources["trace_number"] == "TRA"]
        assert (acme["payer"] == PAYER).all() and (acme["remit_date"].astype(str).str[:10] == "2025-02-10").all()
    assert sorted(shown) == sorted(stored)  # every denial of the store, each with its own remittance
    assert {row[3] for row in shown} > {"TRA"} and "(denials.csv)" not in {row[3] for row in shown}
    assert all(trace == "TRA" or trace.startswith("DEMO") for _, _, _, trace, _, _ in shown)


def _rarc_descriptions() -> dict[str, str]:
    with open(RARC_FILE, newline="") as fh:
        return {row["code"]: row["description"] for row in csv.DictReader(fh)}


def test_the_remark_code_view_names_each_rarc_with_its_description(denials_page):
    app = denials_page
    app.toggle(key="table.denials-by-rarc").set_value(True).run()
    no_exception(app)
    rarcs = _frame(app, "rarc")
    described = _rarc_descriptions()
    assert {"M81", "MA130", "N130"} <= set(rarcs["rarc"])
    assert rarcs["description"].tolist() == [described[code] for code in rarcs["rarc"]]
    chart = next(json.loads(e.proto.spec) for e in app.get("plotly_chart") if "Denied dollars by remark code" in e.proto.spec)
    labels = " ".join(str(y) for y in chart["data"][0]["y"])
    for code in ("M81", "MA130", "N130"):
        assert plotly_text(f"RARC {code}: {described[code][:60]}") in labels
    seen: set[str] = set()
    for label in next(s for s in app.selectbox if s.label == DRILL_DOWN).options:
        next(s for s in app.selectbox if s.label == DRILL_DOWN).set_value(label).run()
        sources = _frame(app, "trace_number")
        for row in sources[sources["trace_number"] == "TRA"].itertuples():
            descriptions = [described[code] for code in row.remark_codes.split()]  # in the order of the codes
            assert row.remark_descriptions == "; ".join(descriptions), row.remark_codes
            seen.add(row.remark_codes)
    assert {"MA130 M81", "M81 MA130", "N130"} <= seen
