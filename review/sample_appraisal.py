"""A sample's appraisal: the overpayment of each sampled claim (the net dollar impact of its findings with the
sign turned; a claim with no error is 0) projected to the frame, unrestricted or stratified as it was drawn,
the claims in error as an attribute appraisal, and the sample's own dollars: gross overpayments, gross
underpayments, the net, the paid dollars reviewed and the dollar error rate (docs/SAMPLING.md, "Money").
Uses the findings the review store publishes (the latest completed revision of each claim) and the paid
amounts the coding store holds, and says how many findings are still preliminary."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import duckdb

from queries.formats import percent
from review.appraisal import (
    POOR_PRECISION_PCT,
    AttributeAppraisal,
    VariableAppraisal,
    appraise_attribute,
    appraise_stratified,
    appraise_variable,
    level_name,
)
from review.db import ReviewDb, ReviewError
from review.money import CENT, claim_payments, net_overpayment
from review.samples import Sample, check_sample
from review.sql_files import sql

# How an appraisal is explained, in the same words on the Audit sampling page and in the frozen report (whose
# text must not change: a report version is regenerated from its content and checked against its SHA-256).
OVERPAYMENT_PER_CLAIM = "the net dollar impact of its findings with the sign turned (no error: 0)"
OVERPAYMENT_RULE = ("the net dollar impact of its findings with the sign turned, never more than was paid on it; on a "
                    "DRG-paid claim, the DRG finding's payment difference (docs/METRICS.md)")
WHY_PRELIMINARY = "rebuttal window open or a rebuttal pending"
TOO_POOR = (f"the two-sided 90% precision is wider than {POOR_PRECISION_PCT:g}% of the point estimate (or cannot be "
            "measured): too poor to extrapolate on.")


def attribute_sentence(attribute: AttributeAppraisal) -> str:
    """The claims in error, projected to the frame with their two-sided 90% limits, in one sentence."""
    ninety = attribute.two_sided[level_name(0.90)]
    return (f"{attribute.errors} of {attribute.n} sampled claims in error ({percent(attribute.rate)}); projected "
            f"{attribute.point_count:,.0f} of {attribute.universe:,}; two-sided 90% limits {ninety.lower_count:,} "
            f"to {ninety.upper_count:,} claims (exact hypergeometric limits for a finite universe).")


@dataclass(frozen=True)
class SampleValues:
    """Per sampled claim (selection order): overpayment, in error, final. `missing`: claims not completed yet."""

    claim_keys: list[str]
    overpayment: list[float]
    in_error: list[bool]
    final: list[bool]
    missing: int

    @property
    def preliminary(self) -> int:
        return sum(not f for f in self.final)


@dataclass
class _Published:
    impacts: list[str]
    in_error: bool
    final: bool
    reasons: list[str]

    @property
    def overpayment(self) -> Decimal:
        return net_overpayment(self.impacts)


def _published(db: ReviewDb, sample: Sample, now: datetime | None) -> dict[str, _Published]:
    moment = now or datetime.now(UTC)
    found: dict[str, _Published] = {}
    with db.connect() as conn:
        for row in conn.execute(sql("store/published_of_sample"), (sample.sample_id,)):
            entry = found.setdefault(row["claim_key"], _Published([], False, True, []))
            entry.impacts.append(row["dollar_impact"])
            if row["finding"] != "agree":
                entry.in_error = True
                if row["error_category"] and row["error_category"] not in entry.reasons:
                    entry.reasons.append(row["error_category"])
            entry.final = entry.final and is_final(row["final_after"], moment)
    return found


def is_final(final_after: str | None, now: datetime) -> bool:
    """Whether a published finding is final at `now`: its final_after (ISO 8601 as review.db.iso stores it, or
    None while a rebuttal is pending) has passed. Compared as instants, never as text: a clock on a whole second
    or in another time zone writes the same instant differently."""
    return final_after is not None and datetime.fromisoformat(final_after) <= now


def sample_values(db: ReviewDb, sample: Sample, now: datetime | None = None) -> SampleValues:
    return _values(sample, _published(db, sample, now))


def _values(sample: Sample, found: dict[str, _Published]) -> SampleValues:
    keys = [k for k in sample.claim_keys if k in found]
    return SampleValues(keys, [float(found[k].overpayment) for k in keys], [found[k].in_error for k in keys],
                        [found[k].final for k in keys], len(sample.claim_keys) - len(keys))


@dataclass(frozen=True)
class ClaimResult:
    """One sampled claim, in selection order. `overpayment`: > 0 overpaid, < 0 underpaid, 0 no dollar error
    (the net dollar impact of its findings with the sign turned, docs/METRICS.md "Overpayment of a claim");
    `reasons`: the error categories of its error findings, distinct, in finding order."""

    claim_key: str
    service_date: date
    paid: Decimal | None
    overpayment: Decimal
    in_error: bool
    final: bool
    reasons: tuple[str, ...]

    @property
    def correct_payment(self) -> Decimal | None:
        """What should have been paid: paid less the overpayment (None when the paid amount is not known)."""
        return None if self.paid is None else self.paid - self.overpayment


@dataclass(frozen=True)
class DollarSummary:
    """The sample's own dollars (not projected). Gross figures are never netted against each other: an
    underpayment on one claim does not hide an overpayment on another."""

    gross_overpayment: Decimal    # sum of positive claim overpayments
    gross_underpayment: Decimal   # sum of negative claim overpayments, as a positive amount
    net_overpayment: Decimal      # gross_overpayment - gross_underpayment
    paid_reviewed: Decimal        # paid dollars of the sampled claims
    dollar_error_rate: float | None  # net_overpayment / paid_reviewed; None when paid_reviewed is 0 or a paid amount is missing
    claims_in_error: int
    claims_without_paid: int

    @classmethod
    def of(cls, claims: tuple[ClaimResult, ...]) -> DollarSummary:
        over = sum((c.overpayment for c in claims if c.overpayment > 0), Decimal("0"))
        under = -sum((c.overpayment for c in claims if c.overpayment < 0), Decimal("0"))
        paid = sum((c.paid for c in claims if c.paid is not None), Decimal("0"))
        without = sum(1 for c in claims if c.paid is None)
        rate = None if paid == 0 or without else float((over - under) / paid)
        return cls(over, under, over - under, paid, rate, sum(1 for c in claims if c.in_error), without)

    def as_json(self) -> dict[str, float | int | None]:
        """Money as JSON numbers rounded to cents; the rate as a number or null, never NaN."""
        return {"gross_overpayment": float(self.gross_overpayment.quantize(CENT)),
                "gross_underpayment": float(self.gross_underpayment.quantize(CENT)),
                "net_overpayment": float(self.net_overpayment.quantize(CENT)),
                "paid_reviewed": float(self.paid_reviewed.quantize(CENT)),
                "dollar_error_rate": self.dollar_error_rate, "claims_in_error": self.claims_in_error,
                "claims_without_paid": self.claims_without_paid}


@dataclass(frozen=True)
class SampleAppraisal:
    values: SampleValues
    variable: VariableAppraisal
    attribute: AttributeAppraisal
    claims: tuple[ClaimResult, ...]
    dollars: DollarSummary


def _claim_results(con: duckdb.DuckDBPyConnection, sample: Sample, found: dict[str, _Published]) -> tuple[ClaimResult, ...]:
    payments = claim_payments(con, sample.claim_keys)
    gone = [k for k in sample.claim_keys if k not in payments]
    if gone:
        raise ReviewError(f"{len(gone)} sampled claims (the first {gone[0]}) are no longer in the store, so what was paid "
                          "on them is not known; the appraisal needs every sampled claim.")
    return tuple(ClaimResult(key, payments[key].service_date, payments[key].paid, found[key].overpayment, found[key].in_error,
                             found[key].final, tuple(found[key].reasons)) for key in sample.claim_keys)


def appraise_sample(db: ReviewDb, sample: Sample, con: duckdb.DuckDBPyConnection, now: datetime | None = None) -> SampleAppraisal:
    """Refused (ReviewError) until every sampled claim is completed: a partial sample is not the sample drawn.
    `con` reads the coding store (a read-only store connection) for each sampled claim's paid amount.
    SampleMismatch when the stored sample is not the one drawn (review.samples.check_sample)."""
    if sample.void_sentence:
        raise ReviewError(sample.void_sentence)
    check_sample(db, sample.sample_id)
    found = _published(db, sample, now)
    values = _values(sample, found)
    if values.missing:
        raise ReviewError(f"{values.missing} of the sample's {len(sample.claim_keys)} claims are not completed yet; "
                          "the appraisal needs every sampled claim.")
    if sample.spec.stratified:
        by_key = dict(zip(values.claim_keys, values.overpayment, strict=True))
        groups: list[list[float]] = [[] for _ in sample.strata]
        for drawn in sample.reviewed:
            groups[drawn.stratum].append(by_key[drawn.claim_key])
        variable = appraise_stratified([(s["label"], s["universe"], g, bool(s.get("certainty")))
                                        for s, g in zip(sample.strata, groups, strict=True)])
    else:
        variable = appraise_variable(values.overpayment, sample.frame_size)
    attribute = appraise_attribute(sum(values.in_error), len(values.claim_keys), sample.frame_size)
    claims = _claim_results(con, sample, found)
    return SampleAppraisal(values, variable, attribute, claims, DollarSummary.of(claims))
