"""The Audit sampling page on a completed sample: the appraisal, its PDF report download and the sample sizes
below it render for the auditor (a producer built without its session check once crashed the page)."""
from __future__ import annotations

from audit.log.read import read_events
from audit.permissions import Page, Role
from queries.store import connect_read_only
from review import report_versions, worklist
from review.db import ReviewDb
from review.samples import draw_sample, load_sample
from review.sampling import SampleSpec
from tests.views.conftest import open_app
from tests.views.test_pages import no_exception, page_file, sign_in


def completed_sample(paths) -> str:
    """A random sample of three claims, each reviewed (one code agreed) and completed, then the sample."""
    con = connect_read_only(paths)
    db = ReviewDb(paths.reviews_db)
    try:
        sample = draw_sample(con, db, SampleSpec("random", 3), seed=11, user="ann", role="auditor", record=None)
        for key in sample.claim_keys:
            code_type, code = con.execute("SELECT code_type, code FROM claim_codes WHERE claim_key = ? ORDER BY line LIMIT 1",
                                          [key]).fetchone()
            opened = worklist.open_review(db, sample.sample_id, key, "ann")
            worklist.save_draft(db, opened.review_id, [{"code_type": code_type, "submitted_code": code, "audited_code": code,
                                                                  "finding": "agree"}], "ann")
            worklist.complete(db, opened.review_id, con=con, user="ann", role="auditor", record=None)
        worklist.complete_sample(db, sample.sample_id, con=con, user="ann", role="auditor", record=None)
    finally:
        con.close()
    return sample.sample_id


def test_a_completed_sample_offers_its_pdf_report_and_the_sample_sizes(own_demo):
    sample_id = completed_sample(own_demo)
    app = sign_in(open_app(), Role.AUDITOR)
    app.switch_page(page_file(Page.AUDIT_SAMPLING)).run()
    app.selectbox(key="sampling.sample").select(sample_id).run()
    no_exception(app)
    assert "Download PDF report" in [b.proto.label for b in app.get("download_button")]
    assert "Sample sizes" in [h.value for h in app.subheader]
    frozen = report_versions.version_pdf(ReviewDb(own_demo.reviews_db), sample_id)
    assert frozen.version.version == 1
    assert any(frozen.version.sha256 in c.value for c in app.caption)  # the version's SHA-256 is shown
    [t for t in app.text_input if t.label == "Reviewer name"][0].input("Ann Auditor")
    [t for t in app.text_input if t.label.startswith("Credential")][0].input("RHIA")
    [b for b in app.button if b.label == "Sign the report"][0].click().run()
    no_exception(app)
    assert any("the report is now version 2; version 1 is kept" in s.value for s in app.success), [e.value for e in app.error]
    first, second = report_versions.versions(ReviewDb(own_demo.reviews_db), sample_id)
    assert report_versions.version_pdf(ReviewDb(own_demo.reviews_db), sample_id, 1).pdf == frozen.pdf
    assert (second.reason, second.signer.name, second.signer.credential) == ("reviewer signed", "Ann Auditor", "RHIA")
    assert second.changes == ["Reviewer: none (no credential) -> Ann Auditor (RHIA)."]
    assert app.selectbox(key=f"report.version.{sample_id}").options == ["2", "1"]


def test_the_auditor_reveals_claim_numbers_for_a_copy_each_reveal_logged_first(own_demo, monkeypatch):
    sample_id = completed_sample(own_demo)
    app = sign_in(open_app(), Role.AUDITOR)
    app.switch_page(page_file(Page.AUDIT_SAMPLING)).run()
    app.selectbox(key="sampling.sample").select(sample_id).run()
    [b for b in app.button if b.label == "Reveal the claim numbers for a copy"][0].click().run()
    no_exception(app)
    assert any("The 3 claim numbers were revealed" in s.value for s in app.success), [e.value for e in app.error]
    assert "Download the copy with claim numbers" in [b.proto.label for b in app.get("download_button")]
    sample = load_sample(ReviewDb(own_demo.reviews_db), sample_id)
    reveals = read_events(own_demo, action="phi_reveal")
    assert sorted(k for e in reveals for k in e["claim_keys"]) == sorted(sample.claim_keys)
    assert all(e["fields"] == ["claim_id"] and e["purpose_of_use"] == "HOPERAT" for e in reveals)


def test_completing_the_sample_on_record_review_freezes_the_report_with_the_reviewer_typed(own_demo):
    con = connect_read_only(own_demo)
    db = ReviewDb(own_demo.reviews_db)
    try:
        sample = draw_sample(con, db, SampleSpec("random", 1), seed=5, user="ann", role="auditor", record=None)
        (key,) = sample.claim_keys
        code_type, code = con.execute("SELECT code_type, code FROM claim_codes WHERE claim_key = ? ORDER BY line LIMIT 1",
                                      [key]).fetchone()
        opened = worklist.open_review(db, sample.sample_id, key, "ann")
        worklist.save_draft(db, opened.review_id, [{"code_type": code_type, "submitted_code": code, "audited_code": code,
                                                    "finding": "agree"}], "ann")
        worklist.complete(db, opened.review_id, con=con, user="ann", role="auditor", record=None)
    finally:
        con.close()
    app = sign_in(open_app(), Role.AUDITOR)
    app.switch_page(page_file(Page.RECORD_REVIEW)).run()
    assert app.selectbox(key="worklist.sample").value == sample.sample_id  # open samples first
    [t for t in app.text_input if t.label == "Reviewer name"][0].input("Ann Auditor")
    [t for t in app.text_input if t.label.startswith("Credential")][0].input("CCS")
    [t for t in app.text_area if t.label.startswith("How the sample size")][0].input("One claim, a smoke test.")
    [b for b in app.button if b.label == "Complete the sample"][0].click().run()
    no_exception(app)
    assert any("report frozen as version 1" in s.value for s in app.success), [e.value for e in app.error]
    (version,) = report_versions.versions(db, sample.sample_id)
    assert version.signer.name == "Ann Auditor" and version.signer.credential == "CCS"
    assert version.signer.independence.startswith("I am independent")
    assert version.content["justification"] == "One claim, a smoke test."
    (event,) = [e for e in read_events(own_demo, action="sample_complete") if e["resource"] == f"sample:{sample.sample_id}"]
    assert event["details"]["report_sha256"] == version.sha256
