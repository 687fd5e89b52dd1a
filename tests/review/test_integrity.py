"""Reviews that cannot be quietly changed: each completed revision's content is hashed into its access-log
event, and `verify-log` checks every completed revision, and what is published for the metrics, against it."""
from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from audit.log.read import read_events
from cli import main
from cli.common import access_log_recorder
from queries.store import connect_read_only
from review import rebuttals
from review.db import ReviewDb
from tests.review.test_worklist import agree_rows, review


def sampled(store, size: int = 8):
    """A random sample drawn as the commands draw it (its sample_draw event in the access log), with the
    submitted codes of its claims."""
    from queries.store import connect_read_only
    from review.samples import draw_sample
    from review.sampling import SampleSpec
    con = connect_read_only(store)
    try:
        sample = draw_sample(con, ReviewDb(store.reviews_db), SampleSpec("random", size), seed=99, user="ann",
                             role="auditor", record=access_log_recorder(store))
        codes = {k: con.execute("SELECT code_type, code FROM claim_codes WHERE claim_key = ? ORDER BY code_type, line",
                                [k]).fetchall() for k in sample.claim_keys}
    finally:
        con.close()
    return sample, codes, None


VECTOR = (b'{"author":"ann","claim_key":"0123456789abcdef01234567","completed_at":"2026-01-02T03:04:05.000006+00:00",'
          b'"findings":[{"audited_code":"E11.65","code_type":"ICD10CM_DX","dollar_impact":"-120.00",'
          b'"error_category":"specificity","finding":"revise","finding_id":"f1","position":1,"submitted_code":"E11.9"},'
          b'{"audited_code":"Z79.4","code_type":"ICD10CM_DX","dollar_impact":"20.00","error_category":"missing_code",'
          b'"finding":"add","finding_id":"f2","position":2,"submitted_code":null}],"format":"codeaudit-revision-1",'
          b'"reason":"caf\\u00e9","review_id":"r1","revision":2,"sample_id":"S1"}')


def verify_log(capsys) -> tuple[int, str]:
    code = main(["verify-log"])
    out, err = capsys.readouterr()
    return code, out + err


def test_the_canonical_serialisation_of_a_revision_is_pinned_by_a_known_answer():
    """The bytes and digest docs/SECURITY.md gives (digest computed with sha256sum over the bytes)."""
    from review.integrity import revision_document
    revision = {"review_id": "r1", "sample_id": "S1", "claim_key": "0123456789abcdef01234567", "revision": 2,
                "author": "ann", "completed_at": "2026-01-02T03:04:05.000006+00:00", "reason": "café"}
    findings = [{"finding_id": "f1", "position": 1, "code_type": "ICD10CM_DX", "submitted_code": "E11.9",
                 "audited_code": "E11.65", "finding": "revise", "error_category": "specificity", "dollar_impact": "-120.00"},
                {"finding_id": "f2", "position": 2, "code_type": "ICD10CM_DX", "submitted_code": None,
                 "audited_code": "Z79.4", "finding": "add", "error_category": "missing_code", "dollar_impact": "20.00"}]
    assert revision_document(revision, findings) == VECTOR
    assert hashlib.sha256(VECTOR).hexdigest() == "3c87243c6361dc6a92b117e479ad7e61a05040206cffd06ff99ac2c2eecb9019"
    security = (Path(__file__).resolve().parents[2] / "docs" / "SECURITY.md").read_text()
    assert VECTOR.decode() in security and "3c87243c6361dc6a92b117e479ad7e61a05040206cffd06ff99ac2c2eecb9019" in security


def _completed(store, size: int = 2):
    sample, codes, _ = sampled(store, size)
    done = []
    for key in sample.claim_keys:
        rows = agree_rows(codes[key])
        rows[0].update(finding="delete", audited_code=None, error_category="unsupported_code", dollar_impact="0")
        done.append(review(store, sample, key, rows, record=access_log_recorder(store)))
    return sample, done


def test_a_completed_finding_edited_in_the_store_fails_verify_log_naming_the_review(store, capsys):
    _, (first, second) = _completed(store)
    events = {e["resource"]: e for e in read_events(store, action="review_complete")}
    assert len(events[f"review:{first.review_id}"]["details"]["sha256"]) == 64
    code, said = verify_log(capsys)
    assert code == 0, said
    assert "checked 2 completed review revision(s)" in said
    with sqlite3.connect(store.reviews_db) as conn:
        conn.execute("UPDATE findings SET dollar_impact = '-120000.00' WHERE review_id = ? AND finding = 'delete'",
                     (first.review_id,))
    code, said = verify_log(capsys)
    assert code == 1
    assert f"review {first.review_id} revision 1" in said and "does not match" in said
    assert second.review_id not in said


def test_a_tampered_publication_and_a_completed_revision_without_its_event_fail_verify_log(store, capsys):
    sample, (first, _) = _completed(store)
    with sqlite3.connect(store.reviews_db) as conn:
        conn.execute("UPDATE published_findings SET dollar_impact = '-99999.00' WHERE review_id = ?", (first.review_id,))
    code, said = verify_log(capsys)
    assert code == 1 and f"review {first.review_id}" in said and "published" in said
    with sqlite3.connect(store.reviews_db) as conn:
        conn.execute("UPDATE published_findings SET dollar_impact = '0.00' WHERE review_id = ? AND finding = 'delete'",
                     (first.review_id,))
        conn.execute("UPDATE published_findings SET dollar_impact = '0.00' WHERE review_id = ? AND finding != 'delete'",
                     (first.review_id,))
    assert verify_log(capsys)[0] == 0
    _, codes, _ = sampled(store, 1)
    (key,) = codes
    unlogged = review(store, sample_of(store, key), key, agree_rows(codes[key]), record=None)
    code, said = verify_log(capsys)
    assert code == 1 and f"review {unlogged.review_id} revision 1" in said and "no access-log event" in said


def sample_of(store, key):
    from review.samples import list_samples, load_sample
    db = ReviewDb(store.reviews_db)
    return next(s for s in (load_sample(db, r["sample_id"]) for r in list_samples(db)) if key in s.claim_keys)


def test_an_accepted_rebuttal_records_the_hash_of_the_revision_it_makes(store, capsys):
    _, (first, _) = _completed(store)
    db = ReviewDb(store.reviews_db)
    with sqlite3.connect(store.reviews_db) as conn:
        (coder,) = conn.execute("SELECT 'C001'").fetchone()
    finding = next(f for f in first.completed_findings if f.is_error)
    rebuttal = rebuttals.rebut(db, first.review_id, {finding.finding_id: "documented"}, coder_id=coder, claim_coder_id=coder,
                               user="cody", role="coder", record=access_log_recorder(store))
    rebuttals.decide(db, rebuttal, {finding.finding_id: True}, store=connect_read_only(store), user="max", role="coding_manager",
                     comment="agreed", record=access_log_recorder(store))
    (decision,) = read_events(store, action="rebuttal_decision")
    assert decision["details"]["revision"] == 2 and len(decision["details"]["sha256"]) == 64
    assert verify_log(capsys)[0] == 0
    with sqlite3.connect(store.reviews_db) as conn:
        conn.execute("UPDATE findings SET finding = 'delete' WHERE review_id = ? AND revision = 2 AND finding_id = ?",
                     (first.review_id, finding.finding_id))
    code, said = verify_log(capsys)
    assert code == 1 and f"review {first.review_id} revision 2" in said


def test_a_stale_save_is_refused_in_one_sentence_and_save_and_complete_is_one_transaction(store):
    from review import worklist
    from review.db import ReviewError
    from tests.review.test_worklist import paid_at_least
    sample, codes, _ = sampled(store, 8)
    key = paid_at_least(store, sample.claim_keys, 50)[0]  # overpaid by 50 below
    db = ReviewDb(store.reviews_db)
    opened = worklist.open_review(db, sample.sample_id, key, "ann")
    loaded_by_bea = opened.version
    mine = agree_rows(codes[key])
    saved = worklist.save_draft(db, opened.review_id, mine, "ann", expected_version=opened.version)
    assert saved.version != loaded_by_bea
    theirs = agree_rows(codes[key])
    theirs[0].update(finding="delete", audited_code=None, error_category="unsupported_code", dollar_impact="-50")
    try:
        worklist.save_draft(db, opened.review_id, theirs, "bea", expected_version=loaded_by_bea)
        refused = None
    except ReviewError as exc:
        refused = str(exc)
    assert refused is not None and "ann saved this claim" in refused and refused.count(". ") == 0
    assert [f.finding for f in worklist.get_review(db, opened.review_id).findings] == ["agree"] * len(mine)
    # Complete with the rows to save, against a stale version: refused, nothing saved, nothing completed.
    try:
        worklist.complete(db, opened.review_id, con=connect_read_only(store), rows=theirs, expected_version=loaded_by_bea, user="bea", role="auditor",
                          record=None)
    except ReviewError:
        pass
    after = worklist.get_review(db, opened.review_id)
    assert (after.locked, [f.finding for f in after.findings]) == (False, ["agree"] * len(mine))
    # A recorder that fails rolls back the save as well as the completion.
    def refuse(event):
        raise OSError("log full")
    try:
        worklist.complete(db, opened.review_id, con=connect_read_only(store), rows=theirs, expected_version=after.version, user="ann", role="auditor",
                          record=refuse)
    except OSError:
        pass
    after = worklist.get_review(db, opened.review_id)
    assert (after.locked, [f.finding for f in after.findings]) == (False, ["agree"] * len(mine))
    done = worklist.complete(db, opened.review_id, con=connect_read_only(store), rows=theirs, expected_version=after.version, user="ann", role="auditor",
                             record=None)
    assert done.locked and done.completed_findings[0].finding == "delete"


KILLED_COMPLETE = """
import os, signal, sys
from cli.common import access_log_recorder
from cli.common import default_paths
from queries.store import connect_read_only
from review import worklist
from review.db import ReviewDb

paths = default_paths(None)
append = access_log_recorder(paths)

def record_then_die(event):
    append(event)  # durable in the log...
    os.kill(os.getpid(), signal.SIGKILL)  # ...and the process dies before the review store commits

worklist.complete(ReviewDb(paths.reviews_db), sys.argv[1], con=connect_read_only(paths), user="ann", role="auditor",
                  record=record_then_die)
"""


def test_a_completion_killed_between_its_event_and_the_commit_is_reported_as_not_landed_then_reconciled(store, capsys):
    import signal
    import subprocess
    import sys
    from pathlib import Path

    from review import worklist
    sample, codes, _ = sampled(store, 1)
    (key,) = sample.claim_keys
    db = ReviewDb(store.reviews_db)
    opened = worklist.open_review(db, sample.sample_id, key, "ann")
    worklist.save_draft(db, opened.review_id, agree_rows(codes[key]), "ann")
    env = {"CODEAUDIT_DATA_DIR": str(store.data_dir), "CODEAUDIT_KEY_DIR": str(store.key_dir), "PATH": "/usr/bin:/bin"}
    killed = subprocess.run([sys.executable, "-c", KILLED_COMPLETE, opened.review_id], cwd=Path(__file__).resolve().parents[2],
                            env=env, capture_output=True, text=True, timeout=120)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    (event,) = read_events(store, action="review_complete")
    assert not worklist.get_review(db, opened.review_id).locked  # the event is for a draft
    code, said = verify_log(capsys)
    assert code == 0, said
    assert (f"note: seq {event['seq']}: did not land: the review_complete event of review {opened.review_id} revision 1 "
            "records a completion that was never saved (it is still a draft in the review store)") in said
    assert "tamper" not in said.replace("this is not tampering", "")
    # Completing it again reconciles it: the first event is still named, as superseded by the one that landed.
    worklist.complete(db, opened.review_id, con=connect_read_only(store), user="ann", role="auditor", record=access_log_recorder(store))
    landed = read_events(store, action="review_complete")[0]
    code, said = verify_log(capsys)
    assert code == 0, said
    assert f"(it was completed at seq {landed['seq']})" in said and "1 completed review revision(s) and 1 sample(s) against their events: no problems" in said
    # Undoing a completion in the store is not a crash: the log shows later work that needed it completed.
    worklist.start_correction(db, opened.review_id, "ann", "second look")
    worklist.complete(db, opened.review_id, con=connect_read_only(store), user="ann", role="auditor", record=access_log_recorder(store))
    assert verify_log(capsys)[0] == 0
    with sqlite3.connect(store.reviews_db) as conn:
        conn.execute("UPDATE revisions SET status = 'draft' WHERE review_id = ? AND revision = 1", (opened.review_id,))
    code, said = verify_log(capsys)
    assert code == 1 and f"review {opened.review_id} revision 1 was completed" in said and "undone in the store" in said


def _drawn(store, size: int = 5):
    from queries.store import connect_read_only
    from review.samples import draw_sample
    from review.sampling import SampleSpec
    con = connect_read_only(store)
    try:
        return draw_sample(con, ReviewDb(store.reviews_db), SampleSpec("random", size, spares=1), seed=4242, user="ann",
                           role="auditor", record=access_log_recorder(store))
    finally:
        con.close()


def cli(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_tampered_frame_is_refused_by_redraw_export_frame_the_appraisal_and_the_report_naming_the_sample(store, capsys, tmp_path):
    import zlib

    from review.frame_keys import unpack
    from review.sample_appraisal import appraise_sample
    from review.samples import load_sample
    sample = _drawn(store)
    assert cli(capsys, "sample", "redraw", sample.sample_id)[0] == 0
    with sqlite3.connect(store.reviews_db) as conn:
        (frame,) = conn.execute("SELECT frame FROM samples WHERE sample_id = ?", (sample.sample_id,)).fetchone()
        keys = unpack(frame)
        keys[3], keys[4] = keys[4], keys[3]
        conn.execute("UPDATE samples SET frame = ? WHERE sample_id = ?",
                     (zlib.compress("".join(f"{k}\n" for k in keys).encode()), sample.sample_id))
    for argv in (["sample", "redraw", sample.sample_id], ["sample", "export-frame", sample.sample_id],
                 ["appraise", "variable", "--sample", sample.sample_id, "--json"],
                 ["sample", "report", sample.sample_id, "--out", str(tmp_path / "report.pdf")]):
        code, out, err = cli(capsys, *argv)
        assert (code, out) == (1, ""), argv
        assert f"Sample {sample.sample_id}" in err and "frame" in err and len(err.strip().splitlines()) == 1
    try:
        appraise_sample(ReviewDb(store.reviews_db), load_sample(ReviewDb(store.reviews_db), sample.sample_id),
                        connect_read_only(store))
        said = ""
    except Exception as exc:  # noqa: BLE001 - the type is asserted below
        said = f"{type(exc).__name__}: {exc}"
    assert said.startswith("SampleMismatch") and sample.sample_id in said
    assert read_events(store, action="export") == []  # nothing was exported
    assert verify_log(capsys)[0] == 1


def test_a_tampered_seed_or_drawn_claim_is_a_mismatch_with_the_stored_sample_not_a_generator_change(store, capsys):
    sample = _drawn(store)
    with sqlite3.connect(store.reviews_db) as conn:
        conn.execute("UPDATE samples SET seed = 4243 WHERE sample_id = ?", (sample.sample_id,))
    code, _, err = cli(capsys, "sample", "redraw", sample.sample_id)
    assert code == 1 and "generator" not in err and sample.sample_id in err and "was drawn" in err
    with sqlite3.connect(store.reviews_db) as conn:
        conn.execute("UPDATE samples SET seed = 4242 WHERE sample_id = ?", (sample.sample_id,))
        conn.execute("UPDATE sample_claims SET claim_key = ? WHERE sample_id = ? AND selection = 1",
                     (sample.claim_keys[1][::-1], sample.sample_id))
    code, _, err = cli(capsys, "sample", "redraw", sample.sample_id)
    assert code == 1 and "generator" not in err and sample.sample_id in err
    code, said = verify_log(capsys)
    assert code == 1 and f"sample {sample.sample_id}" in said


def test_a_sample_whose_hash_was_forged_too_fails_verify_log_against_its_draw_event(store, capsys):
    from review.samples import sample_sha256
    sample = _drawn(store)
    (event,) = read_events(store, action="sample_draw")
    assert event["details"]["sample_sha256"] == sample_sha256(ReviewDb(store.reviews_db), sample.sample_id)
    assert verify_log(capsys)[0] == 0
    with sqlite3.connect(store.reviews_db) as conn:
        conn.execute("UPDATE samples SET seed = 1 WHERE sample_id = ?", (sample.sample_id,))
    forged = sample_sha256(ReviewDb(store.reviews_db), sample.sample_id)
    with sqlite3.connect(store.reviews_db) as conn:
        conn.execute("UPDATE samples SET sample_sha256 = ? WHERE sample_id = ?", (forged, sample.sample_id))
    code, said = verify_log(capsys)
    assert code == 1 and f"sample {sample.sample_id}" in said and "seed" in said and f"seq {event['seq']}" in said


def test_a_completed_review_deleted_from_the_store_is_a_problem_not_a_crash(store, capsys):
    _, (first, _) = _completed(store)
    with sqlite3.connect(store.reviews_db) as conn:
        for table in ("findings", "revisions", "published_findings", "reviews"):
            conn.execute(f"DELETE FROM {table} WHERE review_id = ?", (first.review_id,))
    code, said = verify_log(capsys)
    assert code == 1 and f"review {first.review_id} revision 1 was completed" in said and "removed from the store" in said


def test_a_reviewed_sample_deleted_from_the_store_is_a_problem_and_an_unsaved_draw_a_note(store, capsys):
    sample, _ = _completed(store)
    with sqlite3.connect(store.reviews_db) as conn:
        conn.execute("DELETE FROM sample_claims WHERE sample_id = ?", (sample.sample_id,))
        conn.execute("DELETE FROM samples WHERE sample_id = ?", (sample.sample_id,))
    code, said = verify_log(capsys)
    assert code == 1 and f"sample {sample.sample_id} was drawn" in said and "removed from the store" in said
    lone = _drawn(store)
    with sqlite3.connect(store.reviews_db) as conn:
        conn.execute("DELETE FROM sample_claims WHERE sample_id = ?", (lone.sample_id,))
        conn.execute("DELETE FROM samples WHERE sample_id = ?", (lone.sample_id,))
    code, said = verify_log(capsys)
    assert f"did not land: the sample_draw event of sample {lone.sample_id}" in said
