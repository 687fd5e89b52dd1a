"""The demo's review cycle, so every role sees it on first start: one random sample drawn from the demo store
through the real draw, its claims reviewed through the real worklist (most codes agreed; a few errors with
dollars, each a share of what was paid on a claim paid by fee schedule, one of them an underpayment), the sample completed (its report frozen as version 1), a coder's
rebuttal of one finding and the coding manager's decision accepting it (the report's version 2, with its
change log). Every step writes its real access-log event, by the demo's named actors.

The cycle is dated relative to the day the demo is built: drawn 20 days before it, each step after the one
before at intervals scaled to the rebuttal window (CODEAUDIT_REBUTTAL_DAYS), so the rebuttal falls inside it
on any setting (with no window, there is no rebuttal). A review store that already holds the demo's sample (a demo built again) is left as it is."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import duckdb
import numpy as np

from config.paths import Paths
from data.demo_revisions import related_diagnosis
from ingest.writer import Recorder
from queries.metrics import Filters, months_back
from queries.store import connect_read_only
from review import claims, rebuttals, report_versions, worklist
from review.db import ReviewDb
from review.money import CENT, ClaimPayment, claim_payments
from review.report_content import Signer
from review.samples import draw_sample, list_samples
from review.sampling import SampleSpec

AUDITOR = ("demo-auditor", "auditor")
CODER = ("demo-coder", "coder")
MANAGER = ("demo-manager", "coding_manager")
SAMPLE_SIZE = 8
SEED = 20_260
SIGNER = Signer("Dana Demo (demo auditor)", "CCS, CPC",
                "I am independent of the coders and claims reviewed: I did not code, bill or supervise them, and I have "
                "no financial interest in the outcome of this review.")
JUSTIFICATION = "A discovery sample of eight claims from the last twelve months, as the demo's review plan sets."
# The errors the reviews record, one a claim, on the first sampled claims paid by fee schedule (not by DRG) with
# a paid amount: finding, category, overpayment as a share of what was paid (negative: underpaid). The first is
# the one the coder rebuts. Every other claim: each code agreed.
ERRORS = (("delete", "unsupported_code", Decimal("0.30")), ("revise", "wrong_code", Decimal("0.12")),
          ("add", "missing_code", Decimal("-0.06")), ("delete", "unsupported_code", Decimal("0.45")))
ADDED_CODE = "E1165"


def overpayments(payments: Mapping[str, ClaimPayment], keys: Sequence[str]) -> dict[str, Decimal]:
    """The overpayment the demo records on each error claim: its share of the claim's paid amount, in cents."""
    eligible = [k for k in keys if payments[k].paid and not payments[k].drg_paid]
    return {key: (share * payments[key].paid).quantize(CENT) for key, (_, _, share) in zip(eligible, ERRORS, strict=False)}


def _findings(con: duckdb.DuckDBPyConnection, key: str, error: tuple[str, str, Decimal] | None,
              overpayment: Decimal) -> list[dict[str, object]]:
    """The claim's codes as agreed, with this position's error (if any): the last code deleted, the last
    diagnosis revised to a clinically related code (data/demo_revisions.py), or a missed diagnosis added."""
    rows = claims.first_findings(claims.submitted_codes(con, key))
    if error is None:
        return rows
    finding, category, _ = error
    dollars = str(-overpayment)
    if finding == "add":
        return [*rows, {"code_type": "ICD10CM_DX", "submitted_code": None, "audited_code": ADDED_CODE, "finding": "add",
                        "error_category": category, "dollar_impact": dollars}]
    diagnoses = [i for i, row in enumerate(rows) if row["code_type"] == "ICD10CM_DX"]
    at = diagnoses[-1] if finding == "revise" and diagnoses else len(rows) - 1
    audited = None
    if finding == "revise":
        audited, category = related_diagnosis(np.random.default_rng(SEED), str(rows[at]["submitted_code"]), False, None)
        if rows[at]["code_type"] != "ICD10CM_DX" or audited in (None, rows[at]["submitted_code"]):
            finding, category, audited = "delete", "unsupported_code", None  # no related code: the code is unsupported
    rows[at] = {**rows[at], "audited_code": audited, "finding": finding, "error_category": category, "dollar_impact": dollars}
    return rows


def _rebuttal(db: ReviewDb, con: duckdb.DuckDBPyConnection, rebutted: worklist.Review, sample_id: str, *, at: datetime, step: timedelta,
              recorder: Recorder) -> None:
    """The claim's coder rebuts its error finding just after the sample is completed (well inside the window);
    the manager accepts it, and the completed sample's report gets its next version."""
    coder = str(claims.claim(con, rebutted.claim_key)["coder_id"])
    finding = next(f for f in rebutted.completed_findings if f.is_error)
    rebuttal = rebuttals.rebut(db, rebutted.review_id, {finding.finding_id: "The operative note documents this code; it is supported."},
                               coder_id=coder, claim_coder_id=coder, user=CODER[0], role=CODER[1], record=recorder, now=at)
    rebuttals.decide(db, rebuttal, {finding.finding_id: True}, store=con, user=MANAGER[0], role=MANAGER[1], record=recorder,
                     now=at + step, comment="Accepted: the operative note supports the code.")
    report_versions.refresh(db, con, sample_id, user=MANAGER[0], role=MANAGER[1], record=recorder, now=at + step)


def review_cycle(paths: Paths, today: date, recorder: Recorder) -> str | None:
    """Run the cycle on the demo store in `paths`; returns the sample id (None when the store already has it)."""
    db = ReviewDb(paths.reviews_db)
    if any(row["drawn_by"] == AUDITOR[0] for row in list_samples(db)):
        return None
    start = datetime.combine(today, time(12), UTC) - timedelta(days=20)
    window = min(timedelta(days=worklist.rebuttal_days()), timedelta(days=14))  # the cycle fits in its 20 days
    step = min(window / 40, timedelta(hours=1)) if window else timedelta(hours=1)
    con = connect_read_only(paths)
    try:
        spec = SampleSpec("random", SAMPLE_SIZE, filters=Filters(date_from=months_back(today, 12), date_to=today))
        sample = draw_sample(con, db, spec, seed=SEED, user=AUDITOR[0], role=AUDITOR[1], record=recorder, now=start)
        owed = overpayments(claim_payments(con, sample.claim_keys), sample.claim_keys)
        errors = dict(zip(owed, ERRORS, strict=False))
        reviewed = {}
        for position, key in enumerate(sample.claim_keys):
            moment = start + step * (position + 1)
            opened = worklist.open_review(db, sample.sample_id, key, AUDITOR[0], now=moment - step / 2)
            worklist.save_draft(db, opened.review_id, _findings(con, key, errors.get(key), owed.get(key, Decimal("0"))),
                                 AUDITOR[0], now=moment - step / 4)
            reviewed[key] = worklist.complete(db, opened.review_id, con=con, user=AUDITOR[0], role=AUDITOR[1], record=recorder,
                                              now=moment)
        worklist.complete_sample(db, sample.sample_id, con=con, user=AUDITOR[0], role=AUDITOR[1], record=recorder,
                                 signer=SIGNER, justification=JUSTIFICATION, now=start + step * (SAMPLE_SIZE + 1))
        if window and owed:  # with no rebuttal window (CODEAUDIT_REBUTTAL_DAYS=0) there is nothing to rebut
            _rebuttal(db, con, reviewed[next(iter(owed))], sample.sample_id, at=start + step * (SAMPLE_SIZE + 2), step=step,
                      recorder=recorder)
    finally:
        con.close()
    return sample.sample_id
