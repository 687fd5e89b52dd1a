"""Demo sign-in exists only while the store holds nothing but the generated demo data."""
from __future__ import annotations

import pytest

from data.demo import build_demo
from queries.ingest import IngestError, ingest
from queries.store import demo_mode
from tests.conftest import Recorded


def test_demo_mode_ends_for_good_with_the_first_real_ingest(paths, tmp_path, write_csv):
    assert not demo_mode(paths)  # no store yet: nothing to sign in to
    build_demo(paths, n_claims=300, recorder=Recorded())
    assert demo_mode(paths)
    build_demo(paths, n_claims=300, recorder=Recorded())  # rebuilding the demo keeps demo mode
    assert demo_mode(paths)
    src = tmp_path / "real"
    write_csv(src, "claims", [{"claim_id": "R-1", "facility_id": "F", "payer": "P", "coder_id": "C", "encounter_type": "inpatient",
                               "service_date": "2025-01-01", "billed_amount": "1"}])
    ingest(src, paths, recorder=Recorded())
    assert not demo_mode(paths)
    before = paths.store.read_bytes()
    with pytest.raises(IngestError, match="holds real data: the synthetic demo is never mixed into it"):
        build_demo(paths, n_claims=300, recorder=Recorded())
    assert paths.store.read_bytes() == before
    paths.store.unlink()
    build_demo(paths, n_claims=300, recorder=Recorded())  # even a fresh demo store does not bring demo sign-in back
    assert not demo_mode(paths)
