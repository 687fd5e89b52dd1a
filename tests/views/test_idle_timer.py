"""The sidebar's idle timer (views/shell.py): it reruns its fragment only when the session can have ended, never
while the user works. A timer tick that reaches the server while a click's full run is still waiting to start
turns that run into a run of the timer's fragment alone (Streamlit 1.60 merges the two requests), so the click
is lost with no message: a 30-second tick once swallowed the 'Reveal the claim numbers for a copy' click of
tests/e2e/test_report.py under CI load."""
from __future__ import annotations

from datetime import timedelta

import pytest
from streamlit.runtime.scriptrunner_utils.script_run_context import ScriptRunContext
from streamlit.testing.v1 import AppTest

from audit.permissions import Role
from tests.views.test_pages import sign_in, titles
from views import session, shell


@pytest.fixture
def timers(monkeypatch) -> list[float]:
    return scheduled_timers(monkeypatch)


def scheduled_timers(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The interval of every timer (run_every) the script runs schedule in the browser, in seconds."""
    scheduled: list[float] = []
    real = ScriptRunContext.enqueue

    def spy(self, msg):
        if msg.WhichOneof("type") == "auto_rerun":
            scheduled.append(msg.auto_rerun.interval)
        return real(self, msg)

    monkeypatch.setattr(ScriptRunContext, "enqueue", spy)
    return scheduled


def test_the_idle_timer_is_set_for_when_the_session_can_end_not_every_30_seconds(app: AppTest, timers):
    sign_in(app, Role.AUDITOR)
    guard = app.session_state["auth.guard"]
    idle = guard.idle_timeout.total_seconds()
    assert timers, "a signed-in page schedules the idle timer"
    assert idle <= timers[-1] <= idle + shell.IDLE_MARGIN.total_seconds() + 1, timers


def test_each_full_run_sets_the_timer_again_so_it_never_ticks_while_the_user_works(app: AppTest, timers):
    sign_in(app, Role.AUDITOR)
    app.run()
    app.run()
    assert len(timers) >= 3
    # The browser (Streamlit 1.60's handleAutoRerun) keeps its countdown when a fragment's new interval equals the
    # one it holds, and restarts it for any other: so each run's interval must differ from the run before's.
    # Two runs apart they may be equal again (A, B, A restarts it twice).
    last = timers[-3:]
    assert all(before != after for before, after in zip(last, last[1:])), timers


def test_the_timer_follows_the_session_limit_when_it_comes_before_the_idle_limit(app: AppTest, timers):
    sign_in(app, Role.AUDITOR)
    guard = app.session_state["auth.guard"]
    guard.started -= guard.session_limit - timedelta(minutes=2)  # two minutes of the 12 hours left
    app.run()
    assert 110 <= timers[-1] <= 120 + shell.IDLE_MARGIN.total_seconds() + 1, timers


def test_a_run_that_only_sets_the_timer_again_is_not_activity(app: AppTest):
    """The timer's own full run (after activity in a fragment moved the idle limit) must not keep the session open."""
    sign_in(app, Role.AUDITOR)
    guard = app.session_state["auth.guard"]
    guard.last_activity -= timedelta(minutes=10)
    before = guard.last_activity
    app.session_state[session.QUIET_RUN] = True
    app.run()
    assert app.session_state["auth.guard"].last_activity == before
    assert titles(app)[0] != "Coding audit and compliance"
    app.run()
    assert app.session_state["auth.guard"].last_activity > before  # any other full run is activity
