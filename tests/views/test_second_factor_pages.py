"""The second factor on the sign-in page and the Admin page, through Streamlit's AppTest on the demo store: the code
after the password (a wrong one refused, nothing else shown meanwhile), enrolment required by CODEAUDIT_REQUIRE_MFA
with the secret and recovery codes shown once, a signed-in user's own enrolment, the administrator's reset, and
the demo sign-in that the setting leaves as it is."""
from __future__ import annotations

from datetime import UTC, datetime

from streamlit.testing.v1 import AppTest

from audit.log.read import read_events
from audit.mfa import SecondFactors, keyring_vault, totp
from audit.permissions import Page, Role
from audit.users import UserStore
from tests.views.conftest import open_app
from tests.views.test_idle_timer import scheduled_timers
from tests.views.test_pages import no_exception, sign_in, titles

PASSWORD = "a long enough passphrase"


def _account(demo_env, name: str, role: Role = Role.CODING_MANAGER) -> UserStore:
    users = UserStore(demo_env.users_db)
    users.add_user(name, role, PASSWORD, actor="test")
    return users


def _password(app: AppTest, name: str) -> AppTest:
    app.text_input(key="signin.username").input(name)
    app.text_input(key="signin.password").input(PASSWORD)
    return [b for b in app.button if b.label == "Sign in"][0].click().run()


def _code(app: AppTest, code: str, key: str = "mfa.code") -> AppTest:
    app.text_input(key=key).input(code)
    label = "Continue" if key == "mfa.code" else "Confirm and set up"
    return [b for b in app.button if b.label == label][0].click().run()


def test_password_then_code_and_a_wrong_code_is_refused(app, demo_env):
    users = _account(demo_env, "mfa.manager")
    factors = SecondFactors(users, keyring_vault(demo_env.key_dir))
    enrolment = factors.begin("mfa.manager")
    factors.confirm(enrolment, totp(enrolment.secret).now())
    _password(app, "mfa.manager")
    no_exception(app)
    assert [s.value for s in app.subheader] == ["Second factor"] and not app.sidebar.button
    assert "signin.password" not in app.session_state
    right = totp(enrolment.secret).at(datetime.now(UTC), counter_offset=1)  # the enrolment spent this step's code
    _code(app, "000000" if right != "000000" else "111111")
    assert app.error[0].value.startswith("That code was not accepted")
    assert [s.value for s in app.subheader] == ["Second factor"]  # still the code step, nothing else
    (refused,) = read_events(demo_env, action="mfa_failed", user="mfa.manager", limit=1)
    assert refused["details"]["reason"] == "bad_code" and refused["details"]["failed_attempts"] == 1
    _code(app, right)
    no_exception(app)
    assert titles(app)[0] == Page.OVERVIEW.label
    (event,) = read_events(demo_env, action="sign_in", user="mfa.manager", limit=1)
    assert event["details"] == {"second_factor": "totp"}
    assert not [b for b in app.sidebar.button if b.label == "Set up a second factor"]
    assert users.get_user("mfa.manager").failed_attempts == 0


def test_required_second_factor_is_set_up_after_the_password(demo_env, monkeypatch):
    monkeypatch.setenv("CODEAUDIT_REQUIRE_MFA", "true")
    _account(demo_env, "req.auditor", Role.AUDITOR)
    app = open_app()
    assert [b.label for b in app.button if b.label.endswith("(demo)")]  # the demo is not an account: unchanged
    _password(app, "req.auditor")
    no_exception(app)
    assert [s.value for s in app.subheader] == ["Set up a second factor"]
    assert len(app.get("image")) == 1  # the QR code
    (shown,) = app.code
    secret = shown.value.replace(" ", "")
    assert len(secret) == 32 and read_events(demo_env, action="sign_in", user="req.auditor", limit=1) == []
    _code(app, totp(secret).now(), key="mfa.enrol_code")
    no_exception(app)
    assert [s.value for s in app.subheader] == ["Your recovery codes"]
    (codes,) = app.code
    assert len(codes.value.splitlines()) == 10 and secret not in str(app.code)
    [b for b in app.button if b.label == "I have saved my recovery codes"][0].click().run()
    no_exception(app)
    assert titles(app)[0] == Page.OVERVIEW.label and not app.code
    assert [e["action"] for e in read_events(demo_env, user="req.auditor", limit=9)] == ["page_view", "sign_in", "mfa_enrol"]


def test_a_signed_in_user_sets_one_up_and_the_admin_resets_it(app, demo_env):
    users = _account(demo_env, "own.choice")
    _password(app, "own.choice")
    assert titles(app)[0] == Page.OVERVIEW.label  # not required: the password alone signs in
    [b for b in app.sidebar.button if b.label == "Set up a second factor"][0].click().run()
    assert [s.value for s in app.subheader] == ["Set up a second factor"]
    secret = app.code[0].value.replace(" ", "")
    _code(app, totp(secret).now(), key="mfa.enrol_code")
    assert [s.value for s in app.subheader] == ["Your recovery codes"]
    [b for b in app.button if b.label == "I have saved my recovery codes"][0].click().run()
    assert titles(app)[0] == Page.OVERVIEW.label and users.get_user("own.choice").second_factor
    assert not [b for b in app.sidebar.button if b.label == "Set up a second factor"]

    admin = sign_in(open_app(), Role.ADMIN)
    admin.selectbox(key="admin.mfa_user").set_value("own.choice")
    admin.button(key="admin.mfa_reset").click().run()
    no_exception(admin)
    assert any("second factor of own" in s.value for s in admin.success)
    (event,) = read_events(demo_env, action="mfa_reset", user="demo:admin", limit=1)
    assert event["resource"] == "user:own.choice" and not users.get_user("own.choice").second_factor
    app.run()  # the session signed in with that factor ends at its next action
    assert titles(app) == ["Coding audit and compliance"]
    assert any("second factor was reset" in w.value for w in app.info)


def test_start_again_and_cancel_leave_nothing_behind(demo_env, monkeypatch):
    users = _account(demo_env, "changes.mind")
    app = _password(open_app(), "changes.mind")  # not required: signed in with the password
    [b for b in app.sidebar.button if b.label == "Set up a second factor"][0].click().run()
    app.button(key="mfa.cancel").click().run()  # "Cancel": back to the pages, nothing set up
    assert titles(app)[0] == Page.OVERVIEW.label and not users.get_user("changes.mind").second_factor
    assert read_events(demo_env, action="mfa_enrol", user="changes.mind", limit=1) == []

    monkeypatch.setenv("CODEAUDIT_REQUIRE_MFA", "true")
    app = _password(open_app(), "changes.mind")
    assert app.button(key="mfa.cancel").label == "Start again"
    app.button(key="mfa.cancel").click().run()
    assert app.text_input(key="signin.username") is not None and "auth.user" not in app.session_state
    assert not users.get_user("changes.mind").second_factor

    monkeypatch.delenv("CODEAUDIT_REQUIRE_MFA")
    factors = SecondFactors(users, keyring_vault(demo_env.key_dir))
    enrolment = factors.begin("changes.mind")
    factors.confirm(enrolment, totp(enrolment.secret).now())
    app = _password(open_app(), "changes.mind")
    assert [s.value for s in app.subheader] == ["Second factor"]
    app.button(key="mfa.start_again").click().run()
    assert [s.value for s in app.subheader][:1] != ["Second factor"] and "auth.user" not in app.session_state
    assert app.text_input(key="signin.username") is not None


def test_the_set_up_screen_has_the_idle_timer(app, demo_env, monkeypatch):
    """The set-up screen shows a secret and then recovery codes, and has no sidebar: it sets the idle timer itself,
    so an unattended screen is signed out like any page (views/shell.py idle_timer)."""
    scheduled = scheduled_timers(monkeypatch)
    _account(demo_env, "idle.enrol")
    _password(app, "idle.enrol")
    [b for b in app.sidebar.button if b.label == "Set up a second factor"][0].click().run()
    scheduled.clear()
    app.run()
    assert [s.value for s in app.subheader] == ["Set up a second factor"]
    idle = app.session_state["auth.guard"].idle_timeout.total_seconds()
    assert scheduled and idle <= scheduled[-1] <= idle + 3, scheduled
