"""What the review pages share: the process's review store (it holds no session state), the role checks
before each change, and one place to turn a refused change into a sentence on screen."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pandas as pd
import streamlit as st

from audit.log.writer import AccessLogError
from audit.permissions import Permission, PermissionDenied, require
from queries import finding_rules, reviewed
from queries.metrics import Filters
from queries.reference import CLAIM_CODE_TYPES
from review import report_versions
from review.db import ReviewDb, ReviewError
from review.lifecycle import replacements
from views import problems, session
from views.text import md

T = TypeVar("T")
FINDINGS = finding_rules.FINDINGS
CATEGORIES = finding_rules.ERROR_CATEGORIES
CODE_TYPES = CLAIM_CODE_TYPES  # an auditor adds findings on claim codes; the DRG finding has its own form
REPLACEMENT_COLUMNS = {"replaced_key": "Claim not reviewed", "spare_key": "Spare reviewed instead", "reason": "Reason",
                       "by": "Replaced by", "at": "When (UTC)"}


@st.cache_resource(show_spinner=False)
def _review_db(path: Path) -> ReviewDb:
    return ReviewDb(path)


def review_db() -> ReviewDb:
    return _review_db(session.paths().reviews_db)


def pending_caption(scope: Filters) -> None:
    """How many reviewed findings in scope are still preliminary (the metrics count final findings only)."""
    pending = session.query(reviewed.pending, scope)
    if pending["findings"]:
        st.caption(f"{pending['findings']:,} reviewed findings on {pending['claims']:,} claims are preliminary and not yet "
                   f"counted ({pending['errors']:,} of them errors): the rebuttal window is open or a rebuttal awaits the "
                   "coding manager.")
    else:
        st.caption("No reviewed findings are pending: every completed review in scope is final and counted.")


def replacements_table(sample_id: str) -> None:
    """A sample's replacements, if any: which claim could not be reviewed, the spare reviewed instead, why, who
    and when (text as data: a reason is never read as markdown)."""
    rows = replacements(review_db(), sample_id)
    if rows:
        st.caption("Claims that could not be reviewed, each replaced by the next unused spare of its stratum:")
        st.dataframe(pd.DataFrame(rows).rename(columns=REPLACEMENT_COLUMNS), hide_index=True)


def change(permission: Permission, action: Callable[[], T]) -> T | None:
    """Run one review change for the signed-in user if the role may: a refusal or an unrecordable event is
    shown as a sentence and nothing is changed (the review store rolls back when the event fails)."""
    try:
        require(session.current().role, permission)
        return action()
    except (ReviewError, PermissionDenied) as exc:
        st.error(md(exc))
    except AccessLogError as exc:
        st.error(f"Nothing was changed: the change could not be recorded. {problems.shown(exc, session.role())}")
    return None


def refresh_report(sample_id: str) -> None:
    """After a change to a claim's findings: a completed sample whose results it changed gets the next report
    version (review/report_versions.py), said on screen."""
    who = session.current()
    made = report_versions.refresh(review_db(), session.connection(), sample_id, user=who.user, role=who.role_name,
                                   record=session.record)
    if made is not None:
        st.toast(f"Sample {sample_id}'s results changed: its report is now version {made.version} (the earlier ones "
                 "are kept).")
