"""Blind review in the review store (review/blind.py): only a claim with nothing saved yet can be hidden, the
auditor's codes are saved once and read back as entered, and a blind review can be left before they are."""
from __future__ import annotations

import sqlite3

import pytest

from review import blind, worklist
from review.blind_codes import BlindCodes, Diagnosis
from review.db import ReviewDb, ReviewError
from tests.review.test_worklist import agree_rows, sampled

CODES = BlindCodes((Diagnosis("I5021", "Y"), Diagnosis("N179", None)), ("02703ZZ",), "291")


def test_blind_codes_are_saved_once_and_read_back_as_entered(store):
    sample, codes, _ = sampled(store, size=2)
    db = ReviewDb(store.reviews_db)
    first, second = sample.claim_keys[:2]
    opened = worklist.open_review(db, sample.sample_id, first, "ann")
    assert blind.blind_state(db, opened) is None
    started = blind.start(db, opened.review_id, "ann")
    assert started.hidden and started.started_by == "ann"
    assert blind.start(db, opened.review_id, "bob").started_by == "ann"  # already blind: unchanged
    saved = blind.save(db, opened.review_id, CODES, "ann")
    assert not saved.hidden and saved.codes == CODES and saved.saved_by == "ann"
    with pytest.raises(ReviewError, match="saved already"):
        blind.save(db, opened.review_id, BlindCodes((Diagnosis("I10"),)), "ann")
    assert blind.blind_state(db, worklist.get_review(db, opened.review_id)).codes == CODES
    with sqlite3.connect(store.reviews_db) as conn:  # the order entered is kept: principal first
        assert conn.execute("SELECT code_type, position, code, poa FROM blind_codes WHERE review_id = ? ORDER BY code_type, "
                            "position", (opened.review_id,)).fetchall() == [
            ("ICD10CM_DX", 1, "I5021", "Y"), ("ICD10CM_DX", 2, "N179", None), ("ICD10PCS", 1, "02703ZZ", None)]

    other = worklist.open_review(db, sample.sample_id, second, "ann")
    worklist.save_draft(db, other.review_id, agree_rows(codes[second]), "ann")
    with pytest.raises(ReviewError, match="already has findings"):
        blind.start(db, other.review_id, "ann")
    with pytest.raises(ReviewError, match="not being reviewed blind"):
        blind.save(db, other.review_id, CODES, "ann")


def test_a_blind_review_left_before_its_codes_are_saved_shows_the_codes_again(store):
    sample, _, _ = sampled(store, size=1)
    db = ReviewDb(store.reviews_db)
    opened = worklist.open_review(db, sample.sample_id, sample.claim_keys[0], "ann")
    blind.start(db, opened.review_id, "ann")
    blind.stop(db, opened.review_id)
    assert blind.blind_state(db, opened) is None
    blind.start(db, opened.review_id, "ann")
    blind.save(db, opened.review_id, CODES, "ann")
    blind.stop(db, opened.review_id)  # saved codes stay
    assert blind.blind_state(db, opened).codes == CODES
