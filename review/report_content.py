"""What a sample's report says, as plain data (JSON-ready, pseudonymous claim keys only): the sample design in
words, one row per sampled claim, the results and estimates each with its formula, and the reviewer's name,
credential and independence statement. review/report.py renders it; review/report_versions.py freezes it, and
compares two of them (`changes`) to say what a later version changed."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import duckdb

from queries.formats import dollars, percent, percent_value
from queries.metrics import CLAIM_FLAGS, Filters
from review.appraisal import AppraisalError, level_name, variable_sample_size
from review.db import ReviewDb, ReviewError, iso
from review.lifecycle import replacements
from review.money import CENT
from review.random_numbers import GENERATOR_CAVEAT
from review.sample_appraisal import SampleAppraisal, appraise_sample, attribute_sentence
from review.samples import Sample, list_samples, load_sample, seed_text

TARGET_PRECISION_PCT = 10.0
TARGET_CONFIDENCE = 0.90
NOT_IN_STORE = "not in the store"


@dataclass(frozen=True)
class Signer:
    """The reviewer who signs the report, as typed by the auditor before the report is frozen."""

    name: str
    credential: str
    independence: str

    @classmethod
    def from_json(cls, data: dict[str, str] | None) -> Signer:
        return cls(**data) if data else cls("", "", "")


def _listed(label_one: str, label_all: str, values: Sequence[str]) -> str:
    return f"{label_one} {', '.join(values)}" if values else label_all


def frame_in_words(filters: Filters, exclude_audited: bool) -> str:
    """The frame's definition as a sentence (never a list or dict repr): every dimension named, 'every' when open."""
    if filters.date_from or filters.date_to:
        since = f"{filters.date_from:%Y-%m-%d}" if filters.date_from else "the first date in the store"
        until = f"{filters.date_to:%Y-%m-%d}" if filters.date_to else "the last date in the store"
        dates = f"dates of service from {since} to {until}"
    else:
        dates = "any date of service"
    parts = [f"Every claim in the coding store with {dates}",
             _listed("at facilities", "at every facility", filters.facility),
             _listed("from payers", "from every payer", filters.payer),
             _listed("coded by coders", "coded by every coder", filters.coder),
             _listed("of encounter types", "of every encounter type", filters.encounter_type)]
    text = ", ".join(parts)
    if filters.claim_flags:
        text += "; only claims the DRG validation flags as: " + "; ".join(CLAIM_FLAGS[f] for f in filters.claim_flags)
        text += " (every flag must hold)"
    else:
        text += "; no DRG validation flag required"
    if exclude_audited:
        text += "; claims already audited (with imported findings, or drawn into an earlier sample) left out"
    return text + "."


def _money(value: float | None) -> str:
    """Dollars to the cent (queries/formats.py); a blank is '-', as the PDF's Latin-1 fonts hold no dash."""
    return dollars(value, missing="-")


def _pct(value: float | None) -> str:
    return percent_value(value, missing="-")


def size_justification(db: ReviewDb, con: duckdb.DuckDBPyConnection, sample: Sample, stated: str) -> str:
    """How the sample size was set: derived where the store shows it (a probe, per-coder plan, or an earlier
    completed probe over the same frame definition), with what the auditor stated; the statement alone otherwise."""
    n, said = len(sample.claim_keys), stated.strip()
    if sample.spec.method == "probe":
        derived = (f"A probe sample of {n} claims: the conventional size for measuring the spread of overpayments, "
                   "from which the full sample is sized.")
    elif sample.spec.method == "per-coder":
        derived = f"{sample.spec.size} claims per coder in the period, as the review plan sets."
    else:
        derived = _from_probe(db, con, sample)
    if derived and said:
        return f"{derived} Auditor's statement: {said}"
    return derived or (f"Auditor's statement: {said}" if said else "Not derivable from the store and not stated by the auditor.")


def _from_probe(db: ReviewDb, con: duckdb.DuckDBPyConnection, sample: Sample) -> str:
    for row in list_samples(db):
        if (row["method"] == "probe" and row["completed_at"] and row["drawn_at"] < sample.drawn_at
                and row["parameters"]["filters"] == sample.spec.parameters()["filters"]):
            try:
                variable = appraise_sample(db, load_sample(db, row["sample_id"]), con).variable
                needed = variable_sample_size(variable.sd or 0.0, variable.mean, sample.frame_size, TARGET_CONFIDENCE,
                                              TARGET_PRECISION_PCT)
            except (AppraisalError, ReviewError):  # a probe that cannot be appraised any more sizes nothing
                return ""
            return (f"Sized from probe sample {row['sample_id']} ({variable.n} claims over the same frame definition): "
                    f"mean overpayment {_money(variable.mean)}, standard deviation {_money(variable.sd)}; for a two-sided "
                    f"{TARGET_CONFIDENCE * 100:g}% precision of {TARGET_PRECISION_PCT:g}% of the point estimate over "
                    f"{sample.frame_size:,} claims it calls for {needed:,} claims (n0 = (t s / (e x mean))^2, "
                    f"n = n0 / (1 + n0/N)); {len(sample.claim_keys):,} were drawn.")
    return ""


def spare_sentence(replacement: Mapping[str, str]) -> str:
    """One spare used, as the report says it: which spare replaced which drawn claim, why, who and when."""
    when = (replacement.get("at") or "")[:16].replace("T", " ")
    return (f"Spare {replacement['spare_key']} replaced drawn claim {replacement['replaced_key']}: {replacement['reason']}"
            + (f" ({replacement['by']}, {when} UTC)." if replacement.get("by") else "."))


def spares_used(db: ReviewDb, sample: Sample) -> list[str]:
    """SPARES USED: one sentence per replacement (`spare_sentence`), in the order they were made (review/lifecycle.py
    keeps who replaced which claim, when and why). An empty list reads 'No spares used.'"""
    return [spare_sentence(r) for r in replacements(db, sample.sample_id)]


def claim_rows(result: SampleAppraisal) -> list[dict[str, Any]]:
    """One row per sampled claim in selection order: key, date of service, paid, correct payment, over- or
    underpaid amount and the error reasons (money as floats rounded to cents; paid None when not known)."""
    rows = []
    for claim in result.claims:
        over = float(claim.overpayment.quantize(CENT))
        rows.append({"claim_key": claim.claim_key, "service_date": claim.service_date.isoformat(),
                     "paid": None if claim.paid is None else float(claim.paid.quantize(CENT)),
                     "correct_payment": None if claim.correct_payment is None else float(claim.correct_payment.quantize(CENT)),
                     "overpaid": max(over, 0.0), "underpaid": max(-over, 0.0), "overpayment": over,
                     "reasons": "; ".join(r.replace("_", " ") for r in claim.reasons) or ("error" if claim.in_error else "no error"),
                     "final": claim.final})
    return rows


def figures(result: SampleAppraisal) -> dict[str, float | int | None]:
    """The report's numbers, as `appraise variable --sample SID --json` gives them (money rounded to cents only
    when printed; the sample's dollars as its DollarSummary gives them)."""
    variable = result.variable
    ninety = variable.two_sided[level_name(0.90)]
    dollars = result.dollars.as_json()
    return {"n": variable.n, "universe": variable.universe, "claims_in_error": result.attribute.errors,
            "gross_overpayment": dollars["gross_overpayment"], "gross_underpayment": dollars["gross_underpayment"],
            "net_overpayment": dollars["net_overpayment"],
            "paid_reviewed": None if dollars["claims_without_paid"] else dollars["paid_reviewed"],
            "dollar_error_rate": dollars["dollar_error_rate"], "claims_without_paid": dollars["claims_without_paid"],
            "mean": variable.mean, "point_estimate": variable.point_estimate, "standard_error": variable.standard_error,
            "precision_pct": ninety.precision_pct, "lower_90": ninety.lower, "upper_90": ninety.upper,
            "t_90": ninety.t, "one_sided_90_lower": variable.one_sided_90_lower,
            "degrees_of_freedom": variable.degrees_of_freedom}


def results_rows(f: dict[str, Any]) -> list[list[str]]:
    """Each result with its value and the formula that gives it."""
    rate = f["dollar_error_rate"]
    return [
        ["Gross overpayment (sample)", _money(f["gross_overpayment"]), "sum of the overpaid amounts of the sampled claims paid too much"],
        ["Gross underpayment (sample)", _money(f["gross_underpayment"]), "sum of the underpaid amounts of the sampled claims paid too little"],
        ["Net overpayment (sample)", _money(f["net_overpayment"]), "gross overpayment - gross underpayment"],
        ["Paid dollars reviewed", _money(f["paid_reviewed"]) if f["paid_reviewed"] is not None else
         f"{NOT_IN_STORE} for {f['claims_without_paid']} claims", "sum of the paid amounts of the sampled claims"],
        ["Dollar error rate", percent(rate, missing="-"), "net overpayment / paid dollars reviewed"],
        ["Claims in error", f"{f['claims_in_error']} of {f['n']}", "sampled claims with at least one error finding"],
        ["Point estimate", _money(f["point_estimate"]), "N x mean overpayment per sampled claim (stratified: sum of N_h x mean_h)"],
        ["Standard error", _money(f["standard_error"]),
         "N x s / sqrt(n) x sqrt(1 - n/N) (stratified: sqrt of the sum of N_h^2 s_h^2 / n_h (1 - n_h/N_h))"],
        ["Precision (two-sided 90%)", _pct(f["precision_pct"]), "t x standard error / point estimate, t two-sided 90%"],
        ["Two-sided 90% interval", f"{_money(f['lower_90'])} to {_money(f['upper_90'])}",
         f"point estimate -/+ t x standard error, t = {f['t_90']:.4f} with {f['degrees_of_freedom']} degrees of freedom"],
        ["One-sided 90% lower limit", _money(f["one_sided_90_lower"]), "point estimate - t(one-sided 90%) x standard error"],
        ["Repaid: Medicare contractor convention", _money(f["one_sided_90_lower"]), "the one-sided 90% lower limit"],
        ["Repaid: Corporate Integrity Agreement", _money(f["lower_90"]), "the two-sided 90% lower limit"],
        ["Repaid without extrapolation", _money(f["net_overpayment"]), "the sampled claims' net overpayment only"],
    ]


def design_rows(db: ReviewDb, con: duckdb.DuckDBPyConnection, sample: Sample, justification: str) -> list[list[str]]:
    spec = sample.spec
    method = spec.method + (f", strata by {spec.strata_by} ({spec.allocation} allocation)" if spec.stratified else "")
    spares = spares_used(db, sample)
    seed = seed_text(sample.seed)
    return [
        ["Frame definition", frame_in_words(spec.filters, spec.exclude_audited)],
        ["Sampling unit", "The claim: each sampled claim is reviewed whole, and its overpayment is the unit appraised."],
        ["Frame size", f"{sample.frame_size:,} claims, in order of date of service, then claim key"],
        ["Frame SHA-256", sample.frame_sha256],
        ["Method", method],
        ["Seed", seed],
        ["Generator", f"{sample.generator}, version {sample.generator_version}"],
        ["Drawn", f"{sample.drawn_at[:19].replace('T', ' ')} UTC by {sample.drawn_by}"],
        ["Sample size", f"{len(sample.claim_keys):,} claims" + (f" and {len(sample.spares):,} spares" if sample.spares else "")],
        ["Size justification", size_justification(db, con, sample, justification)],
        ["Spares used", " ".join(spares) if spares else "No spares used."],
    ]


def report_content(db: ReviewDb, con: duckdb.DuckDBPyConnection, sample: Sample, *, signer: Signer, justification: str,
                   now: datetime) -> dict[str, Any]:
    """The report of a completed sample as it stands at `now` (ReviewError until every sampled claim is completed)."""
    result = appraise_sample(db, sample, con, now)
    rows = claim_rows(result)
    numbers = figures(result)
    return {
        "sample_id": sample.sample_id, "as_of": iso(now), "design": design_rows(db, con, sample, justification),
        "claims": rows, "figures": numbers, "results": results_rows(numbers),
        "strata": [[s.label, f"{s.universe:,}", str(s.n), str(s.nonzero), _money(s.mean), _money(s.point_estimate)]
                   for s in result.variable.strata],
        "attribute": attribute_sentence(result.attribute),
        "preliminary": result.values.preliminary, "precision_too_poor": result.variable.precision_too_poor,
        "signer": asdict(signer), "justification": justification.strip(), "caveat": GENERATOR_CAVEAT,
    }


def changes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """What a new version changes, in sentences: each claim whose amount or reasons changed, old and new, then
    each figure that moved. Empty when the results are the same (the signer aside)."""
    said = []
    old = {row["claim_key"]: row for row in before["claims"]}
    for row in after["claims"]:
        was = old.get(row["claim_key"])
        if was is None:
            said.append(f"Claim {row['claim_key']} added: overpayment {_money(row['overpayment'])} ({row['reasons']}).")
        elif (was["overpayment"], was["reasons"]) != (row["overpayment"], row["reasons"]):
            said.append(f"Claim {row['claim_key']}: overpayment {_money(was['overpayment'])} -> {_money(row['overpayment'])}; "
                        f"reasons '{was['reasons']}' -> '{row['reasons']}'.")
    for label, value, _ in after["results"]:
        previous = next((v for name, v, _ in before["results"] if name == label), None)
        if previous is not None and previous != value:
            said.append(f"{label}: {previous} -> {value}.")
    return said
