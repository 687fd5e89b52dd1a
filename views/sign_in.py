"""The sign-in page: demo buttons while the store holds only demo data, local accounts (then their second factor,
views/second_factor.py), and single sign-on where configured. Every attempt is recorded; a sign-in that cannot be recorded does not happen."""
from __future__ import annotations

import streamlit as st

from audit.events import AccessEvent
from audit.log.writer import AccessLogError
from audit.permissions import PermissionDenied, Role
from audit.session_policy import idle_timeout_from_env, map_sso_claims
from audit.users import SecondFactorNeeded, SignInError
from config.settings import ConfigurationError
from queries.store import demo_mode
from views import charts, problems, second_factor, session, sso
from views.text import md

_USERNAME, _PASSWORD = "signin.username", "signin.password"
_SSO_HANDLED = "signin.sso_handled"


# The demo coder signs in as one of the demo's weaker coders (data/demo.py), so the page has findings to show.
DEMO_CODER = "C007"


def demo_label(role: Role) -> str:
    return f"Sign in as {role.label} (demo)"


def _start(who: session.SignedIn) -> bool:
    """Record the sign-in, then open the session; False (with a message) if it could not be recorded."""
    try:
        session.record(AccessEvent(user=who.user, role=who.role_name, action="sign_in", details={"method": who.method, **who.details}))
    except (AccessLogError, ConfigurationError) as exc:
        session.flash("error", f"Sign-in refused because it could not be recorded. {problems.shown(exc, None)}")
        return False
    session.start(who)
    return True


def _demo_sign_in(role: Role) -> None:
    if not demo_mode(session.paths()):  # checked again at the click: real data may have arrived since
        session.flash("error", "Demo sign-in is no longer available: this store holds real data.")
        return
    coder_id = DEMO_CODER if role is Role.CODER else None
    _start(session.SignedIn(user=f"demo:{role.value}", role=role, display=f"{role.label} (demo)", method="demo",
                            coder_id=coder_id, details={"coder_id": coder_id} if coder_id else {}))


def _password_sign_in() -> None:
    username = st.session_state.get(_USERNAME, "")
    password = st.session_state.pop(_PASSWORD, "")  # never kept in the session
    try:
        account = session.user_store().authenticate(username, password, record=session.record)
    except SecondFactorNeeded as needed:  # the password is right; the code (or enrolment) follows
        second_factor.password_accepted(needed.pending)
        return
    except SignInError as exc:
        session.flash("error", md(exc))
        return
    except (AccessLogError, ConfigurationError) as exc:
        session.flash("error", f"Sign-in refused because it could not be recorded. {problems.shown(exc, None)}")
        return
    second_factor.open_account(account)


def _refuse_sso(user: str, reason: str, message: str) -> None:
    if st.session_state.get(_SSO_HANDLED) != user:  # record each refusal once, not at every rerun
        st.session_state[_SSO_HANDLED] = user
        session.record(AccessEvent(user=user, role="", action="sign_in_failed", outcome="denied",
                                   details={"reason": reason, "method": "sso"}))
    st.error(message)
    st.button("Sign out of single sign-on", on_click=st.logout)


def _single_sign_on(settings: sso.SsoSettings) -> None:
    st.subheader("Single sign-on")
    if not st.user.get("is_logged_in", False):  # absent where Streamlit sees no [auth] section
        st.button("Sign in with single sign-on", on_click=st.login, type="primary")
        return
    claims = dict(st.user)
    if not sso.fresh(claims, session.now(), idle_timeout_from_env()):
        st.info("Your single sign-on is older than the idle limit of this dashboard; sign in again.")
        st.button("Sign in with single sign-on", on_click=st.login, type="primary")
        return
    user, shown = sso.subject(claims)
    try:
        role = map_sso_claims(claims, settings.mapping, settings.claim)
    except PermissionDenied as exc:
        _refuse_sso(user, "conflicting_roles", md(exc))
        return
    if role is None:
        _refuse_sso(user, "no_role", "Your single sign-on account is in no dashboard group, so it has no access. "
                                     "Ask your identity administrator to add you to one.")
        return
    if _start(session.SignedIn(user=user, role=role, display=shown, method="sso", details={"display": shown})):
        st.rerun()


def render() -> None:
    column, _ = st.columns([3, 2])
    with column:
        page()
    charts.warm_up()


def _single_sign_on_if_configured() -> None:
    """The single sign-on section where secrets.toml has an [auth] table. A configuration problem is said here
    and leaves the other ways to sign in usable."""
    auth = st.secrets.get("auth") if st.secrets.load_if_toml_exists() else None
    try:
        settings = sso.settings(auth)
    except ConfigurationError as exc:
        st.error(problems.shown(exc, None))
        return
    if settings is not None:
        _single_sign_on(settings)


def page() -> None:
    """Single sign-on first, where configured: it is how a hospital's staff sign in, and a user sent back by the
    identity provider reads at once whether they were let in, without scrolling past the other ways."""
    st.title("Coding audit and compliance")
    message = session.take_flash()
    if message:
        getattr(st, message[0])(message[1])
    if second_factor.active():  # the password is right: the second factor, and nothing else, until it is done
        second_factor.render()
        return
    _single_sign_on_if_configured()
    paths = session.paths()
    if demo_mode(paths):
        st.subheader("Demo")
        st.caption("This store holds only the synthetic demo data set, so you may sign in as any role without an "
                   "account. Demo sign-in disappears for good once real data is loaded.")
        for role in Role:
            st.button(demo_label(role), key=f"demo.{role.value}", on_click=_demo_sign_in, args=(role,), width=320)
    st.subheader("Account")
    with st.form("sign-in", enter_to_submit=True):
        st.text_input("Username", key=_USERNAME, autocomplete="username")
        st.text_input("Password", key=_PASSWORD, type="password", autocomplete="current-password")
        st.form_submit_button("Sign in", on_click=_password_sign_in)
