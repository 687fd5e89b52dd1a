"""Whether a claim may still be rebutted: a coder rebuts a claim once for each time its auditor completes it
(the first completion, or a correction), in one claim rebuttal naming every finding disputed. The revisions a
rebuttal decision makes do not open the claim again. Shared by the rebuttal itself (review/rebuttals.py) and by
publication (review/worklist.py), where a decided claim rebuttal leaves nothing to rebut, so the claim is final."""
from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING

from review.sql_files import sql

if TYPE_CHECKING:
    from review.worklist import Revision


def auditor_completed_at(revisions: Sequence[Revision], claim_rebuttals: Sequence[sqlite3.Row]) -> str | None:
    """When the auditor last completed the review: the latest completed revision no rebuttal decision made."""
    made = {r["revision"] for r in claim_rebuttals if r["revision"] is not None}
    return max((r.completed_at for r in revisions if r.status == "completed" and r.completed_at and r.revision not in made),
               default=None)


def current_claim_rebuttal(conn: sqlite3.Connection, review_id: str, revisions: Sequence[Revision]) -> sqlite3.Row | None:
    """The claim rebuttal made since the auditor last completed the review (pending or decided), if any."""
    rows = conn.execute(sql("store/claim_rebuttals_of_review"), (review_id,)).fetchall()
    last = auditor_completed_at(revisions, rows)
    return next((r for r in reversed(rows) if last is not None and r["rebutted_at"] > last), None)
