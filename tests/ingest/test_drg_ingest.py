"""Ingest of the DRG inputs and grouping at ingest: the new claim columns and their rules, the admitting
diagnosis, the age at admission computed before the date of birth is sealed (90 for 90 or older), the
grouper's results stored per claim and replaced when a claim or its codes come again, idempotency, and
the DRG weights file."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from config.paths import Paths
from ingest import reference
from ingest.writer import IngestError, ingest
from queries.sql_files import sql
from tests.conftest import Recorded

STAY = {
    "claim_id": "IP-1", "patient_dob": "1950-05-03", "facility_id": "F1", "payer": "Medicare", "coder_id": "C1",
    "encounter_type": "inpatient", "service_date": "2026-05-01", "discharge_date": "2026-05-03", "billed_amount": "9000.00",
    "ms_drg": "291", "patient_sex": "M", "discharge_status": "01",
}
DRG_TABLES = ("claim_drg", "claim_drg_cc", "claim_mce_edits")


def stay(**over: str) -> dict[str, str]:
    return {**STAY, **over}


def dx(claim_id: str, line: int, code: str, poa: str = "Y", code_type: str = "ICD10CM_DX") -> dict[str, str]:
    return {"claim_id": claim_id, "line": str(line), "code_type": code_type, "code": code, "poa": poa}


def rows(paths: Paths, query: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(paths.store), read_only=True)
    try:
        return con.execute(query, params or []).fetchall()
    finally:
        con.close()


def load(src: Path, paths: Paths, today: date = date(2026, 11, 29)) -> None:
    ingest(src, paths, recorder=Recorded(), today=today)


@pytest.fixture
def src(tmp_path: Path) -> Path:
    return tmp_path / "in"


def test_new_claim_columns_are_normalised(paths, src, write_csv):
    write_csv(src, "claims", [stay(ms_drg="65", patient_sex="f", discharge_status="1"), stay(claim_id="IP-2", ms_drg="", patient_sex="",
                                                                                           discharge_status="")])
    write_csv(src, "claim_codes", [dx("IP-1", 1, "I50.20"), dx("IP-1", 1, "R06.02", "", "ICD10CM_ADMIT")])
    load(src, paths)
    assert sorted(rows(paths, "SELECT ms_drg, patient_sex, discharge_status FROM claims"), key=repr) == [
        ("065", "F", "01"), (None, None, None)]
    assert rows(paths, "SELECT code_type, line, code FROM claim_codes WHERE code_type = 'ICD10CM_ADMIT'") == [("ICD10CM_ADMIT", 1, "R0602")]


BAD_CLAIMS = [  # (row, reason), each on its own line of one file
    (stay(claim_id="B1", ms_drg="29A"), "ms_drg '99A' is not an MS-DRG number (1 to 3 digits, e.g. 291)"),
    (stay(claim_id="B2", ms_drg="1234"), "ms_drg '9999' is not an MS-DRG number (1 to 3 digits, e.g. 291)"),
    (stay(claim_id="B3", ms_drg="0"), "ms_drg '9' is not an MS-DRG number (1 to 3 digits, e.g. 291)"),
    (stay(claim_id="B4", patient_sex="X"), "patient_sex 'A' is not one of M, F, U (or blank)"),
    (stay(claim_id="B5", discharge_status="123"), "discharge_status '999' is not a two-digit UB-04 patient discharge status (e.g. 01)"),
    (stay(claim_id="B6", discharge_status="home"), "discharge_status 'aaaa' is not a two-digit UB-04 patient discharge status (e.g. 01)"),
]


def test_claim_rules_for_the_drg_columns(paths, src, write_csv):
    write_csv(src, "claims", [stay(claim_id="OK"), *(row for row, _ in BAD_CLAIMS)])
    result = ingest(src, paths, recorder=Recorded(), today=date(2026, 11, 29))
    assert (result.accepted["claims"], result.rejected["claims"]) == (1, len(BAD_CLAIMS))
    assert rows(paths, "SELECT line, reason FROM rejects ORDER BY line") == [(line, reason) for line, (_, reason) in enumerate(BAD_CLAIMS, 3)]


def test_one_admitting_diagnosis_per_claim(paths, src, write_csv):
    write_csv(src, "claims", [stay()])
    write_csv(src, "claim_codes", [dx("IP-1", 1, "R0602", "", "ICD10CM_ADMIT"), dx("IP-1", 2, "R079", "", "ICD10CM_ADMIT")])
    load(src, paths)
    assert rows(paths, "SELECT line, reason FROM rejects") == [(3, "line must be 1 for ICD10CM_ADMIT: a claim has one admitting diagnosis")]


AGES = [  # (date of birth, admission, age kept)
    ("1950-05-03", "2026-05-01", 75),   # birthday two days after admission: not 76 yet
    ("1950-05-01", "2026-05-01", 76),   # admitted on the birthday
    ("2000-02-29", "2025-02-28", 24),   # born on a leap day: a year older on March 1 in other years
    ("2000-02-29", "2025-03-01", 25),
    ("1936-05-02", "2026-05-01", 89),
    ("1936-05-01", "2026-05-01", 90),
    ("1920-01-01", "2026-05-01", 90),   # 106: kept as 90, "90 or older"
]


def test_age_at_admission_is_kept_and_top_coded_at_90(paths, src, write_csv):
    write_csv(src, "claims", [stay(claim_id=f"A{i}", patient_dob=dob, service_date=service, discharge_date=service, billed_amount=f"{i}.00")
                              for i, (dob, service, _) in enumerate(AGES)])
    load(src, paths)
    assert rows(paths, "SELECT patient_age FROM claims ORDER BY billed_amount") == [(age,) for _, _, age in AGES]


def test_a_later_row_without_the_date_of_birth_keeps_the_age_from_the_vault(paths, src, tmp_path, write_csv):
    write_csv(src, "claims", [stay()])
    load(src, paths)
    later = tmp_path / "later"
    write_csv(later, "claims", [stay(patient_dob="", service_date="2026-06-01", discharge_date="2026-06-02")])
    load(later, paths)
    assert rows(paths, "SELECT patient_age, service_date FROM claims") == [(76, date(2026, 6, 1))]  # 1950-05-03 -> 76 by June


def test_no_date_of_birth_no_age(paths, src, write_csv):
    write_csv(src, "claims", [stay(patient_dob="")])
    write_csv(src, "claim_codes", [dx("IP-1", 1, "I5020")])
    load(src, paths)
    assert rows(paths, "SELECT patient_age FROM claims") == [(None,)]
    assert rows(paths, "SELECT grouped_drg, ungroupable_reason FROM claim_drg") == [
        (None, "patient age (patient_dob) not given: the grouper needs it")]


def test_inpatient_claims_are_grouped_and_edited_at_ingest(paths, src, write_csv):
    write_csv(src, "claims", [stay(), stay(claim_id="IP-2", ms_drg="293"), stay(claim_id="OP-1", encounter_type="outpatient")])
    write_csv(src, "claim_codes", [dx("IP-1", 1, "I50.20"), dx("IP-1", 2, "E11.65"), dx("IP-1", 3, "N17.0"), dx("IP-1", 4, "E87.1"),
                                   dx("IP-2", 1, "V00.01XA"), dx("OP-1", 1, "I50.20")])
    load(src, paths)
    drg = {r[0]: r[1:] for r in rows(paths, "SELECT c.ms_drg, g.grouper_version, g.fiscal_year, g.grouped_drg, g.grouped_mdc, "
                                            "g.drg_family, g.return_code, g.severity_split, g.cc_mcc_sdx, g.cc_mcc_affecting, "
                                            "g.mce_edit_type FROM claim_drg AS g JOIN claims AS c USING (claim_key)")}
    assert drg == {"291": (431, 2026, "291", 5, "291", "OK", True, 2, 1, "NONE"),
                   "293": (431, 2026, "999", 0, None, "DX_CANNOT_BE_PDX", False, 0, 0, "PREPAYMENT")}  # the outpatient claim is not grouped
    assert sorted(rows(paths, "SELECT line, code, severity, affects_final_drg, excluded FROM claim_drg_cc")) == [
        (3, "N170", "MCC", True, False), (4, "E871", "CC", False, False)]
    assert rows(paths, "SELECT edit, code_type, edit_type, codes FROM claim_mce_edits") == [("E_CODE_AS_PDX", "DIAGNOSIS", "PREPAYMENT", 1)]


def test_codes_loaded_later_regroup_the_claim_and_a_claim_no_longer_inpatient_loses_its_result(paths, src, tmp_path, write_csv):
    write_csv(src, "claims", [stay()])
    write_csv(src, "claim_codes", [dx("IP-1", 1, "I5020")])
    load(src, paths)
    assert rows(paths, "SELECT grouped_drg FROM claim_drg") == [("293",)]
    codes_only = tmp_path / "codes"
    write_csv(codes_only, "claim_codes", [dx("IP-1", 2, "N170")])  # a claim stored earlier gets an MCC
    load(codes_only, paths)
    assert rows(paths, "SELECT grouped_drg FROM claim_drg") == [("291",)]
    outpatient = tmp_path / "outpatient"
    write_csv(outpatient, "claims", [stay(encounter_type="outpatient")])
    load(outpatient, paths)
    assert [rows(paths, f"SELECT count(*) FROM {t}") for t in DRG_TABLES] == [[(0,)]] * 3


def test_repeated_ingest_leaves_the_drg_results_as_they_were(paths, src, write_csv):
    write_csv(src, "claims", [stay(), stay(claim_id="IP-2")])
    write_csv(src, "claim_codes", [dx("IP-1", 1, "I5020"), dx("IP-1", 2, "N170"), dx("IP-2", 1, "V0001XA")])
    load(src, paths)
    first = {t: sorted(rows(paths, f"SELECT * FROM {t}"), key=repr) for t in (*DRG_TABLES, "claims", "drg_weights")}
    load(src, paths)
    assert {t: sorted(rows(paths, f"SELECT * FROM {t}"), key=repr) for t in first} == first


def test_a_store_from_before_grouping_is_grouped_at_its_next_ingest(paths, src, tmp_path, write_csv):
    write_csv(src, "claims", [stay()])
    write_csv(src, "claim_codes", [dx("IP-1", 1, "I5020")])
    load(src, paths)
    con = duckdb.connect(str(paths.store))
    con.execute("DELETE FROM claim_drg")  # as a store written before grouping existed
    con.close()
    other = tmp_path / "other"
    write_csv(other, "claims", [stay(claim_id="OTHER", encounter_type="professional")])
    load(other, paths)
    assert rows(paths, "SELECT grouped_drg FROM claim_drg") == [("293",)]


def weights_file(tmp_path: Path, text: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "drg_weights.csv"
    path.write_text(text)
    monkeypatch.setattr(reference, "DRG_WEIGHTS_FILE", path)
    return path


def test_weights_are_loaded_from_the_users_file(paths, src, tmp_path, write_csv, monkeypatch):
    weights_file(tmp_path, "drg,fiscal_year,weight\n291,2026,1.3412\n65,2026,0.9\n", monkeypatch)
    write_csv(src, "claims", [stay()])
    load(src, paths)
    assert sorted(rows(paths, "SELECT drg, fiscal_year, CAST(weight AS DOUBLE), synthetic FROM drg_weights")) == [
        ("065", 2026, 0.9, False), ("291", 2026, 1.3412, False)]


@pytest.mark.parametrize(("text", "message"), [
    ("drg,year,weight\n291,2026,1.3\n", "the header must be exactly drg,fiscal_year,weight"),
    ("drg,fiscal_year,weight\n291,2026,1.3\n2910,2026,1.3\n", "line 3: drg '2910' is not an MS-DRG number"),
    ("drg,fiscal_year,weight\n291,26,1.3\n", "line 2: fiscal_year '26' is not a year such as 2026"),
    ("drg,fiscal_year,weight\n291,2026,-1\n", "line 2: weight '-1' is not a positive decimal"),
    ("drg,fiscal_year,weight\n291,2026,1.3\n291,2026,1.4\n", "line 2: DRG 291 has more than one weight for fiscal year 2026"),
])
def test_a_bad_weights_file_is_refused_naming_the_line(tmp_path, text, message):
    path = tmp_path / "drg_weights.csv"
    path.write_text(text)
    con = duckdb.connect()
    con.execute(sql("schema"))
    with pytest.raises(IngestError, match=message):
        reference.load_drg_weights(con, path)


def test_a_bad_weights_file_refuses_the_ingest(paths, src, tmp_path, write_csv, monkeypatch):
    weights_file(tmp_path, "drg,fiscal_year,weight\n291,2026,heavy\n", monkeypatch)
    write_csv(src, "claims", [stay()])
    with pytest.raises(IngestError, match="drg_weights.csv line 2: weight 'heavy' is not a positive decimal"):
        load(src, paths)
    assert not paths.store.exists()
