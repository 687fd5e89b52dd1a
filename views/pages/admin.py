"""Admin: accounts (add, disable, enable, reset password, unlock, reset a lost second factor; each change recorded in the access log
before it is committed) and the state of the keys (which exist and where, the primary data key's id;
never key material). The administrator sees no coding or patient data."""
from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from audit import keys
from audit.log.writer import AccessLogError
from audit.mfa import SecondFactors, keyring_vault
from audit.permissions import Permission, PermissionDenied, Role, can, parse_role, require
from audit.users import UserError, UserStore
from views import problems, session
from views.text import md

_DONE = "admin.done"
KEYS = (
    ("Data keyring (AES-256-GCM)", keys.DATA_KEYRING_FILE, "CODEAUDIT_DATA_KEYS"),
    ("Pseudonym key", keys.PSEUDONYM_KEY_FILE, "CODEAUDIT_PSEUDONYM_KEY"),
    ("Access-log key", keys.LOG_KEY_FILE, "CODEAUDIT_LOG_KEY"),
)


def accounts_table(store: UserStore) -> pd.DataFrame:
    return pd.DataFrame([{
        "username": u.username, "role": role.label if (role := parse_role(u.role)) else f"{u.role} (unknown: no access)",
        "coder_id": u.coder_id, "second_factor": u.second_factor,
        "disabled": u.disabled, "failed_attempts": u.failed_attempts, "locked_until": u.locked_until,
        "created_at": u.created_at, "password_changed_at": u.password_changed_at,
    } for u in store.list_users()], columns=["username", "role", "coder_id", "second_factor", "disabled", "failed_attempts", "locked_until",
                                             "created_at", "password_changed_at"])


ADD_FIELDS = ("admin.add.username", "admin.add.role", "admin.add.password", "admin.add.coder_id")


def change(action: Callable[[], object], done: str, clear: tuple[str, ...] = ()) -> None:
    """Run one account change for the signed-in administrator; say what happened in a sentence. A refused change
    keeps what was typed (the sentence says what to correct); a done one clears the `clear` fields."""
    try:
        require(session.current().role, Permission.MANAGE_USERS)
        action()
    except (UserError, PermissionDenied) as exc:
        st.error(md(exc))
    except AccessLogError as exc:
        st.error(f"Nothing was changed: the change could not be recorded. {problems.shown(exc, session.role())}")
    else:
        st.session_state[_DONE] = done
        for key in clear:
            st.session_state.pop(key, None)
        st.rerun()  # redraw the accounts table with the change


def account_forms(store: UserStore, who: session.SignedIn, usernames: list[str]) -> None:
    actor = dict(actor=who.user, actor_role=who.role_name, record=session.record)
    add, status, reset, unlock, factor = st.tabs(["Add", "Disable or enable", "Reset password", "Unlock", "Second factor"])
    with add, st.form("admin.add"):
        username = st.text_input("Username", key=ADD_FIELDS[0], help="3 to 64 characters from a-z 0-9 . _ @ -")
        role = st.selectbox("Role", list(Role), format_func=lambda r: r.label, key=ADD_FIELDS[1])
        password = st.text_input("Initial password", type="password", key=ADD_FIELDS[2],
                                 help="At least 12 characters, not containing the username.")
        coder_id = st.text_input("Coder id (coder accounts only)", max_chars=64, key=ADD_FIELDS[3],
                                 help="The coder id the claims carry, such as C007: the account sees the findings on those claims only.")
        if st.form_submit_button("Add account"):
            change(lambda: store.add_user(username, role, password, coder_id=coder_id, **actor),
                   f"Account {md(username.strip().lower())} added.", clear=ADD_FIELDS)
    with status:
        name = st.selectbox("Account", usernames, key="admin.status_user")
        left, right = st.columns(2)
        if left.button("Disable", disabled=not usernames):
            change(lambda: store.disable_user(name, **actor), f"{md(name)} is disabled; open sessions end at their next action.")
        if right.button("Enable", disabled=not usernames):
            change(lambda: store.enable_user(name, **actor), f"{md(name)} is enabled.")
    with reset, st.form("admin.reset", clear_on_submit=True):
        name = st.selectbox("Account", usernames, key="admin.reset_user")
        password = st.text_input("New password", type="password")
        if st.form_submit_button("Reset password", disabled=not usernames):
            change(lambda: store.reset_password(name, password, **actor), f"Password of {md(name)} reset; any lockout ended.")
    with unlock:
        name = st.selectbox("Account", usernames, key="admin.unlock_user")
        if st.button("Unlock", disabled=not usernames):
            change(lambda: store.unlock(name, **actor), f"{md(name)} is unlocked.")
    with factor:
        st.caption("A second factor is " + ("required for every local account (CODEAUDIT_REQUIRE_MFA): one without it "
                                            "sets it up after its password." if store.require_second_factor else
                                            "optional (set CODEAUDIT_REQUIRE_MFA=true to require it).")
                   + " Reset one when its phone is lost: the user sets up a new one.")
        name = st.selectbox("Account", usernames, key="admin.mfa_user")
        if st.button("Reset second factor", disabled=not usernames, key="admin.mfa_reset"):
            change(lambda: SecondFactors(store, keyring_vault(session.paths().key_dir)).reset(name, **actor),
                   f"The second factor of {md(name)} is removed; open sessions signed in with it end at their next action.")


def key_status(who: session.SignedIn) -> None:
    st.subheader("Keys")
    key_dir = session.paths().key_dir
    rows = []
    for label, file_name, variable in KEYS:
        source = keys.key_source(key_dir, file_name, variable)
        rows.append({"key": label, "source": source, "present": source.startswith("$") or (key_dir / file_name).exists()})
    st.dataframe(pd.DataFrame(rows), hide_index=True)
    try:
        ring = keys.load_data_keyring(key_dir)
    except keys.KeyProblem as exc:
        st.error(problems.shown(exc, who.role))
        return
    if ring is None:
        st.warning("There is no data keyring yet: the first ingest creates it.")
    else:
        st.caption(f"Primary data key: {md(ring.primary)}. Keys in the ring: {md(', '.join(sorted(ring.keys)))}. "
                   "Key material is never shown.")
    if can(who.role, Permission.ROTATE_KEYS):
        st.caption("Rotate the data key with `python manage.py rotate-key` (add `--retire-old` once every vault value "
                   "is re-encrypted). Back up the key folder separately from the data.")
    checkpoints = session.paths().checkpoint_dir
    st.caption(f"Access-log checkpoints: {md(checkpoints)} ({'present' if checkpoints.exists() else 'none yet'}).")


def render() -> None:
    who = session.current()
    st.title("Admin")
    if done := st.session_state.pop(_DONE, None):
        st.success(done)
    store = session.user_store()
    st.subheader("Accounts")
    table = accounts_table(store)
    if table.empty:
        st.info("No local accounts yet. Add one below, or with `python manage.py users add`.")
    else:
        st.dataframe(table, hide_index=True)
    account_forms(store, who, table["username"].tolist())  # each change is authorised where it is made (change)
    key_status(who)


render()
