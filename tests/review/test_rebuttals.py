"""Rebuttal per claim, on a stay billed MS-DRG 602 (cellulitis with MCC) with two MCCs. The auditor deletes both,
which the real grouper groups to 603, and revises the DRG finding 602 -> 603. The coder rebuts the claim's
findings together; the manager decides once, per finding; the decision regroups the claim's final codes, and
one that leaves a DRG finding the codes do not group to is refused (an accepted DRG rebuttal beside two
deletions that group to 603 was once accepted, leaving '602 agree')."""
from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta

import pytest

from audit.log.read import read_events
from cli.common import access_log_recorder
from config.paths import Paths
from ingest import reference
from ingest.writer import ingest
from queries.metrics import Filters
from queries.store import connect_read_only
from review import rebuttals, worklist
from review.db import ReviewDb, ReviewError
from review.samples import draw_sample
from review.sampling import SampleSpec
from tests.conftest import Recorded

CODER = "C602"
CODES = ["L03115", "N170", "J9601", "E119"]  # cellulitis of the right lower limb; two MCCs; diabetes
WEIGHTS = "drg,fiscal_year,weight\n602,2026,1.8000\n603,2026,1.1000\n872,2026,1.0000\n"
DELETE_MCCS = {"N170": ("delete", None), "J9601": ("delete", None)}


def review_rows(changes: dict[str, tuple[str, str | None]], drg: str) -> list[dict]:
    rows = []
    for code in CODES:
        finding, audited = changes.get(code, ("agree", code))
        rows.append({"code_type": "ICD10CM_DX", "submitted_code": code, "audited_code": audited, "finding": finding,
                     "error_category": None if finding == "agree" else "unsupported_code", "dollar_impact": "0"})
    rows.append({"code_type": "MSDRG", "submitted_code": "602", "audited_code": drg, "finding": "revise",
                 "error_category": "drg", "dollar_impact": "-4200.00"})
    return rows


@pytest.fixture
def stay(paths: Paths, tmp_path, write_csv, monkeypatch):
    """The store holds the one stay (grouped 602 at ingest), with relative weights; a function completes its review."""
    weights = tmp_path / "drg_weights.csv"
    weights.write_text(WEIGHTS)
    monkeypatch.setattr(reference, "DRG_WEIGHTS_FILE", weights)
    monkeypatch.setenv("CODEAUDIT_DRG_BASE_RATE", "6000.00")
    monkeypatch.delenv("CODEAUDIT_REBUTTAL_DAYS", raising=False)
    src = tmp_path / "in"
    write_csv(src, "claims", [{
        "claim_id": "CELL-1", "patient_dob": "1955-02-01", "facility_id": "F1", "payer": "Medicare", "coder_id": CODER,
        "encounter_type": "inpatient", "service_date": "2026-04-28", "discharge_date": "2026-05-03",
        "billed_amount": "14000.00", "ms_drg": "602", "patient_sex": "M", "discharge_status": "01"}])
    write_csv(src, "claim_codes", [{"claim_id": "CELL-1", "line": str(i), "code_type": "ICD10CM_DX", "code": code, "poa": "Y"}
                                   for i, code in enumerate(CODES, start=1)])
    ingest(src, paths, recorder=Recorded(), today=date(2026, 11, 29))
    con = connect_read_only(paths)
    assert con.execute("SELECT grouped_drg FROM claim_drg").fetchall() == [("602",)]
    db = ReviewDb(paths.reviews_db)
    sample = draw_sample(con, db, SampleSpec("random", 1, filters=Filters()), seed=1, user="ann", role="auditor", record=None)

    def complete(rows: list[dict]) -> worklist.Review:
        opened = worklist.open_review(db, sample.sample_id, sample.claim_keys[0], "ann")
        worklist.save_draft(db, opened.review_id, rows, "ann")
        return worklist.complete(db, opened.review_id, con=con, user="ann", role="auditor", record=None)

    yield paths, db, con, complete
    con.close()


def ids(review: worklist.Review) -> dict[str, str]:
    """Finding id by submitted code ('602' for the DRG finding)."""
    return {f.submitted_code: f.finding_id for f in review.completed_findings}


def finals(db: ReviewDb, review_id: str) -> dict[str, tuple]:
    return {f.submitted_code: (f.audited_code, f.finding, f.dollar_impact) for f in worklist.get_review(db, review_id).completed_findings}


def published_final(paths: Paths) -> set[str]:
    with sqlite3.connect(paths.reviews_db) as conn:
        return {row[0] for row in conn.execute("SELECT final_after FROM published_findings")}


def rebut(db, review, codes, **over):
    return rebuttals.rebut(db, review.review_id, {ids(review)[c]: f"The record supports {c}." for c in codes},
                           coder_id=CODER, claim_coder_id=CODER, user="cody", role="coder", record=None, **over)


def test_an_accepted_drg_rebuttal_beside_two_deletions_that_group_to_603_is_refused(stay):
    paths, db, con, complete = stay
    done = complete(review_rows(DELETE_MCCS, "603"))
    f = ids(done)
    claim_rebuttal = rebut(db, done, ["602", "N170", "J9601"])
    manager = dict(store=con, user="max", role="coding_manager", comment="", record=None)
    with pytest.raises(ReviewError) as refused:
        rebuttals.decide(db, claim_rebuttal, {f["602"]: True, f["N170"]: False, f["J9601"]: False}, **manager)
    assert str(refused.value) == ("The claim's final codes group to MS-DRG 603, but its DRG finding would say 602: accept the "
                                  "rebuttals of the code findings that move the DRG as well, or reject the DRG finding's rebuttal.")
    with pytest.raises(ReviewError) as refused:
        rebuttals.decide(db, claim_rebuttal, {f["602"]: False, f["N170"]: True, f["J9601"]: True}, **manager)
    assert str(refused.value) == ("The claim's final codes group to MS-DRG 602, but its DRG finding would say 603: accept the "
                                  "DRG finding's rebuttal too, or reject the code findings' rebuttals that move the DRG.")
    with pytest.raises(ReviewError, match="each of the 3 findings"):
        rebuttals.decide(db, claim_rebuttal, {f["602"]: True}, **manager)
    assert [r.revision for r in worklist.get_review(db, done.review_id).revisions] == [1]  # nothing changed
    assert all(r["decision"] is None for r in rebuttals.rebuttal_rows(db))
    # N17.0 restored and J96.01 still deleted group to 602 (one MCC is enough): consistent with '602 agree'.
    manager["record"] = access_log_recorder(paths)
    decision = rebuttals.decide(db, claim_rebuttal, {f["602"]: True, f["N170"]: True, f["J9601"]: False}, **manager)
    assert (decision.revision, decision.regrouped_drg, decision.carried_drg, decision.summary) == (2, "602", None, "partly accepted")
    assert finals(db, done.review_id) == {"L03115": ("L03115", "agree", "0.00"), "N170": ("N170", "agree", "0.00"),
                                          "J9601": (None, "delete", "0.00"), "E119": ("E119", "agree", "0.00"),
                                          "602": ("602", "agree", "0.00")}
    (event,) = read_events(paths, action="rebuttal_decision")
    assert event["claim_keys"] == [done.claim_key]
    sealed = event["details"].pop("sha256")  # the new revision's content hash (review/integrity.py)
    assert len(sealed) == 64 and int(sealed, 16) >= 0
    assert event["details"] == {"claim_rebuttal_id": claim_rebuttal, "decision": "partly accepted", "revision": 2,
                                "decisions": {f["602"]: "accepted", f["N170"]: "accepted", f["J9601"]: "rejected"},
                                "regrouped_drg": "602", "carried_drg_finding": None}
    assert published_final(paths) == {worklist.get_review(db, done.review_id).revisions[-1].completed_at}  # final now
    with pytest.raises(ReviewError, match="rebutted already"):
        rebut(db, done, ["J9601"])


def test_accepted_code_rebuttals_carry_the_regrouped_drg_finding(stay):
    """The DRG finding was not disputed: the accepted deletions move the DRG back to 602, which the decision carries."""
    paths, db, con, complete = stay
    done = complete(review_rows(DELETE_MCCS, "603"))
    f = ids(done)
    claim_rebuttal = rebut(db, done, ["N170", "J9601"])
    decision = rebuttals.decide(db, claim_rebuttal, {f["N170"]: True, f["J9601"]: True}, store=con, user="max",
                                role="coding_manager", comment="both documented", record=access_log_recorder(paths))
    assert (decision.regrouped_drg, decision.summary) == ("602", "accepted")
    assert finals(db, done.review_id)["602"] == ("602", "agree", "0.00")
    (event,) = read_events(paths, action="rebuttal_decision")
    assert event["details"]["carried_drg_finding"] == {"finding_id": f["602"], "audited_code": "602", "finding": "agree",
                                                       "dollar_impact": "0.00"}


def test_a_carried_drg_change_is_priced_at_the_base_rate_or_refused(stay, monkeypatch):
    """The auditor made sepsis principal and deleted both MCCs (872); the coder rebuts the principal diagnosis only.
    Accepted, the codes group to 603: DRG finding 602 -> 603 at (1.1000 - 1.8000) x $6,000.00 = -$4,200.00."""
    _, db, con, complete = stay
    done = complete(review_rows({"L03115": ("revise", "A419"), **DELETE_MCCS}, "872"))
    f = ids(done)
    claim_rebuttal = rebut(db, done, ["L03115"])
    monkeypatch.delenv("CODEAUDIT_DRG_BASE_RATE")
    with pytest.raises(ReviewError) as refused:
        rebuttals.decide(db, claim_rebuttal, {f["L03115"]: True}, store=con, user="max", role="coding_manager", comment="",
                         record=None)
    assert str(refused.value).startswith("The claim's final codes group to MS-DRG 603, not 872, and the change cannot be priced")
    monkeypatch.setenv("CODEAUDIT_DRG_BASE_RATE", "6000.00")
    decision = rebuttals.decide(db, claim_rebuttal, {f["L03115"]: True}, store=con, user="max", role="coding_manager",
                                comment="", record=None)
    assert decision.carried_drg is not None and decision.regrouped_drg == "603"
    assert finals(db, done.review_id)["602"] == ("603", "revise", "-4200.00")
    assert finals(db, done.review_id)["L03115"] == ("L03115", "agree", "0.00")


def test_a_review_whose_drg_finding_never_matched_its_codes_goes_back_to_the_auditor(stay):
    """Only N17.0 deleted (J96.01 still an MCC: 602) but the DRG finding says 603: not the decision's doing."""
    _, db, con, complete = stay
    done = complete(review_rows({"N170": ("delete", None)}, "603"))
    claim_rebuttal = rebut(db, done, ["N170"])
    with pytest.raises(ReviewError) as refused:
        rebuttals.decide(db, claim_rebuttal, {ids(done)["N170"]: True}, store=con, user="max", role="coding_manager",
                         comment="", record=None)
    assert str(refused.value) == ("The review's DRG finding says MS-DRG 603, but the auditor's codes group to 602: the auditor "
                                  "must correct the review before this decision.")
    rejected = rebuttals.decide(db, claim_rebuttal, {ids(done)["N170"]: False}, store=con, user="max", role="coding_manager",
                                comment="", record=None)
    assert (rejected.revision, rejected.regrouped_drg, rejected.summary) == (None, None, "rejected")  # nothing changes


def test_who_may_rebut_what_and_when(stay):
    paths, db, con, complete = stay
    done = complete(review_rows(DELETE_MCCS, "603"))
    f = ids(done)
    common = dict(user="cody", role="coder", record=access_log_recorder(paths))
    with pytest.raises(ReviewError, match="not one of yours"):
        rebuttals.rebut(db, done.review_id, {f["N170"]: "x"}, coder_id="C999", claim_coder_id=CODER, **common)
    with pytest.raises(ReviewError, match="no coder id"):
        rebuttals.rebut(db, done.review_id, {f["N170"]: "x"}, coder_id=None, claim_coder_id=CODER, **common)
    with pytest.raises(ReviewError, match="Only completed error findings"):
        rebuttals.rebut(db, done.review_id, {f["L03115"]: "x"}, coder_id=CODER, claim_coder_id=CODER, **common)
    with pytest.raises(ReviewError, match="at least one finding"):
        rebuttals.rebut(db, done.review_id, {f["N170"]: "  ", f["J9601"]: ""}, coder_id=CODER, claim_coder_id=CODER, **common)
    with pytest.raises(ReviewError, match="Shorten the comment on ICD10CM_DX N170 delete"):
        rebuttals.rebut(db, done.review_id, {f["N170"]: "x" * 2_001}, coder_id=CODER, claim_coder_id=CODER, **common)
    with pytest.raises(ReviewError, match="window for this claim closed"):
        rebuttals.rebut(db, done.review_id, {f["N170"]: "late"}, coder_id=CODER, claim_coder_id=CODER,
                        now=datetime.now(UTC) + timedelta(days=15), **common)
    first = rebuttals.rebut(db, done.review_id, {f["N170"]: "in the H&P", f["J9601"]: ""}, coder_id=CODER, claim_coder_id=CODER,
                            **common)
    with pytest.raises(ReviewError, match="rebutted already"):
        rebuttals.rebut(db, done.review_id, {f["J9601"]: "also this"}, coder_id=CODER, claim_coder_id=CODER, **common)
    (event,) = read_events(paths, action="rebuttal")
    assert event["details"] == {"claim_rebuttal_id": first, "coder_id": CODER, "findings": [f["N170"]]}
    assert "H&P" not in str(event)  # the comment may hold PHI: never in the log
    rebuttals.decide(db, first, {f["N170"]: False}, store=con, user="max", role="coding_manager", comment="", record=None)
    assert published_final(paths) == {done.revisions[0].completed_at}  # J96.01 was not disputed: final at the decision
    # An auditor's correction is a new completed review: its findings can be rebutted again, once.
    draft = worklist.start_correction(db, done.review_id, "ann", "recheck the MCCs")
    worklist.complete(db, draft.review_id, con=con, user="ann", role="auditor", record=None)
    assert rebuttals.closed_reviews(db, [done.review_id]) == set()
    closes = datetime.fromisoformat(done.revisions[0].completed_at) + timedelta(days=14)
    assert published_final(paths) == {closes.isoformat(timespec="microseconds")}  # open to a rebuttal again
    rebuttals.rebut(db, done.review_id, {f["J9601"]: "the chest film"}, coder_id=CODER, claim_coder_id=CODER, **common)
    assert rebuttals.closed_reviews(db, [done.review_id]) == {done.review_id}


def test_rebuttals_made_one_finding_at_a_time_become_claim_rebuttals(stay):
    """A store from before claim rebuttals, with per-finding rebuttals (the DRG finding's accepted as revision 2, a
    deletion's pending) gains claim rebuttals of the same ids on opening; the pending one is decided per claim."""
    paths, db, con, complete = stay
    done = complete(review_rows(DELETE_MCCS, "603"))
    f = ids(done)
    stamp = datetime.now(UTC).isoformat()
    with sqlite3.connect(paths.reviews_db) as conn:  # back to the schema before the change, with its rebuttals
        conn.execute("DROP TABLE claim_rebuttals")
        conn.execute("DROP INDEX rebuttals_of_claim_rebuttal")
        conn.execute("ALTER TABLE rebuttals DROP COLUMN claim_rebuttal_id")
        conn.execute("DELETE FROM schema_migrations WHERE name = '0550_claim_rebuttals'")
        conn.execute("INSERT INTO revisions SELECT review_id, 2, status, 'max', saved_at, ?, 'rebuttal old1 accepted by max' "
                     "FROM revisions WHERE revision = 1", (stamp,))
        conn.execute("INSERT INTO findings (review_id, revision, finding_id, position, code_type, submitted_code, audited_code, "
                     "finding, error_category, dollar_impact) SELECT review_id, 2, finding_id, position, code_type, submitted_code, "
                     "CASE WHEN code_type = 'MSDRG' THEN submitted_code ELSE audited_code END, "
                     "CASE WHEN code_type = 'MSDRG' THEN 'agree' ELSE finding END, "
                     "CASE WHEN code_type = 'MSDRG' THEN NULL ELSE error_category END, dollar_impact FROM findings")
        conn.execute("INSERT INTO rebuttals VALUES ('old1', ?, ?, ?, 'cody', ?, 'x', 'accepted', 'max', ?, '')",
                     (done.review_id, f["602"], CODER, stamp, stamp))
        conn.execute("INSERT INTO rebuttals (rebuttal_id, review_id, finding_id, coder_id, rebutted_by, rebutted_at, comment) "
                     "VALUES ('old2', ?, ?, ?, 'cody', ?, 'y')", (done.review_id, f["N170"], CODER, stamp))
    db = ReviewDb(paths.reviews_db)
    with sqlite3.connect(paths.reviews_db) as conn:
        assert conn.execute("SELECT claim_rebuttal_id, decided_by, revision FROM claim_rebuttals ORDER BY 1").fetchall() == [
            ("old1", "max", 2), ("old2", None, None)]
    assert {(r["rebuttal_id"], r["claim_rebuttal_id"], r["decision"]) for r in rebuttals.rebuttal_rows(db)} == {
        ("old1", "old1", "accepted"), ("old2", "old2", None)}
    manager = dict(store=con, user="max", role="coding_manager", comment="", record=None)
    with pytest.raises(ReviewError, match="not pending"):
        rebuttals.decide(db, "old1", {f["602"]: True}, **manager)
    decision = rebuttals.decide(db, "old2", {f["N170"]: True}, **manager)  # N17.0 restored, J96.01 deleted: 602, as it says
    assert (decision.revision, decision.regrouped_drg, decision.carried_drg) == (3, "602", None)


def test_a_correction_completed_while_the_grouper_runs_refuses_the_decision(stay, monkeypatch):
    """The grouper runs outside the write transaction; a review changed meanwhile is not decided on stale findings."""
    _, db, con, complete = stay
    done = complete(review_rows(DELETE_MCCS, "603"))
    claim_rebuttal = rebut(db, done, ["N170", "J9601"])
    real = rebuttals._matched_drg

    def auditor_corrects_meanwhile(*args):
        draft = worklist.start_correction(db, done.review_id, "ann", "recheck the MCCs")
        worklist.complete(db, draft.review_id, con=con, user="ann", role="auditor", record=None)
        return real(*args)

    monkeypatch.setattr(rebuttals, "_matched_drg", auditor_corrects_meanwhile)
    with pytest.raises(ReviewError, match="changed while you decided"):
        rebuttals.decide(db, claim_rebuttal, {ids(done)["N170"]: True, ids(done)["J9601"]: True}, store=con, user="max",
                         role="coding_manager", comment="", record=None)
    assert [r["decision"] for r in rebuttals.rebuttal_rows(db)] == [None, None]
    assert [r.revision for r in worklist.get_review(db, done.review_id).revisions] == [1, 2]  # the correction only
