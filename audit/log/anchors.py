"""Issuing anchors: signed statements of the log's head, kept outside the machine.

Checkpoints catch a cut tail only while they survive: whoever can roll back the log and its checkpoint
folder together (a restored old backup of both, or an insider with write access to both) leaves a
shorter log that verifies. An anchor kept elsewhere (the compliance committee's minutes, a ticket, a
WORM bucket) records what the log held at that moment, the way CloudTrail's digest files do;
`verify-log --anchor FILE` proves the log still extends it. The bytes are defined in audit.log.format.
"""
from __future__ import annotations

from audit.events import AccessEvent, cli_actor
from audit.log.files import missing_log, open_log_key
from audit.log.format import Anchor, Signer, anchor_public_key, utc_now
from audit.log.identity import identity_of
from audit.log.verify import VerifyReport, verify
from audit.log.writer import AccessLog, AccessLogError
from config.paths import Paths


class AnchorRefused(Exception):
    """The log fails verification: an anchor would vouch for a log that is already damaged."""

    def __init__(self, report: VerifyReport) -> None:
        super().__init__(report.summary())
        self.report = report


def issue(paths: Paths) -> Anchor:
    """Verify the whole log, record the anchoring as an access-log event, and return a signed anchor of
    the log's head: that event itself, so the anchor also proves when it was issued and by whom.

    Raises AnchorRefused if the log fails verification, AccessLogError if the data folder holds no log
    (none is started) or the event cannot be recorded.
    """
    if problem := missing_log(paths):
        raise AccessLogError(problem)
    report = verify(paths)
    if not report.ok:
        raise AnchorRefused(report)
    log_key = open_log_key(paths)
    public_key = anchor_public_key(log_key)
    with AccessLog(paths) as log:
        head = log.append(AccessEvent(
            user=cli_actor(), role="cli", action="anchor", resource="access_log",
            purpose_of_use="HOPERAT", details={"anchor_key": public_key},
        ))
    log_id = identity_of(paths, Signer(log_key))
    if log_id is None:  # its first lines were damaged since the verification above
        raise AnchorRefused(verify(paths))
    anchor = Anchor(
        log=log_id, seq=head["seq"], hash=head["hash"], event_ts=head["ts"], issued_at=utc_now(), public_key=public_key,
    )
    return anchor.signed(log_key)
