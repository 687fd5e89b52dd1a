"""One rule for numbers (queries/formats.py): percentages with one decimal, dollars to the cent with the sign
before the dollar sign, files with numbers rounded to the cent; and every surface (tiles, tables, charts, CSV,
the PDF report, the command line) writing them through it, never with a format of its own."""
from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from audit.exports import ExportPurpose
from audit.permissions import Role
from queries import formats
from queries.formats import d3, dollars, file_ready, percent, percent_value, points, signed_dollars, to_the_cent
from review.report_content import results_rows
from views import charts, kpis, session, tables

REPO = Path(__file__).resolve().parents[2]


def test_percentages_have_one_decimal_and_a_blank_is_a_dash():
    assert (percent(0.9312), percent(0.99951), percent(0.0), percent(1.0)) == ("93.1%", "100.0%", "0.0%", "100.0%")
    assert (percent(float("nan")), percent(None), percent(pd.NA), percent(None, missing="-")) == ("–", "–", "–", "-")
    assert (percent_value(12.345), percent_value(None)) == ("12.3%", "–")
    assert (points(0.008), points(-0.0123), points(-0.0004)) == ("+0.8 pp", "-1.2 pp", "0.0 pp")


def test_dollars_are_to_the_cent_with_the_sign_before_the_dollar_sign():
    assert (dollars(1_234_567), dollars(1500.4), dollars(0.125 + 0.0001)) == ("$1,234,567.00", "$1,500.40", "$0.13")
    # A fall in denied dollars once read '+$-32,309' on the Overview tile: the sign goes before the dollar sign.
    assert (dollars(-32_309), dollars(-0.004), dollars(Decimal("-1500.5"))) == ("-$32,309.00", "$0.00", "-$1,500.50")
    assert (dollars(None), dollars(float("nan"), missing="-")) == ("–", "-")
    assert (signed_dollars(1500), signed_dollars(-1500), signed_dollars(0.001)) == ("+$1,500.00", "-$1,500.00", "$0.00")
    assert d3("y", formats.D3_DOLLARS) == "%{y:$,.2f}" and d3("x", formats.D3_PERCENT) == "%{x:.1%}"


def test_a_dollar_limit_in_a_stratum_name_is_written_as_typed():
    """Samples store their strata's names: a new format would name one band two ways."""
    assert [formats.dollar_limit(a) for a in (1000.0, 1000.5, 10_000_000.0)] == ["$1,000", "$1,000.50", "$10,000,000"]


def test_files_keep_numbers_rounded_to_the_cent():
    frame = pd.DataFrame({"denied_amount": [0.1 + 0.2, 1285.0000000001], "denial_rate": [1 / 3, 0.5],
                          "claims": [3, 4], "payer": ["A", "B"]})
    ready = file_ready(frame)
    assert ready["denied_amount"].tolist() == [0.3, 1285.0]            # numbers, not '$0.30'
    assert ready["denial_rate"].tolist() == [1 / 3, 0.5]               # proportions at full precision
    assert ready["claims"].tolist() == [3, 4] and frame["denied_amount"].iloc[0] == 0.1 + 0.2  # the input is kept
    assert (to_the_cent(12.345678), to_the_cent(None)) == (12.35, None)


# ---------------------------------------------------------------------------------------------------------
# Each surface writes numbers through queries/formats.py


def test_tiles_write_dollars_and_percentages_by_the_rule():
    now = pd.Series({"denied_amount": 1285.5, "claims": 9, "denied_dollar_rate": 1285.5 / 8650})
    before = pd.Series({"denied_amount": 100.0, "claims": 0, "denied_dollar_rate": float("nan")})
    # 1285.5 / 8650 = 14.861...% ; 1285.5 / 9 = 142.8333...
    assert kpis.volume_sentence(now, before) == "14.9% of billed, $142.83 per claim (before: no billed dollars, – per claim)"


def test_tables_show_one_decimal_percentages_and_dollars_to_the_cent():
    frame = pd.DataFrame({"code_accuracy": [0.9312, 0.5], "denial_rate": [0.25, None], "net_impact": [-1.5, 2.25],
                          "precision_pct": [12.34, 5.0], "claims": [3, 4]})
    shown = tables.displayed(frame)
    assert shown["code_accuracy"].tolist() == pytest.approx([93.12, 50.0])     # times 100 for its '%.1f%%' format
    assert shown["denial_rate"].tolist() == ["25.0%", "–"]                      # a blank: the whole column as text
    config = tables.column_config(shown)
    assert config["code_accuracy"]["type_config"]["format"] == formats.TABLE_PERCENT == "%.1f%%"
    assert config["precision_pct"]["type_config"]["format"] == formats.TABLE_PERCENT
    assert config["net_impact"]["type_config"]["format"] == "dollar"            # Streamlit's: '-$1.50', to the cent
    assert config["claims"]["type_config"]["format"] == "localized"


def test_a_percentile_rank_has_one_decimal_and_no_percent_sign():
    assert (formats.percentile(91.6666), formats.percentile(80.0), formats.percentile(None)) == ("91.7", "80.0", "–")
    frame = pd.DataFrame({"rate": [0.125, 0.5], "percentile": [91.6666, None]})
    shown = tables.displayed(frame)
    assert shown["percentile"].tolist() == ["91.7", "–"] and shown["rate"].tolist() == pytest.approx([12.5, 50.0])
    config = tables.column_config(tables.displayed(frame.fillna(0.0)))
    assert config["percentile"]["type_config"]["format"] == formats.TABLE_PERCENTILE == "%.1f"


def test_a_csv_download_carries_numbers_rounded_to_the_cent():
    frame = pd.DataFrame({"payer": ["Medicare"], "claims": [12], "denied_amount": [0.1 + 0.2 + 100], "denial_rate": [1 / 3]})
    recorded = []

    class Log:
        def append(self, event: object) -> None:
            recorded.append(event)

    who = session.SignedIn(user="manager", role=Role.CODING_MANAGER, display="Manager", method="password")
    produce = tables.export_producer(frame, name="t", who=who, log=Log(), details={}, purpose=ExportPurpose.INTERNAL,
                                     session_check=lambda: None)
    rows = list(csv.DictReader(io.StringIO(produce().decode())))
    assert recorded and rows == [{"payer": "Medicare", "claims": "12", "denied_amount": "100.3", "denial_rate": str(1 / 3)}]


def test_the_pdf_results_write_dollars_to_the_cent_and_rates_with_one_decimal():
    figures = {"gross_overpayment": 1234.567, "gross_underpayment": 0.0, "net_overpayment": -12.5, "paid_reviewed": None,
               "claims_without_paid": 2, "dollar_error_rate": 0.12345, "claims_in_error": 3, "n": 30,
               "point_estimate": 98765.4321, "standard_error": 10.0, "precision_pct": 12.345, "lower_90": 1.0,
               "upper_90": 2.0, "t_90": 1.699, "degrees_of_freedom": 29, "one_sided_90_lower": None}
    values = {row[0]: row[1] for row in results_rows(figures)}
    assert values["Gross overpayment (sample)"] == "$1,234.57"
    assert values["Net overpayment (sample)"] == "-$12.50"
    assert values["Dollar error rate"] == "12.3%"                  # was 12.35%: two decimals
    assert values["Point estimate"] == "$98,765.43"
    assert values["Precision (two-sided 90%)"] == "12.3%"
    assert values["One-sided 90% lower limit"] == "-"               # the PDF's fonts hold no en dash
    assert values["Two-sided 90% interval"] == "$1.00 to $2.00"


def test_chart_templates_use_the_rule():
    bars = charts.labelled_bars(pd.DataFrame({"what": ["a"], "dollars": [1.5]}), "what", "dollars", "t")
    assert bars.data[0].hovertemplate == "%{y}: %{x:$,.2f}<extra></extra>" and bars.data[0].texttemplate == "%{x:$,.2f}"


# Ad-hoc number formats a surface must not write itself: dollars with a format of their own ('${x:,.2f}',
# Plotly's '$%{y:,.0f}', a bare ',.2f'), percentages with one ('{x:.1%}', '%{y:.0%}', '{x:.2f}%', 'x * 100:.1f').
AD_HOC = re.compile(r"\$\{[^}]*:,|\$%\{|:,\.2f|:\.\d%|\.\d+f\}%|\* 100:\.")
SURFACES = [*sorted((REPO / "views").rglob("*.py")), *sorted((REPO / "cli").glob("*.py")),
            *sorted((REPO / "review").glob("report*.py")), REPO / "review" / "money.py", REPO / "review" / "design.py",
            REPO / "review" / "appraisal.py", REPO / "review" / "frame.py"]


@pytest.mark.parametrize("path", SURFACES, ids=[str(p.relative_to(REPO)) for p in SURFACES])
def test_no_surface_formats_numbers_itself(path):
    found = [f"{path.name}:{number}: {line.strip()}" for number, line in enumerate(path.read_text().splitlines(), 1)
             if AD_HOC.search(line)]
    assert not found, found


@pytest.mark.parametrize("module", ["views/kpis.py", "views/tables.py", "views/charts.py", "views/pages/audit_sampling.py",
                                    "views/worklist.py", "review/report.py", "review/report_content.py", "review/money.py",
                                    "cli/store.py"])
def test_each_surface_formats_through_the_one_module(module):
    assert re.search(r"^from queries(\.formats)? import .*\b(formats|dollars|percent|is_money)\b",
                     (REPO / module).read_text(), re.MULTILINE), module
