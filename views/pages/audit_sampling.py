"""Audit sampling: draw a reproducible sample from the claims the sidebar filters select (the frame), see
every sample with how it was drawn, appraise a completed sample (variable and attribute, formulas shown),
export it (CSV; the frozen PDF report versions of a completed sample; each logged), and size the next sample."""
from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

from audit.permissions import Permission, PermissionDenied, PhiField, can, phi_fields, reveal_purposes
from queries import formats, metrics
from review import report_versions
from review.appraisal import AppraisalError, attribute_sample_size, variable_sample_size
from review.db import ReviewError
from review.frame import DEFAULT_BANDS, DOLLAR_STRATA, STRATA_BY, FrameError, parse_bands
from review.lifecycle import void_sample
from review.random_numbers import GENERATOR_CAVEAT
from review.report_content import Signer
from review.report_copy import claim_number_copy
from review.sample_appraisal import (
    OVERPAYMENT_PER_CLAIM,
    OVERPAYMENT_RULE,
    TOO_POOR,
    WHY_PRELIMINARY,
    SampleAppraisal,
    appraise_sample,
    attribute_sentence,
)
from review.samples import Sample, SampleMismatch, draw_sample, list_samples, load_sample, seed_text, stored_frame
from review.sampling import ALLOCATIONS, METHODS, PROBE_SIZE, SampleSpec
from views import filters, reviews, session, tables
from views.reveals import revealed
from views.text import md

_CHOSEN = "sampling.sample"
STRATA_LABELS = {"billed": "Billed-dollar band", "paid": "Paid-dollar band", "coder": "Coder", "facility": "Facility", "payer": "Payer",
                 "encounter_type": "Encounter type"}


def draw_section(who: session.SignedIn, scope: metrics.Filters) -> None:
    st.subheader("Draw a sample")
    flags = st.multiselect("Only claims flagged by the DRG validation (every one chosen must hold)", list(metrics.CLAIM_FLAGS),
                           format_func=metrics.CLAIM_FLAGS.get, key="sampling.flags", placeholder="No flag: every claim in scope",
                           help="Targets from the grouper and the Medicare Code Editor, as on the DRG validation page: for "
                           "example claims whose DRG rests on a single CC or MCC, an OIG audit target.")
    scope = replace(scope, claim_flags=tuple(flags))
    frame = session.query(metrics.summary, scope).iloc[0]
    st.caption(f"The sampling frame the filters select now: {filters.sentence(scope)} · {int(frame['claims']):,} claims, "
               f"{int(frame['audited_claims']):,} already audited. Frame order: service date, then claim key.")
    with st.form("sampling.draw", enter_to_submit=False):  # Enter in the seed field must not draw
        left, middle, right = st.columns(3)
        method = left.selectbox("Method", METHODS, help="random: simple random sample; probe: about 30 claims to size the "
                                "full sample; stratified: by the strata below; per-coder: N claims per coder in the period")
        size = middle.number_input("Sample size (per coder for per-coder)", min_value=1, value=PROBE_SIZE, step=1)
        spares = right.number_input("Spares", min_value=0, value=0, step=1, help="Drawn after the sample, per stratum.")
        strata_by = left.selectbox("Strata (stratified)", STRATA_BY, format_func=STRATA_LABELS.get)
        allocation = middle.selectbox("Allocation (stratified)", ALLOCATIONS, help="proportional: by stratum size; equal: "
                                      "the size from each stratum; neyman: by stratum size times the spread of its dollars")
        bands = right.text_input("Dollar band limits (billed or paid bands)", ",".join(f"{b:g}" for b in DEFAULT_BANDS))
        certainty = right.text_input("Review in full every claim paid over (stratified; blank: none)", key="sampling.certainty",
                                     help="A certainty stratum: these claims are all reviewed, in addition to the sample "
                                     "size, and their overpayments count at face value (not extrapolated).")
        seed = left.text_input("Seed (blank: a new one)", max_chars=12)
        exclude = middle.checkbox("Leave out claims already audited", help="Claims with imported findings, and claims "
                                  "drawn into earlier samples.")
        submitted = st.form_submit_button("Draw the sample", type="primary")
    if not submitted:
        return
    try:
        spec = SampleSpec(method=method, size=int(size), filters=scope, exclude_audited=exclude, strata_by=strata_by,
                          bands=parse_bands(bands) if strata_by in DOLLAR_STRATA else DEFAULT_BANDS, allocation=allocation,
                          spares=int(spares),
                          certainty_above=float(certainty.replace(",", "").replace("$", "")) if certainty.strip() else None)
        seed_value = float(seed) if seed.strip() else None
    except (FrameError, ValueError) as exc:
        st.error(md(exc if isinstance(exc, FrameError) else "The seed, the band limits and the certainty amount must be numbers."))
        return
    try:
        sample = reviews.change(Permission.REVIEW_CLAIMS, lambda: draw_sample(
            session.connection(), reviews.review_db(), spec, seed=seed_value, user=who.user, role=who.role_name,
            record=session.record))
    except FrameError as exc:
        st.error(md(exc))
        return
    if sample is not None:
        st.session_state[_CHOSEN] = sample.sample_id
        st.success(f"Sample {md(sample.sample_id)} drawn: {len(sample.claim_keys)} claims from a frame of "
                   f"{sample.frame_size:,}, seed {seed_text(sample.seed)}. It is recorded in the access log.")
        for warning in sample.warnings:
            st.warning(md(warning))


def samples_section() -> Sample | None:
    st.subheader("Samples")
    rows = list_samples(reviews.review_db())
    if not rows:
        st.info("No sample has been drawn yet. Draw one above, or with `python manage.py sample draw`.")
        return None
    listing = pd.DataFrame([{"sample_id": r["sample_id"], "drawn_at": r["drawn_at"][:16].replace("T", " "), "drawn_by": r["drawn_by"],
                             "method": r["method"], "claims": r["claims"], "reviewed": r["reviewed"], "frame_size": r["frame_size"],
                             "seed": seed_text(r["seed"]), "replaced": len(r["replacements"]),
                             "completed": bool(r["completed_at"]), "voided": bool(r["voided_at"])} for r in rows])
    st.dataframe(listing, hide_index=True, column_config=tables.column_config(listing))
    ids = listing["sample_id"].tolist()
    if st.session_state.get(_CHOSEN) not in ids:
        st.session_state[_CHOSEN] = ids[0]
    return load_sample(reviews.review_db(), st.selectbox("Sample", ids, key=_CHOSEN))


def void_form(who: session.SignedIn, sample: Sample) -> None:
    """Void the sample with a reason (roles that may draw): it stays listed, voided, with its reviews."""
    if sample.voided_at is not None or not can(who.role, Permission.REVIEW_CLAIMS):
        return
    with st.expander("Void this sample"), st.form(f"void.{sample.sample_id}", enter_to_submit=False):
        reason = st.text_input("Reason for voiding", max_chars=500, help="Kept with the sample and in the access log. "
                               "A voided sample no longer counts as already audited, takes no more reviews and has no "
                               "appraisal.")
        submitted = st.form_submit_button("Void the sample", icon=":material/block:")
    if submitted and reviews.change(Permission.REVIEW_CLAIMS, lambda: void_sample(
            reviews.review_db(), sample.sample_id, reason, user=who.user, role=who.role_name, record=session.record)):
        st.rerun()


def sample_section(who: session.SignedIn, sample: Sample) -> None:
    st.subheader(f"Sample {sample.sample_id}")
    spec = sample.spec
    st.caption(f"{md(spec.method)} sample drawn {md(sample.drawn_at[:16].replace('T', ' '))} UTC by {md(sample.drawn_by)} · "
               f"frame {sample.frame_size:,} claims, SHA-256 {sample.frame_sha256} · seed {seed_text(sample.seed)} · "
               f"{md(sample.generator)}, version {md(sample.generator_version)}. Redraw it with "
               f"`python manage.py sample redraw {md(sample.sample_id)}`.")
    st.caption(md(GENERATOR_CAVEAT))
    if sample.void_sentence:
        st.warning(md(sample.void_sentence))
    reviews.replacements_table(sample.sample_id)
    void_form(who, sample)
    if spec.stratified:
        st.dataframe(pd.DataFrame(sample.strata)[["label", "universe", "n", "spares", "low", "high"]], hide_index=True)
    keys, strata = stored_frame(reviews.review_db(), sample.sample_id)
    frame = pd.DataFrame({"position": range(1, len(keys) + 1), "claim_key": keys})
    if strata is not None:
        frame["stratum"] = strata
    with st.expander("Frame export (CSV: position, claim key)"):
        tables.csv_download(frame, f"sample-frame-{sample.sample_id}")


def appraisal_section(who: session.SignedIn, sample: Sample) -> SampleAppraisal | None:
    st.subheader("Appraisal")
    try:
        result = appraise_sample(reviews.review_db(), sample, session.connection())
    except SampleMismatch as exc:
        st.error(md(exc))
        return None
    except (ReviewError, AppraisalError) as exc:
        st.info(md(exc))
        return None
    variable, attribute = result.variable, result.attribute
    if result.values.preliminary:
        st.warning(f"{result.values.preliminary} sampled claims have preliminary findings ({WHY_PRELIMINARY}): this "
                   "appraisal may still change.")
    tiles = st.columns(4)
    tiles[0].metric("Point estimate of overpayment", formats.dollars(variable.point_estimate), border=True)
    tiles[1].metric("One-sided 90% lower limit", formats.dollars(variable.one_sided_90_lower or 0), border=True,
                    help="What Medicare contractors generally demand.")
    tiles[2].metric("Two-sided 90% lower limit", formats.dollars(variable.two_sided["90"].lower), border=True,
                    help="What a Corporate Integrity Agreement repays.")
    pct = variable.two_sided["90"].precision_pct
    tiles[3].metric("Precision at 90%", formats.percent_value(pct), border=True)
    if variable.precision_too_poor:
        st.warning(f"{TOO_POOR[0].upper()}{TOO_POOR[1:]} Sample more claims (the calculator below says how many).")
    for warning in variable.warnings:
        st.warning(md(warning))
    dollars_section(result)
    limits = pd.DataFrame([{"confidence": f"{name}%", "t": x.t, "lower_dollars": x.lower, "upper_dollars": x.upper,
                            "precision_dollars": x.precision,
                            "precision_pct": x.precision_pct} for name, x in variable.two_sided.items()])
    shown = tables.displayed(limits)
    st.dataframe(shown, hide_index=True, column_config=tables.column_config(shown))
    st.caption("Point estimate T = N × mean overpayment; standard error SE = N × s / √n × √(1 − n/N); limits T ± t × SE, "
               "t from Student's t with n − 1 degrees of freedom" + (" (stratified: each summed over the strata, t with n − L "
               "degrees of freedom)." if variable.strata else "."))
    st.caption(f"n = {variable.n} sampled claims of N = {variable.universe:,}; {variable.nonzero} with an overpayment other "
               f"than 0; mean {formats.dollars(variable.mean)}, standard error {formats.dollars(variable.standard_error or 0)}, "
               f"{variable.degrees_of_freedom} degrees of freedom. Overpayment per claim: {OVERPAYMENT_PER_CLAIM}.")
    st.caption(f"Claims in error: {attribute_sentence(attribute)}")
    export = pd.DataFrame([{"sample_id": sample.sample_id, "frame_sha256": sample.frame_sha256, "seed": seed_text(sample.seed),
                            "n": variable.n, "universe": variable.universe, "point_estimate": variable.point_estimate,
                            "standard_error": variable.standard_error, "one_sided_90_lower": variable.one_sided_90_lower,
                            **{f"lower_{k}": x.lower for k, x in variable.two_sided.items()},
                            **{f"upper_{k}": x.upper for k, x in variable.two_sided.items()},
                            "claims_in_error": attribute.errors, "preliminary_claims": result.values.preliminary,
                            **result.dollars.as_json()}])
    tables.csv_download(export, f"appraisal-{sample.sample_id}")
    report_section(who, sample)
    return result


def report_section(who: session.SignedIn, sample: Sample) -> None:
    """The frozen report versions of a completed sample, each downloadable (an `export` event naming the version
    and its SHA-256 first); a sample completed before reports were frozen gets its version 1 here."""
    st.subheader("Report")
    if sample.completed_at is None:
        st.info("The report is frozen when the sample is completed (Record review page, once every claim is completed).")
        return
    db = reviews.review_db()
    reviews.change(Permission.REVIEW_CLAIMS, lambda: reviews.refresh_report(sample.sample_id))
    sign_section(who, report_versions.versions(db, sample.sample_id)[-1])
    found = report_versions.versions(db, sample.sample_id)
    listing = pd.DataFrame([{"version": v.version, "frozen_at": v.frozen_at[:19].replace("T", " "), "frozen_by": v.frozen_by,
                             "reason": v.reason, "point_estimate": v.figures["point_estimate"], "sha256": v.sha256}
                            for v in found])
    st.dataframe(listing, hide_index=True, column_config=tables.column_config(listing))
    number = st.selectbox("Report version", [v.version for v in reversed(found)], key=f"report.version.{sample.sample_id}")
    frozen = report_versions.version_pdf(db, sample.sample_id, number)
    if frozen.version.changes:
        with st.expander(f"What version {number} changed"):
            for change in frozen.version.changes:
                st.text(change)
    event = report_versions.export_event(who.user, who.role_name, frozen.version, frozen.version.sha256)
    st.download_button("Download PDF report", data=tables.logged(lambda: frozen.pdf, event, session.access_log(),
                                                                 session.download_check()),
                       file_name=f"sample-{sample.sample_id}-report-v{number}.pdf", mime="application/pdf",
                       key=f"pdf.{sample.sample_id}.{number}", on_click="ignore", icon=":material/picture_as_pdf:")
    st.caption(f"Version {number}: SHA-256 {frozen.version.sha256}. Also `python manage.py sample report "
               f"{md(sample.sample_id)} --version {number} --out FILE.pdf`.")
    if PhiField.CLAIM_ID in phi_fields(who.role):
        with st.expander("A copy with claim numbers (reveals them; logged)"):
            copy_with_claim_numbers(who, frozen.version)


def sign_section(who: session.SignedIn, latest: report_versions.ReportVersion) -> None:
    """The reviewer's name, credential and independence statement as the report carries them: changing them
    freezes a new version (the earlier ones stay as they were)."""
    with st.expander("Reviewer and independence statement (a change makes a new version)"):
        with st.form(f"report.sign.{latest.sample_id}"):
            signer = latest.signer
            left, right = st.columns(2)
            name = left.text_input("Reviewer name", value=signer.name, max_chars=120)
            credential = right.text_input("Credential (e.g. CCS, CPC, RHIA)", value=signer.credential, max_chars=80)
            independence = st.text_area("Independence statement", value=signer.independence, max_chars=1_000)
            signed = st.form_submit_button("Sign the report")
    if not signed:
        return
    new = Signer(name.strip(), credential.strip(), independence.strip())
    if new == latest.signer:
        st.info("The report already carries this reviewer and statement; nothing was changed.")
        return
    made = reviews.change(Permission.REVIEW_CLAIMS, lambda: report_versions.refresh(
        reviews.review_db(), session.connection(), latest.sample_id, user=who.user, role=who.role_name,
        record=session.record, signer=new))
    if made is not None:
        st.success(f"Signed: the report is now version {made.version}; version {latest.version} is kept as it was.")


def copy_with_claim_numbers(who: session.SignedIn, version: report_versions.ReportVersion) -> None:
    """The frozen version rendered again with each claim's number, for a role that may reveal claim numbers:
    each reveal is recorded before its number is decrypted, and the copy's download is an `export` naming
    the version, the copy's own SHA-256 and the frozen one. The copy is never stored."""
    with st.form(f"report.copy.{version.sample_id}.{version.version}"):
        purpose = st.selectbox("Purpose of use", reveal_purposes(who.role), format_func=lambda p: f"{p.value}: {p.label}")
        justification = st.text_input("Justification (optional)", max_chars=500)
        asked = st.form_submit_button("Reveal the claim numbers for a copy")
    if not asked:
        return
    try:
        made = revealed(who, lambda: claim_number_copy(session.paths(), session.connection(), reviews.review_db(), version,
                                                       user=who.user, role=who.role, purpose=purpose,
                                                       justification=justification, record=session.record))
    except PermissionDenied as exc:
        st.error(md(exc))
        return
    if made is None:
        return
    st.success(f"The {made.claims} claim numbers were revealed (recorded in the access log). This copy holds them: "
               f"keep it where PHI may be kept. SHA-256 {made.sha256}.")
    st.download_button("Download the copy with claim numbers",
                       data=tables.logged(lambda: made.pdf, made.export, session.access_log(), session.download_check()),
                       file_name=f"sample-{version.sample_id}-report-v{version.version}-claim-numbers.pdf",
                       mime="application/pdf", key=f"pdf.copy.{version.sample_id}.{version.version}", on_click="ignore",
                       icon=":material/picture_as_pdf:")


def dollars_section(result: SampleAppraisal) -> None:
    """The sample's own dollars: gross over and under beside the net (OIG asks for gross), the paid dollars
    reviewed and the dollar error rate."""
    dollars = result.dollars
    tiles = [*st.columns(3), *st.columns(3)[:2]]  # two rows: a five-tile row clips amounts with cents
    tiles[0].metric("Gross overpaid", formats.dollars(dollars.gross_overpayment), border=True,
                    help="Sum of the overpaid sampled claims' overpayments.")
    tiles[1].metric("Gross underpaid", formats.dollars(dollars.gross_underpayment), border=True,
                    help="Sum of the underpaid sampled claims' underpayments, as a positive amount.")
    tiles[2].metric("Net overpaid", formats.dollars(dollars.net_overpayment), border=True,
                    help="Gross overpaid less gross underpaid, in the sample.")
    tiles[3].metric("Paid reviewed", formats.dollars(dollars.paid_reviewed), border=True,
                    help="What the payers paid on the sampled claims.")
    rate = dollars.dollar_error_rate
    tiles[4].metric("Dollar error rate", formats.percent(rate), border=True,
                    help="Net overpaid / paid reviewed.")
    st.caption(f"{dollars.claims_in_error} of {len(result.claims)} sampled claims in error (claim error rate "
               f"{formats.percent(dollars.claims_in_error / max(len(result.claims), 1))}). Overpayment per claim: {OVERPAYMENT_RULE}.")
    if dollars.claims_without_paid:
        st.warning(f"{dollars.claims_without_paid} sampled claims have no paid amount in the store, so the dollar error "
                   "rate is not given: load their paid amounts (claims.csv paid_amount) with the next ingest.")


def sizes_section(sample: Sample | None, result: SampleAppraisal | None) -> None:
    st.subheader("Sample sizes")
    universe = sample.frame_size if sample else 1_000
    left, right = st.columns(2)
    with left:
        st.caption("Attribute: claims in error, normal approximation with the finite population correction.")
        rate = st.number_input("Expected error rate", 0.01, 0.99, 0.10, 0.01, key="size.rate")
        precision = st.number_input("Precision (plus or minus)", 0.01, 0.5, 0.05, 0.01, key="size.precision")
        confidence = st.selectbox("Confidence", (0.90, 0.95, 0.80), key="size.confidence")
        attribute_universe = st.number_input("Universe (claims)", 1, value=universe, key="size.universe")
        try:
            st.metric("Claims to sample (attribute)", f"{attribute_sample_size(rate, confidence, precision, int(attribute_universe)):,}")
        except AppraisalError as exc:
            st.error(md(exc))
    with right:
        st.caption("Variable: from a probe sample's standard deviation and mean, with the finite population correction.")
        probe = result.variable if result else None
        sd = st.number_input("Standard deviation per claim", 0.0, value=float(probe.sd or 0) if probe else 200.0, key="size.sd")
        mean = st.number_input("Mean overpayment per claim", value=float(probe.mean) if probe else 100.0, key="size.mean")
        pct = st.number_input("Precision (% of the point estimate)", 1.0, 99.0, 10.0, key="size.pct")
        try:
            st.metric("Claims to sample (variable)", f"{variable_sample_size(sd, mean, universe, 0.90, pct):,}")
        except AppraisalError as exc:
            st.error(md(exc))


def render() -> None:
    who = session.current()
    st.title("Audit sampling")
    st.caption("Samples are reproducible from their seed and frame (docs/SAMPLING.md); review their claims on the Record "
               "review page.")
    draw_section(who, filters.current())
    sample = samples_section()
    result = None
    if sample is not None:
        sample_section(who, sample)
        result = appraisal_section(who, sample)
    sizes_section(sample, result)


render()
