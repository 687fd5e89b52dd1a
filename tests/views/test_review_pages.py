"""The review pages through AppTest on a demo store of the test's own: a coder sees the findings on their own
claims only (imported and reviewed, never another coder's, never PHI) on every page they have and in every
export they can make, and no other page exists for them; a manager decides a rebuttal on the Rebuttal
decisions page; the Overview says how many reviewed findings are pending."""
from __future__ import annotations

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from audit.keys import load_data_keyring
from audit.log.read import read_events
from audit.permissions import Page, Role, allowed_pages
from audit.users import UserStore
from audit.vault import PhiVault
from queries.metrics import Filters
from queries.store import connect_read_only
from review import claims, rebuttals, worklist
from review.db import ReviewDb
from review.samples import draw_sample, list_samples, stored_frame
from review.sampling import SampleSpec
from tests.views.conftest import open_app
from tests.views.test_pages import no_exception, page_file, sign_in
from views import tables
from views.sign_in import DEMO_CODER
from views.text import md

OTHER_CODER = "C023"


@pytest.fixture
def reviewed_store(own_demo):
    """Two completed reviews with an error finding, one on the demo coder's claim and one on another coder's."""
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
                                                    "error_category": "unsupported_code", "dollar_impact": "-99.00"}], "ann")
        done[coder] = worklist.complete(db, opened.review_id, user="ann", role="auditor", record=None)
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
    assert {"imported", "reviewed"} == set(table["source"])
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


def test_a_coder_rebuts_and_the_manager_decides_on_the_pages(reviewed_store):
    paths, done = reviewed_store
    coder = sign_in(open_app(), Role.CODER)
    coder.text_area[0].input("The operative note supports the code.")
    [b for b in coder.button if b.label == "Rebut"][0].click().run()
    no_exception(coder)
    assert any("rebuttal is recorded" in s.value for s in coder.success)
    manager = sign_in(open_app(), Role.CODING_MANAGER)
    manager.switch_page(page_file(Page.REBUTTALS)).run()
    no_exception(manager)
    assert "The operative note supports the code." in manager.dataframe[0].value["comment"].tolist()
    [b for b in manager.button if b.label.startswith("Accept")][0].click().run()
    no_exception(manager)
    (row,) = rebuttals.rebuttal_rows(ReviewDb(paths.reviews_db))
    assert (row["decision"], row["decided_by"], row["claim_key"]) == ("accepted", "demo:coding_manager", done[DEMO_CODER].claim_key)
    manager.switch_page(page_file(Page.OVERVIEW)).run()
    widen(manager, paths)
    assert any("1 reviewed findings on 1 claims are preliminary" in c.value for c in manager.caption), [c.value for c in manager.caption]


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
    """Issue 12: the sampling page targets the grouper's flags; the frame holds flagged claims only."""
    app = widen(sign_in(open_app(), Role.AUDITOR), own_demo)
    app.switch_page(page_file(Page.AUDIT_SAMPLING)).run()
    app.multiselect(key="sampling.flags").select("single_cc_mcc").run()
    no_exception(app)
    assert any("Flagged: DRG rests on one CC/MCC" in c.value for c in app.caption)
    app.number_input[0].set_value(2)
    [b for b in app.button if b.label == "Draw the sample"][0].click().run()
    no_exception(app)
    assert any("It is recorded in the access log" in s.value for s in app.success), [e.value for e in app.error]
    (listed,) = list_samples(ReviewDb(own_demo.reviews_db))
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
    """Issue 12: deleting the one CC/MCC a DRG rests on changes the DRG the grouper gives; the page proposes
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
    con.close()
    opened = worklist.open_review(db, sample.sample_id, key, "ann")
    note = {"rationale": "No *documentation* of the condition in the H&P", "reference": "OCG III.B",
            "location": "H&P 2026-03-02"}
    worklist.save_draft(db, opened.review_id, [{"code_type": code_type, "submitted_code": code, "finding": "delete",
                                                "error_category": "unsupported_code", "dollar_impact": "-99.00", **note}],
                        "ann", vault=PhiVault(load_data_keyring(own_demo.key_dir)))
    worklist.complete(db, opened.review_id, user="ann", role="auditor", record=None)
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
