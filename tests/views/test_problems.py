"""Problems a user cannot fix (a damaged access log, the configuration, key files): the server's folders
are named to an administrator only; a signed-out visitor and every other role get a sentence without
them, and the full message goes to the server's log."""
from __future__ import annotations

from streamlit.testing.v1 import AppTest

from audit.log.writer import AccessLogError
from audit.permissions import Page, Role
from config.paths import Paths
from tests.views.conftest import open_app
from tests.views.test_pages import page_file, sign_in
from views import problems
from views.text import md


def cut_the_last_event(paths: Paths) -> None:
    """Remove the newest line of the log: the writer then refuses to record anything (it cannot be trusted)."""
    log = paths.log_dir / "events.jsonl"
    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(b"".join(lines[:-1]))


def shown_text(app: AppTest) -> str:
    return " ".join(m.value for kind in ("error", "warning", "info", "caption", "markdown") for m in getattr(app, kind))


def folder_names(paths: Paths) -> list[str]:
    folders = [paths.data_dir.resolve(), paths.key_dir.resolve(), paths.log_dir.resolve()]
    return [name for folder in folders for name in (str(folder), md(folder))]


def test_a_signed_out_visitor_sees_no_server_paths_when_the_log_cannot_be_trusted(own_demo, caplog):
    visitor = open_app()
    sign_in(open_app(), Role.COMPLIANCE_OFFICER)  # the log has events
    cut_the_last_event(own_demo)
    with caplog.at_level("ERROR", logger="codeaudit.dashboard"):
        sign_in(visitor, Role.AUDITOR)
    assert [t.value for t in visitor.title] == ["Coding audit and compliance"]  # refused: not recorded
    shown = shown_text(visitor)
    assert problems.FOR_ADMINISTRATORS[AccessLogError] in shown
    assert [name for name in folder_names(own_demo) if name in shown] == []
    assert str(own_demo.log_dir) in caplog.text  # the operator reads the full message in the server log


def test_an_administrator_is_told_which_folders(own_demo):
    admin = sign_in(open_app(), Role.ADMIN)
    manager = sign_in(open_app(), Role.CODING_MANAGER)
    cut_the_last_event(own_demo)
    [t for t in admin.text_input if t.label == "Username"][0].input("new.auditor")
    [t for t in admin.text_input if t.label == "Initial password"][0].input("correct horse battery staple")
    [b for b in admin.button if b.label == "Add account"][0].click().run()
    assert "Nothing was changed" in admin.error[0].value and md(own_demo.log_dir) in admin.error[0].value
    manager.switch_page(page_file(Page.SPECIFICITY)).run()
    shown = shown_text(manager)
    assert problems.FOR_ADMINISTRATORS[AccessLogError] in shown
    assert [name for name in folder_names(own_demo) if name in shown] == []


def test_an_unexpected_failure_shows_our_sentence_not_streamlits_box(app, demo_env, monkeypatch, caplog):
    """Streamlit's own error box names the error and (on localhost, by default) offers 'Ask Google' and 'Ask
    ChatGPT' links that would send its text elsewhere; the dashboard shows its own sentence instead and logs the
    traceback under a reference."""
    from queries import metrics

    def broken(*args, **kwargs):
        raise RuntimeError("boom near claim 1234 in /srv/secret/place")

    sign_in(app, Role.COMPLIANCE_OFFICER)
    monkeypatch.setattr(metrics, "error_pareto", broken)
    monkeypatch.setattr(metrics, "payer_denials", broken)
    with caplog.at_level("ERROR", logger="codeaudit.dashboard"):
        app.switch_page(page_file(Page.DENIALS)).run()
    assert not app.exception
    (shown,) = [e.value for e in app.error]
    assert shown.startswith(problems.UNEXPECTED) and "boom" not in shown and "/srv" not in shown
    reference = shown.split("reference ")[1].split(" ")[0]
    assert f"reference {reference}" in caplog.text and "boom near claim" in caplog.text
