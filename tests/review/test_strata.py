"""Stratified designs that cannot break: at least two claims from each sampled stratum (a stratum of one claim
is reviewed in full), Neyman allocation from the stratification variable's spread, a certainty stratum reviewed
in full and counted at face value, and a warning at draw time when the design's expected precision is poor."""
from __future__ import annotations

import math

import pytest

from queries.store import connect_read_only
from review.appraisal import appraise_stratified
from review.db import ReviewDb
from review.frame import FrameError
from review.samples import draw_sample, list_samples
from review.sampling import SampleSpec, allocate

TOP_BANDS = (1_000.0, 10_000.0, 35_000.0)  # the demo's top band holds a handful of its 600 claims


def draw(paths, spec, seed=12345):
    con = connect_read_only(paths)
    try:
        return draw_sample(con, ReviewDb(paths.reviews_db), spec, seed=seed, user="ann", role="auditor", record=None)
    finally:
        con.close()


def universes(paths, bands):
    con = connect_read_only(paths)
    try:
        cuts = [0.0, *bands, math.inf]
        return [con.execute("SELECT count(*) FROM claims WHERE billed_amount >= ? AND billed_amount < ?",
                            [low, high]).fetchone()[0] for low, high in zip(cuts, cuts[1:])]
    finally:
        con.close()


def test_a_proportional_allocation_that_gives_a_stratum_one_claim_is_refused_at_draw(store):
    counts = universes(store, TOP_BANDS)
    assert 2 <= counts[-1] <= 15 and allocate(counts, 30, "proportional")[-1] == 1  # the design that broke
    with pytest.raises(FrameError, match=r"^Stratum '\$35,000 and over' would get 1 claim of its \d+.*larger sample.*"
                                         r"fewer bands.*equal allocation"):
        draw(store, SampleSpec("stratified", 30, strata_by="billed", bands=TOP_BANDS))
    assert list_samples(ReviewDb(store.reviews_db)) == []
    equal = draw(store, SampleSpec("stratified", 5, strata_by="billed", bands=TOP_BANDS, allocation="equal"))
    assert [s["n"] for s in equal.strata] == [min(5, n) for n in counts]


def test_a_stratum_of_one_claim_is_reviewed_in_full_and_allowed(store):
    sample = draw(store, SampleSpec("stratified", 30, strata_by="billed"))
    top = sample.strata[-1]
    assert (top["universe"], top["n"]) == (1, 1)


def test_one_sampled_claim_in_a_larger_stratum_says_why_the_appraisal_has_no_limits():
    """A sample drawn before the minimum (or a per-coder sample of one claim per coder) still appraises: its
    point estimate stands, and the missing limits are explained instead of printed as NaN."""
    result = appraise_stratified([("low", 100, [0.0, 5.0, 10.0]), ("top", 9, [400.0])])
    assert result.point_estimate == pytest.approx(100 * 5.0 + 9 * 400.0)
    body = result.as_json()
    assert body["two_sided"]["90"]["lower"] is None and body["one_sided_90_lower"] is None
    assert body["warnings"] == ["Stratum 'top' has 1 sampled claim of its 9, so its spread, the standard error and "
                                "every limit cannot be measured; draw a sample with at least two claims from each stratum."]
    whole = appraise_stratified([("low", 100, [0.0, 5.0, 10.0]), ("one", 1, [400.0])])
    assert whole.standard_error == pytest.approx(100 * 5.0 / math.sqrt(3) * math.sqrt(1 - 3 / 100))
    assert not math.isnan(whole.two_sided["90"].lower)
