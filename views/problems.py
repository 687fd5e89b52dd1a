"""What a user is told when something they cannot fix goes wrong (the access log, the configuration, the
key files, the store).

Those messages name folders and files on the server (the data folder, the key folder, the access log's
checkpoints). An administrator sees them in full; everyone else, a signed-out visitor included, gets a
sentence without them, and the full message goes to the server's log, where whoever runs the dashboard
reads it. Other problems (a bad filter, a refused reveal, a wrong password) are sentences meant for the
user and are shown as they are, as text.
"""
from __future__ import annotations

import logging
import secrets

from audit.log.writer import AccessLogError
from audit.permissions import Role
from config.settings import ConfigurationError
from queries.store import RealStoreMissing, StoreMissing
from views.text import md

log = logging.getLogger("codeaudit.dashboard")

# Problems whose messages may name server paths -> the sentence everyone but an administrator gets.
# Looked up with isinstance in this order (StoreMissing is an OSError).
FOR_ADMINISTRATORS: dict[type[Exception], str] = {
    AccessLogError: ("The access log cannot be written or cannot be trusted right now, so nothing can be recorded "
                     "and no data is shown. Tell your administrator: the dashboard's server log says why, and "
                     "`python manage.py verify-log` checks the log."),
    RealStoreMissing: ("The data store is missing, although real data was loaded here, so no demo is built in its "
                       "place. Tell your administrator: restore the store from backup, or `python manage.py ingest "
                       "DIR` loads the real files again."),
    StoreMissing: ("There is no data store yet. Tell your administrator: `python manage.py ingest DIR` loads one "
                   "(or `python manage.py demo`, the synthetic demo)."),
    ConfigurationError: ("The dashboard cannot run with its current settings or key files. Tell your "
                         "administrator: the dashboard's server log says why."),
    OSError: ("The dashboard cannot read or write one of its files. Tell your administrator: the dashboard's "
              "server log says why."),
}


def shown(problem: Exception, role: Role | None) -> str:
    """The Markdown to show the signed-in `role` (None: signed out) for `problem`: in full, as text, to an
    administrator and for problems meant for the user; for the others a sentence without server paths,
    the full message logged for the operator."""
    for kind, sentence in FOR_ADMINISTRATORS.items():
        if isinstance(problem, kind):
            if role is Role.ADMIN:
                return md(problem)
            log.error("%s: %s", type(problem).__name__, problem)
            return sentence
    return md(problem)


UNEXPECTED = "Something went wrong on our side and this page stopped. Nothing was changed by it."


def unexpected(problem: Exception) -> str:
    """Our own message for a failure nobody foresaw, in place of Streamlit's error box (which would show the
    error's type and offer links that send its text to search engines): a sentence for everyone, with a
    reference that finds the full traceback in the server log."""
    reference = secrets.token_hex(4)
    log.error("unexpected failure, reference %s", reference, exc_info=problem)
    return (f"{UNEXPECTED} Reload the page; if it happens again, tell your administrator the reference "
            f"{reference} (the dashboard's server log has the details).")
