"""Denials by DRG count every denied inpatient claim by its billed DRG (`claims.ms_drg`), audited or not.

A seven-claim batch through the real ingest, once per module; the expected bars are counted by hand from
the table below.
"""
from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pandas as pd
import pytest

from config.paths import Paths
from ingest.writer import ingest
from queries.metrics import Filters, denials_by, denied_claims
from queries.store import connect_read_only
from tests.conftest import Recorded

CLAIM_COLUMNS = ("claim_id", "service_date", "facility_id", "payer", "coder_id", "encounter_type", "billed_amount", "ms_drg")
CLAIMS = [
    ("D1", "2026-03-02", "F1", "Medicare", "C1", "inpatient", "9000.00", "291"),   # denied 1,000, never audited
    ("D2", "2026-03-03", "F1", "Medicare", "C1", "inpatient", "8000.00", "291"),   # not denied
    ("D3", "2026-03-04", "F1", "Medicare", "C2", "inpatient", "7000.00", "470"),   # denied 2,500, audited (DRG agreed)
    ("D4", "2026-03-05", "F1", "Medicare", "C2", "inpatient", "6000.00", ""),      # denied 400, no billed DRG
    ("D5", "2026-03-06", "F1", "Medicare", "C2", "outpatient", "500.00", "291"),   # denied 50: not inpatient
    ("D6", "2026-03-09", "F1", "Medicare", "C1", "inpatient", "5000.00", "291"),   # PR only: not a denial
    ("D7", "2026-03-10", "F1", "Medicare", "C1", "inpatient", "4000.00", "065"),   # denied 300 and 200, never audited
]
CODES = [(claim, 1, "ICD10CM_DX", "I10") for claim, *_ in CLAIMS]
FINDINGS = [("D3", "R1", "MSDRG", "470", "470", "agree", "", "")]
DENIALS = [
    ("D1", "Medicare", "CO", "16", "1000.00"),
    ("D3", "Medicare", "CO", "50", "2500.00"),
    ("D4", "Medicare", "CO", "16", "400.00"),
    ("D5", "Medicare", "CO", "16", "50.00"),
    ("D6", "Medicare", "PR", "1", "700.00"),
    ("D7", "Medicare", "CO", "4", "300.00"),
    ("D7", "Medicare", "OA", "16", "200.00"),
]
# By hand, inpatient claims with a billed DRG (D4 has none, D5 is outpatient):
#   DRG 470: D3          -> 1 claim,  1 denied, 2,500 denied,  7,000 billed
#   DRG 291: D1, D2, D6  -> 3 claims, 1 denied (D1; D6 is PR only), 1,000 denied, 22,000 billed
#   DRG 065: D7          -> 1 claim,  1 denied, 500 denied,    4,000 billed
# Denied inpatient claims with a DRG: D1, D3, D7 = 3; every one of them is in a bar.
EXPECTED = [("470", 1, 1, 2500.0, 7000.0), ("291", 3, 1, 1000.0, 22000.0), ("065", 1, 1, 500.0, 4000.0)]


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    base = tmp_path_factory.mktemp("denials-by-drg")
    paths = Paths(data_dir=base / "data", key_dir=base / "keys").ensure()
    src = base / "in"
    src.mkdir()
    findings = pd.DataFrame(FINDINGS, columns=("claim_id", "review_id", "code_type", "submitted_code", "audited_code",
                                               "finding", "error_category", "dollar_impact"))
    batch = {
        "claims": pd.DataFrame(CLAIMS, columns=CLAIM_COLUMNS),
        "claim_codes": pd.DataFrame(CODES, columns=("claim_id", "line", "code_type", "code")),
        "audit_findings": findings.assign(auditor_id="A01", review_date="2026-04-01"),
        "denials": pd.DataFrame(DENIALS, columns=("claim_id", "payer", "group_code", "carc", "denied_amount"))
                   .assign(remit_date="2026-04-15", appeal_status=""),
    }
    for table, frame in batch.items():
        frame.to_csv(src / f"{table}.csv", index=False)
    with pytest.MonkeyPatch.context() as mp:
        for var in ("CODEAUDIT_DATA_KEYS", "CODEAUDIT_PSEUDONYM_KEY", "CODEAUDIT_LOG_KEY"):
            mp.delenv(var, raising=False)
        result = ingest(src, paths, recorder=Recorded())
        assert result.rejected == dict.fromkeys(batch, 0), result.reject_samples
        connection = connect_read_only(paths)
        yield connection
        connection.close()


def test_every_denied_inpatient_claim_with_a_billed_drg_is_in_a_bar(con):
    bars = denials_by(con, Filters(), "drg")
    got = [(r.grp, r.claims, r.denied_claims, float(r.denied_amount), float(r.billed_amount)) for r in bars.itertuples()]
    assert got == EXPECTED
    assert bars["denied_claims"].sum() == 3  # D1, D3, D7


def test_a_drg_bar_drills_to_its_denied_claims_audited_or_not(con):
    assert len(denied_claims(con, Filters(), "drg", "291")) == 1          # D1 (never audited)
    assert denied_claims(con, Filters(), "drg", "065")["denied_amount"].tolist() == [500.0]
    assert denied_claims(con, Filters(), "drg", "470")["drg"].tolist() == ["470"]
