"""One browser session: who is signed in, their store connection, automatic logoff, and a small per-session
result memo. Everything about a user lives in st.session_state; only objects that hold no user data
(the access log writer, the account store) are shared by the process through st.cache_resource.
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TypeVar

import duckdb
import streamlit as st

from audit.events import AccessEvent
from audit.log.writer import AccessLog, AccessLogError
from audit.permissions import Role, parse_role
from audit.session_policy import SessionExpired, SessionGuard
from audit.users import UserStore
from config import settings
from config.paths import Paths, default_paths
from queries.store import StoreReader, demo_mode
from review.db import update_existing
from views import problems

Method = Literal["password", "demo", "sso"]
T = TypeVar("T")

_USER, _GUARD, _READER, _MEMO, _FLASH, _PATHS = "auth.user", "auth.guard", "store.reader", "store.memo", "auth.flash", "paths"
QUIET_RUN = "auth.quiet_run"  # the next full run is the idle timer's own (views/shell.py), not activity
MEMO_ENTRIES = 64
DEMO_ENDED = "Demo sessions have ended because real data was loaded into this store. Sign in with your account."


@dataclass(frozen=True)
class SignedIn:
    """The person behind this session. `user` is the name the access log records: the account name,
    `demo:<role>` for demo sign-in, `sso:<subject>` for single sign-on."""

    user: str
    role: Role | None
    display: str
    method: Method
    details: dict[str, Any] = field(default_factory=dict, compare=False)
    coder_id: str | None = None  # a coder's own coder id: the only claims whose findings they see

    @property
    def role_name(self) -> str:
        return self.role.value if self.role else ""


def now() -> datetime:
    return datetime.now(UTC)


def paths() -> Paths:
    if _PATHS not in st.session_state:
        st.session_state[_PATHS] = default_paths().ensure()
    return st.session_state[_PATHS]


@st.cache_resource(show_spinner=False)
def _access_log(data_dir: Path, key_dir: Path) -> AccessLog:
    return AccessLog(Paths(data_dir=data_dir, key_dir=key_dir))


@st.cache_resource(show_spinner=False)
def _user_store(users_db: Path) -> UserStore:
    return UserStore(users_db)


def access_log() -> AccessLog:
    """The process's access-log writer (it holds no user data, so sessions share it)."""
    p = paths()
    return _access_log(p.data_dir, p.key_dir)


def user_store() -> UserStore:
    return _user_store(paths().users_db)


def record(event: AccessEvent) -> None:
    """Append to the access log; raises AccessLogError when the event was not stored durably."""
    access_log().append(event)


def signed_in() -> SignedIn | None:
    return st.session_state.get(_USER)


def role() -> Role | None:
    """The signed-in user's role; None when signed out (or no known role)."""
    who = signed_in()
    return who.role if who is not None else None


def current() -> SignedIn:
    """The signed-in user; pages run only behind the sign-in gate, so there always is one."""
    who = signed_in()
    if who is None:
        st.stop()
    return who


def start(who: SignedIn) -> None:
    """Begin a signed-in session (the sign_in event is recorded by the caller, before this)."""
    _close_reader()  # the next read opens a reader for this identity (a demo one refuses real data)
    st.session_state[_USER] = who
    st.session_state[_GUARD] = SessionGuard(last_activity=now())


def update(who: SignedIn) -> None:
    """The same signed-in person with new details (a second factor just set up): the session goes on as it was."""
    st.session_state[_USER] = who


def flash(kind: Literal["info", "warning", "error"], message: str) -> None:
    """A message for the next sign-in page (e.g. why the user was signed out)."""
    st.session_state[_FLASH] = (kind, message)


def take_flash() -> tuple[str, str] | None:
    return st.session_state.pop(_FLASH, None)


def end(action: Literal["sign_out", "timeout"], reason: str, message: str | None = None) -> None:
    """Sign out: record the event, then forget everything this session held about the user.

    Signing out must work even when the log cannot be written (the user is leaving either way); the
    failure is shown on the sign-in page."""
    who = signed_in()
    if who is not None:
        try:
            record(AccessEvent(user=who.user, role=who.role_name, action=action, details={"reason": reason, "method": who.method}))
        except AccessLogError as exc:
            message = f"{message or 'You were signed out.'} The sign-out could not be recorded. {problems.shown(exc, who.role)}"
    _close_reader()
    keep = {_PATHS}
    for key in list(st.session_state.keys()):
        if key not in keep:
            del st.session_state[key]
    if message:
        flash("warning" if action == "timeout" else "info", message)


def end_demo() -> None:
    """End a demo session because the store holds real data now (or once did)."""
    end("sign_out", "real_data_loaded", DEMO_ENDED)


class DownloadRefused(RuntimeError):
    """A download was clicked in a session that has ended (idle, account changed, demo after real data):
    no event is recorded and no file is produced; the next run signs the session out."""


Ending = tuple[Literal["sign_out", "timeout"], str, str]  # action, reason, message


def ending(who: SignedIn, guard: SessionGuard, where: Paths, users: UserStore, at: datetime) -> Ending | None:
    """Why the session of `who` must end at `at`, or None: the idle or session limit, the end of a demo session once
    real data is loaded, an account disabled or changed. Reads no session state, so a download producer
    (in Streamlit's worker thread) can ask it as well as every full run."""
    try:
        replace(guard).touch(at)  # a copy: asking is not activity
    except SessionExpired as exc:
        return "timeout", exc.reason, str(exc)
    if who.method == "demo" and not demo_mode(where):
        return "sign_out", "real_data_loaded", DEMO_ENDED
    if who.method == "password":
        account = users.get_user(who.user)
        if account is None or account.disabled or parse_role(account.role) != who.role or account.coder_id != who.coder_id:
            return "sign_out", "account_changed", "Your account was disabled or its role changed; sign in again."
        if not account.second_factor and (users.require_second_factor or who.details.get("second_factor")):
            return "sign_out", "second_factor_reset", "Your second factor was reset or is now required; sign in again."
    return None


def enforce_policy() -> None:
    """At every full run of a signed-in session: automatic logoff after the idle or session limit, sign-out of an
    account that was disabled or changed while the session was open, and the end of a demo session once
    real data is loaded. (The store connection checks the last one again where the data is read, and
    download_check() at the moment a download is produced.)"""
    quiet = st.session_state.get(QUIET_RUN, False)
    who = signed_in()
    if who is None:
        return
    guard: SessionGuard = st.session_state[_GUARD]
    if (why := ending(who, guard, paths(), user_store(), now())) is not None:
        end(*why)
        return
    if not quiet:
        guard.last_activity = now()


def download_check() -> Callable[[], None]:
    """A check for a download producer, which runs later, in a worker thread, without session state: it
    raises DownloadRefused if the session has ended by then (ending())."""
    who, guard, where, users = current(), st.session_state[_GUARD], paths(), user_store()

    def check() -> None:
        if (why := ending(who, guard, where, users, now())) is not None:
            raise DownloadRefused(f"{why[2]} No file was produced.")

    return check


def activity() -> None:
    """Count an interaction that reruns a fragment only (the full-run check in enforce_policy does not see
    it); a session already past its idle or session limit is sent through a full run, which signs it out."""
    guard: SessionGuard | None = st.session_state.get(_GUARD)
    if guard is None or st.session_state.get(QUIET_RUN):  # a fragment drawn by the idle timer's own full run
        return
    try:
        guard.touch(now())
    except SessionExpired:
        st.rerun(scope="app")


def expired() -> bool:
    """Past the idle or session limit; checked by the sidebar timer without counting as activity."""
    guard: SessionGuard | None = st.session_state.get(_GUARD)
    return guard is not None and guard.expired(now())


def ends_at() -> datetime | None:
    """When this session ends unless there is activity first (None when nobody is signed in)."""
    guard: SessionGuard | None = st.session_state.get(_GUARD)
    return guard.ends_at() if guard is not None else None


def rerun_quietly() -> None:
    """A full run that does not count as activity: the idle timer setting itself again (views/shell.py)."""
    st.session_state[QUIET_RUN] = True
    st.rerun(scope="app")


def run_over() -> None:
    """At the end of every full run, however it ends: the next run counts as activity again."""
    st.session_state.pop(QUIET_RUN, None)


@st.cache_resource(show_spinner=False)
def _review_store_current(path: Path) -> None:
    """Once per process, before its first reader: a review store an older release made gains its metrics feed
    (review/db.py `update_existing`), so its reviewed findings count from the first query."""
    update_existing(path)


def connection() -> duckdb.DuckDBPyConnection:
    """This session's read-only store connection; it follows atomic store swaps. Unless an account or
    single sign-on is signed in, it serves demo data only: a store with real data raises
    queries.store.RealDataLoaded on this very connection, before anything is read."""
    if _READER not in st.session_state:
        _review_store_current(paths().reviews_db)
        who = signed_in()
        st.session_state[_READER] = StoreReader(paths(), demo_only=who is None or who.method == "demo",
                                                threads=settings.load().session_threads)
    return st.session_state[_READER].connection()


def _close_reader() -> None:
    reader: StoreReader | None = st.session_state.pop(_READER, None)
    if reader is not None:
        reader.close()


def query(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """fn(connection, *args, **kwargs), remembered for this session only (never shared with another user)
    until the store is swapped or the reviewed findings reload. Arguments must be hashable (Filters is)."""
    memo: OrderedDict[tuple, Any] = st.session_state.setdefault(_MEMO, OrderedDict())
    con = connection()
    key = (fn.__module__, fn.__qualname__, st.session_state[_READER].version, args, tuple(sorted(kwargs.items())))
    if key in memo:
        memo.move_to_end(key)
        return memo[key]
    value = fn(con, *args, **kwargs)
    memo[key] = value
    while len(memo) > MEMO_ENTRIES:
        memo.popitem(last=False)
    return value
