"""A sample's appraisal from its reviewed claims, against independent computations in the test (the formulas
written out by hand over the sampled values, t quantiles from scipy), for a stratified sample drawn from the store, with the edge
cases. The report made from it: tests/review/test_report.py."""
from __future__ import annotations

import math
from statistics import fmean, stdev

import pytest
from scipy.stats import t as student_t

from queries.metrics import Filters
from queries.store import connect_read_only
from review import worklist
from review.db import ReviewDb, ReviewError
from review.sample_appraisal import appraise_sample
from review.samples import draw_sample, load_sample
from review.sampling import SampleSpec


def draw(paths, spec, seed=31):
    con = connect_read_only(paths)
    try:
        sample = draw_sample(con, ReviewDb(paths.reviews_db), spec, seed=seed, user="ann", role="auditor", record=None)
        codes = {k: con.execute("SELECT code_type, code FROM claim_codes WHERE claim_key = ? ORDER BY line", [k]).fetchone()
                 for k in sample.claim_keys}
    finally:
        con.close()
    return sample, codes


def review_all(paths, sample, codes, overpaid: dict[str, float]):
    db = ReviewDb(paths.reviews_db)
    for key in sample.claim_keys:
        code_type, code = codes[key]
        amount = overpaid.get(key, 0.0)
        row = ({"code_type": code_type, "submitted_code": code, "finding": "delete", "error_category": "unsupported_code",
                "dollar_impact": f"{-amount:.2f}"} if amount else
               {"code_type": code_type, "submitted_code": code, "audited_code": code, "finding": "agree"})
        opened = worklist.open_review(db, sample.sample_id, key, "ann")
        worklist.save_draft(db, opened.review_id, [row], "ann")
        worklist.complete(db, opened.review_id, user="ann", role="auditor", record=None)
    return load_sample(db, sample.sample_id)


def t(q: float, df: int) -> float:
    return float(student_t.ppf(q, df))


def test_stratified_sample_from_the_store_against_an_independent_computation(store):
    sample, codes = draw(store, SampleSpec("stratified", 30, strata_by="encounter_type", filters=Filters()))
    overpaid = {key: round(37.5 * (i % 4), 2) for i, key in enumerate(sample.claim_keys)}
    sample = review_all(store, sample, codes, overpaid)
    result = appraise_sample(ReviewDb(store.reviews_db), sample)
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
        appraise_sample(db, sample)


def test_edge_cases_all_zero_whole_frame_and_one_claim(store):
    scope = Filters(coder=("C001",), encounter_type=("inpatient",))
    whole, codes = draw(store, SampleSpec("random", 1, filters=scope))
    everything, all_codes = draw(store, SampleSpec("random", whole.frame_size, filters=scope), seed=8)
    zero = appraise_sample(ReviewDb(store.reviews_db), review_all(store, everything, all_codes, {}))
    assert (zero.variable.point_estimate, zero.variable.standard_error) == (0.0, 0.0)  # all zero, n = N
    assert zero.attribute.two_sided["90"].upper_count == 0  # the whole frame seen: no claim in error
    one = appraise_sample(ReviewDb(store.reviews_db), review_all(store, whole, codes, {whole.claim_keys[0]: 50.0}))
    assert one.variable.point_estimate == pytest.approx(50.0 * whole.frame_size)
    assert one.variable.standard_error is None and one.variable.one_sided_90_lower is None


def test_an_empty_stratum_is_left_out_of_the_appraisal(store):
    sample, codes = draw(store, SampleSpec("stratified", 12, strata_by="billed", bands=(1000.0, 10_000_000.0)))
    assert sample.strata[-1]["universe"] == 0
    result = appraise_sample(ReviewDb(store.reviews_db), review_all(store, sample, codes, {sample.claim_keys[0]: 10.0}))
    assert [s.label for s in result.variable.strata] == [s["label"] for s in sample.strata[:2]]

