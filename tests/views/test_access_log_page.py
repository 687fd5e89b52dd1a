"""The Access log page re-verifies after any edit of the log or its checkpoints, not only when the log grows."""
from __future__ import annotations

import sqlite3

from audit.events import AccessEvent
from audit.log.files import LOG_FILE
from audit.log.writer import AccessLog
from audit.permissions import Page, Role
from tests.views.conftest import open_app
from tests.views.test_pages import page_file, sign_in


def test_an_edit_that_keeps_the_log_size_is_seen_at_the_next_run(own_demo):
    app = sign_in(open_app(), Role.COMPLIANCE_OFFICER)
    app.switch_page(page_file(Page.ACCESS_LOG)).run()
    assert app.success[0].value.startswith("Log verified")
    log = own_demo.log_dir / LOG_FILE
    text = log.read_bytes()
    at = text.index(b'"user":"') + len(b'"user":"')
    log.write_bytes(text[:at] + bytes([text[at] ^ 1]) + text[at + 1:])  # one letter of seq 1, same size
    app.text_input(key="access_log.user").set_value("nobody").run()
    assert log.stat().st_size == len(text)  # the premise: nothing was appended, the size did not change
    assert not [s for s in app.success if s.value.startswith("Log verified")] and "modified event" in app.error[0].value


def test_every_access_log_action_has_its_words_and_its_fhir_mapping():
    from audit.events import ACTIONS
    from audit.log.export import EVENT_CODES
    from views.log_words import ACTION_WORDS
    assert [a for a in ACTIONS if a not in ACTION_WORDS] == []
    assert [a for a in ACTIONS if a not in EVENT_CODES] == []


def test_the_page_checks_the_review_store_as_verify_log_does_and_names_a_tampered_review(own_demo):
    """The demo's completed sample, built as on first start (its events in the real access log), verifies; a
    completed finding's dollar impact edited in reviews.sqlite is shown as a failure naming the review, at the
    next run."""
    app = sign_in(open_app(), Role.COMPLIANCE_OFFICER)
    app.switch_page(page_file(Page.ACCESS_LOG)).run()
    verified = [s.value for s in app.success if s.value.startswith("Reviews verified")]
    assert len(verified) == 1 and "no problems" in verified[0], [e.value for e in app.error]
    with sqlite3.connect(own_demo.reviews_db) as conn:
        review_id, revision = conn.execute("SELECT review_id, revision FROM revisions WHERE status = 'completed' "
                                           "ORDER BY review_id, revision LIMIT 1").fetchone()
        conn.execute("UPDATE findings SET dollar_impact = '-99999.00' WHERE review_id = ? AND revision = ?",
                     (review_id, revision))
    app.text_input(key="access_log.user").set_value("nobody").run()
    assert not [s for s in app.success if s.value.startswith("Reviews verified")]
    failed = [e.value for e in app.error if e.value.startswith("The review store failed its check")]
    assert len(failed) == 1 and f"review {review_id} revision {revision}" in failed[0] and "does not match" in failed[0]
    assert app.success[0].value.startswith("Log verified")  # the log itself is intact


def test_the_users_list_holds_single_sign_on_subjects_as_the_log_names_them(own_demo):
    """An SSO user has no local account: the list takes the names from the log itself, and picking one shows
    that user's events only."""
    with AccessLog(own_demo) as log:
        log.append(AccessEvent(user="sso:00u1a2b3c4", role="coding_manager", action="sign_in",
                               details={"method": "sso", "display": "pat@example.org"}))
    app = sign_in(open_app(), Role.COMPLIANCE_OFFICER)
    app.switch_page(page_file(Page.ACCESS_LOG)).run()
    users = app.multiselect(key="access_log.users")
    assert "sso:00u1a2b3c4" in users.options and "demo:compliance_officer" in users.options
    users.set_value(["sso:00u1a2b3c4"]).run()
    (table,) = [t for t in app.dataframe if "User" in t.value.columns]
    assert list(table.value["User"]) == ["sso:00u1a2b3c4"] and list(table.value["Action"]) == ["Signed in"]
