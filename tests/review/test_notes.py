"""A finding's notes (rationale, reference, where documented) against a real review store: the store never holds
them in plaintext (the raw SQLite bytes are read), they are bound to their finding, a correction carries them, and
reading them is a reveal: refused to roles that may not, to a coder on another coder's claim, and recorded in the
access log before anything is decrypted."""
from __future__ import annotations

import shutil

import pytest

from audit.keys import load_data_keyring, require
from audit.permissions import PermissionDenied
from audit.vault import DecryptionError, PhiVault
from cli import main
from config.paths import Paths
from queries.store import connect_read_only
from review import notes, worklist
from review.db import ReviewDb, ReviewError
from review.notes import FindingNotes
from tests.review.test_worklist import sampled

RATIONALE = "Pt Johanna Quillfeather, MRN 7781234: H&P documents acute on chronic systolic failure"
REFERENCE = "Coding Clinic 3Q 2023 p.12"
LOCATION = "H&P 2026-03-02, discharge summary"


def vault_of(paths) -> PhiVault:
    return PhiVault(require(load_data_keyring(paths.key_dir), "data keyring", paths.key_dir))


@pytest.fixture
def noted(store):
    """A draft with two findings: the first with notes, the second without."""
    sample, codes, coders = sampled(store, size=1)
    (key,) = sample.claim_keys
    (code_type, code), *_ = codes[key]
    db = ReviewDb(store.reviews_db)
    opened = worklist.open_review(db, sample.sample_id, key, "ann")
    rows = [{"code_type": code_type, "submitted_code": code, "audited_code": None, "finding": "delete",
             "error_category": "unsupported_code", "dollar_impact": "-8.00", "rationale": RATIONALE, "reference": REFERENCE,
             "location": LOCATION},
            {"code_type": "ICD10CM_DX", "submitted_code": None, "audited_code": "I5023", "finding": "add",
             "error_category": "missing_code", "dollar_impact": "0", "rationale": "", "reference": None, "location": ""}]
    saved = worklist.save_draft(db, opened.review_id, rows, "ann", vault=vault_of(store))
    return store, db, saved, coders[key][0]


def raw_bytes(paths) -> bytes:
    """Every byte of the review store on disk: the database and its write-ahead log."""
    return b"".join(p.read_bytes() for p in paths.reviews_db.parent.glob(paths.reviews_db.name + "*"))


def test_the_review_store_never_holds_the_notes_in_plaintext(noted):
    paths, _, saved, _ = noted
    first, second = saved.findings
    assert first.notes is not None and second.notes is None  # blank notes store nothing
    data = raw_bytes(paths)
    assert len(data) > 4096
    for text in (RATIONALE, "Quillfeather", "7781234", REFERENCE, LOCATION, "2026-03-02"):
        assert text.encode() not in data, text
    assert first.notes.ciphertext in data  # what is there is the ciphertext


def test_the_auditor_reads_them_after_the_reveal_is_recorded(noted):
    paths, _, saved, _ = noted
    order: list[str] = []

    def record(event):
        order.append(event.action)
        assert event.claim_keys == (saved.claim_key,) and RATIONALE not in repr(event)

    def vault():
        order.append("decrypt")
        return vault_of(paths)

    shown = notes.reveal(vault, saved.review_id, saved.claim_key, saved.findings, user="ann", role="auditor", record=record)
    assert order == ["finding_notes_reveal", "decrypt"]
    assert shown == {saved.findings[0].finding_id: FindingNotes(RATIONALE, REFERENCE, LOCATION)}


def test_nothing_is_decrypted_when_the_reveal_cannot_be_recorded(noted):
    paths, _, saved, _ = noted

    def failing(event):
        raise OSError("disk full")

    def vault():
        raise AssertionError("the vault was opened before the access was recorded")

    with pytest.raises(OSError):
        notes.reveal(vault, saved.review_id, saved.claim_key, saved.findings, user="ann", role="auditor", record=failing)


@pytest.mark.parametrize("role", ["admin", "nurse", None])
def test_roles_without_the_permission_are_refused(noted, role):
    paths, _, saved, _ = noted
    with pytest.raises(PermissionDenied):
        notes.reveal(lambda: vault_of(paths), saved.review_id, saved.claim_key, saved.findings, user="x", role=role,
                     record=lambda e: pytest.fail("recorded a refused reveal as granted"))


def test_a_coder_reads_them_on_their_own_claims_only(noted):
    paths, _, saved, coder = noted
    events = []
    own = notes.reveal(lambda: vault_of(paths), saved.review_id, saved.claim_key, saved.findings, user="cody", role="coder",
                       record=events.append, coder_id=coder, claim_coder_id=coder)
    assert list(own.values()) == [FindingNotes(RATIONALE, REFERENCE, LOCATION)] and len(events) == 1
    with pytest.raises(PermissionDenied, match="own claims"):
        notes.reveal(lambda: vault_of(paths), saved.review_id, saved.claim_key, saved.findings, user="other", role="coder",
                     record=events.append, coder_id="C999", claim_coder_id=coder)
    assert len(events) == 1


def test_a_row_without_note_fields_keeps_its_notes_and_a_correction_carries_them(noted):
    paths, db, saved, _ = noted
    rows = [{k: v for k, v in f.as_row().items()} for f in saved.findings]  # no note fields: as stored
    kept = worklist.save_draft(db, saved.review_id, rows, "ann")
    assert kept.findings[0].notes == saved.findings[0].notes
    done = worklist.complete(db, saved.review_id, con=connect_read_only(paths), user="ann", role="auditor", record=None)
    corrected = worklist.start_correction(db, done.review_id, "ann", "coding clinic reread")
    assert corrected.latest.revision == 2
    shown = notes.reveal(lambda: vault_of(paths), corrected.review_id, corrected.claim_key, corrected.findings, user="ann",
                         role="auditor", record=lambda e: None)
    assert list(shown.values()) == [FindingNotes(RATIONALE, REFERENCE, LOCATION)]


def test_notes_moved_to_another_finding_fail_authentication(noted):
    paths, _, saved, _ = noted
    first, second = saved.findings
    with pytest.raises(DecryptionError):
        notes.open_notes(vault_of(paths), saved.review_id, second.finding_id, first.notes)


def test_too_long_a_note_is_refused_with_a_sentence_and_nothing_is_saved(noted):
    paths, db, saved, _ = noted
    rows = [{**f.as_row(), "rationale": "x" * 2001} for f in saved.findings]
    with pytest.raises(ReviewError, match=r"Finding 1: the rationale is 2,001 characters long; shorten it to 2,000"):
        worklist.save_draft(db, saved.review_id, rows, "ann", vault=vault_of(paths))
    assert worklist.get_review(db, saved.review_id).findings == saved.findings


def test_findings_know_their_number(noted):
    _, _, saved, _ = noted
    assert [f.position for f in saved.findings] == [1, 2]


def test_rotate_key_reseals_the_notes_and_never_retires_a_key_they_use(noted, tmp_path, monkeypatch, capsys):
    """The notes live in the review store, apart from the vault: rotate-key re-seals them under the new primary
    key, and --retire-old keeps any key notes still use (retiring it would make them unreadable)."""
    paths, db, saved, _ = noted
    keys = tmp_path / "own-keys"  # this test's own copy of the keys: rotation rewrites the keyring
    shutil.copytree(paths.key_dir, keys)
    keys.chmod(0o700)
    monkeypatch.setenv("CODEAUDIT_KEY_DIR", str(keys))
    own = Paths(data_dir=paths.data_dir, key_dir=keys)
    old = saved.findings[0].notes.key_id
    assert main(["rotate-key", "--data-dir", str(paths.data_dir)]) == 0
    assert "re-encrypted the notes of 1 review findings" in capsys.readouterr().out
    ring = load_data_keyring(keys)
    resealed = worklist.get_review(db, saved.review_id).findings[0].notes
    assert ring.primary != old and resealed.key_id == ring.primary
    assert notes.open_notes(vault_of(own), saved.review_id, saved.findings[0].finding_id, resealed).rationale == RATIONALE
    with db.transaction() as conn:  # a note left under the old key (a rotation cut short) keeps that key
        notes.write(conn, saved.review_id, 1, {saved.findings[0].finding_id: saved.findings[0].notes})
    assert main(["rotate-key", "--retire-old", "--data-dir", str(paths.data_dir)]) == 0
    assert old in load_data_keyring(keys).keys
