"""Audit sampling: draw a reproducible sample from the claims the sidebar filters select (the frame), see
every sample with how it was drawn, appraise a completed sample (variable and attribute, formulas shown),
export it (CSV, one-page PDF report; both logged), and size the next sample."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

import pandas as pd
import streamlit as st

from audit.events import AccessEvent
from audit.permissions import Permission
from queries import metrics
from review.appraisal import POOR_PRECISION_PCT, AppraisalError, attribute_sample_size, variable_sample_size
from review.db import ReviewError
from review.frame import DEFAULT_BANDS, STRATA_BY, FrameError
from review.random_numbers import GENERATOR_CAVEAT
from review.report import sample_report_pdf
from review.sample_appraisal import SampleAppraisal, appraise_sample
from review.samples import Sample, SampleMismatch, draw_sample, list_samples, load_sample, stored_frame
from review.sampling import ALLOCATIONS, METHODS, PROBE_SIZE, SampleSpec
from views import filters, reviews, session, tables
from views.text import md, money

_CHOSEN = "sampling.sample"
STRATA_LABELS = {"billed": "Billed-dollar band", "coder": "Coder", "facility": "Facility", "payer": "Payer",
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
    with st.form("sampling.draw"):
        left, middle, right = st.columns(3)
        method = left.selectbox("Method", METHODS, help="random: simple random sample; probe: about 30 claims to size the "
                                "full sample; stratified: by the strata below; per-coder: N claims per coder in the period")
        size = middle.number_input("Sample size (per coder for per-coder)", min_value=1, value=PROBE_SIZE, step=1)
        spares = right.number_input("Spares", min_value=0, value=0, step=1, help="Drawn after the sample, per stratum.")
        strata_by = left.selectbox("Strata (stratified)", STRATA_BY, format_func=STRATA_LABELS.get)
        allocation = middle.selectbox("Allocation (stratified)", ALLOCATIONS)
        bands = right.text_input("Billed-dollar band limits", ",".join(f"{b:g}" for b in DEFAULT_BANDS))
        seed = left.text_input("Seed (blank: a new one)", max_chars=12)
        exclude = middle.checkbox("Leave out claims already audited", help="Claims with imported findings, and claims "
                                  "drawn into earlier samples.")
        submitted = st.form_submit_button("Draw the sample", type="primary")
    if not submitted:
        return
    try:
        spec = SampleSpec(method=method, size=int(size), filters=scope, exclude_audited=exclude, strata_by=strata_by,
                          bands=tuple(float(b) for b in bands.split(",") if b.strip()), allocation=allocation, spares=int(spares))
        seed_value = float(seed) if seed.strip() else None
    except (FrameError, ValueError) as exc:
        st.error(md(exc if isinstance(exc, FrameError) else "The seed and the band limits must be numbers."))
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
                   f"{sample.frame_size:,}, seed {sample.seed:g}. It is recorded in the access log.")


def samples_section() -> Sample | None:
    st.subheader("Samples")
    rows = list_samples(reviews.review_db())
    if not rows:
        st.info("No sample has been drawn yet. Draw one above, or with `python manage.py sample draw`.")
        return None
    listing = pd.DataFrame([{"sample_id": r["sample_id"], "drawn_at": r["drawn_at"][:16].replace("T", " "), "drawn_by": r["drawn_by"],
                             "method": r["method"], "claims": r["claims"], "reviewed": r["reviewed"], "frame_size": r["frame_size"],
                             "seed": r["seed"], "completed": bool(r["completed_at"])} for r in rows])
    st.dataframe(listing, hide_index=True, column_config=tables.column_config(listing))
    ids = listing["sample_id"].tolist()
    if st.session_state.get(_CHOSEN) not in ids:
        st.session_state[_CHOSEN] = ids[0]
    return load_sample(reviews.review_db(), st.selectbox("Sample", ids, key=_CHOSEN))


def sample_section(sample: Sample) -> None:
    st.subheader(f"Sample {sample.sample_id}")
    spec = sample.spec
    st.caption(f"{md(spec.method)} sample drawn {md(sample.drawn_at[:16].replace('T', ' '))} UTC by {md(sample.drawn_by)} · "
               f"frame {sample.frame_size:,} claims, SHA-256 {sample.frame_sha256} · seed {sample.seed:g} · "
               f"{md(sample.generator)}, version {md(sample.generator_version)}. Redraw it with "
               f"`python manage.py sample redraw {md(sample.sample_id)}`.")
    st.caption(md(GENERATOR_CAVEAT))
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
        result = appraise_sample(reviews.review_db(), sample)
    except SampleMismatch as exc:
        st.error(md(exc))
        return None
    except (ReviewError, AppraisalError) as exc:
        st.info(md(exc))
        return None
    variable, attribute = result.variable, result.attribute
    if result.values.preliminary:
        st.warning(f"{result.values.preliminary} sampled claims have preliminary findings (rebuttal window open or a "
                   "rebuttal pending): this appraisal may still change.")
    tiles = st.columns(4)
    tiles[0].metric("Point estimate of overpayment", money(variable.point_estimate), border=True)
    tiles[1].metric("One-sided 90% lower limit", money(variable.one_sided_90_lower or 0), border=True,
                    help="What Medicare contractors generally demand.")
    tiles[2].metric("Two-sided 90% lower limit", money(variable.two_sided["90"].lower), border=True,
                    help="What a Corporate Integrity Agreement repays.")
    pct = variable.two_sided["90"].precision_pct
    tiles[3].metric("Precision at 90%", "–" if pct is None or pct != pct else f"{pct:.1f}%", border=True)
    if variable.precision_too_poor:
        st.warning(f"The two-sided 90% precision is wider than {POOR_PRECISION_PCT:g}% of the point estimate (or cannot be "
                   "measured): too poor to extrapolate on. Sample more claims (the calculator below says how many).")
    limits = pd.DataFrame([{"confidence": f"{name}%", "t": x.t, "lower": x.lower, "upper": x.upper, "precision": x.precision,
                            "precision_pct": x.precision_pct} for name, x in variable.two_sided.items()])
    st.dataframe(limits, hide_index=True, column_config=tables.column_config(limits))
    st.latex(r"\hat{T} = N\bar{x},\quad SE = N\,\frac{s}{\sqrt{n}}\sqrt{1-\frac{n}{N}},\quad "
             r"\hat{T} \pm t_{n-1}\,SE" + (r"\quad\text{(stratified: sums over strata, } t_{n-L}\text{)}" if variable.strata else ""))
    st.caption(f"n = {variable.n} sampled claims of N = {variable.universe:,}; {variable.nonzero} with an overpayment other "
               f"than 0; mean {money(variable.mean)}, standard error {money(variable.standard_error or 0)}, "
               f"{variable.degrees_of_freedom} degrees of freedom. Overpayment per claim: the net dollar impact of its "
               "findings with the sign turned (no error: 0).")
    ninety = attribute.two_sided["90"]
    st.caption(f"Claims in error: {attribute.errors} of {attribute.n} ({attribute.rate:.1%}), projected "
               f"{attribute.point_count:,.0f} of {attribute.universe:,}; two-sided 90% limits {ninety.lower_count:,} to "
               f"{ninety.upper_count:,} claims (exact hypergeometric limits for a finite universe).")
    export = pd.DataFrame([{"sample_id": sample.sample_id, "frame_sha256": sample.frame_sha256, "seed": sample.seed,
                            "n": variable.n, "universe": variable.universe, "point_estimate": variable.point_estimate,
                            "standard_error": variable.standard_error, "one_sided_90_lower": variable.one_sided_90_lower,
                            **{f"lower_{k}": x.lower for k, x in variable.two_sided.items()},
                            **{f"upper_{k}": x.upper for k, x in variable.two_sided.items()},
                            "claims_in_error": attribute.errors, "preliminary_claims": result.values.preliminary}])
    left, right = st.columns(2)
    with left:
        tables.csv_download(export, f"appraisal-{sample.sample_id}")
    with right:
        event = AccessEvent(user=who.user, role=who.role_name, action="export", resource=f"pdf:sample-report-{sample.sample_id}",
                            details={"sample_id": sample.sample_id, "claims": variable.n})
        st.download_button("Download PDF report", data=tables.logged(lambda: sample_report_pdf(sample, result, generated_by=who.user),
                                                                     event, session.access_log()),
                           file_name=f"sample-{sample.sample_id}-{date.today():%Y%m%d}.pdf", mime="application/pdf",
                           key=f"pdf.{sample.sample_id}", on_click="ignore", icon=":material/picture_as_pdf:")
    return result


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
        sample_section(sample)
        result = appraisal_section(who, sample)
    sizes_section(sample, result)


render()
