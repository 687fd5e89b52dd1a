"""The one-page PDF report of a sample's appraisal (fpdf2): how the sample was drawn (so it can be redrawn),
the variable appraisal with its formulas and the limits that are repaid, the attribute appraisal, and the
generator caveat. Text only from our own labels and the sample's pseudonymous values."""
from __future__ import annotations

from datetime import UTC, datetime

from fpdf import FPDF

from review.appraisal import POOR_PRECISION_PCT
from review.random_numbers import GENERATOR_CAVEAT
from review.sample_appraisal import SampleAppraisal
from review.samples import Sample, seed_text

FORMULAS = ("Point estimate = N x mean overpayment (stratified: the sum over strata of N_h x mean_h). "
            "Standard error = N x s / sqrt(n) x sqrt(1 - n/N) (stratified: the square root of the sum of "
            "N_h^2 s_h^2 / n_h (1 - n_h/N_h)). Limits = point estimate -/+ t x standard error, t from Student's t "
            "with n - 1 (stratified: n - L) degrees of freedom. Precision = t x standard error, as a % of the point estimate.")


def _text(value: object) -> str:
    """Core PDF fonts hold Latin-1 only: anything else becomes '?'."""
    return str(value).encode("latin-1", "replace").decode("latin-1")


def _money(value: float | None) -> str:
    if value is None or value != value:
        return "-"
    return f"-${-value:,.2f}" if value < 0 else f"${value:,.2f}"


def _pct(value: float | None) -> str:
    return "-" if value is None or value != value else f"{value:.1f}%"


def sample_report_pdf(sample: Sample, result: SampleAppraisal, *, generated_by: str, now: datetime | None = None) -> bytes:
    variable, attribute, values = result.variable, result.attribute, result.values
    pdf = FPDF(format="Letter")
    pdf.set_auto_page_break(False)
    pdf.set_margins(15, 12, 15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 8, _text(f"Audit sample {sample.sample_id}: appraisal"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 8.5)
    params = sample.spec.parameters()
    lines = [
        f"Drawn {sample.drawn_at[:19]} UTC by {sample.drawn_by}; method {sample.spec.method}"
        + (f", strata by {sample.spec.strata_by} ({sample.spec.allocation} allocation)" if sample.spec.stratified else ""),
        "Scope: " + ("; ".join(f"{k} {v}" for k, v in params["filters"].items() if v) or "all claims")
        + ("; claims already audited left out" if params["exclude_audited"] else ""),
        f"Frame: {sample.frame_size:,} claims, SHA-256 {sample.frame_sha256}",
        f"Seed {seed_text(sample.seed)}; generator {sample.generator}, version {sample.generator_version}",
        f"Sample: {variable.n} claims, {variable.nonzero} with a non-zero overpayment; "
        f"{values.preliminary} still preliminary (rebuttal window open or rebuttal pending).",
    ]
    for line in lines:
        pdf.multi_cell(0, 4.2, _text(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 6, "Variable appraisal: overpayment", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    pdf.cell(0, 5, _text(f"Point estimate {_money(variable.point_estimate)}; standard error {_money(variable.standard_error)}; "
                         f"mean per claim {_money(variable.mean)}; {variable.degrees_of_freedom} degrees of freedom"),
             new_x="LMARGIN", new_y="NEXT")
    with pdf.table(col_widths=(30, 25, 40, 40, 30), text_align="RIGHT", line_height=5) as table:
        table.row(["Two-sided", "t", "Lower limit", "Upper limit", "Precision"])
        for name, limits in variable.two_sided.items():
            table.row([f"{name}%", "-" if limits.t != limits.t else f"{limits.t:.4f}", _money(limits.lower),
                       _money(limits.upper), _pct(limits.precision_pct)])
    pdf.ln(1)
    pdf.set_font("Helvetica", "B", 9)
    pdf.multi_cell(0, 4.5, _text(
        f"Medicare contractor (one-sided 90% lower limit): {_money(variable.one_sided_90_lower)}.   "
        f"Corporate Integrity Agreement (two-sided 90% lower limit): {_money(variable.two_sided['90'].lower)}."),
        new_x="LMARGIN", new_y="NEXT")
    if variable.precision_too_poor:
        pdf.set_text_color(170, 0, 0)
        pdf.multi_cell(0, 4.5, _text(f"Warning: the two-sided 90% precision is wider than {POOR_PRECISION_PCT:g}% of the point "
                                     "estimate (or cannot be measured): too poor to extrapolate on. Sample more claims."),
                       new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
    pdf.set_font("Helvetica", "", 8)
    pdf.multi_cell(0, 4, _text(FORMULAS), new_x="LMARGIN", new_y="NEXT")
    if variable.strata:
        pdf.ln(1)
        with pdf.table(col_widths=(60, 20, 20, 20, 35, 35), text_align="RIGHT", line_height=4.5) as table:
            table.row(["Stratum", "N", "n", "non-zero", "Mean", "Point estimate"])
            for stratum in variable.strata:
                table.row([_text(stratum.label), f"{stratum.universe:,}", str(stratum.n), str(stratum.nonzero),
                           _money(stratum.mean), _money(stratum.point_estimate)])
    pdf.ln(2)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 6, "Attribute appraisal: claims in error", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    ninety = attribute.two_sided["90"]
    pdf.multi_cell(0, 4.5, _text(
        f"{attribute.errors} of {attribute.n} sampled claims in error ({attribute.rate:.1%}); projected {attribute.point_count:,.0f} "
        f"of {attribute.universe:,}. Two-sided 90% limits {ninety.lower_count:,} to {ninety.upper_count:,} claims "
        "(exact, hypergeometric, for a finite universe)."), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("Helvetica", "I", 8)
    pdf.multi_cell(0, 4, _text(GENERATOR_CAVEAT), new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 4, _text(f"Generated {(now or datetime.now(UTC)):%Y-%m-%d %H:%M} UTC by {generated_by}. "
                               "Claims are named by pseudonymous claim key only; docs/SAMPLING.md gives every formula."),
                   new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
