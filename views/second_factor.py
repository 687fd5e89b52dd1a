"""The second factor of a local account on screen (audit/mfa.py decides): the code after the password, enrolment
(a QR code and the secret shown once, confirmed by a code), the recovery codes shown once, and a signed-in user's
own choice to set one up.

What the steps remember lives in this session's state on the server, never in the browser: the password step
(`audit.users.PasswordAccepted`, good for ten minutes), a secret being set up, and the recovery codes until the
user says they are saved. While any of them is there the dashboard shows this and nothing else (`active`)."""
from __future__ import annotations

from dataclasses import replace

import streamlit as st

from audit.events import AccessEvent
from audit.log.writer import AccessLogError
from audit.mfa import CodeRefused, Enrolment, SecondFactors, SignInExpired, keyring_vault
from audit.permissions import parse_role
from audit.users import PasswordAccepted, SignInError, User, UserError
from config.settings import ConfigurationError
from views import problems, session
from views.text import md

_PENDING, _ENROLMENT, _CODES = "mfa.pending", "mfa.enrolment", "mfa.codes"
_CODE, _ENROL_CODE = "mfa.code", "mfa.enrol_code"


def factors() -> SecondFactors:
    return SecondFactors(session.user_store(), keyring_vault(session.paths().key_dir))


def active() -> bool:
    """Is a second-factor step under way in this session (the dashboard then shows it instead of any page)?"""
    return any(key in st.session_state for key in (_PENDING, _ENROLMENT, _CODES))


def _clear() -> None:
    for key in (_PENDING, _ENROLMENT, _CODES, _CODE, _ENROL_CODE):
        st.session_state.pop(key, None)


def open_account(account: User, **details: object) -> None:
    """Open the session of a local account whose sign-in is complete (its `sign_in` event is recorded)."""
    role = parse_role(account.role)
    if role is None:  # the sign-in was recorded: close the session it opened at once
        session.flash("error", "Your account has no known role, so it has no access. Ask an administrator to assign one.")
        try:
            session.record(AccessEvent(user=account.username, role=account.role, action="sign_out", details={"reason": "no_role"}))
        except AccessLogError as exc:
            session.flash("error", "Your account has no known role, so it has no access; the sign-out could not be "
                                   f"recorded. {problems.shown(exc, None)}")
        return
    session.start(session.SignedIn(user=account.username, role=role, display=account.username, method="password",
                                   coder_id=account.coder_id, details=details))


def password_accepted(pending: PasswordAccepted) -> None:
    """After the right password of an account that signs in with a second factor: ask for its code, or, when it has
    none while one is required, set one up first."""
    _clear()
    st.session_state[_PENDING] = pending
    if not pending.enrolled:
        try:
            st.session_state[_ENROLMENT] = factors().begin(pending.username)
        except UserError as exc:
            _clear()
            session.flash("error", md(exc))


def start_enrolment() -> None:
    """A signed-in local account without a second factor chooses to set one up."""
    who = session.current()
    try:
        st.session_state[_ENROLMENT] = factors().begin(who.user)
    except UserError as exc:
        session.flash("error", md(exc))


def _refused(exc: Exception, start_again: bool) -> None:
    if start_again:
        _clear()
    if isinstance(exc, (AccessLogError, ConfigurationError)):
        session.flash("error", f"The code could not be checked, so nothing changed. {problems.shown(exc, session.role())}")
    else:
        session.flash("error", md(exc))


def _verify() -> None:
    code, pending = st.session_state.pop(_CODE, ""), st.session_state.get(_PENDING)
    if pending is None:  # a click from a step that has since ended
        return
    try:
        account = factors().verify(pending, code, record=session.record)
    except CodeRefused as exc:
        _refused(exc, start_again=False)
        return
    except (SignInError, SignInExpired, AccessLogError, ConfigurationError) as exc:
        _refused(exc, start_again=not isinstance(exc, (AccessLogError, ConfigurationError)))
        return
    _clear()
    open_account(account, second_factor=True)


def _confirm() -> None:
    code = st.session_state.pop(_ENROL_CODE, "")
    pending: PasswordAccepted | None = st.session_state.get(_PENDING)
    enrolment: Enrolment | None = st.session_state.get(_ENROLMENT)
    if enrolment is None:  # a click from a step that has since ended
        return
    try:
        account, codes = factors().confirm(enrolment, code, record=session.record, pending=pending)
    except SignInExpired as exc:
        _refused(exc, start_again=True)
        return
    except (UserError, AccessLogError, ConfigurationError) as exc:
        _refused(exc, start_again=False)
        return
    _clear()
    st.session_state[_CODES] = codes
    if pending is not None:
        open_account(account, second_factor=True)
    elif (who := session.signed_in()) is not None:
        session.update(replace(who, details={**who.details, "second_factor": True}))


def _cancel() -> None:
    _clear()


def render() -> None:
    """The step under way: the recovery codes to save, enrolment, or the code after the password."""
    if _CODES in st.session_state:
        _recovery_codes(st.session_state[_CODES])
    elif _ENROLMENT in st.session_state:
        _enrolment(st.session_state[_ENROLMENT])
    elif _PENDING in st.session_state:
        _code(st.session_state[_PENDING])


def _code(pending: PasswordAccepted) -> None:
    st.subheader("Second factor")
    st.caption(f"The password of {md(pending.username)} is right. Type the 6-digit code your authenticator app shows "
               "for this account, or one of your recovery codes.")
    with st.form("mfa.code_form", enter_to_submit=True):
        st.text_input("Code", key=_CODE, autocomplete="one-time-code", max_chars=32)
        st.form_submit_button("Continue", on_click=_verify, type="primary")
    st.button("Start again", on_click=_cancel, key="mfa.start_again")


def _enrolment(enrolment: Enrolment) -> None:
    st.subheader("Set up a second factor")
    st.caption("Scan this QR code with an authenticator app (Microsoft or Google Authenticator, FreeOTP, ...), then "
               "type the code it shows. The QR code and the secret are shown only now: once set up, they cannot be "
               "shown again.")
    st.image(enrolment.qr_png(), width=240)
    st.caption("Or type this secret into the app by hand (time-based, 6 digits, 30 seconds):")
    st.code(enrolment.grouped_secret, language=None)
    with st.form("mfa.enrol_form", enter_to_submit=True):
        st.text_input("Code from the app", key=_ENROL_CODE, autocomplete="one-time-code", max_chars=32)
        st.form_submit_button("Confirm and set up", on_click=_confirm, type="primary")
    st.button("Cancel" if _PENDING not in st.session_state else "Start again", on_click=_cancel, key="mfa.cancel")


def _recovery_codes(codes: list[str]) -> None:
    st.subheader("Your recovery codes")
    st.success("Your second factor is set up.")
    st.warning("Save these ten recovery codes now, somewhere apart from your phone (printed, or in a password "
               "manager). Each signs you in once if the phone is lost. They are shown only now.")
    st.code("\n".join(codes), language=None)
    st.button("I have saved my recovery codes", on_click=_cancel, type="primary", key="mfa.saved")
