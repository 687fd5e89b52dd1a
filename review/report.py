"""A sample's report as a PDF (fpdf2), rendered from its content (review/report_content.py): the sample design,
the per-claim results, the results and estimates with their formulas, the attribute appraisal, and the
reviewer's name, credential, independence statement and signature and date lines.

Rendering is deterministic: the same content, version and freeze time give the same bytes (the creation date
is the freeze time, never the clock), so a frozen report's SHA-256 can be checked by rendering it again. Claims
are named by pseudonymous claim key; a copy with claim numbers is rendered only from numbers the caller
revealed (and logged) for it."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from fpdf import FPDF

from queries.formats import dollars
from review.sample_appraisal import OVERPAYMENT_PER_CLAIM, TOO_POOR, WHY_PRELIMINARY


def _text(value: object) -> str:
    """Core PDF fonts hold Latin-1 only: anything else becomes '?'."""
    return str(value).encode("latin-1", "replace").decode("latin-1")


def _money(value: float | None) -> str:
    """Dollars to the cent (queries/formats.py); a blank is '-', as the core fonts hold no dash."""
    return dollars(value, missing="-")


class _Report(FPDF):
    title_line = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", "I", 7.5)
        self.cell(0, 5, _text(f"{self.title_line} - page {self.page_no()} of {{nb}}"), align="C")


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(2)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 6, _text(text), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 8.5)


def _line(pdf: FPDF, text: str, height: float = 4.2) -> None:
    pdf.multi_cell(0, height, _text(text), new_x="LMARGIN", new_y="NEXT")


def render(content: Mapping[str, Any], *, version: int, frozen_at: datetime, changes: list[str] | None = None,
           claim_numbers: Mapping[str, str] | None = None) -> bytes:
    """The PDF of one report version. `claim_numbers` (claim key -> claim number) only for a copy made on request."""
    pdf = _Report(format="Letter")
    pdf.set_creation_date(frozen_at)
    pdf.set_producer("codeaudit review/report.py")
    pdf.title_line = f"Sample {content['sample_id']} report, version {version}, frozen {frozen_at:%Y-%m-%d %H:%M} UTC"
    pdf.set_title(_text(pdf.title_line))
    pdf.alias_nb_pages()
    pdf.set_auto_page_break(True, margin=16)
    pdf.set_margins(15, 12, 15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 8, _text(f"Claims review report: audit sample {content['sample_id']}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    _line(pdf, f"Version {version}, frozen {frozen_at:%Y-%m-%d %H:%M:%S} UTC. Results as of {content['as_of'][:19].replace('T', ' ')} UTC.")
    if content["preliminary"]:
        _line(pdf, f"{content['preliminary']} sampled claims were still preliminary when frozen ({WHY_PRELIMINARY}): a "
                   "later decision makes a new version of this report.")
    if changes:
        _heading(pdf, f"Changes from version {version - 1}")
        for change in changes:
            _line(pdf, f"- {change}")
    _heading(pdf, "Sample design")
    with pdf.table(col_widths=(38, 142), text_align=("LEFT", "LEFT"), line_height=4.2, first_row_as_headings=False) as table:
        for label, value in content["design"]:
            table.row([_text(label), _text(value)])
    _heading(pdf, "Results per sampled claim")
    key_header = "Claim number" if claim_numbers is not None else "Claim key (pseudonymous)"
    with pdf.table(col_widths=(40, 19, 20, 20, 20, 20, 41), text_align=("LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "LEFT"),
                   line_height=4, first_row_as_headings=True) as table:
        pdf.set_font("Helvetica", "", 7)
        table.row([key_header, "Service date", "Paid", "Correct payment", "Overpaid", "Underpaid", "Error reason"])
        for row in content["claims"]:
            name = claim_numbers.get(row["claim_key"], row["claim_key"]) if claim_numbers is not None else row["claim_key"]
            table.row([_text(name), row["service_date"], _money(row["paid"]), _money(row["correct_payment"]),
                       _money(row["overpaid"]), _money(row["underpaid"]),
                       _text(row["reasons"] + ("" if row["final"] else " (preliminary)"))])
    _heading(pdf, "Results and estimates")
    figures = content["figures"]
    _line(pdf, f"n = {figures['n']} sampled claims of N = {figures['universe']:,} in the frame; mean overpayment per sampled "
               f"claim {_money(figures['mean'])}; {figures['degrees_of_freedom']} degrees of freedom. A claim's overpayment is "
               f"{OVERPAYMENT_PER_CLAIM}.")
    with pdf.table(col_widths=(52, 38, 90), text_align=("LEFT", "RIGHT", "LEFT"), line_height=4.2) as table:
        table.row(["Result", "Value", "Formula"])
        for label, value, formula in content["results"]:
            table.row([_text(label), _text(value), _text(formula)])
    if content["precision_too_poor"]:
        pdf.set_text_color(170, 0, 0)
        _line(pdf, f"Warning: {TOO_POOR}")
        pdf.set_text_color(0, 0, 0)
    if content["strata"]:
        pdf.ln(1)
        with pdf.table(col_widths=(60, 20, 20, 20, 30, 30), text_align="RIGHT", line_height=4.2) as table:
            table.row(["Stratum", "N", "n", "non-zero", "Mean", "Point estimate"])
            for stratum in content["strata"]:
                table.row([_text(cell) for cell in stratum])
    _heading(pdf, "Attribute appraisal: claims in error")
    _line(pdf, content["attribute"])
    _heading(pdf, "Reviewer")
    signer = content["signer"]
    _line(pdf, f"Name: {signer['name'] or '____________________'}    Credential: {signer['credential'] or '__________'}")
    _line(pdf, f"Independence statement: {signer['independence'] or '(none given)'}")
    pdf.ln(8)
    _line(pdf, "Signature: ______________________________________        Date: ____________________")
    pdf.ln(2)
    pdf.set_font("Helvetica", "I", 7.5)
    _line(pdf, content["caveat"], 3.6)
    _line(pdf, "Claims are named by pseudonymous claim key unless this copy was made with claim numbers on request "
               "(the reveal is in the access log). docs/SAMPLING.md gives every formula.", 3.6)
    return bytes(pdf.output())
