"""The Peer percentiles page in a real browser, walked as a coding manager and as a compliance officer: the
threshold is stated, a flagged coder is charted first with the 20th and 80th percentile lines, choosing another
coder redraws the chart for them, and the compare-targets table downloads as a CSV whose export is logged first."""
from __future__ import annotations

import re

from audit.log.read import read_events
from audit.permissions import Page, Role
from config import settings
from queries import peers
from queries.store import connect_read_only
from tests.e2e.harness import rerun_by
from tests.e2e.test_browser import (
    assert_clean,
    assert_reads_in_words,
    assert_shows_its_content,
    chart_texts,
    choose_option,
    open_page,
    screenshot,
    sign_in,
)
from tests.views.test_peer_percentiles_page import opening_scope


def download_csv(page, expander: str, purpose: str) -> str:
    """Open the CSV expander, say where the file goes, download it; the file's text."""
    page.get_by_text(expander).click()  # opening an expander reruns nothing
    section = page.locator('[data-testid="stExpander"]').filter(has_text=expander)
    rerun_by(page, lambda: section.get_by_text(purpose).click())
    with page.expect_download() as download:
        section.get_by_role("button", name="Download CSV").click()
    return open(download.value.path()).read()


def test_a_coding_manager_compares_coders_and_downloads_the_table(demo_server, browser, monkeypatch):
    context, page = sign_in(browser, demo_server.url, Role.CODING_MANAGER, accept_downloads=True)
    open_page(page, Page.PEER_PERCENTILES)
    assert_clean(page)
    assert_shows_its_content(page, Page.PEER_PERCENTILES, Role.CODING_MANAGER)
    assert_reads_in_words(page)
    main = page.locator('[data-testid="stMain"]').inner_text()
    least = settings.load({}).peer_min_volume
    assert f"least {least:,} in the measure's denominator" in main and "80th percentile" in main

    monkeypatch.setenv("CODEAUDIT_KEY_DIR", str(demo_server.paths.key_dir))
    con = connect_read_only(demo_server.paths)
    try:
        everyone = peers.percentiles(con, opening_scope(con), "coder", least)
    finally:
        con.close()
    texts = chart_texts(page)
    charted = next(t for t in texts if t.startswith("Coder ") and ": percentile among coders" in t)
    first = charted.split(":")[0].removeprefix("Coder ")
    assert first == peers.flagged_peers(everyone)["peer"].iloc[0]  # the coder flagged on most measures comes first
    assert any(t.startswith("80th") for t in texts) and any(t.startswith("20th") for t in texts)
    assert any(re.match(r"percentile \d+\.\d: \d+\.\d% \([\d,]+ of [\d,]+\)$", t) for t in texts)  # percentile, rate, counts
    other = next(p for p in sorted(everyone["peer"].unique()) if p != first)
    choose_option(page, "Coder to compare", other)
    assert_clean(page)
    assert f"Coder {other}: percentile among coders on each measure" in chart_texts(page)
    screenshot(page, "coding_manager-peer_percentiles")

    body = download_csv(page, "CSV: peer percentiles of coders", "Use inside the organisation")
    assert body.startswith("coder_id,measure,numerator,denominator,rate,percentile,flag")
    assert body.count("\n") == len(everyone) + 1 and "Within its peers" in body
    event = read_events(demo_server.paths, action="export", limit=1)[0]
    assert (event["user"], event["resource"], event["details"]["purpose"]) == (
        "demo:coding_manager", "csv:peer-percentiles-coder", "internal")
    context.close()


def test_a_compliance_officer_sees_coders_and_facilities_and_an_external_file_is_suppressed(demo_server, browser, monkeypatch):
    context, page = sign_in(browser, demo_server.url, Role.COMPLIANCE_OFFICER, accept_downloads=True)
    open_page(page, Page.PEER_PERCENTILES)
    assert_clean(page)
    assert_shows_its_content(page, Page.PEER_PERCENTILES, Role.COMPLIANCE_OFFICER)
    texts = chart_texts(page)
    assert any(t.startswith("Facility ") and ": percentile among facilities" in t for t in texts)
    screenshot(page, "compliance_officer-peer_percentiles")
    body = download_csv(page, "CSV: peer percentiles of facilities", "A report that leaves the organisation")
    assert body.startswith("facility_id,measure,") and "FAC-NORTH" in body
    monkeypatch.setenv("CODEAUDIT_KEY_DIR", str(demo_server.paths.key_dir))
    event = read_events(demo_server.paths, action="export", limit=1)[0]
    assert (event["user"], event["resource"], event["details"]["purpose"], event["details"]["small_cells"]) == (
        "demo:compliance_officer", "csv:peer-percentiles-facility", "external", "suppressed")
    context.close()
