"""The access event: who did what, to which resource, why, and with what outcome."""
from __future__ import annotations

import getpass
import os
from dataclasses import dataclass, field
from typing import Any

# Actions recorded in the access log. Keep this list in step with docs/SECURITY.md.
ACTIONS = (
    "sign_in", "sign_in_failed", "sign_out", "timeout",
    "page_view", "phi_reveal", "break_glass_review", "export",
    "user_add", "user_disable", "user_reset_password", "user_unlock",
    "key_rotate", "ingest", "anchor", "restore",
    "sample_draw", "sample_complete", "review_complete", "review_correct", "rebuttal", "rebuttal_decision",
    "sample_void", "sample_replace",
    "sample_report",
    "finding_notes_reveal",
    "mfa_enrol", "mfa_reset", "mfa_recovery_code", "mfa_failed",
)
OUTCOMES = ("success", "failure", "denied")


@dataclass(frozen=True)
class AccessEvent:
    """One auditable act. Never put PHI values here: claim keys are pseudonyms, fields are names."""

    user: str
    role: str
    action: str
    outcome: str = "success"
    resource: str = ""
    claim_keys: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()
    purpose_of_use: str = ""
    justification: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError(f"unknown access-log action {self.action!r}; expected one of {', '.join(ACTIONS)}")
        if self.outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {self.outcome!r}; expected one of {', '.join(OUTCOMES)}")


def cli_actor() -> str:
    """Who ran a command-line change: the OS account, prefixed so it never reads as a dashboard user."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name in the environment or the password database
        return f"cli:uid{os.getuid()}"
