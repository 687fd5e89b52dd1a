"""The revision SHA-256 in its second format (codeaudit-revision-2) covers every column of a completed revision
as the review store holds it, the findings' sealed notes included: a sealed note edited in `reviews.sqlite`
fails verify-log naming the review, revisions hashed in the first format still verify, and rotate-key's
re-sealing of the notes is logged with the new hashes so that it is not taken for tampering."""
from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

import pytest

from audit.log.read import read_events
from cli import main
from cli.common import access_log_recorder
from config.paths import Paths
from queries.store import connect_read_only
from review import integrity, worklist
from review.db import ReviewDb
from tests.review.test_integrity import sampled, verify_log
from tests.review.test_notes import LOCATION, RATIONALE, REFERENCE, vault_of

# Hand-written canonical bytes of a fixed revision (docs/SECURITY.md); the digest below is `sha256sum` of them.
VECTOR_2 = (
    b'{"author":"ann","claim_key":"0123456789abcdef01234567","completed_at":"2026-01-02T03:04:05.000006+00:00",'
    b'"findings":[{"audited_code":"E11.65","code_type":"ICD10CM_DX","dollar_impact":"-120.00",'
    b'"error_category":"specificity","finding":"revise","finding_id":"f1",'
    b'"notes":{"ciphertext":"3q2+7w==","key_id":"k2","nonce":"AAECAwQFBgcICQoL"},"position":1,'
    b'"submitted_code":"E11.9"},'
    b'{"audited_code":"Z79.4","code_type":"ICD10CM_DX","dollar_impact":"20.00","error_category":"missing_code",'
    b'"finding":"add","finding_id":"f2","notes":null,"position":2,"submitted_code":null}],'
    b'"format":"codeaudit-revision-2","opened_at":"2026-01-01T09:00:00.000000+00:00","opened_by":"bob",'
    b'"reason":"caf\\u00e9","review_id":"r1","revision":2,"sample_id":"S1","saved_at":"2026-01-02T03:04:00.000001+00:00",'
    b'"status":"completed"}')
DIGEST_2 = "2baa8fc12137ffc76073792d12144f6eb9a29dfb3fa86261f4648a6c4f7e20f2"
REVISION = {"review_id": "r1", "sample_id": "S1", "claim_key": "0123456789abcdef01234567", "revision": 2,
            "status": "completed", "author": "ann", "saved_at": "2026-01-02T03:04:00.000001+00:00",
            "completed_at": "2026-01-02T03:04:05.000006+00:00", "reason": "café", "opened_by": "bob",
            "opened_at": "2026-01-01T09:00:00.000000+00:00"}
FINDINGS = [{"finding_id": "f1", "position": 1, "code_type": "ICD10CM_DX", "submitted_code": "E11.9",
             "audited_code": "E11.65", "finding": "revise", "error_category": "specificity", "dollar_impact": "-120.00",
             "notes_key_id": "k2", "notes_nonce": bytes(range(12)), "notes_ciphertext": bytes.fromhex("deadbeef")},
            {"finding_id": "f2", "position": 2, "code_type": "ICD10CM_DX", "submitted_code": None,
             "audited_code": "Z79.4", "finding": "add", "error_category": "missing_code", "dollar_impact": "20.00",
             "notes_key_id": None, "notes_nonce": None, "notes_ciphertext": None}]


def test_the_second_format_is_pinned_by_a_known_answer():
    revision, findings = dict(REVISION), FINDINGS
    assert integrity.revision_document(revision, findings, integrity.REVISION_2) == VECTOR_2
    assert hashlib.sha256(VECTOR_2).hexdigest() == DIGEST_2
    security = (Path(__file__).resolve().parents[2] / "docs" / "SECURITY.md").read_text()
    assert VECTOR_2.decode() in security and DIGEST_2 in security


VECTOR_3 = VECTOR_2.replace(  # the same revision reviewed blind: `blind` sorts between author and claim_key
    b'"author":"ann",',
    b'"author":"ann","blind":{"audited_drg":"291","codes":[["ICD10CM_DX","I5021","Y"],["ICD10CM_DX","N179",null],'
    b'["ICD10PCS","02703ZZ",null]],"saved_at":"2026-01-01T09:30:00.000000+00:00","saved_by":"bob",'
    b'"started_at":"2026-01-01T09:00:01.000000+00:00","started_by":"bob"},').replace(b"revision-2", b"revision-3")
DIGEST_3 = "8f74b4f16cf9f0377432b0d976d3092e6bd2f0047409a2d6d476f7e2a5fa6acd"  # sha256sum of VECTOR_3


def test_the_third_format_covers_the_blind_codes_and_is_pinned_by_a_known_answer():
    """codeaudit-revision-3 (what new completions are hashed in) adds the blind review and its codes in the
    order entered; a revision not reviewed blind has `blind` null."""
    revision = {**REVISION,
                "blind": {"started_by": "bob", "started_at": "2026-01-01T09:00:01.000000+00:00", "saved_by": "bob",
                          "saved_at": "2026-01-01T09:30:00.000000+00:00", "audited_drg": "291",
                          "codes": [["ICD10CM_DX", "I5021", "Y"], ["ICD10CM_DX", "N179", None], ["ICD10PCS", "02703ZZ", None]]}}
    findings = FINDINGS
    assert integrity.revision_document(revision, findings, integrity.REVISION_3) == VECTOR_3
    assert hashlib.sha256(VECTOR_3).hexdigest() == DIGEST_3
    assert b'"blind":null' in integrity.revision_document({**revision, "blind": None}, findings, integrity.REVISION_3)
    assert integrity.CURRENT is integrity.REVISION_3
    security = (Path(__file__).resolve().parents[2] / "docs" / "SECURITY.md").read_text()
    assert DIGEST_3 in security


def test_a_blind_code_edited_after_completion_fails_verify_log_naming_the_review(store, capsys):
    from review import blind
    from review.blind_codes import BlindCodes, Diagnosis

    sample, codes, _ = sampled(store, 1)
    (key,) = sample.claim_keys
    db = ReviewDb(store.reviews_db)
    opened = worklist.open_review(db, sample.sample_id, key, "ann")
    blind.start(db, opened.review_id, "ann")
    blind.save(db, opened.review_id, BlindCodes((Diagnosis("I5021", "Y"), Diagnosis("N179", None)), (), None), "ann")
    rows = [{"code_type": t, "submitted_code": c, "audited_code": c, "finding": "agree", "error_category": None,
             "dollar_impact": "0"} for t, c in codes[key]]
    worklist.save_draft(db, opened.review_id, rows, "ann")
    con = connect_read_only(store)
    try:
        worklist.complete(db, opened.review_id, con=con, user="ann", role="auditor", record=access_log_recorder(store))
    finally:
        con.close()
    assert verify_log(capsys)[0] == 0
    with sqlite3.connect(store.reviews_db) as conn:  # the auditor's principal diagnosis changed afterwards
        conn.execute("UPDATE blind_codes SET code = 'I509' WHERE review_id = ? AND position = 1", (opened.review_id,))
    code, out = verify_log(capsys)
    assert code == 1 and opened.review_id in out


def _noted_and_completed(store):
    """A logged sample's claim completed with a finding carrying notes (its review_complete event logged)."""
    sample, codes, _ = sampled(store, 1)
    (key,) = sample.claim_keys
    (code_type, code), *_ = codes[key]
    db = ReviewDb(store.reviews_db)
    opened = worklist.open_review(db, sample.sample_id, key, "ann")
    rows = [{"code_type": code_type, "submitted_code": code, "audited_code": None, "finding": "delete",
             "error_category": "unsupported_code", "dollar_impact": "0", "rationale": RATIONALE, "reference": REFERENCE,
             "location": LOCATION}]
    worklist.save_draft(db, opened.review_id, rows, "ann", vault=vault_of(store))
    con = connect_read_only(store)
    try:
        return worklist.complete(db, opened.review_id, con=con, user="ann", role="auditor",
                                 record=access_log_recorder(store))
    finally:
        con.close()


def test_a_sealed_note_edited_in_the_store_fails_verify_log_naming_the_review(store, capsys):
    done = _noted_and_completed(store)
    assert verify_log(capsys)[0] == 0
    with sqlite3.connect(store.reviews_db) as conn:
        (sealed,) = conn.execute("SELECT notes_ciphertext FROM findings WHERE review_id = ?", (done.review_id,)).fetchone()
        conn.execute("UPDATE findings SET notes_ciphertext = ? WHERE review_id = ?",
                     (bytes([sealed[0] ^ 1]) + sealed[1:], done.review_id))
    code, said = verify_log(capsys)
    assert code == 1, said
    assert f"review {done.review_id} revision 1" in said and "does not match" in said
    with sqlite3.connect(store.reviews_db) as conn:  # notes removed are a change too
        conn.execute("UPDATE findings SET notes_key_id = NULL, notes_nonce = NULL, notes_ciphertext = NULL "
                     "WHERE review_id = ?", (done.review_id,))
    code, said = verify_log(capsys)
    assert code == 1 and f"review {done.review_id} revision 1" in said


def test_who_opened_the_review_is_covered_too(store, capsys):
    done = _noted_and_completed(store)
    with sqlite3.connect(store.reviews_db) as conn:
        conn.execute("UPDATE reviews SET opened_by = 'mallory' WHERE review_id = ?", (done.review_id,))
    code, said = verify_log(capsys)
    assert code == 1 and f"review {done.review_id} revision 1" in said


def test_a_revision_hashed_in_the_first_format_still_verifies(store, capsys, monkeypatch):
    with monkeypatch.context() as before:
        before.setattr(integrity, "CURRENT", integrity.REVISION_1)  # as completions were hashed before
        done = _noted_and_completed(store)
    (event,) = read_events(store, action="review_complete")
    with sqlite3.connect(store.reviews_db) as conn:
        conn.row_factory = sqlite3.Row
        row = dict(conn.execute("SELECT r.*, v.* FROM revisions AS v JOIN reviews AS r USING (review_id)").fetchone())
        findings = [dict(f) for f in conn.execute("SELECT * FROM findings ORDER BY position")]
    assert event["details"]["sha256"] == hashlib.sha256(integrity.revision_document(row, findings, integrity.REVISION_1)).hexdigest()
    code, said = verify_log(capsys)
    assert code == 0, said
    with sqlite3.connect(store.reviews_db) as conn:  # what the first format covers is still checked
        conn.execute("UPDATE findings SET dollar_impact = '-5000.00' WHERE review_id = ?", (done.review_id,))
    code, said = verify_log(capsys)
    assert code == 1 and f"review {done.review_id} revision 1" in said


@pytest.fixture
def own_keys(store, tmp_path, monkeypatch) -> Paths:
    """The data folder with this test's own copy of the keys (rotation rewrites the keyring), before any event."""
    keys = tmp_path / "own-keys"
    shutil.copytree(store.key_dir, keys)
    keys.chmod(0o700)
    monkeypatch.setenv("CODEAUDIT_KEY_DIR", str(keys))
    return Paths(data_dir=store.data_dir, key_dir=keys)


def test_rotate_key_logs_the_new_hashes_of_the_notes_it_reseals(own_keys, capsys):
    store = own_keys
    done = _noted_and_completed(store)
    assert main(["rotate-key", "--data-dir", str(store.data_dir)]) == 0
    assert "re-encrypted the notes of 1 review findings" in capsys.readouterr().out
    (resealed,) = [e for e in read_events(store, action="key_rotate") if e["resource"] == "review_store"]
    assert resealed["details"]["revisions"] == [[done.review_id, 1, resealed["details"]["revisions"][0][2]]]
    code, said = verify_log(capsys)
    assert code == 0, said
    with sqlite3.connect(store.reviews_db) as conn:
        conn.execute("UPDATE findings SET notes_ciphertext = x'00' WHERE review_id = ?", (done.review_id,))
    code, said = verify_log(capsys)
    assert code == 1 and f"review {done.review_id} revision 1" in said


def test_rotate_key_refuses_to_reseal_notes_of_a_tampered_revision(own_keys, capsys):
    """Re-sealing a tampered revision and logging its new hash would launder the change: it is refused."""
    store = own_keys
    done = _noted_and_completed(store)
    with sqlite3.connect(store.reviews_db) as conn:
        conn.execute("UPDATE findings SET dollar_impact = '-5000.00' WHERE review_id = ?", (done.review_id,))
    assert main(["rotate-key", "--data-dir", str(store.data_dir)]) == 1
    said = capsys.readouterr().err
    assert f"review {done.review_id} revision 1" in said and "verify-log" in said
    assert not [e for e in read_events(store, action="key_rotate") if e["resource"] == "review_store"]
    code, said = verify_log(capsys)
    assert code == 1 and f"review {done.review_id} revision 1" in said
