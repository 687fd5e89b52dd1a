"""The worklist and rebuttal against a real store: a typed finding is refused in ingest's words, completed
reviews are locked and corrected as revisions, reviewed findings reach every metric exactly as if they had been
ingested (checked against claim_facts rebuilt by the writer), and the rebuttal window, the coder scoping of a
rebuttal and the manager's decisions decide what is final."""
from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from audit.log.read import read_events
from cli.common import access_log_recorder
from config.paths import Paths
from ingest.swap import write_transaction
from ingest.writer import ingest
from queries import metrics, reviewed
from queries.metrics import Filters
from queries.sql_files import sql
from queries.store import StoreReader, connect_read_only
from review import rebuttals, worklist
from review.claims import claim_lines, described
from review.db import ReviewDb, ReviewError
from review.samples import draw_sample
from review.sampling import SampleSpec
from tests.conftest import Recorded

NOW = datetime.now(UTC)


def sampled(paths: Paths, size: int = 8, scope: Filters | None = None):
    con = connect_read_only(paths)
    try:
        sample = draw_sample(con, ReviewDb(paths.reviews_db), SampleSpec("random", size, filters=scope or Filters()),
                             seed=99, user="ann", role="auditor", record=None)
        codes = {k: con.execute("SELECT code_type, code FROM claim_codes WHERE claim_key = ? ORDER BY code_type, line",
                                [k]).fetchall() for k in sample.claim_keys}
        coders = {k: con.execute("SELECT coder_id, encounter_type FROM claims WHERE claim_key = ?", [k]).fetchone()
                  for k in sample.claim_keys}
    finally:
        con.close()
    return sample, codes, coders


def paid_at_least(paths: Paths, keys, amount: float) -> list[str]:
    """The keys (in sample order) of claims paid at least `amount`: room for a test's overpayments, as a claim is
    never overpaid by more than was paid on it (review/money.py)."""
    con = connect_read_only(paths)
    try:
        paid = {k: con.execute("SELECT paid_amount FROM claims WHERE claim_key = ?", [k]).fetchone()[0] for k in keys}
    finally:
        con.close()
    return [k for k in keys if paid[k] is not None and paid[k] >= amount]


def agree_rows(codes):
    return [{"code_type": t, "submitted_code": c, "audited_code": c, "finding": "agree"} for t, c in codes]


def review(paths, sample, key, rows, when=NOW, record=None):
    db = ReviewDb(paths.reviews_db)
    opened = worklist.open_review(db, sample.sample_id, key, "ann", now=when)
    worklist.save_draft(db, opened.review_id, rows, "ann", now=when)
    con = connect_read_only(paths)
    try:
        return worklist.complete(db, opened.review_id, con=con, user="ann", role="auditor", record=record, now=when)
    finally:
        con.close()


def test_a_typed_finding_is_refused_with_the_sentence_ingest_gives(store, tmp_path, write_csv):
    bad = {"code_type": "ICD10CM_DX", "submitted_code": "E11.9", "audited_code": "E11.65", "finding": "agree",
           "error_category": "", "dollar_impact": "0"}
    write_csv(tmp_path / "batch", "claims", [{"claim_id": "RULES-1", "facility_id": "F", "payer": "P", "coder_id": "C001",
                                              "encounter_type": "outpatient", "service_date": "2025-01-02", "billed_amount": "10"}])
    write_csv(tmp_path / "batch", "audit_findings", [{"claim_id": "RULES-1", "review_id": "R1", "auditor_id": "A1",
                                                      "review_date": "2025-02-01", **bad}])
    ingest(tmp_path / "batch", store, recorder=Recorded(), source="demo")
    con = connect_read_only(store)
    (reason,) = con.execute("SELECT reason FROM rejects WHERE file = 'audit_findings.csv'").fetchone()
    con.close()
    assert reason == "finding agree but submitted_code differs from audited_code: use revise"
    sample, codes, _ = sampled(store, 1)
    opened = worklist.open_review(ReviewDb(store.reviews_db), sample.sample_id, sample.claim_keys[0], "ann")
    with pytest.raises(ReviewError) as refused:
        worklist.save_draft(ReviewDb(store.reviews_db), opened.review_id, [bad], "ann")
    assert str(refused.value) == f"Finding 1: {reason}. Nothing was saved; correct it and save again."
    saved = worklist.save_draft(ReviewDb(store.reviews_db), opened.review_id, [{**bad, "finding": "revise",
                                                                                 "error_category": "Specificity"}], "ann")
    assert (saved.findings[0].submitted_code, saved.findings[0].error_category, saved.findings[0].dollar_impact) == (
        "E119", "specificity", "0.00")  # normalised as ingest stores it


def test_completed_reviews_are_locked_and_a_correction_is_a_logged_revision_keeping_the_old(store):
    sample, codes, _ = sampled(store, 1)
    key = sample.claim_keys[0]
    record = access_log_recorder(store)
    done = review(store, sample, key, agree_rows(codes[key]), record=record)
    db = ReviewDb(store.reviews_db)
    with pytest.raises(ReviewError, match="locked"):
        worklist.save_draft(db, done.review_id, agree_rows(codes[key]), "ann")
    with pytest.raises(ReviewError, match="Say why"):
        worklist.start_correction(db, done.review_id, "ann", " ")
    draft = worklist.start_correction(db, done.review_id, "ann", "line 2 code misread")
    changed = [dict(agree_rows(codes[key])[0], finding="delete", audited_code=None, error_category="unsupported_code",
                    dollar_impact="-7.55")] + agree_rows(codes[key])[1:]
    worklist.save_draft(db, draft.review_id, changed, "ann")
    con = connect_read_only(store)
    corrected = worklist.complete(db, draft.review_id, con=con, user="ann", role="auditor", record=record)
    con.close()
    assert [(r.revision, r.status, r.reason) for r in corrected.revisions] == [
        (1, "completed", ""), (2, "completed", "line 2 code misread")]
    with db.connect() as conn:
        assert [f.finding for f in worklist.load_review(conn, done.review_id).completed_findings][0] == "delete"
        first = worklist._findings(conn, done.review_id, 1)
    assert all(f.finding == "agree" for f in first)  # revision 1 kept as it was
    actions = [e["action"] for e in read_events(store)]
    assert actions[:2] == ["review_correct", "review_complete"]
    assert read_events(store, action="review_correct")[0]["details"]["reason"] == "line 2 code misread"


def test_an_inpatient_claim_with_an_admitting_diagnosis_can_be_reviewed_and_completed(store):
    """Every code of the claim gets a finding, the admitting diagnosis included (the worklist's default rows)."""
    sample, codes, _ = sampled(store, 8, Filters(encounter_type=("inpatient",)))
    admitted = [k for k in sample.claim_keys if "ICD10CM_ADMIT" in {kind for kind, _ in codes[k]}]
    assert admitted, codes
    key = admitted[0]
    done = review(store, sample, key, agree_rows(codes[key]))
    assert done.locked and {f.code_type for f in done.completed_findings} >= {"ICD10CM_DX", "ICD10CM_ADMIT"}


def rebuilt_summary(paths: Paths, tmp_path, findings: pd.DataFrame, by: str | None):
    """The writer's way, as an independent check: a copy of the store whose audit_findings hold the final reviewed
    findings too, with claim_facts rebuilt from scratch, read without any review store."""
    other = Paths(data_dir=tmp_path / "rebuilt", key_dir=paths.key_dir).ensure()
    shutil.copyfile(paths.store, other.store)
    with write_transaction(other) as con:
        con.register("extra", findings)
        con.execute("INSERT INTO audit_findings SELECT claim_key, review_id, auditor_id, review_date, code_type, "
                    "submitted_code, audited_code, finding, error_category, CAST(dollar_impact AS DECIMAL(14, 2)) FROM extra")
        con.execute(sql("claim_rules"))
        con.execute(sql("claim_facts"))
        con.execute(sql("totals/build"))  # as ingest/writer.py: the summary of whole months reads these
    con = connect_read_only(other)
    try:
        return [metrics.summary(con, Filters(), dimension) for dimension in (None, *metrics.DIMENSIONS)], \
            metrics.error_pareto(con, Filters()), metrics.coder_category(con, Filters())
    finally:
        con.close()


def test_reviewed_findings_count_in_every_metric_as_if_ingested(store, tmp_path, monkeypatch):
    monkeypatch.setenv("CODEAUDIT_REBUTTAL_DAYS", "14")
    sample, codes, coders = sampled(store, 8)
    keys = sample.claim_keys
    past = NOW - timedelta(days=20)  # window closed: final
    review(store, sample, keys[0], agree_rows(codes[keys[0]]))                       # nothing to rebut: final at once
    rows = agree_rows(codes[keys[1]])
    rows[0].update(finding="revise", audited_code="R51.9" if rows[0]["code_type"] == "ICD10CM_DX" else "99999",
                   error_category="specificity", dollar_impact="-120.00")
    review(store, sample, keys[1], rows, when=past)
    rows = agree_rows(codes[keys[2]]) + [{"code_type": "ICD10CM_DX", "audited_code": "Z79.4", "finding": "add",
                                         "error_category": "missing_code", "dollar_impact": "35.10"}]
    review(store, sample, keys[2], rows, when=past)
    rows = agree_rows(codes[keys[3]])
    rows[-1].update(finding="delete", audited_code=None, error_category="unsupported_code", dollar_impact="-10")
    review(store, sample, keys[3], rows)                                              # preliminary: left out
    drg = [{"code_type": "MSDRG", "submitted_code": "291", "audited_code": "292", "finding": "revise",
            "error_category": "drg", "dollar_impact": "-180"}]
    review(store, sample, keys[4], agree_rows(codes[keys[4]]) + drg, when=past)
    con = connect_read_only(store)
    final = con.execute("SELECT * FROM reviewed_findings").df()
    assert set(final.claim_key) == {keys[0], keys[1], keys[2], keys[4]}
    ours = [metrics.summary(con, Filters(), dimension) for dimension in (None, *metrics.DIMENSIONS)]
    pareto, by_coder = metrics.error_pareto(con, Filters()), metrics.coder_category(con, Filters())
    assert reviewed.pending(con, Filters()) == {"findings": len(codes[keys[3]]), "errors": 1, "claims": 1}
    sources = dict(con.execute("SELECT source, count(*) FROM finding_facts GROUP BY source").fetchall())
    con.close()
    assert sources["reviewed"] == len(final)
    theirs, their_pareto, their_coders = rebuilt_summary(store, tmp_path, final, None)
    for mine, expected in zip(ours, theirs, strict=True):
        pd.testing.assert_frame_equal(mine, expected, check_exact=False, rtol=1e-12)
    pd.testing.assert_frame_equal(pareto, their_pareto, check_exact=False, rtol=1e-12)
    pd.testing.assert_frame_equal(by_coder, their_coders, check_exact=False, rtol=1e-12)


def test_a_reader_reloads_when_the_review_store_changes_and_when_a_window_closes(store, monkeypatch):
    monkeypatch.setenv("CODEAUDIT_REBUTTAL_DAYS", "3")
    sample, codes, _ = sampled(store, 2)
    reader = StoreReader(store)
    before = int(metrics.summary(reader.connection(), Filters()).iloc[0]["findings"])
    version = reader.version
    key = sample.claim_keys[0]
    review(store, sample, key, agree_rows(codes[key]))
    assert int(metrics.summary(reader.connection(), Filters()).iloc[0]["findings"]) == before + len(
        [c for c in codes[key] if c[0] != "MSDRG"])
    assert reader.version != version
    rows = agree_rows(codes[sample.claim_keys[1]])
    rows[0].update(finding="delete", audited_code=None, error_category="unsupported_code", dollar_impact="-1")
    done = review(store, sample, sample.claim_keys[1], rows)
    con = connect_read_only(store)
    overlay = reviewed.load(con, store, NOW + timedelta(days=1))
    assert reviewed.pending(con, Filters())["claims"] == 1
    closes = datetime.fromisoformat(done.revisions[0].completed_at) + timedelta(days=3)
    assert overlay.next_final == closes and not overlay.stale(store, closes - timedelta(seconds=1)) and overlay.stale(store, closes)
    reviewed.load(con, store, closes)
    assert reviewed.pending(con, Filters())["claims"] == 0
    con.close()


def test_a_reader_reads_the_publication_version_only_after_a_commit_and_sees_a_publish_at_its_next_query(store, monkeypatch):
    """Every query asks the reader for its connection; the version is read (a new SQLite connection and its schema)
    only after something was committed to the review store, and a publish is in the very next query's answer."""
    sample, codes, _ = sampled(store, 1)
    reader = StoreReader(store)
    before = int(metrics.summary(reader.connection(), Filters()).iloc[0]["findings"])
    reads, read = [], reviewed.published_version
    monkeypatch.setattr(reviewed, "published_version", lambda paths: reads.append(paths) or read(paths))
    for _ in range(3):
        reader.connection()
    assert reads == []
    key = sample.claim_keys[0]
    review(store, sample, key, agree_rows(codes[key]))
    assert int(metrics.summary(reader.connection(), Filters()).iloc[0]["findings"]) == before + len(
        [c for c in codes[key] if c[0] != "MSDRG"])
    assert len(reads) == 1
    reader.close()


def test_rebuttal_window_and_decisions_decide_what_is_final(store, monkeypatch):
    """Who may rebut what is tested in tests/review/test_rebuttals.py; here, what the metrics count."""
    monkeypatch.setenv("CODEAUDIT_REBUTTAL_DAYS", "14")
    sample, codes, coders = sampled(store, 12)
    keys = paid_at_least(store, sample.claim_keys, 50)[:3]  # each claim is overpaid by 10 below
    assert len(keys) == 3
    db = ReviewDb(store.reviews_db)
    done = []
    for key in keys:
        rows = agree_rows(codes[key]) + [{"code_type": "ICD10CM_DX", "audited_code": "Z79.4", "finding": "add",
                                         "error_category": "missing_code", "dollar_impact": "20"}]
        rows[0].update(finding="delete", audited_code=None, error_category="unsupported_code", dollar_impact="-30")
        done.append(review(store, sample, key, rows, when=NOW - timedelta(days=10)))
    first, second, third = done
    coder = coders[first.claim_key][0]
    deleted, added = first.completed_findings[0], first.completed_findings[-1]
    common = dict(user="cody", role="coder", record=access_log_recorder(store))
    both = rebuttals.rebut(db, first.review_id, {deleted.finding_id: "documented in the H&P", added.finding_id: "not supported"},
                           coder_id=coder, claim_coder_id=coder, **common)
    c2 = coders[second.claim_key][0]
    pending = rebuttals.rebut(db, second.review_id, {second.completed_findings[0].finding_id: "see note"}, coder_id=c2,
                              claim_coder_id=c2, **common)
    # Past the window: the third claim is final; the first two stay preliminary while their rebuttals are pending.
    con = connect_read_only(store)
    later = NOW + timedelta(days=5)
    reviewed.load(con, store, later)
    assert reviewed.pending(con, Filters())["claims"] == 2
    manager = dict(store=con, user="max", role="coding_manager", record=access_log_recorder(store))
    decision = rebuttals.decide(db, both, {deleted.finding_id: True, added.finding_id: False}, comment="agreed in part", **manager)
    assert decision.decisions == {deleted.finding_id: "accepted", added.finding_id: "rejected"}
    with pytest.raises(ReviewError, match="not pending"):
        rebuttals.decide(db, both, {deleted.finding_id: True, added.finding_id: True}, comment="", **manager)
    with db.connect() as conn:
        now_first = worklist.load_review(conn, first.review_id)
    assert [r.reason for r in now_first.revisions][-1] == f"rebuttal {both} decided by max: 1 of 2 findings accepted"
    corrected = {f.finding_id: f for f in now_first.completed_findings}
    assert (corrected[deleted.finding_id].finding, corrected[deleted.finding_id].dollar_impact) == ("agree", "0.00")
    assert corrected[added.finding_id].finding == "add"  # rejected: stands
    reviewed.load(con, store, later)
    assert reviewed.pending(con, Filters())["claims"] == 1  # only the second, pending
    net = con.execute("SELECT sum(dollar_impact) FROM reviewed_findings WHERE claim_key = ?", [first.claim_key]).fetchone()[0]
    assert float(net) == 20.0  # the deletion withdrawn, the addition standing
    rebuttals.decide(db, pending, {second.completed_findings[0].finding_id: False}, comment="", **manager)
    reviewed.load(con, store, later)
    assert reviewed.pending(con, Filters())["claims"] == 0
    con.close()
    assert [e["action"] for e in read_events(store)][:2] == ["rebuttal_decision"] * 2


def test_two_findings_on_one_code_are_told_apart_by_their_claim_lines():
    codes = pd.DataFrame({"code_type": ["ICD10CM_DX"] * 4 + ["ICD10PCS"], "line": [1, 2, 3, 4, 1],
                          "code": ["I5020", "N170", "E871", "E871", "5A1955Z"]})
    rows = [{"code_type": "ICD10CM_DX", "submitted_code": "E871"}, {"code_type": "ICD10CM_DX", "submitted_code": "I5020"},
            {"code_type": "ICD10CM_DX", "submitted_code": "E871"}, {"code_type": "ICD10CM_DX", "submitted_code": None},
            {"code_type": "ICD10PCS", "submitted_code": "5A1955Z"}, {"code_type": "ICD10CM_DX", "submitted_code": "E871"}]
    assert claim_lines(codes, rows) == [3, 1, 4, None, 1, None]  # a third E87.1 is not on the claim
    assert described({"code_type": "ICD10CM_DX", "submitted_code": "E871", "audited_code": "E870"}) == (
        "E87.1 Hypo-osmolality and hyponatremia -> E87.0 Hyperosmolality and hypernatremia")
    assert described({"code_type": "ICD10CM_DX", "submitted_code": "E871", "audited_code": "E871"}).startswith("E87.1 Hypo")
    assert described({"code_type": "CPT", "submitted_code": None, "audited_code": "99213"}) == "99213 (CPT)"
