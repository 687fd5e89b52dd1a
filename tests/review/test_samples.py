"""Samples drawn from a real (small) store: the frame and its documented hash, the link between a simple random
sample and `random-numbers`, reproducibility in another process and after later ingests, stratified
allocation, per-coder samples, leaving out claims already audited, and one access-log event per draw."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from audit.log.read import read_events
from cli.common import access_log_recorder
from ingest.writer import ingest
from queries.metrics import Filters
from queries.store import connect_read_only
from review.db import ReviewDb
from review.frame import FrameError, band_strata
from review.random_numbers import random_numbers
from review.samples import draw_sample, export_frame, list_samples, redraw
from review.sampling import SampleSpec, allocate
from tests.cli_here import manage_here
from tests.conftest import Recorded

REPO = Path(__file__).resolve().parents[2]


def draw(paths, spec, seed=12345, record=None):
    con = connect_read_only(paths)
    try:
        return draw_sample(con, ReviewDb(paths.reviews_db), spec, seed=seed, user="ann", role="auditor", record=record)
    finally:
        con.close()


def frame_rows(paths, sample_id):
    header, *rows = csv.reader(io.StringIO(export_frame(ReviewDb(paths.reviews_db), sample_id)))
    return ",".join(header), rows


def manage(paths, *argv):
    env = {"CODEAUDIT_DATA_DIR": str(paths.data_dir), "CODEAUDIT_KEY_DIR": str(paths.key_dir), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "manage.py", *argv], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


def test_the_frame_is_the_scope_in_documented_order_and_its_hash_is_over_documented_bytes(store):
    scope = Filters(payer=("Medicare",))
    sample = draw(store, SampleSpec("random", 10, filters=scope))
    header, rows = frame_rows(store, sample.sample_id)
    assert header == "position,claim_key"
    assert [int(p) for p, _ in rows] == list(range(1, len(rows) + 1))
    con = connect_read_only(store)
    expected = [k for (k,) in con.execute(
        "SELECT claim_key FROM claims WHERE payer = 'Medicare' ORDER BY service_date, claim_key").fetchall()]
    con.close()
    assert [k for _, k in rows] == expected and sample.frame_size == len(expected)
    assert sample.frame_sha256 == hashlib.sha256("".join(k + "\n" for k in expected).encode("ascii")).hexdigest()


def test_a_simple_random_sample_takes_the_frame_entries_random_numbers_gives(store):
    sample = draw(store, SampleSpec("random", 12, spares=3), seed=4242)
    _, rows = frame_rows(store, sample.sample_id)
    numbers = random_numbers(4242, 12, 1, sample.frame_size, 3)
    assert sample.claim_keys == [rows[n - 1][1] for n in numbers.selection_order]
    assert sample.spares == [rows[n - 1][1] for n in numbers.spares]
    printed = json.loads(manage_here("random-numbers", "--seed", "4242", "--count", "12", "--low", "1",
                                "--high", str(sample.frame_size), "--json").stdout)
    assert printed["selection_order"] == list(numbers.selection_order)


def test_redraw_in_another_process_gives_the_same_object_and_a_changed_frame_exits_1(store, tmp_path, write_csv):
    sample = draw(store, SampleSpec("stratified", 20, strata_by="billed", spares=2,
                                    filters=Filters(encounter_type=("outpatient",))), seed=77)
    again = manage(store, "sample", "redraw", sample.sample_id, "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == json.loads(json.dumps(sample.as_json()))
    # A later ingest outside the frame's scope leaves it as it was...
    write_csv(tmp_path / "inpatient", "claims", [{
        "claim_id": "NEW-IN-1", "facility_id": "FAC-NORTH", "payer": "Medicare", "coder_id": "C001",
        "encounter_type": "inpatient", "service_date": "2025-06-01", "billed_amount": "900.00"}])
    ingest(tmp_path / "inpatient", store, recorder=Recorded(), source="demo")
    assert manage(store, "sample", "redraw", sample.sample_id, "--json").returncode == 0
    # ...one that adds two outpatient claims changes it: exit 1, saying how many, and the sample stays as drawn.
    write_csv(tmp_path / "outpatient", "claims", [{
        "claim_id": f"NEW-OUT-{i}", "facility_id": "FAC-NORTH", "payer": "Medicare", "coder_id": "C001",
        "encounter_type": "outpatient", "service_date": "2025-06-01", "billed_amount": "900.00"} for i in (1, 2)])
    ingest(tmp_path / "outpatient", store, recorder=Recorded(), source="demo")
    changed = manage(store, "sample", "redraw", sample.sample_id, "--json")
    assert (changed.returncode, changed.stdout) == (1, "")
    assert "2 claims were added to it and 0 removed" in changed.stderr
    assert list_samples(ReviewDb(store.reviews_db))[0]["frame_sha256"] == sample.frame_sha256


def test_a_frame_narrowed_to_a_drg_flag_holds_exactly_the_flagged_claims_and_redraws_the_same(store):
    """Sampling can target claims whose DRG rests on one CC/MCC, or that carry an MCE edit (every
    flag chosen must hold), from the page or `sample draw --claim-flag`."""
    con = connect_read_only(store)
    expected = [k for (k,) in con.execute(
        "SELECT claim_key FROM claim_facts WHERE list_has_all(claim_flags, ['single_cc_mcc']) "
        "ORDER BY service_date, claim_key").fetchall()]
    con.close()
    assert 5 <= len(expected) < 2000
    sample = draw(store, SampleSpec("random", 5, filters=Filters(claim_flags=("single_cc_mcc",))), seed=5)
    _, rows = frame_rows(store, sample.sample_id)
    assert [k for _, k in rows] == expected and set(sample.claim_keys) <= set(expected)
    assert sample.spec.parameters()["filters"]["claim_flags"] == ["single_cc_mcc"]
    again = manage_here("sample", "redraw", sample.sample_id, "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["claim_keys"] == sample.claim_keys
    drawn = manage_here("sample", "draw", "--method", "random", "--size", "3", "--claim-flag", "single_cc_mcc",
                   "--seed", "5", "--json")
    assert drawn.returncode == 0, drawn.stderr
    assert json.loads(drawn.stdout)["frame_size"] == len(expected)


def test_proportional_allocation_by_largest_remainder_and_every_stratum_sampled():
    assert allocate([600, 300, 100], 50, "proportional") == [30, 15, 5]
    assert allocate([5, 3, 1], 4, "proportional") == [2, 1, 1]       # 2.22, 1.33, 0.44: the .44 gets the last claim
    assert allocate([990, 5, 5], 10, "proportional") == [8, 1, 1]    # 9.9, .05, .05 -> each stratum gets at least one
    assert allocate([990, 0, 10], 10, "proportional") == [9, 0, 1]   # an empty stratum gets nothing
    assert allocate([40, 3, 0], 5, "equal") == [5, 3, 0]
    with pytest.raises(FrameError, match="at least 3"):
        allocate([10, 10, 10], 2, "proportional")


def test_stratified_sample_keeps_its_strata_boundaries_and_draws_inside_each(store):
    sample = draw(store, SampleSpec("stratified", 24, strata_by="billed", bands=(500.0, 5000.0, 10_000_000.0)), seed=5)
    assert [s["label"] for s in sample.strata] == ["under $500", "$500 to under $5,000", "$5,000 to under $10,000,000",
                                                   "$10,000,000 and over"]
    assert sample.strata[-1]["universe"] == 0 and sample.strata[-1]["n"] == 0  # an empty stratum is kept, unsampled
    assert sum(s["n"] for s in sample.strata) == 24
    header, rows = frame_rows(store, sample.sample_id)
    assert header == "position,claim_key,stratum,stratum_position"
    con = connect_read_only(store)
    billed = dict(con.execute("SELECT claim_key, billed_amount FROM claims").fetchall())
    con.close()
    for drawn in sample.drawn:
        low, high = sample.strata[drawn.stratum]["low"] or 0, sample.strata[drawn.stratum]["high"] or float("inf")
        assert low <= billed[drawn.claim_key] < high
        assert rows[drawn.frame_position - 1][2] == sample.strata[drawn.stratum]["label"]
    assert band_strata([1000.0])[0] == ("under $1,000", None, 1000.0)


def test_per_coder_sample_takes_n_claims_of_each_coder_in_the_period(store):
    scope = Filters(coder=("C001", "C002", "C003"))
    sample = draw(store, SampleSpec("per-coder", 3, filters=scope), seed=11)
    assert [(s["label"], s["n"]) for s in sample.strata] == [("C001", 3), ("C002", 3), ("C003", 3)]
    con = connect_read_only(store)
    coder = dict(con.execute("SELECT claim_key, coder_id FROM claims").fetchall())
    con.close()
    assert [coder[k] for k in sample.claim_keys] == ["C001"] * 3 + ["C002"] * 3 + ["C003"] * 3


def test_leaving_out_audited_claims_skips_imported_findings_and_earlier_samples(store):
    first = draw(store, SampleSpec("random", 40), seed=1)
    second = draw(store, SampleSpec("random", 40, exclude_audited=True), seed=1)
    con = connect_read_only(store)
    audited = {k for (k,) in con.execute("SELECT DISTINCT claim_key FROM store.main.audit_findings").fetchall()}
    con.close()
    assert not set(second.claim_keys) & (set(first.claim_keys) | audited)
    assert second.frame_size == first.frame_size - len(audited | set(first.claim_keys))
    # Its redraw still excludes only what was drawn before it, not samples drawn since.
    draw(store, SampleSpec("random", 40, exclude_audited=True), seed=2)
    con = connect_read_only(store)
    assert redraw(con, ReviewDb(store.reviews_db), second.sample_id).same_frame
    con.close()


def test_every_draw_writes_exactly_one_event_and_a_refused_draw_none(store):
    record = access_log_recorder(store)
    sample = draw(store, SampleSpec("probe", 30), record=record)
    (event,) = read_events(store, action="sample_draw")
    assert (event["resource"], event["details"]["frame_sha256"], event["details"]["seed"]) == (
        f"sample:{sample.sample_id}", sample.frame_sha256, 12345)
    assert event["claim_keys"] == sample.claim_keys
    with pytest.raises(FrameError, match="holds only"):
        draw(store, SampleSpec("random", 10**6), record=record)
    assert len(read_events(store, action="sample_draw")) == 1
    assert len(list_samples(ReviewDb(store.reviews_db))) == 1


def test_the_review_store_is_private(store):
    draw(store, SampleSpec("random", 5))
    assert store.reviews_db.stat().st_mode & 0o777 == 0o600


def test_a_sample_stored_before_claim_flags_redraws_as_the_same_object(store):
    """A sample drawn before claim flags existed has no 'claim_flags' in its stored filters.
    Its redraw still selects the same claims, but `sample redraw --json` (documented as "the same object" as
    the draw printed) now prints parameters with an added "claim_flags": [], and differs from `sample list`."""
    sample = draw(store, SampleSpec("random", 5, filters=Filters(payer=("Medicare",))), seed=7)
    db = ReviewDb(store.reviews_db)
    old = sample.as_json()["parameters"]
    old["filters"].pop("claim_flags", None)  # as the draw printed it before today's change
    with sqlite3.connect(store.reviews_db) as conn:
        conn.execute("UPDATE samples SET parameters = ? WHERE sample_id = ?", (json.dumps(old), sample.sample_id))
    again = manage_here("sample", "redraw", sample.sample_id, "--json")
    assert again.returncode == 0, again.stderr
    printed = json.loads(again.stdout)
    assert printed["claim_keys"] == sample.claim_keys  # the claims are reproduced...
    assert list_samples(db)[0]["parameters"] == old
    assert printed["parameters"] == old  # ...and so must the object be
