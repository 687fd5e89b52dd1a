"""A sample's appraisal: the overpayment of each sampled claim (the net dollar impact of its findings with the
sign turned; a claim with no error is 0) projected to the frame, unrestricted or stratified as it was drawn,
and the claims in error as an attribute appraisal. Uses the findings the review store publishes (the latest
completed revision of each claim) and says how many of them are still preliminary."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from review.appraisal import AttributeAppraisal, VariableAppraisal, appraise_attribute, appraise_stratified, appraise_variable
from review.db import ReviewDb, ReviewError
from review.samples import Sample, check_sample
from review.sql_files import sql


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


def sample_values(db: ReviewDb, sample: Sample, now: datetime | None = None) -> SampleValues:
    moment = (now or datetime.now(UTC)).isoformat()
    found: dict[str, list] = {}
    with db.connect() as conn:
        for row in conn.execute(sql("store/published_of_sample"), (sample.sample_id,)):
            entry = found.setdefault(row["claim_key"], [Decimal("0"), False, True])
            entry[0] -= Decimal(row["dollar_impact"])
            entry[1] = entry[1] or row["finding"] != "agree"
            entry[2] = entry[2] and row["final_after"] is not None and row["final_after"] <= moment
    keys = [k for k in sample.claim_keys if k in found]
    return SampleValues(keys, [float(found[k][0]) for k in keys], [found[k][1] for k in keys], [found[k][2] for k in keys],
                        len(sample.claim_keys) - len(keys))


@dataclass(frozen=True)
class SampleAppraisal:
    values: SampleValues
    variable: VariableAppraisal
    attribute: AttributeAppraisal


def appraise_sample(db: ReviewDb, sample: Sample, now: datetime | None = None) -> SampleAppraisal:
    """Refused (ReviewError) until every sampled claim is completed: a partial sample is not the sample drawn;
    SampleMismatch when the stored sample is not the one drawn (review.samples.check_sample)."""
    check_sample(db, sample.sample_id)
    values = sample_values(db, sample, now)
    if values.missing:
        raise ReviewError(f"{values.missing} of the sample's {len(sample.claim_keys)} claims are not completed yet; "
                          "the appraisal needs every sampled claim.")
    if sample.spec.stratified:
        by_key = dict(zip(values.claim_keys, values.overpayment, strict=True))
        groups: list[list[float]] = [[] for _ in sample.strata]
        for drawn in sample.drawn:
            if not drawn.spare:
                groups[drawn.stratum].append(by_key[drawn.claim_key])
        variable = appraise_stratified([(s["label"], s["universe"], g) for s, g in zip(sample.strata, groups, strict=True)])
    else:
        variable = appraise_variable(values.overpayment, sample.frame_size)
    attribute = appraise_attribute(sum(values.in_error), len(values.claim_keys), sample.frame_size)
    return SampleAppraisal(values, variable, attribute)
