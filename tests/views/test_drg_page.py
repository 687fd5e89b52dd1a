"""The DRG validation page on the shared demo store: its shift totals and dollars are the store's, computed
here independently in SQL; the claims behind a flag are listed by pseudonymous key for the roles that may
drill down, with ages over 89 as 90+, and not at all for auditors."""
from __future__ import annotations

import re

import pytest

from audit.permissions import Page, Role
from queries.formats import dollars, signed_dollars
from queries.metrics import Filters
from queries.store import connect_read_only
from tests.views.test_pages import no_exception, page_file, sign_in

BASE_RATE = 6000.0
MISMATCHES = """
    SELECT count(*), count(grouped_weight - billed_weight), CAST(sum(grouped_weight - billed_weight) AS DOUBLE),
           count(*) FILTER (WHERE mce_edit)
    FROM claim_facts WHERE service_date BETWEEN $date_from AND $date_to AND (drg_mismatch OR mce_edit)
"""


def drg_page(app, role: Role):
    sign_in(app, role)
    app.switch_page(page_file(Page.DRG)).run()
    no_exception(app)
    assert not app.error, [e.value for e in app.error]
    return app


def captions(app) -> str:
    return " ".join(c.value for c in app.caption)


@pytest.fixture
def counted(demo_env):
    """What the page should say for its default scope, counted on the store without queries/."""
    def count(scope: Filters) -> tuple[int, int, float, int]:
        con = connect_read_only(demo_env)
        try:
            mismatched = con.execute(MISMATCHES.replace("(drg_mismatch OR mce_edit)", "drg_mismatch"),
                                     {"date_from": scope.date_from, "date_to": scope.date_to}).fetchone()
            edited = con.execute(MISMATCHES.replace("(drg_mismatch OR mce_edit)", "mce_edit"),
                                 {"date_from": scope.date_from, "date_to": scope.date_to}).fetchone()
        finally:
            con.close()
        return mismatched[0], mismatched[1], mismatched[2], edited[3]
    return count


def test_shifts_carry_the_stores_weights_and_dollars_at_the_base_rate(app, monkeypatch, counted):
    monkeypatch.setenv("CODEAUDIT_DRG_BASE_RATE", f"{BASE_RATE:.2f}")
    drg_page(app, Role.COMPLIANCE_OFFICER)
    claims, weighted, difference, _ = counted(app.session_state["filters.current"])
    assert claims > weighted > 0  # the demo has mismatches, some into 999, which has no weight
    impact = difference * BASE_RATE
    expected = (f"{claims:,} claims whose billed DRG differs from the grouped one, {weighted:,} of them with both weights "
                f"known: net weight change {difference:+.4f} ({signed_dollars(impact)}).")
    assert expected in captions(app)
    assert f"base rate {dollars(BASE_RATE)}" in captions(app)  # to the cent
    assert "SYNTHETIC demo values" in captions(app)


def test_claims_behind_a_flag_by_pseudonymous_key_with_ages_over_89_as_90_plus(app, counted):
    drg_page(app, Role.CODING_MANAGER)
    app.radio(key="drg.flag").set_value("mce_edit").run()
    no_exception(app)
    listed = app.dataframe[-1].value
    assert len(listed) == counted(app.session_state["filters.current"])[3] > 0
    assert all(re.fullmatch(r"[0-9a-f]{24}", key) for key in listed["claim_key"])
    assert listed["mce_edits"].notna().all()
    assert all(age == "90+" or int(age) < 90 for age in listed["age"].dropna())
    assert not {"claim_id", "patient_mrn", "patient_dob"} & set(listed.columns)


def test_auditors_see_the_rates_but_no_claims_and_no_coders(app):
    drg_page(app, Role.AUDITOR)
    assert not app.dataframe and "drg.flag" not in [r.key for r in app.radio]
    assert "an auditor reaches them through a sample" in captions(app)
    assert "Coder-level figures are for compliance officers and coding managers." in captions(app)
