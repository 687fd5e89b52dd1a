"""Entry point: page setup, first-start demo build, the sign-in gate, and navigation by role. Nothing else:
page scripts live in views/pages/, data access in queries/, access decisions in audit/permissions.py."""
from __future__ import annotations

import streamlit as st

from audit.log.writer import AccessLogError
from config.paths import private_by_default
from config.settings import ConfigurationError
from queries.metrics import MetricsError
from queries.store import RealDataLoaded, StoreMissing
from views import download_files, first_start, problems, second_factor, session, shell, sign_in

download_files.install()  # a deferred download's file outlives other sessions' runs until fetched
private_by_default()  # before anything is created: DuckDB, SQLite and the log write with this umask
# An emoji icon is drawn in the browser (a data: URL); a ":material/...:" page icon would be fetched from
# fonts.gstatic.com at every visit, telling Google who opens the dashboard (and the deployed CSP blocks it).
st.set_page_config(page_title="Coding audit and compliance", page_icon="📋", layout="wide")
try:
    first_start.ensure_store()
    session.enforce_policy()
    who = session.signed_in()
    if who is None or second_factor.active():  # a local account's second factor, before anything else
        if who is not None:  # the set-up screen shows a secret and recovery codes: it is signed out when idle too
            shell.idle_timer()
        st.navigation([st.Page(sign_in.render, title="Sign in", url_path="sign-in")], position="hidden").run()
    else:
        current, page = shell.navigation(who)
        scope = shell.sidebar(who, page)
        shell.record_page_view(who, page, scope)
        current.run()
except RealDataLoaded:  # a demo session met real data where it reads, before reading any: end it
    session.end_demo()
    st.rerun()
except (ConfigurationError, MetricsError, StoreMissing, AccessLogError) as problem:
    st.error(problems.shown(problem, session.role()))
except Exception as problem:  # noqa: BLE001 - anything else: our own sentence, never Streamlit's box or its links
    st.error(problems.unexpected(problem))
finally:  # also when the run stops early (st.stop, st.rerun, a newer run)
    session.run_over()
