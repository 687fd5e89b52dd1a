"""First start: with no store yet, build the synthetic demo data set through the real ingest, showing its
progress, so `streamlit run dashboard.py` on a fresh checkout opens on a working sign-in page. Never in a
data folder that held real data (its marker REAL_DATA_INGESTED): there the missing store is a problem to
report (RealStoreMissing), not a reason to build fake data.

One build in all: a session that arrives while another session of this process builds waits for it, and one
in another dashboard process waits on the store's writer lock (data.demo.build_first_demo); both then find the
store. CODEAUDIT_DEMO_CLAIMS sets the size (default 20,000 claims; tests use fewer).
"""
from __future__ import annotations

import logging
import threading

import streamlit as st

from config import settings
from data.demo import build_first_demo
from queries.store import RealStoreMissing
from views import session
from views.text import md

log = logging.getLogger("codeaudit.dashboard")


@st.cache_resource(show_spinner=False)
def _build_lock() -> threading.Lock:
    return threading.Lock()


def ensure_store() -> None:
    paths = session.paths()
    if paths.store.exists():
        return
    if paths.real_data_marker.exists():
        raise RealStoreMissing(
            f"The store {paths.store} is missing, but real data was loaded into {paths.data_dir}, so no demo is built "
            "there. Restore the store from backup (docs/SECURITY.md) or run `python manage.py ingest DIR` again.")
    st.title("Coding audit and compliance")
    st.write("First start: there is no data store yet, so the synthetic demo data set is being built. "
             "It holds fake patients only and takes a few seconds.")
    bar = st.progress(0.0, "Waiting for the build another session started")
    with _build_lock():
        if not paths.store.exists():
            claims = settings.load().demo_claims
            result = build_first_demo(paths, claims, recorder=session.record, actor=("dashboard:first-start", "system"),
                                      progress=lambda f, m: bar.progress(min(max(f, 0.0), 1.0), m))
            if result is not None and result.created_keys:
                names = ", ".join(p.name for p in result.created_keys)
                log.warning("New key files were created in %s: %s. Back them up.", paths.key_dir, names)
                session.flash("warning", f"New key files were created in the key folder (`CODEAUDIT_KEY_DIR`; the server "
                              f"log names it): {md(names)}. Back them up: without them the PHI vault cannot be read "
                              "and the access log cannot be verified.")
    st.rerun()
