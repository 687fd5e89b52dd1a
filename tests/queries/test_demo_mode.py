"""Demo sign-in exists only while the store holds nothing but the generated demo data; the first real
ingest replaces the demo (never mixes with it), and no demo is ever built where real data was."""
from __future__ import annotations

import pytest

from data.demo import build_demo
from ingest.writer import IngestError, ingest
from queries import store
from queries.store import connect_read_only, demo_mode
from tests.conftest import Recorded


def _stored(paths, query: str) -> list[tuple]:
    con = connect_read_only(paths)
    try:
        return con.execute(query).fetchall()
    finally:
        con.close()


def test_first_real_ingest_replaces_the_demo_and_demo_mode_ends_for_good(paths, tmp_path, write_csv):
    assert not demo_mode(paths)  # no store yet: nothing to sign in to
    build_demo(paths, n_claims=300, recorder=Recorded())
    assert demo_mode(paths)
    build_demo(paths, n_claims=300, recorder=Recorded())  # rebuilding the demo keeps demo mode
    assert demo_mode(paths)
    src = tmp_path / "real"
    write_csv(src, "claims", [{"claim_id": "R-1", "facility_id": "F", "payer": "P", "coder_id": "C", "encounter_type": "inpatient",
                               "service_date": "2025-01-01", "billed_amount": "1"}])
    events = Recorded()
    result = ingest(src, paths, recorder=events)
    assert not demo_mode(paths)
    assert result.replaced_demo and events[0].details["replaced"] == "demo"
    # Only the real claim: no demo claim, vault value, reject or run is left beside it.
    assert _stored(paths, "SELECT count(*) FROM claims") == [(1,)]
    assert _stored(paths, "SELECT count(DISTINCT claim_key) FROM phi_vault") == [(1,)]
    assert _stored(paths, "SELECT count(*) FROM rejects") == [(0,)]
    assert _stored(paths, "SELECT source FROM ingest_runs") == [("real",)]
    again = Recorded()
    assert not ingest(src, paths, recorder=again).replaced_demo and "replaced" not in again[0].details
    before = paths.store.read_bytes()
    with pytest.raises(IngestError, match="holds real data: the synthetic demo is never mixed into it"):
        build_demo(paths, n_claims=300, recorder=Recorded())
    assert paths.store.read_bytes() == before


def test_no_demo_is_built_where_real_data_was_even_with_the_store_gone(paths):
    paths.real_data_marker.touch()  # a real ingest ran here; the store has since been lost
    with pytest.raises(IngestError, match="real data was loaded into .* the synthetic demo is never built there"):
        build_demo(paths, n_claims=300, recorder=Recorded())
    assert not paths.store.exists() and not demo_mode(paths)


def test_demo_mode_opens_a_store_file_once_and_each_new_one_again(paths, monkeypatch):
    build_demo(paths, n_claims=300, recorder=Recorded())
    store._store_holds_only_demo.cache_clear()
    opened = []
    attached = store._attached
    monkeypatch.setattr(store, "_attached", lambda p: opened.append(p) or attached(p))
    assert demo_mode(paths) and demo_mode(paths) and demo_mode(paths)
    assert len(opened) == 1
    build_demo(paths, n_claims=310, recorder=Recorded())  # a new file swapped in: asked again
    assert demo_mode(paths) and len(opened) == 2
    paths.real_data_marker.touch()  # the marker decides at once, whatever was remembered
    assert not demo_mode(paths)
