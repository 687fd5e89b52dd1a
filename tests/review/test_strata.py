"""Stratified designs that cannot break: at least two claims from each sampled stratum (a stratum of one claim
is reviewed in full), Neyman allocation from the stratification variable's spread, a certainty stratum reviewed
in full and counted at face value, and a warning at draw time when the design's expected precision is poor."""
from __future__ import annotations

import json
import math
import sqlite3
import zlib
from statistics import fmean, stdev

import numpy as np
import pyarrow as pa
import pytest

from audit.log.read import read_events
from cli import main
from queries.store import connect_read_only
from review import frame_keys
from review.appraisal import AppraisalError, appraise_stratified
from review.db import ReviewDb
from review.design import expected_precision, precision_warnings
from review.frame import Frame, FrameError, Stratum
from review.sample_appraisal import appraise_sample
from review.samples import draw_sample, list_samples, load_sample, redraw, stored_frame
from review.sampling import SampleSpec, allocate
from tests.review.test_sample_appraisal import review_all

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


def test_neyman_allocation_by_hand():
    # weights N_h * S_h: 400 x 50 = 20,000; 100 x 400 = 40,000; 20 x 2,000 = 40,000 (of 100,000): 30 -> 6, 12, 12
    assert allocate([400, 100, 20], 30, "neyman", [50.0, 400.0, 2000.0]) == [6, 12, 12]
    # 3,000, 6,000, 5,000 of 14,000: 20 -> 4.29, 8.57, 7.14; floors 4, 8, 7 and the largest remainder (.57) one more
    assert allocate([300, 200, 50], 20, "neyman", [10.0, 30.0, 100.0]) == [4, 9, 7]
    # 10,000 and 50,000: 24 -> 4 and 20, but the second holds 10: it is taken whole and the first gets the rest
    assert allocate([1000, 10], 24, "neyman", [10.0, 5000.0]) == [14, 10]
    # no spread anywhere: proportional
    assert allocate([600, 300, 100], 50, "neyman", [0.0, 0.0, 0.0]) == allocate([600, 300, 100], 50, "proportional")


def test_a_neyman_draw_weighs_each_paid_band_by_its_standard_deviation(store):
    bands = (1_000.0, 10_000.0)
    con = connect_read_only(store)
    paid = [float(p) for (p,) in con.execute("SELECT paid_amount FROM claims").fetchall()]
    con.close()
    groups = [[p for p in paid if p < 1000], [p for p in paid if 1000 <= p < 10000], [p for p in paid if p >= 10000]]
    spreads = [stdev(g) for g in groups]  # the sample standard deviation (divisor N_h - 1) of each band's paid amounts
    sample = draw(store, SampleSpec("stratified", 40, strata_by="paid", bands=bands, allocation="neyman"))
    assert [s["universe"] for s in sample.strata] == [len(g) for g in groups]
    assert [s["n"] for s in sample.strata] == allocate([len(g) for g in groups], 40, "neyman", spreads)
    assert sample.spec.parameters()["allocation"] == "neyman"


def test_a_certainty_stratum_is_reviewed_in_full_and_counted_at_face_value(store):
    con = connect_read_only(store)
    paid = dict(con.execute("SELECT claim_key, CAST(paid_amount AS DOUBLE) FROM claims").fetchall())
    codes = {k: con.execute("SELECT k.code_type, k.code, CASE WHEN c.encounter_type = 'inpatient' THEN c.ms_drg END "
                            "FROM claim_codes AS k JOIN claims AS c USING (claim_key) WHERE claim_key = ? ORDER BY k.line",
                            [k]).fetchone() for k in paid}
    con.close()
    over = {k for k, p in paid.items() if p > 20_000}
    assert 3 <= len(over) <= 30
    sample = draw(store, SampleSpec("stratified", 24, strata_by="paid", bands=(1_000.0,), spares=2, certainty_above=20_000.0))
    top = sample.strata[-1]
    assert (top["label"], top["certainty"], top["universe"], top["n"], top["spares"]) == (
        "paid over $20,000 (reviewed in full)", True, len(over), len(over), 0)
    assert [s["universe"] for s in sample.strata[:-1]] == [sum(p < 1000 for p in paid.values()),
                                                           sum(1000 <= p <= 20_000 for p in paid.values())]
    assert len(sample.claim_keys) == 24 + len(over) and set(sample.claim_keys[24:]) == over
    assert sample.spec.parameters()["certainty_above"] == 20_000.0
    # Overpayments: 10% of what was paid on every third claim, none on the others.
    overpaid = {k: round(paid[k] * 0.1, 2) if i % 3 == 0 else 0.0 for i, k in enumerate(sample.claim_keys)}
    sample = review_all(store, sample, codes, overpaid)
    result = appraise_sample(ReviewDb(store.reviews_db), sample, connect_read_only(store)).variable
    point = variance = 0.0
    for index, stratum in enumerate(sample.strata):
        values = [overpaid[d.claim_key] for d in sample.drawn if not d.spare and d.stratum == index]
        if stratum.get("certainty"):
            point += sum(values)  # at face value: no extrapolation, no variance
            continue
        point += stratum["universe"] * fmean(values)
        variance += stratum["universe"] ** 2 * stdev(values) ** 2 / len(values) * (1 - len(values) / stratum["universe"])
    assert result.point_estimate == pytest.approx(point)
    assert result.standard_error == pytest.approx(math.sqrt(variance))
    assert result.degrees_of_freedom == 24 - 2  # the certainty stratum's claims and itself stay out of n - L
    assert result.strata[-1].certainty and result.strata[-1].variance == 0.0
    t22 = 1.717  # 0.95 quantile, 22 degrees of freedom, printed table
    assert result.two_sided["90"].lower == pytest.approx(point - t22 * math.sqrt(variance), abs=5e-4 * math.sqrt(variance))


def test_a_certainty_stratum_belongs_to_a_stratified_sample_and_a_positive_amount():
    with pytest.raises(FrameError, match="stratified method"):
        SampleSpec("random", 10, certainty_above=5_000.0)
    for amount in (0.0, -5.0, math.nan, math.inf):
        with pytest.raises(FrameError, match="positive dollar amount"):
            SampleSpec("stratified", 10, strata_by="paid", certainty_above=amount)
    with pytest.raises(AppraisalError, match="all 3 of its claims must be reviewed"):
        appraise_stratified([("low", 100, [1.0, 2.0]), ("certain", 3, [5.0, 6.0], True)])


def test_expected_precision_by_hand():
    """Stratum A: N 4, n 2, paid 10, 20, 30, 40: S^2 = 166.67, V = 16 x 166.67 / 2 x (1 - 2/4) = 666.67,
    t(0.95, 1) = 6.314, precision 6.314 x 25.82 / 100 = 163.0%. Certainty stratum B (100, 200): total 300 and
    no variance, so the design's is 6.314 x 25.82 / 400 = 40.8%."""
    frame = Frame(np.zeros((6, 12), dtype=np.uint8), np.zeros((6, 25), dtype=np.uint8), [Stratum("A", 4), Stratum("B", 2, certainty=True)],
                  np.array([0, 0, 0, 0, 1, 1]), np.array([10.0, 20.0, 30.0, 40.0, 100.0, 200.0]), "paid")
    per_stratum, design = expected_precision(frame, [2, 2])
    assert per_stratum[0] == pytest.approx(6.314 * math.sqrt(666.67) / 100 * 100, rel=1e-3)
    assert per_stratum[1] is None
    assert design == pytest.approx(6.314 * math.sqrt(666.67) / 400 * 100, rel=1e-3)
    warnings = precision_warnings(frame, [2, 2])
    assert warnings[0].startswith("The design's expected 90% precision on the frame's paid dollars is ±40.8% (over 25%)")
    assert warnings[1].startswith("Stratum 'A': 2 of its 4 claims give an expected 90% precision of ±163.0%")


def test_a_design_with_poor_expected_precision_is_drawn_with_warnings_on_stderr_and_in_json(store, capsys):
    code = main(["sample", "draw", "--method", "stratified", "--strata-by", "billed", "--allocation", "equal",
                 "--size", "2", "--seed", "7", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    body = json.loads(out)
    assert body["warnings"] and all(w in err for w in body["warnings"])
    assert [line for line in err.splitlines()] == [f"warning: {w}" for w in body["warnings"]]
    (event,) = read_events(store, action="sample_draw")
    assert event["details"]["warnings"] == body["warnings"]
    code = main(["sample", "draw", "--method", "stratified", "--strata-by", "billed", "--bands", "1000,10000,35000",
                 "--size", "30", "--json"])
    out, err = capsys.readouterr()
    assert (code, out, err.count("\n")) == (2, "", 1) and "would get 1 claim" in err


def test_a_sample_stored_before_neyman_and_certainty_redraws_identically(store):
    """Parameters JSON and frame blob as a stored stratified sample had them before this change."""
    sample = draw(store, SampleSpec("stratified", 20, strata_by="billed", spares=1), seed=99)
    old = {"size": 20, "spares": 1, "strata_by": "billed", "bands": [1000.0, 10000.0, 50000.0],
           "allocation": "proportional", "filters": sample.as_json()["parameters"]["filters"], "exclude_audited": False}
    assert sample.spec.parameters() == old
    keys, _ = stored_frame(ReviewDb(store.reviews_db), sample.sample_id)
    with sqlite3.connect(store.reviews_db) as conn:
        conn.execute("UPDATE samples SET parameters = ?, frame = ? WHERE sample_id = ?",
                     (json.dumps(old), zlib.compress("".join(f"{k}\n" for k in keys).encode("ascii")), sample.sample_id))
    loaded = load_sample(ReviewDb(store.reviews_db), sample.sample_id)
    assert (loaded.spec.allocation, loaded.spec.certainty_above) == ("proportional", None)
    assert stored_frame(ReviewDb(store.reviews_db), sample.sample_id)[0] == keys
    con = connect_read_only(store)
    try:
        assert redraw(con, ReviewDb(store.reviews_db), sample.sample_id).same_frame
    finally:
        con.close()
    assert loaded.as_json() == sample.as_json() and loaded.as_json()["parameters"] == old


def test_frame_keys_order_hash_and_pack_as_the_documented_strings():
    rng = np.random.default_rng(5)
    keys = ["".join(rng.choice(list("0123456789abcdef"), 24)) for _ in range(3000)]
    keys += [keys[0][:16] + "ffffffff", keys[0][:16] + "00000000"]  # tied on the first 16 digits, one date
    days = rng.integers(20_000, 20_400, len(keys))
    days[-2:] = days[0]
    binary = frame_keys.key_binary(pa.chunked_array([pa.array(keys[:7]), pa.array(keys[7:])]))
    order = frame_keys.frame_order(days, binary)
    expected = sorted(range(len(keys)), key=lambda i: (days[i], keys[i]))
    assert order.tolist() == expected
    ordered = [keys[i] for i in expected]
    assert frame_keys.hashed_lines(binary[order]).tobytes() == "".join(f"{k}\n" for k in ordered).encode("ascii")
    assert frame_keys.unpack(frame_keys.pack(binary[order])) == ordered
    assert frame_keys.unpack(frame_keys.pack(frame_keys.rows_in(binary, order))) == ordered
    assert (frame_keys.key_binary(pa.array(keys).slice(5)) == binary[5:]).all()  # an array not starting at its buffer's start
    for bad in (["ABCDEF" * 4], ["0123456789abcdef0123456A"], ["g" * 24], ["a" * 23], ["é" * 12], [" " + "a" * 23],
                ["  " + "a" * 22], ["a" * 24, "  " + "a" * 22]):
        with pytest.raises(frame_keys.KeyFormatError):
            frame_keys.key_binary(pa.array(bad))
    assert frame_keys.numbers_text([0, 7, 10, 123]) == b"0\n7\n10\n123"
