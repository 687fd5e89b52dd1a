"""A sample's appraisal from its reviewed claims, against independent computations in the test (the formulas
written out by hand over the sampled values, t quantiles from scipy), for a stratified sample drawn from the store, with the edge
cases. The report made from it: tests/review/test_report.py."""
from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from statistics import fmean, stdev

import pytest
from scipy.stats import t as student_t

from queries.metrics import Filters
from queries.store import connect_read_only
from review import worklist
from review.db import ReviewDb, ReviewError
from review.sample_appraisal import ClaimResult, DollarSummary, appraise_sample, sample_values
from review.samples import draw_sample, load_sample
from review.sampling import SampleSpec


def draw(paths, spec, seed=31):
    con = connect_read_only(paths)
    try:
        sample = draw_sample(con, ReviewDb(paths.reviews_db), spec, seed=seed, user="ann", role="auditor", record=None)
        codes = {k: con.execute("SELECT k.code_type, k.code, CASE WHEN c.encounter_type = 'inpatient' THEN c.ms_drg END "
                                "FROM claim_codes AS k JOIN claims AS c USING (claim_key) WHERE claim_key = ? ORDER BY k.line",
                                [k]).fetchone() for k in sample.claim_keys}
    finally:
        con.close()
    return sample, codes


def review_all(paths, sample, codes, overpaid: dict[str, float]):
    """Each claim overpaid by its amount (negative: underpaid; none: agreed): a deleted code carries it, or on a
    DRG-paid claim (codes[key][2] its billed DRG) a DRG finding, as the overpayment rule wants."""
    db = ReviewDb(paths.reviews_db)
    con = connect_read_only(paths)
    try:
        for key in sample.claim_keys:
            code_type, code, drg = codes[key]
            amount = overpaid.get(key, 0.0)
            row = ({"code_type": code_type, "submitted_code": code, "audited_code": code, "finding": "agree"} if not amount else
                   {"code_type": "MSDRG", "submitted_code": drg, "audited_code": "999" if drg != "999" else "998",
                    "finding": "revise", "error_category": "drg", "dollar_impact": f"{-amount:.2f}"} if drg else
                   {"code_type": code_type, "submitted_code": code, "finding": "delete", "error_category": "unsupported_code",
                    "dollar_impact": f"{-amount:.2f}"})
            opened = worklist.open_review(db, sample.sample_id, key, "ann")
            worklist.save_draft(db, opened.review_id, [row], "ann")
            worklist.complete(db, opened.review_id, con=con, user="ann", role="auditor", record=None)
    finally:
        con.close()
    return load_sample(db, sample.sample_id)


def payable(paths, overpaid: dict[str, float]) -> dict[str, float]:
    """The overpayments, each at most what was paid on its claim (the overpayment rule)."""
    paid = paid_amounts(paths, list(overpaid))
    return {k: min(v, float(paid[k])) if paid[k] is not None else v for k, v in overpaid.items()}


def appraise(paths, sample):
    con = connect_read_only(paths)
    try:
        return appraise_sample(ReviewDb(paths.reviews_db), sample, con)
    finally:
        con.close()


def paid_amounts(paths, keys) -> dict[str, Decimal | None]:
    con = connect_read_only(paths)
    try:
        return {k: con.execute("SELECT paid_amount FROM claims WHERE claim_key = ?", [k]).fetchone()[0] for k in keys}
    finally:
        con.close()


def t(q: float, df: int) -> float:
    return float(student_t.ppf(q, df))


def test_stratified_sample_from_the_store_against_an_independent_computation(store):
    sample, codes = draw(store, SampleSpec("stratified", 30, strata_by="encounter_type", filters=Filters()))
    overpaid = payable(store, {key: round(37.5 * (i % 4), 2) for i, key in enumerate(sample.claim_keys)})
    sample = review_all(store, sample, codes, overpaid)
    result = appraise(store, sample)
    point = variance = 0.0
    for index, stratum in enumerate(sample.strata):
        values = [overpaid[d.claim_key] for d in sample.drawn if not d.spare and d.stratum == index]
        point += stratum["universe"] * fmean(values)
        variance += stratum["universe"] ** 2 * stdev(values) ** 2 / len(values) * (1 - len(values) / stratum["universe"])
    se, df = math.sqrt(variance), 30 - len(sample.strata)
    assert result.variable.point_estimate == pytest.approx(point)
    assert result.variable.standard_error == pytest.approx(se)
    assert result.variable.two_sided["90"].lower == pytest.approx(point - t(0.95, df) * se)
    assert result.variable.one_sided_90_lower == pytest.approx(point - t(0.90, df) * se)
    assert result.attribute.errors == sum(1 for v in overpaid.values() if v)
    assert result.values.preliminary == result.attribute.errors  # error findings wait for the rebuttal window


def test_an_unfinished_sample_is_not_appraised(store):
    sample, codes = draw(store, SampleSpec("random", 3))
    db = ReviewDb(store.reviews_db)
    opened = worklist.open_review(db, sample.sample_id, sample.claim_keys[0], "ann")
    worklist.save_draft(db, opened.review_id, [{"code_type": codes[sample.claim_keys[0]][0], "finding": "agree",
                                                "submitted_code": codes[sample.claim_keys[0]][1],
                                                "audited_code": codes[sample.claim_keys[0]][1]}], "ann")
    with pytest.raises(ReviewError, match="3 of the sample's 3 claims are not completed"):
        appraise(store, sample)


def test_edge_cases_all_zero_whole_frame_and_one_claim(store):
    scope = Filters(coder=("C001",), encounter_type=("inpatient",))
    whole, codes = draw(store, SampleSpec("random", 1, filters=scope))
    everything, all_codes = draw(store, SampleSpec("random", whole.frame_size, filters=scope), seed=8)
    zero = appraise(store, review_all(store, everything, all_codes, {}))
    assert (zero.variable.point_estimate, zero.variable.standard_error) == (0.0, 0.0)  # all zero, n = N
    assert zero.attribute.two_sided["90"].upper_count == 0  # the whole frame seen: no claim in error
    one_overpaid = payable(store, {whole.claim_keys[0]: 50.0})
    one = appraise(store, review_all(store, whole, codes, one_overpaid))
    assert one_overpaid[whole.claim_keys[0]] > 0
    assert one.variable.point_estimate == pytest.approx(one_overpaid[whole.claim_keys[0]] * whole.frame_size)
    assert one.variable.standard_error is None and one.variable.one_sided_90_lower is None


def test_an_empty_stratum_is_left_out_of_the_appraisal(store):
    sample, codes = draw(store, SampleSpec("stratified", 12, strata_by="billed", bands=(1000.0, 10_000_000.0)))
    assert sample.strata[-1]["universe"] == 0
    result = appraise(store, review_all(store, sample, codes, payable(store, {sample.claim_keys[0]: 10.0})))
    assert [s.label for s in result.variable.strata] == [s["label"] for s in sample.strata[:2]]


def test_the_samples_dollars_by_hand(store):
    """Gross over, gross under and net are kept apart; paid dollars and the dollar error rate from the store's
    paid amounts; each claim's correct payment is paid less its overpayment."""
    sample, codes = draw(store, SampleSpec("random", 6, filters=Filters(encounter_type=("outpatient",))), seed=77)
    paid = paid_amounts(store, sample.claim_keys)
    roomy = [k for k in sample.claim_keys if paid[k] >= Decimal("100")]  # room for the overpayments below
    assert len(roomy) >= 2, paid
    first, third = roomy[:2]
    second = next(k for k in sample.claim_keys if k not in roomy[:2])
    overpaid = {first: 100.0, second: -45.5, third: 60.25}
    sample = review_all(store, sample, codes, overpaid)
    result = appraise(store, sample)
    dollars = result.dollars
    assert dollars.gross_overpayment == Decimal("160.25")
    assert dollars.gross_underpayment == Decimal("45.50")
    assert dollars.net_overpayment == Decimal("114.75")
    assert dollars.paid_reviewed == sum(paid.values())
    assert dollars.dollar_error_rate == pytest.approx(114.75 / float(sum(paid.values())))
    assert (dollars.claims_in_error, dollars.claims_without_paid) == (3, 0)
    assert [c.claim_key for c in result.claims] == sample.claim_keys
    by_key = {c.claim_key: c for c in result.claims}
    assert by_key[first].overpayment == Decimal("100.00") and by_key[first].correct_payment == paid[first] - Decimal("100")
    assert by_key[second].overpayment == Decimal("-45.50") and by_key[second].correct_payment == paid[second] + Decimal("45.50")
    assert by_key[first].reasons == ("unsupported_code",) and by_key[sample.claim_keys[3]].reasons == ()
    assert not by_key[sample.claim_keys[3]].in_error and by_key[sample.claim_keys[3]].overpayment == 0
    assert all(isinstance(c.service_date, date) for c in result.claims)


def _claim(overpayment: str, paid: str | None, reasons: tuple[str, ...] = ()) -> ClaimResult:
    return ClaimResult("k" + overpayment + str(paid), date(2025, 1, 2), None if paid is None else Decimal(paid),
                       Decimal(overpayment), Decimal(overpayment) != 0, True, reasons)


def test_dollar_summary_worked_example():
    """Three claims: paid 1,000 overpaid 250; paid 400 underpaid 100; paid 600 correct. Gross 250 and 100, net
    150, paid 2,000, rate 150 / 2,000 = 7.5%."""
    claims = (_claim("250.00", "1000.00", ("wrong_code",)), _claim("-100.00", "400.00"), _claim("0", "600.00"))
    summary = DollarSummary.of(claims)
    assert (summary.gross_overpayment, summary.gross_underpayment, summary.net_overpayment, summary.paid_reviewed) == (
        Decimal("250.00"), Decimal("100.00"), Decimal("150.00"), Decimal("2000.00"))
    assert summary.dollar_error_rate == 0.075 and summary.claims_in_error == 2
    assert claims[0].correct_payment == Decimal("750.00") and claims[1].correct_payment == Decimal("500.00")
    assert summary.as_json() == {"gross_overpayment": 250.0, "gross_underpayment": 100.0, "net_overpayment": 150.0,
                                 "paid_reviewed": 2000.0, "dollar_error_rate": 0.075, "claims_in_error": 2,
                                 "claims_without_paid": 0}


def test_without_a_paid_amount_the_dollar_error_rate_is_not_given():
    """A blank paid amount is not known: it adds nothing to the paid dollars, and a rate over the others would
    put that claim's overpayment over dollars that do not include it."""
    claims = (_claim("250.00", "1000.00"), _claim("80.00", None))
    summary = DollarSummary.of(claims)
    assert (summary.paid_reviewed, summary.claims_without_paid, summary.dollar_error_rate) == (Decimal("1000.00"), 1, None)
    assert summary.net_overpayment == Decimal("330.00") and claims[1].correct_payment is None
    nothing_paid = DollarSummary.of((_claim("0", "0.00"),))
    assert nothing_paid.dollar_error_rate is None and nothing_paid.as_json()["dollar_error_rate"] is None


def test_a_claim_is_final_from_the_instant_its_findings_are_final_whatever_the_clock_s_precision_or_zone(store):
    """Final means final_after <= now, compared as instants: a `now` on a whole second (no microseconds) or in
    another time zone is the same instant as the stored time, not a string that sorts before it."""
    sample, codes = draw(store, SampleSpec("random", 1))
    key = sample.claim_keys[0]
    db = ReviewDb(store.reviews_db)
    con = connect_read_only(store)
    at = datetime(2026, 3, 2, 9, 30, 0, tzinfo=UTC)  # agreed: final at completion
    try:
        opened = worklist.open_review(db, sample.sample_id, key, "ann")
        worklist.complete(db, opened.review_id, con=con, user="ann", role="auditor", record=None, now=at,
                          rows=[{"code_type": codes[key][0], "submitted_code": codes[key][1], "audited_code": codes[key][1],
                                 "finding": "agree"}])
    finally:
        con.close()
    assert sample_values(db, sample, at).final == [True]
    assert sample_values(db, sample, at.astimezone(timezone(timedelta(hours=-5)))).final == [True]
    assert sample_values(db, sample, at - timedelta(microseconds=1)).final == [False]
