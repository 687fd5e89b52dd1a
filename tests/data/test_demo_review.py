"""The demo's review cycle on the day it is built (any day, any rebuttal window): a completed sample drawn and
reviewed through the real functions, its report frozen as version 1, a coder's rebuttal accepted by the
coding manager after completion making version 2 with its change log, and every step in the access log by
the demo's named actors."""
from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest

from config.paths import Paths
from data.demo import build_demo
from data.demo_review import AUDITOR, CODER, MANAGER, SAMPLE_SIZE, overpayments, review_cycle
from queries.store import connect_read_only
from review import report_versions
from review.db import ReviewDb
from review.money import claim_payments
from review.sample_appraisal import appraise_sample
from review.samples import list_samples, load_sample
from tests.conftest import Recorded

KEY_VARIABLES = ("CODEAUDIT_DATA_KEYS", "CODEAUDIT_PSEUDONYM_KEY", "CODEAUDIT_LOG_KEY", "CODEAUDIT_REBUTTAL_DAYS")
DAYS = (date(2026, 11, 29), date(2028, 2, 29))


@pytest.fixture(scope="module", params=DAYS, ids=str)
def built(request, tmp_path_factory):
    root = tmp_path_factory.mktemp(f"demo-review-{request.param}")
    paths = Paths(data_dir=root / "data", key_dir=root / "keys").ensure()
    events = Recorded()
    with pytest.MonkeyPatch.context() as env:
        for var in KEY_VARIABLES:
            env.delenv(var, raising=False)
        build_demo(paths, n_claims=300, recorder=events, today=request.param)
    return paths, events, request.param


def test_the_demo_has_a_completed_sample_with_a_rebuttal_decided_after_it(built):
    paths, events, today = built
    db = ReviewDb(paths.reviews_db)
    (row,) = list_samples(db)
    sample = load_sample(db, row["sample_id"])
    assert row["drawn_by"] == AUDITOR[0] and sample.completed_at is not None and len(sample.claim_keys) == SAMPLE_SIZE
    cycle = [(e.action, e.user, e.role) for e in events if e.action != "ingest"]
    assert cycle == [("sample_draw", *AUDITOR), *[("review_complete", *AUDITOR)] * SAMPLE_SIZE, ("sample_complete", *AUDITOR),
                     ("rebuttal", *CODER), ("rebuttal_decision", *MANAGER), ("sample_report", *MANAGER)]
    first, second = report_versions.versions(db, sample.sample_id)
    complete = next(e for e in events if e.action == "sample_complete")
    assert complete.details["report_sha256"] == first.sha256
    assert next(e for e in events if e.action == "sample_report").details["sha256"] == second.sha256
    con = connect_read_only(paths)
    try:
        payments = claim_payments(con, sample.claim_keys)
    finally:
        con.close()
    owed = overpayments(payments, sample.claim_keys)  # by hand: 30%, 12%, -6% and 45% of what was paid
    shares = iter((Decimal("0.30"), Decimal("0.12"), Decimal("-0.06"), Decimal("0.45")))
    fee_paid = [k for k in sample.claim_keys if payments[k].paid and not payments[k].drg_paid]
    assert owed == {k: (next(shares) * payments[k].paid).quantize(Decimal("0.01")) for k in fee_paid[:4]}
    assert len(owed) == 4, "the demo's sample has four claims paid by fee schedule"
    over = sum(v for v in owed.values() if v > 0)
    under = -sum(v for v in owed.values() if v < 0)
    rebutted = next(iter(owed))
    assert first.figures["gross_overpayment"] == pytest.approx(float(over))
    assert first.figures["gross_underpayment"] == pytest.approx(float(under))
    assert first.figures["net_overpayment"] == pytest.approx(float(over - under))
    assert second.figures["net_overpayment"] == pytest.approx(float(over - under - owed[rebutted]))
    assert first.figures["claims_in_error"] == 4 and second.figures["claims_in_error"] == 3
    assert any(f"Claim {rebutted}: overpayment ${owed[rebutted]:,.2f} -> $0.00" in change for change in second.changes)
    assert any("decided by demo-manager: 1 of 1 findings accepted" in change for change in second.changes)
    con = connect_read_only(paths)
    try:
        current = appraise_sample(db, sample, con).variable.point_estimate
    finally:
        con.close()
    assert current == pytest.approx(second.figures["point_estimate"])
    noon = datetime.combine(today, time(12), UTC).isoformat()
    assert sample.drawn_at < first.frozen_at < second.frozen_at < noon  # the whole cycle before the day it is built


@pytest.mark.parametrize("days, versions", [("1", [1, 2]), ("0", [1])])
def test_the_cycle_fits_any_rebuttal_window(built, tmp_path, monkeypatch, days, versions):
    paths, _, today = built
    fresh = Paths(data_dir=tmp_path / "data", key_dir=paths.key_dir).ensure()
    shutil.copyfile(paths.store, fresh.store)
    monkeypatch.setenv("CODEAUDIT_REBUTTAL_DAYS", days)
    events = Recorded()
    sample_id = review_cycle(fresh, today, events)
    db = ReviewDb(fresh.reviews_db)
    assert [v.version for v in report_versions.versions(db, sample_id)] == versions
    assert ("rebuttal" in [e.action for e in events]) == (days != "0")
    assert review_cycle(fresh, today, events) is None  # a demo built again keeps the sample it has
    assert len(list_samples(db)) == 1
