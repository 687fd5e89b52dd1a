"""Blind review on the Record review page through AppTest: the coder's codes and billed MS-DRG are hidden until
the auditor's own codes are saved (an unknown code is refused in one sentence and the entry is kept); then the
differences are shown and the chosen ones become the claim's findings."""
from __future__ import annotations

from audit.permissions import Page, Role
from queries.metrics import Filters
from queries.store import connect_read_only
from review import worklist
from review.db import ReviewDb
from review.samples import draw_sample
from review.sampling import SampleSpec
from tests.views.conftest import open_app
from tests.views.test_pages import no_exception, page_file, sign_in
from views.text import md

EXTRA = ("E785", "I10", "Z7901")


def blind_claim(paths):
    """A sample of one inpatient claim with at least two diagnoses: its key, sample id, diagnoses (code, POA) in
    line order, procedures and billed MS-DRG."""
    con = connect_read_only(paths)
    db = ReviewDb(paths.reviews_db)
    for seed in range(1, 30):
        sample = draw_sample(con, db, SampleSpec("random", 1, filters=Filters(encounter_type=("inpatient",))), seed=seed,
                             user="ann", role="auditor", record=None)
        (key,) = sample.claim_keys
        dx = con.execute("SELECT code, poa FROM claim_codes WHERE claim_key = ? AND code_type = 'ICD10CM_DX' ORDER BY line",
                         [key]).fetchall()
        pcs = [c for (c,) in con.execute("SELECT code FROM claim_codes WHERE claim_key = ? AND code_type = 'ICD10PCS' "
                                         "ORDER BY line", [key]).fetchall()]
        (billed,) = con.execute("SELECT ms_drg FROM claims WHERE claim_key = ?", [key]).fetchone()
        if len(dx) >= 2 and billed:
            con.close()
            return key, sample.sample_id, dx, pcs, billed
    raise AssertionError("no inpatient claim with two diagnoses in the demo")


def test_a_blind_review_hides_the_codes_until_the_auditors_are_saved_then_proposes_the_differences(own_demo):
    key, sample_id, dx, pcs, billed = blind_claim(own_demo)
    extra = next(code for code in EXTRA if code[:3] not in {c[:3] for c, _ in dx})
    audited_drg = "292" if billed != "292" else "291"
    app = sign_in(open_app(), Role.AUDITOR)
    app.switch_page(page_file(Page.RECORD_REVIEW)).run()
    assert app.selectbox(key="worklist.claim").value == key
    assert any(t.label == "DRG finding" for t in app.selectbox)  # not blind: the DRG inputs are there
    app.toggle(key=f"blind.{sample_id}").set_value(True).run()
    no_exception(app)
    caption = next(c.value for c in app.caption if "service date" in c.value)
    assert "billed MS-DRG" not in caption
    assert not app.dataframe[1:] and not [s for s in app.selectbox if s.label == "DRG finding"]  # only the worklist's table
    assert not [b for b in app.button if b.label in ("Save draft", "Complete the claim")]
    next(b for b in app.button if b.label == "Show the coder's codes without entering mine").click().run()
    assert not app.toggle(key=f"blind.{sample_id}").value and any(s.label == "DRG finding" for s in app.selectbox)
    app.toggle(key=f"blind.{sample_id}").set_value(True).run()  # nothing saved yet: it can be reviewed blind again
    assert not [s for s in app.selectbox if s.label == "DRG finding"]

    entry = next(t for t in app.text_area if t.label.startswith("Diagnoses, principal first"))
    typed = "\n".join([f"{dx[1][0]} {dx[1][1] or ''}", f"{dx[0][0]} {dx[0][1] or ''}",
                       *(f"{c} {p or ''}" for c, p in dx[2:]), "E11.99 Y"])
    entry.set_value(typed)
    next(t for t in app.text_area if t.label.startswith("Procedures")).set_value("\n".join(pcs))
    next(t for t in app.text_input if t.label == "MS-DRG the record supports").set_value(audited_drg)
    next(b for b in app.button if b.label == "Save my codes and show the coder's").click().run()
    assert [e.value for e in app.error] == [md(f"Diagnosis line {len(dx) + 1}: 'E11.99' is not an ICD-10-CM code; check it "
                                              "against the code book and save again.")]
    assert next(t for t in app.text_area if t.label.startswith("Diagnoses")).value == typed  # nothing lost

    next(t for t in app.text_area if t.label.startswith("Diagnoses")).set_value(typed.replace("E11.99 Y", f"{extra} Y"))
    next(b for b in app.button if b.label == "Save my codes and show the coder's").click().run()
    no_exception(app)
    assert not [e.value for e in app.error]
    assert f"billed MS-DRG {billed}" in next(c.value for c in app.caption if "service date" in c.value)
    differences = app.table[-1].value
    assert list(differences["Difference"]) == ["Principal diagnosis", "Principal diagnosis", "Added", "MS-DRG differs"]
    assert list(differences["Proposed finding"]) == [md(k) for k in ("Revised, Sequencing or principal diagnosis",) * 2 + (
        "Added (missed by the coder), Missing code", "Revised, DRG change")]
    boxes = [c for c in app.checkbox if c.key and c.key.startswith("blind.take.")]
    assert len(boxes) == 4 and all(c.value for c in boxes)
    boxes[2].uncheck()  # the added code is not taken
    next(b for b in app.button if b.label == "Take the chosen differences as findings").click().run()
    no_exception(app)
    review = worklist.get_review(ReviewDb(own_demo.reviews_db), worklist.open_review(ReviewDb(own_demo.reviews_db), sample_id,
                                                                                      key, "ann").review_id)
    found = [(f.code_type, f.submitted_code, f.audited_code, f.finding, f.error_category) for f in review.findings
             if f.finding != "agree"]
    assert found == [("ICD10CM_DX", dx[0][0], dx[1][0], "revise", "sequencing"),
                     ("ICD10CM_DX", dx[1][0], dx[0][0], "revise", "sequencing"),
                     ("MSDRG", billed, audited_drg, "revise", "drg")]
    assert sum(f.finding == "agree" for f in review.findings) == len(review.findings) - 3
    assert next(s for s in app.selectbox if s.label == "DRG finding").value == "revise"  # the DRG inputs show it
    assert next(s for s in app.selectbox if s.label == "DRG error category").value == "drg"
