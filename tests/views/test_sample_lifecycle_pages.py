"""The sample's life on the pages, through AppTest on a demo store of the test's own: the draw form does not draw
when Enter is pressed in the seed field, seeds read as typed (no thousands separators, no exponent), an auditor
voids a sample with a reason on Audit sampling (logged, shown voided, no appraisal, closed on the worklist), and
replaces a claim that cannot be reviewed by a spare from the Record review worklist (logged, shown on both pages)."""
from __future__ import annotations

from streamlit.testing.v1 import AppTest

from audit.log.read import read_events
from audit.permissions import Page, Role
from queries.metrics import Filters
from queries.store import connect_read_only
from review import worklist
from review.db import ReviewDb
from review.samples import draw_sample, load_sample
from review.sampling import SampleSpec
from tests.views.conftest import open_app
from tests.views.test_pages import no_exception, page_file, sign_in
from tests.views.test_review_pages import shown_text

SEED = 1234567


def drawn(paths, size: int = 3, spares: int = 0):
    con = connect_read_only(paths)
    try:
        return draw_sample(con, ReviewDb(paths.reviews_db), SampleSpec("random", size, filters=Filters(), spares=spares),
                           seed=SEED, user="demo:auditor", role="auditor", record=None)
    finally:
        con.close()


def forms(app: AppTest) -> dict[str, object]:
    """Every form on the page by its key, as the browser receives it (its enter_to_submit among the rest)."""
    found = {}

    def walk(node) -> None:
        for child in (node.children.values() if isinstance(getattr(node, "children", None), dict) else ()):
            proto = getattr(child, "proto", None)
            if proto is not None and type(proto).__name__ == "Block" and proto.HasField("form"):
                found[proto.form.form_id] = proto.form
            walk(child)

    walk(app._tree)
    return found


def on(page: Page) -> AppTest:
    app = sign_in(open_app(), Role.AUDITOR)
    app.switch_page(page_file(page)).run()
    no_exception(app)
    return app


def button(app: AppTest, label: str):
    return next(b for b in app.button if b.label == label)


def test_enter_in_the_seed_field_does_not_draw_and_seeds_read_as_typed(own_demo):
    sample = drawn(own_demo)
    app = on(Page.AUDIT_SAMPLING)
    assert forms(app)["sampling.draw"].enter_to_submit is False
    listing = app.dataframe[0].value
    assert listing.loc[listing.sample_id == sample.sample_id, "seed"].tolist() == ["1234567"]
    text = shown_text(app)
    assert f"seed {SEED} ·" in text and "1,234,567" not in text and "e+06" not in text


def test_an_auditor_voids_a_sample_with_a_reason_and_it_is_closed_everywhere(own_demo):
    sample = drawn(own_demo)
    app = on(Page.AUDIT_SAMPLING)
    assert forms(app)[f"void.{sample.sample_id}"].enter_to_submit is False
    button(app, "Void the sample").click().run()  # no reason yet: refused, nothing changed
    assert any("Say why" in e.value for e in app.error)
    assert load_sample(ReviewDb(own_demo.reviews_db), sample.sample_id).voided_at is None
    next(t for t in app.text_input if t.label == "Reason for voiding").input("Drawn from the wrong quarter.")
    button(app, "Void the sample").click().run()
    no_exception(app)
    assert any("was voided" in w.value and "Drawn from the wrong quarter" in w.value for w in app.warning)
    listing = app.dataframe[0].value
    assert listing.loc[listing.sample_id == sample.sample_id, "voided"].tolist() == [True]
    assert not [b for b in app.button if b.label == "Void the sample"]  # voided once
    assert any("has no appraisal" in i.value for i in app.info)  # the appraisal is not offered
    (event,) = read_events(own_demo, action="sample_void")
    assert (event["user"], event["details"]["reason"]) == ("demo:auditor", "Drawn from the wrong quarter.")
    worklist = on(Page.RECORD_REVIEW)
    assert any("voided" in w.value for w in worklist.warning)
    assert not [b for b in worklist.button if b.label in ("Save draft", "Complete the claim")]


def test_a_claim_that_cannot_be_reviewed_is_replaced_from_the_worklist_and_shown_on_both_pages(own_demo):
    sample = drawn(own_demo, size=2, spares=2)
    first, spare = sample.claim_keys[0], sample.spares[0]
    app = on(Page.RECORD_REVIEW)
    assert app.selectbox(key="worklist.claim").value == first
    next(t for t in app.text_input if t.label == "Why it cannot be reviewed").input("Record not available.")
    button(app, "Replace it with the next spare").click().run()
    no_exception(app)
    assert app.selectbox(key="worklist.claim").value == spare  # the spare is the claim to review now
    claims = app.dataframe[0].value.set_index("claim_key")
    assert (claims.loc[first, "status"], claims.loc[first, "replaced_by"], claims.loc[spare, "replaces"]) == (
        "replaced", spare, first)
    replaced = next(df.value for df in app.dataframe if "Spare reviewed instead" in df.value.columns)
    assert replaced[["Claim not reviewed", "Spare reviewed instead", "Reason", "Replaced by"]].values.tolist() == [
        [first, spare, "Record not available.", "demo:auditor"]]
    (event,) = read_events(own_demo, action="sample_replace")
    assert event["claim_keys"] == [first, spare]
    assert load_sample(ReviewDb(own_demo.reviews_db), sample.sample_id).claim_keys == [spare, sample.claim_keys[1]]
    app.selectbox(key="worklist.claim").select(first).run()
    assert any("replaced by spare" in i.value for i in app.info)
    sampling = on(Page.AUDIT_SAMPLING)
    assert any("Spare reviewed instead" in df.value.columns for df in sampling.dataframe)


def test_a_sample_whose_claim_is_under_correction_can_be_completed_on_the_worklist_as_review_allows(own_demo):
    """One rule for a complete sample (review.worklist.claims_waiting): every claim to review completed at least
    once. A claim whose completed review is being corrected still counts as completed, so the worklist offers
    to complete the sample, and completing it there closes it."""
    sample = drawn(own_demo, size=1)
    (key,) = sample.claim_keys
    db = ReviewDb(own_demo.reviews_db)
    con = connect_read_only(own_demo)
    try:
        code_type, code = con.execute("SELECT code_type, code FROM claim_codes WHERE claim_key = ? ORDER BY line", [key]).fetchone()
        opened = worklist.open_review(db, sample.sample_id, key, "ann")
        worklist.complete(db, opened.review_id, con=con, user="ann", role="auditor", record=None,
                          rows=[{"code_type": code_type, "submitted_code": code, "audited_code": code, "finding": "agree"}])
    finally:
        con.close()
    worklist.start_correction(db, opened.review_id, "ann", "second look at the documentation")
    assert worklist.claims_waiting(db, sample.sample_id) == []
    app = sign_in(open_app(), Role.AUDITOR)
    app.switch_page(page_file(Page.RECORD_REVIEW)).run()
    no_exception(app)
    assert app.selectbox(key="worklist.sample").value == sample.sample_id
    [b for b in app.button if b.label == "Complete the sample"][0].click().run()
    no_exception(app)
    assert load_sample(db, sample.sample_id).completed_at is not None
