"""The overpayment rule (docs/METRICS.md, "Overpayment of a claim"), enforced wherever a completed revision is
made: completing a review, completing its correction, accepting a rebuttal. Claims with hand-set paid amounts
are ingested into a copy of the demo store, so every figure is known."""
from __future__ import annotations

from decimal import Decimal

import pytest

from ingest.writer import ingest
from queries.metrics import Filters
from queries.store import connect_read_only
from review import money, rebuttals, worklist
from review.db import ReviewDb, ReviewError
from review.samples import draw_sample
from review.sampling import SampleSpec
from tests.conftest import Recorded

CLAIMS = [  # coder CM1's claims: (claim_id, encounter, ms_drg, billed, allowed, paid)
    ("MONEY-OUT", "outpatient", "", "2000.00", "1200.00", "1000.00"),
    ("MONEY-DRG", "inpatient", "291", "30000.00", "9750.00", "9000.00"),
    ("MONEY-BLANK", "outpatient", "", "2000.00", "", ""),
]
DX = {"MONEY-OUT": "J18.9", "MONEY-DRG": "I50.23", "MONEY-BLANK": "J18.9"}


@pytest.fixture
def money_store(store, tmp_path, write_csv):
    batch = tmp_path / "money"
    write_csv(batch, "claims", [{"claim_id": cid, "facility_id": "F", "payer": "Medicare", "coder_id": "CM1", "encounter_type": enc,
                                 "service_date": "2025-03-02", "discharge_date": "2025-03-05" if enc == "inpatient" else "",
                                 "billed_amount": billed, "allowed_amount": allowed, "paid_amount": paid, "ms_drg": drg}
                                for cid, enc, drg, billed, allowed, paid in CLAIMS])
    write_csv(batch, "claim_codes", [{"claim_id": cid, "line": "1", "code_type": "ICD10CM_DX", "code": DX[cid]} for cid, *_ in CLAIMS])
    ingest(batch, store, recorder=Recorded(), source="demo")
    con = connect_read_only(store)
    try:
        sample = draw_sample(con, ReviewDb(store.reviews_db), SampleSpec("random", 3, filters=Filters(coder=("CM1",))), seed=5,
                             user="ann", role="auditor", record=None)
        kinds = {key: con.execute("SELECT encounter_type, paid_amount FROM claims WHERE claim_key = ?", [key]).fetchone()
                 for key in sample.claim_keys}
    finally:
        con.close()
    keys = {("MONEY-DRG" if enc == "inpatient" else "MONEY-OUT" if paid is not None else "MONEY-BLANK"): key
            for key, (enc, paid) in kinds.items()}
    return store, sample, keys


def delete(code: str, dollars: str) -> dict[str, str]:
    return {"code_type": "ICD10CM_DX", "submitted_code": code, "finding": "delete", "error_category": "unsupported_code",
            "dollar_impact": dollars}


def drg(dollars: str) -> dict[str, str]:
    return {"code_type": "MSDRG", "submitted_code": "291", "audited_code": "292", "finding": "revise", "error_category": "drg",
            "dollar_impact": dollars}


def complete(paths, sample, key, rows):
    db = ReviewDb(paths.reviews_db)
    opened = worklist.open_review(db, sample.sample_id, key, "ann")
    worklist.save_draft(db, opened.review_id, rows, "ann")
    con = connect_read_only(paths)
    try:
        return worklist.complete(db, opened.review_id, con=con, user="ann", role="auditor", record=None)
    finally:
        con.close()


def published(paths, key) -> list[tuple[str, str]]:
    with ReviewDb(paths.reviews_db).connect() as conn:
        return [tuple(r) for r in conn.execute("SELECT code_type, dollar_impact FROM published_findings WHERE claim_key = ?", (key,))]


def test_a_drg_paid_claim_counts_the_drg_difference_once(money_store):
    """DRG finding -4,000.00 and the code-level deletion that caused it -1,500.00: not 5,500.00 overpaid. Completion
    refuses code-level dollars on a DRG-paid claim (one sentence, nothing completed); with the deletion at 0 the
    claim's overpayment is the DRG's 4,000.00."""
    paths, sample, keys = money_store
    claim = keys["MONEY-DRG"]
    with pytest.raises(ReviewError) as refused:
        complete(paths, sample, claim, [delete("I5023", "-1500.00"), drg("-4000.00")])
    assert str(refused.value) == ("This claim is paid by its DRG, so its payment difference belongs on the DRG finding alone: "
                                  "set the code-level dollar impacts to 0 (finding 1 has -$1,500.00) and keep the DRG "
                                  "finding's -$4,000.00.")
    review = worklist.get_review(ReviewDb(paths.reviews_db), worklist.open_review(ReviewDb(paths.reviews_db), sample.sample_id,
                                                                                   claim, "ann").review_id)
    assert not review.locked and published(paths, claim) == []  # nothing completed, nothing published
    done = complete(paths, sample, claim, [delete("I5023", "0"), drg("-4000.00")])
    assert done.locked and money.net_overpayment([f.dollar_impact for f in done.completed_findings]) == Decimal("4000.00")


def test_a_claim_paid_1000_cannot_carry_an_overpayment_of_1200(money_store):
    paths, sample, keys = money_store
    claim = keys["MONEY-OUT"]
    with pytest.raises(ReviewError) as refused:
        complete(paths, sample, claim, [delete("J189", "-1200.00")])
    assert str(refused.value) == ("The findings overpay this claim by $1,200.00, more than the $1,000.00 paid on it: a claim "
                                  "cannot be overpaid by more than was paid, so lower its overpaid dollar impacts.")
    assert published(paths, claim) == []
    assert complete(paths, sample, claim, [delete("J189", "-1000.00")]).locked  # all that was paid: allowed


def test_an_unknown_paid_amount_does_not_cap_the_overpayment(money_store):
    paths, sample, keys = money_store
    assert complete(paths, sample, keys["MONEY-BLANK"], [delete("J189", "-1200.00")]).locked


def test_a_correction_is_held_to_the_rule(money_store):
    paths, sample, keys = money_store
    db = ReviewDb(paths.reviews_db)
    done = complete(paths, sample, keys["MONEY-OUT"], [delete("J189", "-900.00")])
    draft = worklist.start_correction(db, done.review_id, "ann", "the deletion was larger")
    worklist.save_draft(db, draft.review_id, [delete("J189", "-1000.01")], "ann")
    con = connect_read_only(paths)
    try:
        with pytest.raises(ReviewError, match=r"overpay this claim by \$1,000.01, more than the \$1,000.00 paid"):
            worklist.complete(db, draft.review_id, con=con, user="ann", role="auditor", record=None)
    finally:
        con.close()
    assert [d for _, d in published(paths, keys["MONEY-OUT"])] == ["-900.00"]  # the completed revision still counts


def test_accepting_a_rebuttal_that_would_overpay_more_than_was_paid_is_refused(money_store):
    """Overpaid 1,200.00 and underpaid 300.00 on a claim paid 1,000.00 (net 900.00): withdrawing the underpayment
    would leave 1,200.00, so the manager is refused and the rebuttal stays pending."""
    paths, sample, keys = money_store
    done = complete(paths, sample, keys["MONEY-OUT"], [
        delete("J189", "-1200.00"),
        {"code_type": "ICD10CM_DX", "audited_code": "E11.9", "finding": "add", "error_category": "missing_code", "dollar_impact": "300.00"}])
    added = next(f for f in done.completed_findings if f.finding == "add")
    db = ReviewDb(paths.reviews_db)
    rebuttal = rebuttals.rebut(db, done.review_id, {added.finding_id: "E11.9 is not documented"}, coder_id="CM1",
                               claim_coder_id="CM1", user="cm1", role="coder", record=None)
    con = connect_read_only(paths)
    try:
        with pytest.raises(ReviewError, match=r"overpay this claim by \$1,200.00, more than the \$1,000.00 paid"):
            rebuttals.decide(db, rebuttal, {added.finding_id: True}, store=con, user="mo", role="coding_manager", comment="",
                             record=None)
        assert worklist.get_review(db, done.review_id).latest.revision == 1  # no revision was made
        decision = rebuttals.decide(db, rebuttal, {added.finding_id: False}, store=con, user="mo", role="coding_manager", comment="",
                                    record=None)
        assert decision.decisions == {added.finding_id: "rejected"}
    finally:
        con.close()
    assert sorted(d for _, d in published(paths, keys["MONEY-OUT"])) == ["-1200.00", "300.00"]
