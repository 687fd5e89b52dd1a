"""A sample's life after its draw, against a real (small) store: voiding it with a reason (logged; its claims no
longer count as already audited for later draws, its claims cannot be reviewed further, it cannot be completed
and has no appraisal), and replacing a drawn claim that cannot be reviewed by the first unused spare of its
stratum (reason, who and when recorded and logged; the sample is completed and appraised with the spare)."""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from audit.log.read import read_events
from cli import main
from cli.common import access_log_recorder
from queries.metrics import Filters
from queries.store import connect_read_only
from review import worklist
from review.db import ReviewDb, ReviewError, iso, utc_now
from review.lifecycle import replace_claim, replacements, void_sample
from review.money import claim_payment
from review.sample_appraisal import appraise_sample
from review.samples import excluded_before, list_samples, load_sample, redraw, seed_text, stored_frame
from review.sampling import SampleSpec
from tests.review.test_samples import draw


def codes_of(paths, key):
    con = connect_read_only(paths)
    try:
        return con.execute("SELECT code_type, code FROM claim_codes WHERE claim_key = ? ORDER BY code_type, line", [key]).fetchall()
    finally:
        con.close()


def imported_audited(paths) -> set[str]:
    con = connect_read_only(paths)
    try:
        return {k for (k,) in con.execute("SELECT DISTINCT claim_key FROM store.main.audit_findings").fetchall()}
    finally:
        con.close()


def overpaid_at_most(paths, key, target: Decimal) -> str:
    """`target`, or what was paid on the claim when that is less (a claim cannot be overpaid by more than was
    paid on it), as text; '0' for a claim paid nothing (a denied one). The demo's paid amounts follow the day it is
    built, so a fixed amount would break the rule on some days."""
    con = connect_read_only(paths)
    try:
        paid = claim_payment(con, key).paid
    finally:
        con.close()
    return str(min(target, paid)) if paid else "0"


def complete_with(paths, sample_id, key, overpaid: str = "0"):
    """Review one claim: agree on every code, one of them revised at `overpaid` dollars when not '0'."""
    db = ReviewDb(paths.reviews_db)
    (code_type, code), *rest = codes_of(paths, key)
    first = ({"code_type": code_type, "submitted_code": code, "audited_code": code, "finding": "agree"} if overpaid == "0" else
             {"code_type": code_type, "submitted_code": code, "finding": "delete", "error_category": "unsupported_code",
              "dollar_impact": f"-{overpaid}"})
    rows = [first] + [{"code_type": t, "submitted_code": c, "audited_code": c, "finding": "agree"} for t, c in rest]
    opened = worklist.open_review(db, sample_id, key, "ann")
    worklist.save_draft(db, opened.review_id, rows, "ann")
    con = connect_read_only(paths)
    try:
        return worklist.complete(db, opened.review_id, con=con, user="ann", role="auditor", record=None)
    finally:
        con.close()


def test_a_voided_sample_is_logged_no_longer_counts_as_audited_and_is_closed_to_reviews(store):
    db = ReviewDb(store.reviews_db)
    record = access_log_recorder(store)
    first = draw(store, SampleSpec("random", 5), seed=1)
    complete_with(store, first.sample_id, first.claim_keys[0])
    later = draw(store, SampleSpec("random", 5, exclude_audited=True), seed=2)  # drawn while `first` counted
    assert set(first.claim_keys) <= set(excluded_before(db, None))
    with pytest.raises(ReviewError, match="Say why"):
        void_sample(db, first.sample_id, "  ", user="ann", role="auditor", record=record)
    voided = void_sample(db, first.sample_id, "Drawn from the wrong quarter.", user="ann", role="auditor", record=record)
    assert voided.voided_by == "ann" and voided.void_reason == "Drawn from the wrong quarter." and voided.voided_at
    (event,) = read_events(store, action="sample_void")
    assert (event["resource"], event["user"], event["details"]["reason"]) == (
        f"sample:{first.sample_id}", "ann", "Drawn from the wrong quarter.")
    assert not set(first.claim_keys) & set(excluded_before(db, None))  # later draws may take its claims again
    third = draw(store, SampleSpec("random", 5, exclude_audited=True), seed=3)
    later_frame, third_frame = (set(stored_frame(db, s.sample_id)[0]) for s in (later, third))
    assert not set(first.claim_keys) & later_frame  # left out while `first` stood
    assert third_frame - later_frame == set(first.claim_keys) - imported_audited(store)  # back in the frame
    assert later_frame - third_frame == set(later.claim_keys)  # `later` stands: its claims are audited
    con = connect_read_only(store)
    assert redraw(con, db, later.sample_id).same_frame  # a sample drawn before the void still redraws as drawn
    con.close()
    listed = {s["sample_id"]: s for s in list_samples(db)}[first.sample_id]
    assert (listed["voided_by"], listed["void_reason"]) == ("ann", "Drawn from the wrong quarter.")
    with pytest.raises(ReviewError, match="voided"):
        worklist.open_review(db, first.sample_id, first.claim_keys[1], "ann")
    done = worklist.open_review(db, later.sample_id, later.claim_keys[0], "ann")  # the other sample is unaffected
    assert done.sample_id == later.sample_id
    with pytest.raises(ReviewError, match="voided"):
        worklist.start_correction(db, _review_id(db, first.sample_id), "ann", "typo")
    with pytest.raises(ReviewError, match="voided"):
        worklist.complete_sample(db, first.sample_id, con=connect_read_only(store), user="ann", role="auditor", record=None)
    with pytest.raises(ReviewError, match="voided"):
        appraise_sample(db, load_sample(db, first.sample_id), connect_read_only(store))
    with pytest.raises(ReviewError, match="already voided"):
        void_sample(db, first.sample_id, "again", user="ann", role="auditor", record=record)
    assert len(read_events(store, action="sample_void")) == 1


def _review_id(db, sample_id):
    with db.connect() as conn:
        return conn.execute("SELECT review_id FROM reviews WHERE sample_id = ?", (sample_id,)).fetchone()[0]


def test_a_spare_replaces_a_claim_that_cannot_be_reviewed_and_the_sample_is_completed_and_appraised_with_it(store):
    db = ReviewDb(store.reviews_db)
    record = access_log_recorder(store)
    # outpatient claims: paid by code, so a code-level finding carries the claim's overpayment (review/money.py)
    sample = draw(store, SampleSpec("random", 4, Filters(encounter_type=("outpatient",)), spares=2), seed=5)
    drawn, spares = sample.claim_keys, sample.spares
    first_over = overpaid_at_most(store, drawn[0], Decimal("100.00"))
    complete_with(store, sample.sample_id, drawn[0], first_over)
    with pytest.raises(ReviewError, match="completed"):
        replace_claim(db, sample.sample_id, drawn[0], "Record not available.", user="ann", role="auditor", record=record)
    with pytest.raises(ReviewError, match="not among"):
        replace_claim(db, sample.sample_id, spares[0], "Record not available.", user="ann", role="auditor", record=record)
    with pytest.raises(ReviewError, match="Say why"):
        replace_claim(db, sample.sample_id, drawn[2], "", user="ann", role="auditor", record=record)
    worklist.open_review(db, sample.sample_id, drawn[2], "ann")  # started, then the record turned out missing
    assert replace_claim(db, sample.sample_id, drawn[2], "Record not available.", user="ann", role="auditor",
                         record=record) == spares[0]
    (event,) = read_events(store, action="sample_replace")
    assert event["claim_keys"] == [drawn[2], spares[0]] and event["details"]["reason"] == "Record not available."
    (row,) = replacements(db, sample.sample_id)
    assert {k: row[k] for k in ("replaced_key", "spare_key", "reason", "by")} == {
        "replaced_key": drawn[2], "spare_key": spares[0], "reason": "Record not available.", "by": "ann"}
    assert sample.drawn_at < row["at"] <= iso(utc_now())
    reloaded = load_sample(db, sample.sample_id)
    assert reloaded.claim_keys == [drawn[0], drawn[1], spares[0], drawn[3]]  # the spare takes the claim's place
    assert reloaded.as_json()["claim_keys"] == drawn  # the draw itself is unchanged
    with pytest.raises(ReviewError, match="replaced"):
        worklist.open_review(db, sample.sample_id, drawn[2], "ann")
    # the spare itself proves unreviewable too: the next spare replaces it
    assert replace_claim(db, sample.sample_id, spares[0], "Duplicate of another claim.", user="ann", role="auditor",
                         record=record) == spares[1]
    with pytest.raises(ReviewError, match="No spare"):
        replace_claim(db, sample.sample_id, drawn[3], "Record not available.", user="ann", role="auditor", record=record)
    assert [r["spare_key"] for r in replacements(db, sample.sample_id)] == spares
    assert set(excluded_before(db, None)) == {drawn[0], drawn[1], spares[1], drawn[3]}
    spare_over = overpaid_at_most(store, spares[1], Decimal("50.00"))
    for key, overpaid in ((drawn[1], "0"), (spares[1], spare_over)):
        complete_with(store, sample.sample_id, key, overpaid)
    with pytest.raises(ReviewError, match="1 of the sample's claims"):
        worklist.complete_sample(db, sample.sample_id, con=connect_read_only(store), user="ann", role="auditor", record=None)
    complete_with(store, sample.sample_id, drawn[3], "0")
    assert worklist.complete_sample(db, sample.sample_id, con=connect_read_only(store), user="ann", role="auditor", record=None)
    result = appraise_sample(db, load_sample(db, sample.sample_id), connect_read_only(store))
    assert result.values.claim_keys == [drawn[0], drawn[1], spares[1], drawn[3]]
    overpaid = [float(first_over), 0.0, float(spare_over), 0.0]
    assert result.values.overpayment == overpaid
    assert result.variable.point_estimate == pytest.approx(sample.frame_size * sum(overpaid) / 4)
    assert result.attribute.errors == sum(1 for x in overpaid if x)
    with pytest.raises(ReviewError, match="completed"):
        replace_claim(db, sample.sample_id, drawn[1], "late", user="ann", role="auditor", record=record)


def test_a_spare_comes_from_the_replaced_claims_stratum(store):
    db = ReviewDb(store.reviews_db)
    sample = draw(store, SampleSpec("stratified", 6, strata_by="encounter_type", allocation="equal", spares=1), seed=8)
    last = sample.claim_keys[-1]
    stratum = next(d.stratum for d in sample.drawn if d.claim_key == last)
    (spare,) = [d.claim_key for d in sample.drawn if d.spare and d.stratum == stratum]
    assert sample.spares[0] != spare  # the first spare overall belongs to another stratum
    assert replace_claim(db, sample.sample_id, last, "Record not available.", user="ann", role="auditor", record=None) == spare
    assert load_sample(db, sample.sample_id).claim_keys[-1] == spare


def test_the_commands_void_replace_and_list(store, capsys):
    sample = draw(store, SampleSpec("random", 3, spares=1), seed=1234567)
    assert seed_text(sample.seed) == "1234567" and seed_text(2.5) == "2.5"
    assert main(["sample", "replace", sample.sample_id, sample.claim_keys[0], "--reason", "Record not available."]) == 0
    out, err = capsys.readouterr()
    assert err == "" and sample.spares[0] in out
    assert main(["sample", "void", sample.sample_id, "--reason", "Frame filter was wrong."]) == 0
    out, _ = capsys.readouterr()
    assert "voided" in out
    assert main(["sample", "void", sample.sample_id, "--reason", "again"]) == 2
    _, err = capsys.readouterr()
    assert err.count("\n") == 1 and "already voided" in err
    assert main(["sample", "list", "--json"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert (listed["void_reason"], listed["voided_by"][:4]) == ("Frame filter was wrong.", "cli:")
    assert listed["replacements"][0]["spare_key"] == sample.spares[0] and listed["seed"] == 1234567
    assert [e["action"] for e in read_events(store) if e["action"].startswith("sample_")] == [
        "sample_void", "sample_replace"]  # newest first; the draw above wrote none (no recorder)


def test_a_void_reason_and_scope_are_checked(store):
    sample = draw(store, SampleSpec("random", 3, filters=Filters(payer=("Medicare",))), seed=4)
    with pytest.raises(ReviewError, match="no sample"):
        void_sample(ReviewDb(store.reviews_db), "S-nope", "x", user="ann", role="auditor", record=None)
    long = void_sample(ReviewDb(store.reviews_db), sample.sample_id, "x" * 900, user="ann", role="auditor", record=None)
    assert len(long.void_reason) == 500


def test_the_report_gives_the_seed_as_typed(store):
    import pypdfium2 as pdfium

    from review import report_versions

    db = ReviewDb(store.reviews_db)
    sample = draw(store, SampleSpec("random", 2), seed=1234567)
    for key in sample.claim_keys:
        complete_with(store, sample.sample_id, key)
    con = connect_read_only(store)
    try:
        assert worklist.complete_sample(db, sample.sample_id, con=con, user="ann", role="auditor", record=None)
    finally:
        con.close()
    pdf = pdfium.PdfDocument(report_versions.version_pdf(db, sample.sample_id).pdf)
    text = " ".join(" ".join(page.get_textpage().get_text_range().split()) for page in pdf)
    assert "1234567" in text and "e+06" not in text and "1,234,567" not in text


def test_a_void_that_lands_while_a_frame_is_built_either_counts_after_the_draw_or_refuses_it(store, monkeypatch):
    """A draw leaves out what stood at its draw time, and so does its redraw. A void stamped after that time
    leaves the draw as it is (the void counts for later draws only); one stamped before it but committed
    while the frame was being built would make the redraw differ, so the draw is refused and drawn again."""
    import review.samples as samples_module

    db = ReviewDb(store.reviews_db)
    real = samples_module.build_frame
    first, second = draw(store, SampleSpec("random", 5), seed=1), draw(store, SampleSpec("random", 5), seed=3)

    def voided_meanwhile(sample, stamp: datetime | None):
        def build(*args, **kwargs):
            frame = real(*args, **kwargs)
            void_sample(db, sample.sample_id, "Wrong quarter.", user="bob", role="auditor", record=None, now=stamp)
            return frame
        return build

    monkeypatch.setattr(samples_module, "build_frame", voided_meanwhile(first, None))
    kept = draw(store, SampleSpec("random", 5, exclude_audited=True), seed=2)
    just_after_kept = datetime.fromisoformat(kept.drawn_at) + timedelta(microseconds=1)  # before the next draw's time
    monkeypatch.setattr(samples_module, "build_frame", voided_meanwhile(second, just_after_kept))
    with pytest.raises(ReviewError, match="draw it again"):
        draw(store, SampleSpec("random", 5, exclude_audited=True), seed=2)
    monkeypatch.setattr(samples_module, "build_frame", real)
    again = draw(store, SampleSpec("random", 5, exclude_audited=True), seed=2)
    con = connect_read_only(store)
    assert redraw(con, db, kept.sample_id).same_frame and redraw(con, db, again.sample_id).same_frame
    con.close()
    assert not set(first.claim_keys) & set(stored_frame(db, kept.sample_id)[0])  # `first` stood at its draw
