"""The Access log page re-verifies after any edit of the log or its checkpoints, not only when the log grows."""
from __future__ import annotations

from audit.log.files import LOG_FILE
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
