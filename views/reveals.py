"""How a page runs a reveal of PHI and tells the user when it could not be made: one place for the pages that
reveal (Record review's identifiers, Audit sampling's report copy with claim numbers)."""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from audit import phi_reveal
from audit.log.writer import AccessLogError
from views import problems, session
from views.text import md

Revealed = TypeVar("Revealed")


def revealed(who: session.SignedIn, reveal: Callable[[], Revealed]) -> Revealed | None:
    """What `reveal` returns, or None after one sentence on the page when nothing was revealed: the access could
    not be recorded (nothing is decrypted before it is), or the vault holds nothing for the claim. Refusals by the
    permission rules are the caller's to handle, since a page may record them."""
    try:
        return reveal()
    except AccessLogError as exc:
        st.error(f"Nothing was revealed because the access could not be recorded. {problems.shown(exc, who.role)}")
    except phi_reveal.UnknownClaim as exc:
        st.warning(md(exc))
    return None
