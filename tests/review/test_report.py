"""A completed sample's report: frozen as version 1 when the sample is completed (SHA-256 in the event), rendered
reproducibly, its figures equal to the appraisal's, the design in words; a rebuttal decision after completion
leaves version 1 byte-identical and adds version 2 with its change log; downloads and a copy with claim numbers."""
from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from statistics import fmean, stdev

import pypdfium2 as pdfium
import pytest

from audit.log.read import read_events
from cli import main
from queries.metrics import Filters
from queries.store import connect_read_only
from review import rebuttals, report_versions, worklist
from review.appraisal import variable_sample_size
from review.db import ReviewDb, ReviewError
from review.lifecycle import replace_claim
from review.random_numbers import GENERATOR_CAVEAT
from review.report_content import Signer, frame_in_words, spare_sentence, spares_used
from review.samples import load_sample
from review.sampling import SampleSpec
from tests.review.test_sample_appraisal import appraise, draw, payable, review_all

SIGNER = Signer("Ann Auditor", "CCS, CPC", "I have no financial or reporting relationship with the coders reviewed.")
T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def money(value: float) -> str:
    return f"-${-value:,.2f}" if value < 0 else f"${value:,.2f}"


def pdf_text(data: bytes) -> str:
    pdf = pdfium.PdfDocument(data)
    return " ".join(" ".join(page.get_textpage().get_text_range().split()) for page in pdf)


def completed(store, events, overpaid_at=(1, 5)):
    sample, codes = draw(store, SampleSpec("random", 12, filters=Filters(payer=("Medicare",))))
    amounts = payable(store, {sample.claim_keys[i]: 120.0 * (j + 1) for j, i in enumerate(overpaid_at)})
    sample = review_all(store, sample, codes, amounts)
    con = connect_read_only(store)
    try:
        worklist.complete_sample(ReviewDb(store.reviews_db), sample.sample_id, con=con, user="ann", role="auditor",
                                 record=events.append, signer=SIGNER, justification="Twelve claims, as the engagement letter sets.",
                                 now=T0)
    finally:
        con.close()
    return load_sample(ReviewDb(store.reviews_db), sample.sample_id), amounts


def test_completing_a_sample_freezes_version_1_with_its_hash_in_the_event(store):
    events = []
    sample, amounts = completed(store, events)
    db = ReviewDb(store.reviews_db)
    frozen = report_versions.version_pdf(db, sample.sample_id)
    assert frozen.version.version == 1 and frozen.version.frozen_at.startswith("2026-03-02T15:00")
    assert hashlib.sha256(frozen.pdf).hexdigest() == frozen.version.sha256
    event = [e for e in events if e.action == "sample_complete"][0]
    assert event.details["report_sha256"] == frozen.version.sha256 and event.details["report_version"] == 1
    # reproducible: the same content and freeze time render the same bytes
    v = frozen.version
    assert report_versions.render(v.content, version=1, frozen_at=T0, changes=[]) == frozen.pdf
    # the figures equal the appraisal's (point estimate, limits, gross and net by hand)
    result = appraise(store, sample)
    variable = result.variable
    figures = v.figures
    assert figures["point_estimate"] == variable.point_estimate
    assert figures["lower_90"] == variable.two_sided["90"].lower and figures["upper_90"] == variable.two_sided["90"].upper
    assert figures["one_sided_90_lower"] == variable.one_sided_90_lower
    total = sum(amounts.values())  # $360.00, or less where a claim was paid less (the overpayment rule)
    assert figures["gross_overpayment"] == pytest.approx(total) and figures["gross_underpayment"] == 0
    assert figures["net_overpayment"] == pytest.approx(total)
    assert figures["claims_in_error"] == 2 and variable.point_estimate == pytest.approx(sample.frame_size * total / 12)
    assert figures["paid_reviewed"] == pytest.approx(float(result.dollars.paid_reviewed))
    paid = {c.claim_key: c for c in result.claims}
    for row in v.content["claims"]:  # per claim: paid, correct payment = paid - overpayment, date of service
        claim = paid[row["claim_key"]]
        assert row["service_date"] == claim.service_date.isoformat()
        assert row["paid"] == (None if claim.paid is None else float(claim.paid))
        if claim.paid is not None:
            assert row["correct_payment"] == pytest.approx(float(claim.paid) - amounts.get(claim.claim_key, 0.0))
    text = pdf_text(frozen.pdf)
    for expected in (sample.sample_id, sample.frame_sha256, money(variable.point_estimate),
                     money(variable.two_sided["90"].lower), money(variable.one_sided_90_lower), money(total),
                     "from payers Medicare", "Sampling unit", "The claim", "Ann Auditor", "CCS, CPC", "Signature",
                     "Twelve claims, as the engagement letter sets.", "No spares used.", "Corporate Integrity Agreement",
                     "Medicare contractor", "N x s / sqrt(n) x sqrt(1 - n/N)", " ".join(GENERATOR_CAVEAT.split()),
                     *sample.claim_keys):
        assert expected in text, expected
    assert "{" not in text and "[" not in text  # no Python repr of the filters


def test_frame_definition_in_words():
    words = frame_in_words(Filters(coder=("C007", "C023"), claim_flags=("single_cc_mcc",)), exclude_audited=True)
    assert words == ("Every claim in the coding store with any date of service, at every facility, from every payer, coded by "
                     "coders C007, C023, of every encounter type; only claims the DRG validation flags as: DRG rests on one "
                     "CC/MCC (every flag must hold); claims already audited (with imported findings, or drawn into an "
                     "earlier sample) left out.")


def test_a_decision_after_completion_keeps_version_1_and_adds_version_2_with_its_change_log(store):
    events = []
    sample, amounts = completed(store, events)
    db = ReviewDb(store.reviews_db)
    first = report_versions.version_pdf(db, sample.sample_id)
    key, other = sample.claim_keys[5], sample.claim_keys[1]  # overpaid $240.00 and $120.00 (at most what was paid)
    review = worklist.open_review(db, sample.sample_id, key, "ann")
    con = connect_read_only(store)
    try:
        coder = con.execute("SELECT coder_id FROM claims WHERE claim_key = ?", [key]).fetchone()[0]
        disputed = review.completed_findings[0].finding_id
        rebuttal = rebuttals.rebut(db, review.review_id, {disputed: "Documented on page 3."}, coder_id=coder,
                                   claim_coder_id=coder, user="coder", role="coder", record=None, now=T0 + timedelta(days=1))
        assert report_versions.refresh(db, con, sample.sample_id, user="coder", role="coder", record=events.append,
                                       now=T0 + timedelta(days=1)) is None  # a pending rebuttal changes no figure
        rebuttals.decide(db, rebuttal, {disputed: True}, store=con, user="mgr", role="coding_manager", comment="agreed",
                         record=None, now=T0 + timedelta(days=2))
        second = report_versions.refresh(db, con, sample.sample_id, user="mgr", role="coding_manager", record=events.append,
                                         now=T0 + timedelta(days=2))
    finally:
        con.close()
    assert second is not None and second.version == 2
    assert report_versions.version_pdf(db, sample.sample_id, 1).pdf == first.pdf  # byte-identical
    assert [v.version for v in report_versions.versions(db, sample.sample_id)] == [1, 2]
    log = " ".join(second.changes)
    assert f"Claim {key}: overpayment {money(amounts[key])} -> $0.00" in log
    assert f"Net overpayment (sample): {money(amounts[key] + amounts[other])} -> {money(amounts[other])}." in log
    assert f"Point estimate: {money(first.version.figures['point_estimate'])} -> {money(second.figures['point_estimate'])}." in log
    assert "decided by mgr: 1 of 1 findings accepted" in log  # the revision that caused it
    assert second.figures["point_estimate"] == pytest.approx(sample.frame_size * amounts[other] / 12)
    assert second.signer == SIGNER
    made = [e for e in events if e.action == "sample_report"][0]
    assert made.details["version"] == 2 and made.details["sha256"] == second.sha256
    text = pdf_text(report_versions.version_pdf(db, sample.sample_id, 2).pdf)
    assert "Changes from version 1" in text and f"{money(amounts[key])} -> $0.00" in text
    with pytest.raises(ReviewError, match="there is no version 3"):
        report_versions.version_pdf(db, sample.sample_id, 3)


def test_a_copy_with_claim_numbers_is_rendered_apart_and_never_stored(store):
    sample, _ = completed(store, [])
    db = ReviewDb(store.reviews_db)
    numbers = {key: f"CLM{i:010d}" for i, key in enumerate(sample.claim_keys)}
    copy = report_versions.with_claim_numbers(db, sample.sample_id, 1, numbers)
    text = pdf_text(copy)
    assert "CLM0000000003" in text and "Claim number" in text and sample.claim_keys[3] not in text
    assert "CLM" not in pdf_text(report_versions.version_pdf(db, sample.sample_id, 1).pdf)
    event = report_versions.export_event("ann", "auditor", report_versions.version_pdf(db, sample.sample_id).version,
                                         hashlib.sha256(copy).hexdigest(), claim_numbers=True)
    assert event.details["sha256"] != event.details["frozen_sha256"] and event.resource.endswith("-v1")


def test_sample_report_command_writes_the_frozen_version_after_its_export_event(store, capsys, tmp_path):
    sample, _ = completed(store, [])
    db = ReviewDb(store.reviews_db)
    frozen = report_versions.version_pdf(db, sample.sample_id)
    out = tmp_path / "report.pdf"
    assert main(["sample", "report", sample.sample_id, "--out", str(out)]) == 0
    said, err = capsys.readouterr()
    assert err == "" and frozen.version.sha256 in said
    assert out.read_bytes() == frozen.pdf
    (event,) = read_events(store, action="export")
    assert event["resource"] == f"pdf:sample-report-{sample.sample_id}-v1"
    assert (event["details"]["version"], event["details"]["sha256"]) == (1, frozen.version.sha256)
    for argv, words in (([sample.sample_id, "--out", str(out)], "exists already"),
                        ([sample.sample_id, "--out", str(tmp_path / "x.pdf"), "--version", "2"], "there is no version 2"),
                        ([sample.sample_id, "--out", str(tmp_path / "no" / "x.pdf")], "There is no folder"),
                        (["S-nope", "--out", str(tmp_path / "y.pdf")], "There is no sample")):
        assert main(["sample", "report", *argv]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("sample report failed: ") and words in err, err
    assert len(read_events(store, action="export")) == 1  # a refusal exports nothing
    open_one, codes = draw(store, SampleSpec("random", 2), seed=5)
    assert main(["sample", "report", open_one.sample_id, "--out", str(tmp_path / "z.pdf")]) == 2
    assert "is not completed" in capsys.readouterr().err and not (tmp_path / "z.pdf").exists()


def test_spares_used_say_which_spare_replaced_which_claim_and_why(store):
    assert spare_sentence({"spare_key": "s1", "replaced_key": "c1", "reason": "record missing", "by": "ann",
                           "at": "2026-03-02T15:00:00.000000+00:00"}) == (
        "Spare s1 replaced drawn claim c1: record missing (ann, 2026-03-02 15:00 UTC).")
    sample, _ = draw(store, SampleSpec("random", 3, spares=2))
    db = ReviewDb(store.reviews_db)
    assert spares_used(db, sample) == []
    spare = replace_claim(db, sample.sample_id, sample.claim_keys[1], "record not available", user="ann", role="auditor",
                          record=None, now=datetime(2026, 3, 2, 15, tzinfo=UTC))
    assert spares_used(db, sample) == [f"Spare {spare} replaced drawn claim {sample.claim_keys[1]}: record not available "
                                       "(ann, 2026-03-02 15:00 UTC)."]


def test_a_sample_sized_from_an_earlier_probe_says_so_with_the_calculation(store):
    db = ReviewDb(store.reviews_db)
    scope = Filters(payer=("Medicare",))
    probe, codes = draw(store, SampleSpec("probe", 6, filters=scope), seed=3)
    owed = payable(store, {probe.claim_keys[0]: 250.0, probe.claim_keys[2]: 90.0})
    probe = review_all(store, probe, codes, owed)
    con = connect_read_only(store)
    try:
        worklist.complete_sample(db, probe.sample_id, con=con, user="ann", role="auditor", record=None)
        full, codes = draw(store, SampleSpec("random", 3, filters=scope), seed=4)
        full = review_all(store, full, codes, {})
        worklist.complete_sample(db, full.sample_id, con=con, user="ann", role="auditor", record=None,
                                 justification="As the probe said.")
    finally:
        con.close()
    probe_words = dict(report_versions.version_pdf(db, probe.sample_id).version.content["design"])["Size justification"]
    assert probe_words.startswith("A probe sample of 6 claims")
    words = dict(report_versions.version_pdf(db, full.sample_id).version.content["design"])["Size justification"]
    values = [owed.get(k, 0.0) for k in probe.claim_keys]
    needed = variable_sample_size(stdev(values), fmean(values), full.frame_size, 0.90, 10.0)
    assert words.startswith(f"Sized from probe sample {probe.sample_id} (6 claims over the same frame definition): "
                            f"mean overpayment ${fmean(values):,.2f}, standard deviation ${stdev(values):,.2f}")
    assert f"it calls for {needed:,} claims" in words and words.endswith("Auditor's statement: As the probe said.")
