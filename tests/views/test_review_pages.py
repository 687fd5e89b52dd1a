"""The review pages through AppTest on a demo store of the test's own: a coder sees the findings on their own
claims only (imported and reviewed, never another coder's, never PHI) on every page they have and in every
export they can make, and no other page exists for them; a coder rebuts a claim and a manager decides it once
on the Rebuttal decisions page, where a decision whose codes do not group to the DRG finding is refused; the
Overview says how many reviewed findings are pending."""
from __future__ import annotations

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from audit.keys import load_data_keyring
from audit.log.read import read_events
from audit.permissions import Page, Role, allowed_pages
from audit.users import UserStore
from audit.vault import PhiVault
from data import demo_review
from queries.metrics import Filters
from queries.store import connect_read_only
from review import claims, rebuttals, worklist
from review.db import ReviewDb
from review.samples import draw_sample, list_samples, stored_frame
from review.sampling import SampleSpec
from tests.store_rows import store_rows
from tests.views.conftest import open_app
from tests.views.test_pages import no_exception, page_file, sign_in, unescaped
from views import tables
from views.sign_in import DEMO_CODER
from views.text import md

OTHER_CODER = "C023"


@pytest.fixture
def reviewed_store(own_demo):
    """Two completed reviews with an error finding, one on the demo coder's claim and one on another coder's (no
    dollars: on a DRG-paid claim a code-level finding carries none)."""
    con = connect_read_only(own_demo)
    db = ReviewDb(own_demo.reviews_db)
    sample = draw_sample(con, db, SampleSpec("per-coder", 1, filters=Filters(coder=(DEMO_CODER, OTHER_CODER))), seed=3,
                         user="ann", role="auditor", record=None)
    done = {}
    for key in sample.claim_keys:
        coder, code_type, code = con.execute(
            "SELECT c.coder_id, k.code_type, k.code FROM claims c JOIN claim_codes k USING (claim_key) WHERE claim_key = ? "
            "ORDER BY k.line LIMIT 1", [key]).fetchone()
        opened = worklist.open_review(db, sample.sample_id, key, "ann")
        worklist.save_draft(db, opened.review_id, [{"code_type": code_type, "submitted_code": code, "finding": "delete",
                                                    "error_category": "unsupported_code", "dollar_impact": "0"}], "ann")
        done[coder] = worklist.complete(db, opened.review_id, con=con, user="ann", role="auditor", record=None)
    con.close()
    return own_demo, done


def coder_claims(paths, coder):
    con = connect_read_only(paths)
    try:
        return {k for (k,) in con.execute("SELECT claim_key FROM claims WHERE coder_id = ?", [coder]).fetchall()}
    finally:
        con.close()


@pytest.fixture
def exported(monkeypatch):
    """The frames the pages hand to the governed CSV export, as built (the file is made from exactly this)."""
    frames: list[pd.DataFrame] = []
    real = tables.export_producer

    def spy(df, **kwargs):
        frames.append(df.copy())
        return real(df, **kwargs)

    monkeypatch.setattr(tables, "export_producer", spy)
    return frames


def widen(app: AppTest, paths) -> AppTest:
    """Every service date in the sidebar scope (the sample was drawn from all of them)."""
    con = connect_read_only(paths)
    first, last = con.execute("SELECT min(service_date), max(service_date) FROM claims").fetchone()
    con.close()
    app.text_input(key="flt.from").input(first.isoformat()).run()
    return app.text_input(key="flt.to").input(last.isoformat()).run()


def shown_text(app: AppTest) -> str:
    parts = [m.value for m in (*app.caption, *app.info, *app.success, *app.markdown, *app.warning)]
    return " ".join(parts) + " ".join(df.value.to_csv() for df in app.dataframe)


def test_a_coder_sees_only_their_own_claims_on_every_page_and_export(reviewed_store, exported):
    paths, done = reviewed_store
    app = sign_in(open_app(), Role.CODER)
    no_exception(app)
    assert allowed_pages(Role.CODER) == [Page.MY_FINDINGS]
    own, other = coder_claims(paths, DEMO_CODER), coder_claims(paths, OTHER_CODER)
    (table,) = [df.value for df in app.dataframe]
    assert set(table["claim_key"]) <= own and done[DEMO_CODER].claim_key in set(table["claim_key"])
    # imported findings too, when the store has any on the coder's claims: a 300-claim demo gives each coder a few
    # claims, and on some days (2027-03-03 among them) none of C007's was in the imported audit
    ((imported,),) = store_rows(paths, "SELECT count(*) FROM audit_findings JOIN claims USING (claim_key) WHERE coder_id = ?",
                                [DEMO_CODER])  # from the store file: no reviewed overlay
    assert (table["source"] == "imported").sum() == imported
    assert set(table["source"]) == ({"imported", "reviewed"} if imported else {"reviewed"})
    assert not [m for m in app.multiselect if m.key and m.key.startswith("flt.")]  # no filter reaches another coder
    text = shown_text(app)
    assert not any(key in text for key in other) and "CLM" not in text and "MRN" not in text
    assert exported and all(set(df["claim_key"]) <= own for df in exported)
    for page in set(Page) - {Page.MY_FINDINGS}:
        app.switch_page(page_file(page)).run()
        no_exception(app)
        assert [t.value for t in app.title] == [Page.MY_FINDINGS.label]
        assert not any(key in shown_text(app) for key in other)


def test_a_coder_account_sees_its_own_coder_id_and_one_without_sees_nothing(reviewed_store):
    paths, done = reviewed_store
    store = UserStore(paths.users_db)
    store.add_user("other.coder", Role.CODER, "a long enough passphrase", actor="test", coder_id=OTHER_CODER)
    app = open_app()
    app.text_input(key="signin.username").input("other.coder")
    app.text_input(key="signin.password").input("a long enough passphrase")
    app.button[-1].click().run()
    no_exception(app)
    (table,) = [df.value for df in app.dataframe]
    assert set(table["claim_key"]) <= coder_claims(paths, OTHER_CODER)
    assert done[OTHER_CODER].claim_key in set(table["claim_key"]) and done[DEMO_CODER].claim_key not in set(table["claim_key"])


def button(app: AppTest, label: str):
    return next(b for b in app.button if b.label == label)


def errors(app: AppTest) -> list[str]:
    """The error boxes as read (the markdown escapes of views.text.md taken out)."""
    return [e.value.replace("\\", "").replace("\u2060", "") for e in app.error]


def test_a_coder_rebuts_a_claim_and_the_manager_decides_it_once_on_the_pages(reviewed_store):
    paths, done = reviewed_store
    coder = sign_in(open_app(), Role.CODER)
    assert coder.selectbox(key="rebut.claim").value == done[DEMO_CODER].review_id
    (finding,) = done[DEMO_CODER].completed_findings
    field = f"rebut.{done[DEMO_CODER].review_id}.{finding.finding_id}"
    assert coder.text_area(key=field).label.endswith("why it is wrong")
    button(coder, "Rebut").click().run()
    assert errors(coder) == ["Say why for at least one finding you dispute (what the record supports and where)."]
    coder.text_area(key=field).input("The operative note supports the code.")
    button(coder, "Rebut").click().run()
    no_exception(coder)
    assert any("rebuttal is recorded" in s.value for s in coder.success)
    coder = sign_in(open_app(), Role.CODER)  # rebutted: the claim is not offered again
    assert not [s for s in coder.selectbox if s.key == "rebut.claim"]
    manager = sign_in(open_app(), Role.CODING_MANAGER)
    manager.switch_page(page_file(Page.REBUTTALS)).run()
    no_exception(manager)
    assert "The operative note supports the code." in manager.dataframe[0].value["comment"].tolist()
    (row,) = [r for r in rebuttals.rebuttal_rows(ReviewDb(paths.reviews_db)) if r["rebutted_by"] != demo_review.CODER[0]]
    button(manager, "Decide").click().run()  # no choice made: refused, nothing decided
    assert errors(manager) == ["Accept or reject each of the 1 findings the rebuttal names, then decide again."]
    manager.radio(key=f"decide.{row['claim_rebuttal_id']}.{finding.finding_id}").set_value("Accept: correct it")
    manager.text_area[0].input("Agreed: documented.")
    button(manager, "Decide").click().run()
    no_exception(manager)
    assert any("No rebuttal is waiting for a decision" in i.value for i in manager.info)
    (row,) = [r for r in rebuttals.rebuttal_rows(ReviewDb(paths.reviews_db)) if r["rebutted_by"] != demo_review.CODER[0]]
    assert (row["decision"], row["decided_by"], row["claim_key"], row["decision_comment"]) == (
        "accepted", "demo:coding_manager", done[DEMO_CODER].claim_key, "Agreed: documented.")
    assert manager.dataframe[0].value["decision"].tolist() == ["accepted", "accepted"]  # the decided table, the demo's too
    coder = sign_in(open_app(), Role.CODER)  # decided: final, nothing left to rebut
    assert any("No preliminary error finding on your claims can be rebutted now" in i.value for i in coder.info)
    manager.switch_page(page_file(Page.OVERVIEW)).run()
    widen(manager, paths)
    assert any("1 reviewed findings on 1 claims are preliminary" in c.value for c in manager.caption), [c.value for c in manager.caption]


def test_a_decision_whose_codes_do_not_group_to_the_drg_finding_is_refused_on_the_page(own_demo):
    """The auditor deleted the one CC/MCC a stay's DRG rests on and took the regrouped DRG finding; the coder rebuts
    the DRG finding only. Accepting it would leave the billed DRG beside codes that group lower: refused, naming both."""
    con = connect_read_only(own_demo)
    db = ReviewDb(own_demo.reviews_db)
    sample = draw_sample(con, db, SampleSpec("random", 1, filters=Filters(claim_flags=("single_cc_mcc",))), seed=1,
                         user="ann", role="auditor", record=None)
    (key,) = sample.claim_keys
    cc_code, coder_id = con.execute("SELECT cc.code, c.coder_id FROM claim_drg_cc AS cc JOIN claims AS c USING (claim_key) "
                                    "WHERE claim_key = ? AND cc.affects_final_drg", [key]).fetchone()
    rows = [{"code_type": t, "submitted_code": c, "audited_code": None if c == cc_code else c,
             "finding": "delete" if c == cc_code else "agree", "error_category": "unsupported_code" if c == cc_code else None}
            for t, c in con.execute("SELECT code_type, code FROM claim_codes WHERE claim_key = ?", [key]).fetchall()]
    proposal = claims.drg_proposal(con, key, rows)
    assert proposal.finding == "revise"
    rows.append({"code_type": "MSDRG", "submitted_code": proposal.submitted_code, "audited_code": proposal.audited_code,
                 "finding": "revise", "error_category": "drg", "dollar_impact": "-900.00"})
    opened = worklist.open_review(db, sample.sample_id, key, "ann")
    worklist.save_draft(db, opened.review_id, rows, "ann")
    done = worklist.complete(db, opened.review_id, con=con, user="ann", role="auditor", record=None)
    con.close()
    drg = next(f for f in done.completed_findings if f.code_type == "MSDRG")
    claim_rebuttal = rebuttals.rebut(db, done.review_id, {drg.finding_id: "The CC is documented."}, coder_id=coder_id,
                                     claim_coder_id=coder_id, user="cody", role="coder", record=None)
    manager = sign_in(open_app(), Role.CODING_MANAGER)
    manager.switch_page(page_file(Page.REBUTTALS)).run()
    manager.radio(key=f"decide.{claim_rebuttal}.{drg.finding_id}").set_value("Accept: correct it")
    button(manager, "Decide").click().run()
    no_exception(manager)
    assert errors(manager) == [
        f"The claim's final codes group to MS-DRG {proposal.audited_code}, but its DRG finding would say {proposal.submitted_code}: "
        "reject the DRG finding's rebuttal (the coder did not dispute the code findings that move the DRG)."]
    assert [r["decision"] for r in rebuttals.rebuttal_rows(db) if r["claim_rebuttal_id"] == claim_rebuttal] == [None]  # nothing decided
    manager.radio(key=f"decide.{claim_rebuttal}.{drg.finding_id}").set_value("Reject: it stands")
    button(manager, "Decide").click().run()
    assert [r["decision"] for r in rebuttals.rebuttal_rows(db) if r["claim_rebuttal_id"] == claim_rebuttal] == ["rejected"]


def test_the_overview_counts_pending_reviewed_findings_until_they_are_final(reviewed_store, monkeypatch):
    paths, _ = reviewed_store
    app = widen(sign_in(open_app(), Role.COMPLIANCE_OFFICER), paths)
    assert any("2 reviewed findings on 2 claims are preliminary" in c.value for c in app.caption)
    monkeypatch.setenv("CODEAUDIT_REBUTTAL_DAYS", "0")  # a zero-day window: final at completion, at the next publication
    db = ReviewDb(paths.reviews_db)
    with db.transaction() as conn:
        for review_id in [r[0] for r in conn.execute("SELECT review_id FROM reviews")]:
            worklist.publish(conn, review_id)
    app.run()
    assert any("No reviewed findings are pending" in c.value for c in app.caption)


def test_an_auditor_draws_a_sample_of_claims_whose_drg_rests_on_one_cc_or_mcc(own_demo):
    """The sampling page targets the grouper's flags; the frame holds flagged claims only."""
    app = widen(sign_in(open_app(), Role.AUDITOR), own_demo)
    app.switch_page(page_file(Page.AUDIT_SAMPLING)).run()
    app.multiselect(key="sampling.flags").select("single_cc_mcc").run()
    no_exception(app)
    assert any("Flagged: DRG rests on one CC/MCC" in c.value for c in app.caption)
    app.number_input[0].set_value(2)
    [b for b in app.button if b.label == "Draw the sample"][0].click().run()
    no_exception(app)
    assert any("It is recorded in the access log" in s.value for s in app.success), [e.value for e in app.error]
    (listed,) = [s for s in list_samples(ReviewDb(own_demo.reviews_db)) if s["drawn_by"] != demo_review.AUDITOR[0]]
    keys, _ = stored_frame(ReviewDb(own_demo.reviews_db), listed["sample_id"])
    con = connect_read_only(own_demo)
    flagged = {k for (k,) in con.execute("SELECT claim_key FROM claim_facts WHERE list_has(claim_flags, 'single_cc_mcc')").fetchall()}
    con.close()
    assert keys and set(keys) == flagged  # widened: every service date, so every flagged claim


def proposal_draft(paths):
    """A draft on a claim whose DRG rests on one CC/MCC, with that code deleted: the grouper proposes a lower DRG.
    Returns the review, the billed DRG and the proposal."""
    con = connect_read_only(paths)
    db = ReviewDb(paths.reviews_db)
    sample = draw_sample(con, db, SampleSpec("random", 1, filters=Filters(claim_flags=("single_cc_mcc",))), seed=1,
                         user="ann", role="auditor", record=None)
    (key,) = sample.claim_keys
    cc_code, billed, grouped = con.execute(
        "SELECT cc.code, f.billed_drg, f.grouped_drg FROM claim_facts AS f JOIN claim_drg_cc AS cc USING (claim_key) "
        "WHERE claim_key = ? AND cc.affects_final_drg", [key]).fetchone()
    rows = [{"code_type": t, "submitted_code": c, "audited_code": None if c == cc_code else c,
             "finding": "delete" if c == cc_code else "agree", "error_category": "unsupported_code" if c == cc_code else None}
            for t, c in con.execute("SELECT code_type, code FROM claim_codes WHERE claim_key = ?", [key]).fetchall()]
    expected = claims.drg_proposal(con, key, rows)
    con.close()
    assert expected.finding == "revise" and expected.audited_code != grouped  # without its one CC/MCC the DRG drops
    opened = worklist.open_review(db, sample.sample_id, key, "ann")
    return worklist.save_draft(db, opened.review_id, rows, "ann"), billed, expected


def test_the_worklist_regroups_the_audited_codes_and_its_proposal_becomes_the_drg_finding(own_demo):
    """Deleting the one CC/MCC a DRG rests on changes the DRG the grouper gives; the page proposes
    the DRG finding from the codes as audited, and one click takes the proposal into the DRG inputs that are saved."""
    opened, billed, expected = proposal_draft(own_demo)
    db = ReviewDb(own_demo.reviews_db)
    app = sign_in(open_app(), Role.AUDITOR)
    app.switch_page(page_file(Page.RECORD_REVIEW)).run()
    no_exception(app)
    line = next(c.value for c in app.caption if c.value.startswith("Regrouped from the codes as audited"))
    assert f"MS-DRG {expected.audited_code}" in line and f"billed {billed}" in line and "Proposed DRG finding: revise" in line
    [b for b in app.button if b.label == "Use the proposed DRG finding"][0].click().run()
    assert [t.value for t in app.text_input if t.label.endswith("MS-DRG")] == [billed, expected.audited_code]
    [b for b in app.button if b.label == "Save draft"][0].click().run()
    no_exception(app)
    drg = next(f for f in worklist.get_review(db, opened.review_id).findings if f.code_type == "MSDRG")
    assert (drg.submitted_code, drg.audited_code, drg.finding, drg.error_category) == (billed, expected.audited_code, "revise", "drg")


def test_the_appraisal_shows_gross_over_gross_under_net_paid_and_the_dollar_error_rate(own_demo):
    """A completed sample of three outpatient claims, one overpaid by 20.00 and one underpaid by 5.00: the page
    shows each figure beside the net (never the net alone), in dollars and cents."""
    con = connect_read_only(own_demo)
    db = ReviewDb(own_demo.reviews_db)
    sample = draw_sample(con, db, SampleSpec("random", 3, filters=Filters(encounter_type=("outpatient",))), seed=5,
                         user="ann", role="auditor", record=None)
    paid = 0
    for key, amount in zip(sample.claim_keys, ("-20.00", "5.00", "0.00"), strict=True):
        code_type, code, paid_amount = con.execute(
            "SELECT k.code_type, k.code, c.paid_amount FROM claims c JOIN claim_codes k USING (claim_key) WHERE claim_key = ? "
            "ORDER BY k.line LIMIT 1", [key]).fetchone()
        paid += paid_amount
        opened = worklist.open_review(db, sample.sample_id, key, "ann")
        row = ({"code_type": code_type, "submitted_code": code, "audited_code": code, "finding": "agree"} if amount == "0.00" else
               {"code_type": code_type, "submitted_code": code, "finding": "delete", "error_category": "unsupported_code",
                "dollar_impact": amount})
        worklist.save_draft(db, opened.review_id, [row], "ann")
        worklist.complete(db, opened.review_id, con=con, user="ann", role="auditor", record=None)
    con.close()
    app = widen(sign_in(open_app(), Role.AUDITOR), own_demo)
    app.switch_page(page_file(Page.AUDIT_SAMPLING)).run()
    tiles = {m.label: m.value for m in app.metric}
    assert tiles["Gross overpaid"] == "$20.00"
    assert tiles["Gross underpaid"] == "$5.00"
    assert tiles["Net overpaid"] == "$15.00"
    assert tiles["Paid reviewed"] == f"${paid:,.2f}"
    assert tiles["Dollar error rate"] == f"{15 / float(paid):.1%}"
    assert any("2 of 3 sampled claims in error (claim error rate 66.7%)" in unescaped(c.value) for c in app.caption)


def test_on_a_drg_paid_claim_the_page_puts_the_dollars_on_the_drg_finding_and_refuses_code_level_dollars(own_demo):
    """A DRG-paid claim (inpatient, billed MS-DRG): the page says the payment difference goes on the DRG finding,
    warns as soon as a code-level finding carries dollars, and Complete is refused with the same sentence: the
    claim stays a draft with what was typed."""
    con = connect_read_only(own_demo)
    db = ReviewDb(own_demo.reviews_db)
    sample = draw_sample(con, db, SampleSpec("random", 1, filters=Filters(claim_flags=("single_cc_mcc",))), seed=1,
                         user="ann", role="auditor", record=None)
    (key,) = sample.claim_keys
    billed, paid = con.execute("SELECT ms_drg, paid_amount FROM claims WHERE claim_key = ?", [key]).fetchone()
    rows = [{"code_type": t, "submitted_code": c, "audited_code": c, "finding": "agree"}
            for t, c in con.execute("SELECT code_type, code FROM claim_codes WHERE claim_key = ? ORDER BY code_type, line",
                                    [key]).fetchall()]
    con.close()
    rows[0].update(finding="delete", audited_code=None, error_category="unsupported_code", dollar_impact="-1500.00")
    drg = {"code_type": "MSDRG", "submitted_code": billed, "audited_code": "999", "finding": "revise", "error_category": "drg",
           "dollar_impact": "-4000.00"}
    opened = worklist.open_review(db, sample.sample_id, key, "ann")
    worklist.save_draft(db, opened.review_id, [*rows, drg], "ann")
    app = sign_in(open_app(), Role.AUDITOR)
    app.switch_page(page_file(Page.RECORD_REVIEW)).run()
    no_exception(app)
    line = next(c.value for c in app.caption if "service date" in c.value)
    assert f"paid ${paid:,.2f}" in unescaped(line) and "billed \\$" in line and "paid \\$" in line  # escaped: no $...$ math
    assert any("paid by its DRG" in i.value and "DRG finding below" in i.value for i in app.info)
    sentence = ("This claim is paid by its DRG, so its payment difference belongs on the DRG finding alone: set the code-level "
                "dollar impacts to 0 (finding 1 has -$1,500.00) and keep the DRG finding's -$4,000.00.")
    assert sentence in [unescaped(w.value) for w in app.warning]
    [b for b in app.button if b.label == "Complete the claim"][0].click().run()
    assert any(sentence in unescaped(e.value) for e in app.error), [e.value for e in app.error]
    review = worklist.get_review(db, opened.review_id)
    assert not review.locked and [f.dollar_impact for f in review.findings][0] == "-1500.00"
def test_a_stale_save_on_the_worklist_is_refused_and_the_latest_findings_can_be_loaded(own_demo):
    """Two auditors on one draft: the page holds the version it loaded, so a save by the other auditor since
    then refuses this page's save and complete (one sentence, nothing saved) until it loads the latest findings."""
    con = connect_read_only(own_demo)
    db = ReviewDb(own_demo.reviews_db)
    sample = draw_sample(con, db, SampleSpec("random", 1), seed=5, user="ann", role="auditor", record=None)
    (key,) = sample.claim_keys
    codes = con.execute("SELECT code_type, code FROM claim_codes WHERE claim_key = ? ORDER BY code_type, line", [key]).fetchall()
    con.close()
    app = sign_in(open_app(), Role.AUDITOR)
    app.switch_page(page_file(Page.RECORD_REVIEW)).run()
    no_exception(app)
    opened = worklist.open_review(db, sample.sample_id, key, "bea")
    theirs = [{"code_type": t, "submitted_code": c, "audited_code": c, "finding": "agree"} for t, c in codes]
    theirs[0].update(finding="delete", audited_code=None, error_category="unsupported_code", dollar_impact="-75")
    worklist.save_draft(db, opened.review_id, theirs, "bea")
    [b for b in app.button if b.label == "Complete the claim"][0].click().run()
    no_exception(app)
    (error,) = [e.value for e in app.error]
    assert "bea saved this claim" in error and "nothing of yours was saved" in error
    after = worklist.get_review(db, opened.review_id)
    assert not after.locked and after.findings[0].finding == "delete"
    [b for b in app.button if b.label == "Load the latest saved findings"][0].click().run()
    no_exception(app)
    assert not [b for b in app.button if b.label == "Load the latest saved findings"]
    [b for b in app.button if b.label == "Complete the claim"][0].click().run()
    no_exception(app)
    done = worklist.get_review(db, opened.review_id)
    assert done.locked and done.completed_findings[0].finding == "delete" and not app.error


def test_the_sampling_page_says_in_one_sentence_that_a_tampered_sample_is_not_the_one_drawn(own_demo):
    import sqlite3
    con = connect_read_only(own_demo)
    sample = draw_sample(con, ReviewDb(own_demo.reviews_db), SampleSpec("random", 3), seed=8, user="ann", role="auditor",
                         record=None)
    con.close()
    with sqlite3.connect(own_demo.reviews_db) as conn:
        conn.execute("UPDATE samples SET seed = 9 WHERE sample_id = ?", (sample.sample_id,))
    app = sign_in(open_app(), Role.AUDITOR)
    app.switch_page(page_file(Page.AUDIT_SAMPLING)).run()
    no_exception(app)
    (error,) = [e.value.replace("\\", "").replace("\u2060", "") for e in app.error]
    assert error.startswith(f"Sample {sample.sample_id}'s stored seed") and error.count(". ") == 0
def test_the_coder_and_the_manager_see_the_auditors_notes_only_after_a_recorded_reveal(own_demo):
    """The rationale, reference and location of a finding are hidden until asked for, from the coder who may rebut
    it and from the manager who decides the rebuttal; asking records a finding_notes_reveal event, then shows them
    as text."""
    con = connect_read_only(own_demo)
    db = ReviewDb(own_demo.reviews_db)
    sample = draw_sample(con, db, SampleSpec("per-coder", 1, filters=Filters(coder=(DEMO_CODER,))), seed=3, user="ann",
                         role="auditor", record=None)
    (key,) = sample.claim_keys
    code_type, code = con.execute("SELECT code_type, code FROM claim_codes WHERE claim_key = ? ORDER BY line LIMIT 1",
                                  [key]).fetchone()
    opened = worklist.open_review(db, sample.sample_id, key, "ann")
    note = {"rationale": "No *documentation* of the condition in the H&P", "reference": "OCG III.B",
            "location": "H&P 2026-03-02"}
    worklist.save_draft(db, opened.review_id, [{"code_type": code_type, "submitted_code": code, "finding": "delete",
                                                "error_category": "unsupported_code", "dollar_impact": "0.00", **note}],
                        "ann", vault=PhiVault(load_data_keyring(own_demo.key_dir)))
    worklist.complete(db, opened.review_id, con=con, user="ann", role="auditor", record=None)
    con.close()
    coder = sign_in(open_app(), Role.CODER)
    assert not [t for t in coder.table] and "OCG III.B" not in shown_text(coder)
    assert not [e for e in read_events(own_demo) if e["action"] == "finding_notes_reveal"]
    next(b for b in coder.button if b.label.startswith("Show the auditor's rationale")).click().run()
    no_exception(coder)
    (table,) = [t.value for t in coder.table]
    assert table.iloc[0].tolist()[2:] == [md(note[name]) for name in ("rationale", "reference", "location")]
    assert "OCG III" in table.iloc[0].tolist()[3]
    (event,) = [e for e in read_events(own_demo) if e["action"] == "finding_notes_reveal"]
    assert (event["user"], event["claim_keys"], event["details"]) == ("demo:coder", [key], {"findings": 1})
    coder.text_area[0].input("The H&P documents it.")
    [b for b in coder.button if b.label == "Rebut"][0].click().run()
    manager = sign_in(open_app(), Role.CODING_MANAGER)
    manager.switch_page(page_file(Page.REBUTTALS)).run()
    assert not [t for t in manager.table]
    next(b for b in manager.button if b.label.startswith("Show the auditor's rationale")).click().run()
    no_exception(manager)
    assert [t.value.iloc[0].tolist()[2] for t in manager.table] == [md(note["rationale"])]
    assert [e["user"] for e in read_events(own_demo) if e["action"] == "finding_notes_reveal"] == ["demo:coding_manager", "demo:coder"]


def test_the_findings_grid_numbers_its_findings_with_their_claim_lines_and_code_titles(own_demo):
    opened, _, _ = proposal_draft(own_demo)
    app = sign_in(open_app(), Role.AUDITOR)
    app.switch_page(page_file(Page.RECORD_REVIEW)).run()
    no_exception(app)
    grid = next(df.value for df in app.dataframe if "described" in df.value.columns)
    con = connect_read_only(own_demo)
    codes = claims.submitted_codes(con, opened.claim_key)
    con.close()
    assert grid["number"].tolist() == list(range(1, len(grid) + 1))
    # every line of the claim holds exactly one finding, a code on two lines too
    assert sorted(zip(grid["code_type"], grid["submitted_code"], [int(v) for v in grid["claim_line"]], strict=True)) == sorted(
        zip(codes["code_type"], codes["code"], codes["line"], strict=True))
    for code, title in zip(grid["submitted_code"], grid["described"], strict=True):
        assert title.split(" ")[0].replace(".", "") == code and len(title) > len(code) + 3
