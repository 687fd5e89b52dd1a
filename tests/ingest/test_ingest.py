"""Ingest: every reject rule, normalisation, all-or-nothing writes, idempotency."""
from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from audit.keys import KeyProblem, load_data_keyring, load_pseudonym_key
from audit.vault import DecryptionError, PhiVault
from config.paths import Paths
from ingest import writer as ingest_module
from ingest.writer import IngestError, ingest
from tests.conftest import Recorded

CLAIM = {
    "claim_id": "CLM-1", "patient_mrn": "MRN-0001", "patient_name": "Ada Test", "patient_dob": "1960-02-03",
    "patient_zip": "02139", "facility_id": "F1", "payer": "Medicare", "coder_id": "C1",
    "encounter_type": "inpatient", "service_date": "2025-01-10", "discharge_date": "2025-01-12", "billed_amount": "1000.00",
}


def claim(**over: str) -> dict[str, str]:
    return {**CLAIM, **over}


def code(**over: str) -> dict[str, str]:
    return {"claim_id": "CLM-1", "line": "1", "code_type": "ICD10CM_DX", "code": "E11.9", "poa": "Y", "modifiers": "", "units": "", **over}


def finding(**over: str) -> dict[str, str]:
    return {"claim_id": "CLM-1", "review_id": "R1", "auditor_id": "A1", "review_date": "2025-02-01", "code_type": "ICD10CM_DX",
            "submitted_code": "E11.9", "audited_code": "E11.9", "finding": "agree", "error_category": "", "dollar_impact": "0", **over}


def denial(**over: str) -> dict[str, str]:
    return {"claim_id": "CLM-1", "payer": "Medicare", "remit_date": "2025-02-10", "group_code": "CO", "carc": "16",
            "rarc": "M81", "denied_amount": "100.00", "appeal_status": "", **over}


def rows(paths: Paths, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(paths.store), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def rejects(paths: Paths, file: str) -> list[tuple[int, str]]:
    return rows(paths, "SELECT line, reason FROM rejects WHERE file = ? ORDER BY line", [file])


@pytest.fixture
def src(tmp_path: Path) -> Path:
    return tmp_path / "in"


def test_good_batch_is_normalised(paths, src, write_csv):
    write_csv(src, "claims", [claim(encounter_type=" Inpatient ", facility_id="  F1 ")])
    write_csv(src, "claim_codes", [code(code=" e11.9 "), code(line="2", code="I10", poa="n"), code(code_type="cpt", code="99213", poa="", units="2")])
    write_csv(src, "audit_findings", [finding(submitted_code="e119", audited_code="E11.9")])
    write_csv(src, "denials", [denial(group_code="co")])
    result = ingest(src, paths, recorder=Recorded())
    assert result.counts() == {
        "accepted": {"claims": 1, "claim_codes": 3, "audit_findings": 1, "denials": 1},
        "rejected": {"claims": 0, "claim_codes": 0, "audit_findings": 0, "denials": 0},
    }
    assert rows(paths, "SELECT facility_id, encounter_type, CAST(billed_amount AS VARCHAR) FROM claims") == [("F1", "inpatient", "1000.00")]
    assert rows(paths, "SELECT code_type, line, code, poa, units FROM claim_codes ORDER BY code_type, line") == [
        ("CPT", 1, "99213", None, 2), ("ICD10CM_DX", 1, "E119", "Y", None), ("ICD10CM_DX", 2, "I10", "N", None)]
    assert rows(paths, "SELECT submitted_code, audited_code, finding FROM audit_findings") == [("E119", "E119", "agree")]
    assert rows(paths, "SELECT group_code, carc, rarc FROM denials") == [("CO", "16", "M81")]


def test_claim_key_is_keyed_hmac_of_claim_id(paths, src, write_csv):
    write_csv(src, "claims", [claim()])
    ingest(src, paths, recorder=Recorded())
    key = load_pseudonym_key(paths.key_dir)
    expected = hmac.new(key, b"claim_id|CLM-1", hashlib.sha256).hexdigest()[:24]
    assert rows(paths, "SELECT claim_key FROM claims") == [(expected,)]


CLAIM_RULES = [
    (claim(claim_id=""), "claim_id is missing"),
    (claim(facility_id=" "), "facility_id is missing"),
    (claim(payer=""), "payer is missing"),
    (claim(coder_id=""), "coder_id is missing"),
    (claim(encounter_type="emergency"), "encounter_type 'aaaaaaaaa' is not one of inpatient, outpatient, professional"),
    (claim(service_date="2025-02-30"), "service_date '9999-99-99' is not a date (YYYY-MM-DD)"),
    (claim(service_date="01/10/2025"), "service_date '99/99/9999' is not a date (YYYY-MM-DD)"),
    (claim(discharge_date="2025-01-09"), "discharge_date is before service_date"),
    (claim(billed_amount="-5"), "billed_amount '-9' is not a decimal >= 0 with at most 2 decimals (e.g. 1250.00)"),
    (claim(billed_amount="10.005"), "billed_amount '99.999' is not a decimal >= 0 with at most 2 decimals (e.g. 1250.00)"),
    (claim(billed_amount=""), "billed_amount is missing (a decimal >= 0, e.g. 1250.00)"),
    (claim(paid_amount="-1"), "paid_amount '-9' is not a decimal >= 0 with at most 2 decimals (e.g. 980.00; blank when not known)"),
    (claim(paid_amount="1,000"), "paid_amount '9,999' is not a decimal >= 0 with at most 2 decimals (e.g. 980.00; blank when not known)"),
    (claim(allowed_amount="9.999"), "allowed_amount '9.999' is not a decimal >= 0 with at most 2 decimals (e.g. 1100.00; blank when not known)"),
    (claim(allowed_amount="1000.01"), "allowed_amount is more than billed_amount: a payer allows at most what was billed, unless the "
                                      "claim is paid by its DRG (an inpatient claim with an ms_drg)"),
    (claim(allowed_amount="800", paid_amount="800.01"),
     "paid_amount is more than allowed_amount: a payer pays at most what it allowed (the rest is patient responsibility)"),
    (claim(paid_amount="1000.01"), "paid_amount is more than billed_amount: a payer pays at most what was billed, unless the claim "
                                   "is paid by its DRG (an inpatient claim with an ms_drg)"),
    (claim(encounter_type="outpatient", ms_drg="291", allowed_amount="1200"),
     "allowed_amount is more than billed_amount: a payer allows at most what was billed, unless the claim is paid by its DRG "
     "(an inpatient claim with an ms_drg)"),
    (claim(patient_dob="1960-13-01"), "patient_dob is not a date (YYYY-MM-DD); the value is not shown because it is PHI"),
    (claim(patient_zip="ABCDE"), "patient_zip is not a 5-digit or ZIP+4 code; the value is not shown because it is PHI"),
]


@pytest.mark.parametrize(("bad", "reason"), CLAIM_RULES)
def test_claim_rules(rule_batch, bad, reason):
    rule_batch.assert_rejected("claims", CLAIM_RULES.index((bad, reason)), reason)


def test_paid_and_allowed_amounts_are_optional_and_kept_to_the_cent(paths, src, write_csv):
    """Blank means not known (or not yet paid); a DRG-paid claim may be allowed and paid more than its charges."""
    write_csv(src, "claims", [
        claim(claim_id="PAID", allowed_amount=" 800.5 ", paid_amount="640"),
        claim(claim_id="BLANK", allowed_amount="", paid_amount=""),
        claim(claim_id="PAID-ONLY", paid_amount="1000.00"),
        claim(claim_id="DRG", ms_drg="291", allowed_amount="9750.00", paid_amount="8074.00"),
    ])
    result = ingest(src, paths, recorder=Recorded())
    assert (result.accepted["claims"], result.rejected["claims"]) == (4, 0)
    got = rows(paths, "SELECT CAST(allowed_amount AS VARCHAR), CAST(paid_amount AS VARCHAR) FROM claims ORDER BY paid_amount NULLS FIRST")
    assert got == [(None, None), ("800.50", "640.00"), (None, "1000.00"), ("9750.00", "8074.00")]
    assert rows(paths, "SELECT count(*) FROM claim_facts WHERE paid_amount IS NOT NULL") == [(3,)]


def test_a_claims_file_without_the_payment_columns_still_loads(paths, src, write_csv):
    write_csv(src, "claims", [claim()])
    assert "paid_amount" not in (src / "claims.csv").read_text().splitlines()[0]
    assert ingest(src, paths, recorder=Recorded()).accepted["claims"] == 1
    assert rows(paths, "SELECT paid_amount, allowed_amount FROM claims") == [(None, None)]


def test_duplicate_claim_first_row_wins(paths, src, write_csv):
    write_csv(src, "claims", [claim(), claim(payer="Other"), claim(claim_id="CLM-2")])
    result = ingest(src, paths, recorder=Recorded())
    assert (result.accepted["claims"], result.rejected["claims"]) == (2, 1)
    assert rejects(paths, "claims.csv") == [(3, "duplicate claim_id: line 2 of this file has the same claim_id and wins")]
    assert sorted(r[0] for r in rows(paths, "SELECT payer FROM claims")) == ["Medicare", "Medicare"]


CODE_RULES = [
    (code(line="0"), "line '9' is not a whole number >= 1"),
    (code(line="x"), "line 'a' is not a whole number >= 1"),
    (code(code_type="LOINC"), "code_type 'AAAAA' is not one of ICD10CM_DX, ICD10CM_ADMIT, ICD10PCS, CPT, HCPCS"),
    (code(code=""), "code is missing"),
    (code(code="E11-9"), "code 'A99-9' has characters other than letters, digits and dots"),
    (code(poa="Q"), "poa 'A' is not one of Y, N, U, W, 1 (or blank)"),
    (code(units="0"), "units '9' is not a whole number >= 1"),
    (code(claim_id="NOPE"), "unknown claim_id: it is neither in this batch's claims file nor already stored"),
    (code(claim_id="BAD-1"), "claim_id refers to a claims row that was rejected in this batch"),
    (code(), "duplicate code line: line 2 of this file already gives this code_type and line for this claim"),
]


@pytest.mark.parametrize(("bad", "reason"), CODE_RULES)
def test_claim_code_rules(rule_batch, bad, reason):
    rule_batch.assert_rejected("claim_codes", CODE_RULES.index((bad, reason)), reason)


def test_invalid_and_header_icd_codes_are_accepted(paths, src, write_csv):
    write_csv(src, "claims", [claim()])
    write_csv(src, "claim_codes", [code(code="E11"), code(line="2", code="ZZZ999")])
    result = ingest(src, paths, recorder=Recorded())
    assert result.accepted["claim_codes"] == 2 and result.rejected["claim_codes"] == 0


FINDING_RULES = [
    (finding(review_id=""), "review_id is missing"),
    (finding(auditor_id=""), "auditor_id is missing"),
    (finding(review_date="2025-02-31"), "review_date '9999-99-99' is not a date (YYYY-MM-DD)"),
    (finding(code_type="DRG"), "code_type 'AAA' is not one of ICD10CM_DX, ICD10CM_ADMIT, ICD10PCS, CPT, HCPCS, MSDRG"),
    (finding(finding="maybe"), "finding 'aaaaa' is not one of agree, revise, add, delete"),
    (finding(audited_code="E11.65"), "finding agree but submitted_code differs from audited_code: use revise"),
    (finding(audited_code=""), "finding agree needs both submitted_code and audited_code"),
    (finding(finding="revise", error_category="specificity"), "finding revise but submitted_code and audited_code are the same: use agree"),
    (finding(finding="revise", audited_code="", error_category="specificity"), "finding revise needs both submitted_code and audited_code"),
    (finding(finding="add", error_category="missing_code"), "finding add needs audited_code only (submitted_code must be blank)"),
    (finding(finding="delete", error_category="unsupported_code"), "finding delete needs submitted_code only (audited_code must be blank)"),
    (finding(error_category="specificity"), "error_category 'aaaaaaaaaaa' must be blank when finding is agree"),
    (finding(finding="revise", audited_code="E11.65"), "error_category is missing for finding revise (specificity, wrong_code, sequencing, missing_code, unsupported_code, modifier, poa, drg or other)"),
    (finding(finding="revise", audited_code="E11.65", error_category="typo"), "error_category 'aaaa' is not one of specificity, wrong_code, sequencing, missing_code, unsupported_code, modifier, poa, drg, other"),
    (finding(dollar_impact="12,50"), "dollar_impact '99,99' is not a signed decimal with at most 2 decimals (negative = overpaid)"),
    (finding(claim_id="NOPE"), "unknown claim_id: it is neither in this batch's claims file nor already stored"),
    (finding(), "duplicate finding: line 2 of this file has the same review_id, code_type and codes for this claim"),
]


@pytest.mark.parametrize(("bad", "reason"), FINDING_RULES)
def test_finding_rules(rule_batch, bad, reason):
    rule_batch.assert_rejected("audit_findings", FINDING_RULES.index((bad, reason)), reason)


def test_each_finding_kind_is_accepted(paths, src, write_csv):
    write_csv(src, "claims", [claim()])
    write_csv(src, "audit_findings", [
        finding(),
        finding(submitted_code="I10", audited_code="I11.9", finding="revise", error_category="wrong_code", dollar_impact="-120.50"),
        finding(submitted_code="", audited_code="Z79.4", finding="add", error_category="missing_code", dollar_impact="+35"),
        finding(submitted_code="R51.9", audited_code="", finding="delete", error_category="unsupported_code"),
        finding(code_type="MSDRG", submitted_code="637", audited_code="638", finding="revise", error_category="drg", dollar_impact="-2500"),
        finding(code_type="ICD10CM_ADMIT", submitted_code="R06.02", audited_code="R07.9", finding="revise", error_category="wrong_code"),
    ])
    assert ingest(src, paths, recorder=Recorded()).accepted["audit_findings"] == 6
    assert rows(paths, "SELECT CAST(sum(dollar_impact) AS VARCHAR) FROM audit_findings") == [("-2585.50",)]


DENIAL_RULES = [
    (denial(group_code="XX"), "group_code 'AA' is not one of CO, PR, OA, PI, CR"),
    (denial(carc=""), "carc is missing (the claim adjustment reason code, e.g. 16)"),
    (denial(carc="16-1"), "carc '99-9' is not a reason code (1 to 5 letters or digits)"),
    (denial(denied_amount="-1"), "denied_amount '-9' is not a decimal >= 0 with at most 2 decimals"),
    (denial(appeal_status="won"), "appeal_status 'aaa' is not one of pending, overturned, upheld (or blank)"),
    (denial(remit_date=""), "remit_date is missing (YYYY-MM-DD)"),
    (denial(payer=""), "payer is missing"),
    (denial(claim_id="NOPE"), "unknown claim_id: it is neither in this batch's claims file nor already stored"),
]


@pytest.mark.parametrize(("bad", "reason"), DENIAL_RULES)
def test_denial_rules(rule_batch, bad, reason):
    rule_batch.assert_rejected("denials", DENIAL_RULES.index((bad, reason)), reason)


@dataclass(frozen=True)
class RuleBatch:
    """The counts and the rejects of one ingest of every rule case (see `rule_batch`)."""

    counts: dict[str, dict[str, int]]
    rejects: dict[str, dict[int, str]]  # file -> line -> reason

    def assert_rejected(self, table: str, case: int, reason: str) -> None:
        """Case `case` of `table`'s rule table is rejected on its own line with exactly `reason`, and the
        good row its case was written against (line 2) is accepted."""
        line = FIRST_CASE_LINE[table] + case
        assert self.rejects[f"{table}.csv"].get(line) == reason
        assert 2 not in self.rejects[f"{table}.csv"]


RULE_TABLES = {"claims": CLAIM_RULES, "claim_codes": CODE_RULES, "audit_findings": FINDING_RULES, "denials": DENIAL_RULES}
# Each file of the rule batch: the header, the good row every case of its table was written against (line 2),
# for claims also a claim rejected in this batch (line 3, which a code case refers to), then the cases' bad
# rows in table order. Every rule takes precedence over the duplicate rules, so a bad row that repeats the
# good row's claim_id or code line is still rejected for its own rule, as it was when ingested alone.
GOOD_ROWS = {"claims": [claim(), claim(claim_id="BAD-1", service_date="x")], "claim_codes": [code()],
             "audit_findings": [finding()], "denials": [denial()]}
FIRST_CASE_LINE = {table: 2 + len(good) for table, good in GOOD_ROWS.items()}


@pytest.fixture(scope="module")
def rule_batch(tmp_path_factory: pytest.TempPathFactory) -> RuleBatch:
    """Every case of the four rule tables in one batch, loaded by one real ingest into a store of this
    module's own, so each case reads its reason from its own line instead of running an ingest of its own."""
    from tests.conftest import write_csv_file

    root = tmp_path_factory.mktemp("rule-batch")
    paths = Paths(data_dir=root / "data", key_dir=root / "keys").ensure()
    src = root / "in"
    for table, cases in RULE_TABLES.items():
        write_csv_file(src, table, GOOD_ROWS[table] + [bad for bad, _ in cases])
    with pytest.MonkeyPatch.context() as env:
        for var in ("CODEAUDIT_DATA_KEYS", "CODEAUDIT_PSEUDONYM_KEY", "CODEAUDIT_LOG_KEY"):
            env.delenv(var, raising=False)
        result = ingest(src, paths, recorder=Recorded())
    found: dict[str, dict[int, str]] = {f"{table}.csv": {} for table in RULE_TABLES}
    for file, line, reason in rows(paths, "SELECT file, line, reason FROM rejects"):
        assert line not in found[file], f"{file} line {line} is rejected twice"
        found[file][line] = reason
    return RuleBatch(result.counts(), found)


def test_the_rule_batch_rejects_each_case_and_nothing_else(rule_batch):
    """One good row accepted per file, every case's bad row rejected (and claims line 3, the claim rejected
    on purpose), and no other reject: the cases do not disturb one another in the shared batch."""
    assert rule_batch.counts == {
        "accepted": dict.fromkeys(RULE_TABLES, 1),
        "rejected": {table: len(cases) + len(GOOD_ROWS[table]) - 1 for table, cases in RULE_TABLES.items()},
    }
    expected = {f"{table}.csv": {FIRST_CASE_LINE[table] + i: reason for i, (_, reason) in enumerate(cases)}
                for table, cases in RULE_TABLES.items()}
    expected["claims.csv"][3] = "service_date 'a' is not a date (YYYY-MM-DD)"
    assert rule_batch.rejects == expected


def test_identical_adjustments_stay_distinct(paths, src, write_csv):
    write_csv(src, "claims", [claim()])
    write_csv(src, "denials", [denial(), denial()])
    assert ingest(src, paths, recorder=Recorded()).accepted["denials"] == 2
    assert rows(paths, "SELECT occurrence FROM denials ORDER BY 1") == [(1,), (2,)]


def test_children_attach_to_claims_stored_earlier(paths, src, tmp_path, write_csv):
    write_csv(src, "claims", [claim()])
    ingest(src, paths, recorder=Recorded())
    later = tmp_path / "later"
    write_csv(later, "claim_codes", [code()])
    write_csv(later, "denials", [denial()])
    result = ingest(later, paths, recorder=Recorded())
    assert result.accepted == {"claims": 0, "claim_codes": 1, "audit_findings": 0, "denials": 1}


def test_malformed_csv_rows_keep_their_line_numbers(paths, src):
    src.mkdir()
    header = ",".join(CLAIM)
    good = lambda cid: ",".join(claim(claim_id=cid).values())  # noqa: E731
    text = "\n".join([header, good("A"), "only,three,fields", good("B"), good("C") + ",extra", good("D")]) + "\n"
    (src / "claims.csv").write_text(text)
    result = ingest(src, paths, recorder=Recorded())
    assert (result.accepted["claims"], result.rejected["claims"]) == (3, 2)
    assert rejects(paths, "claims.csv") == [(3, "the row has fewer fields than the header"), (5, "the row has more fields than the header")]


@pytest.mark.parametrize("column", ["ssn", "patient_email"])
def test_unknown_column_fails_whole_file_and_store_is_unchanged(paths, src, tmp_path, write_csv, column):
    write_csv(src, "claims", [claim()])
    ingest(src, paths, recorder=Recorded())
    before = paths.store.read_bytes()
    bad = tmp_path / "bad"
    write_csv(bad, "claims", [{**claim(claim_id="CLM-9"), column: "123-45-6789"}])
    with pytest.raises(IngestError, match=rf"column 13 of the header \({len(column)} characters\) is not a known column") as err:
        ingest(bad, paths, recorder=Recorded())
    assert column not in str(err.value)
    assert paths.store.read_bytes() == before


def test_missing_required_column_fails(paths, src, write_csv):
    row = claim()
    del row["payer"]
    write_csv(src, "claims", [row])
    with pytest.raises(IngestError, match="required column 'payer' is missing"):
        ingest(src, paths, recorder=Recorded())
    assert not paths.store.exists()


def test_both_csv_and_parquet_is_refused(paths, src, write_csv):
    write_csv(src, "claims", [claim()])
    pq.write_table(pa.table({k: [v] for k, v in claim().items()}), src / "claims.parquet")
    with pytest.raises(IngestError, match="both claims.csv and claims.parquet"):
        ingest(src, paths, recorder=Recorded())


RUN_LOG = ("ingest_runs", "rejects", "built_without_plaintext", "key_checks", "last_write")  # grow or differ with every run (or store); not data


def _whole_store(paths: Paths, *, open_sealed: bool = False) -> dict[str, list]:
    """Every table and every row of the store, order-independent, except the run log. With `open_sealed`
    the vault's key ids, nonces and ciphertexts are replaced by the plaintext they seal (for two stores
    whose values were encrypted separately); without it they are compared as stored."""
    vault = PhiVault(load_data_keyring(paths.key_dir))
    tables = [t for (t,) in rows(paths, "SELECT table_name FROM duckdb_tables() ORDER BY 1") if t not in RUN_LOG]
    whole = {t: sorted(rows(paths, f'SELECT * FROM "{t}"'), key=repr) for t in tables}
    if open_sealed:
        whole["phi_vault"] = sorted((k, f, vault.open("phi_vault", k, f, kid, n, c))
                                    for k, f, kid, n, c in whole["phi_vault"])
    return whole


def test_parquet_input_gives_the_same_store(paths, src, tmp_path, write_csv):
    claims = [claim(), claim(claim_id="CLM-2")]
    codes = [{"claim_id": "CLM-1", "line": 1, "code_type": "ICD10CM_DX", "code": "E11.9"},
             {"claim_id": "CLM-X", "line": 1, "code_type": "ICD10CM_DX", "code": "I10"}]
    write_csv(src, "claims", claims)
    write_csv(src, "claim_codes", [{k: str(v) for k, v in c.items()} for c in codes])
    from_csv = ingest(src, paths, recorder=Recorded())
    parquet = tmp_path / "parquet"
    parquet.mkdir()
    pq.write_table(pa.Table.from_pylist(claims), parquet / "claims.parquet")
    pq.write_table(pa.Table.from_pylist(codes), parquet / "claim_codes.parquet")  # line as an integer column
    other = Paths(data_dir=tmp_path / "other", key_dir=paths.key_dir).ensure()
    from_parquet = ingest(parquet, other, recorder=Recorded())
    assert from_parquet.counts() == from_csv.counts()
    assert from_csv.accepted["claims"] == 2 and from_csv.accepted["claim_codes"] == 1
    assert _whole_store(other, open_sealed=True) == _whole_store(paths, open_sealed=True)
    assert rejects(other, "claim_codes.parquet") == [(2, "unknown claim_id: it is neither in this batch's claims file nor already stored")]
    assert rejects(paths, "claim_codes.csv") == [(3, "unknown claim_id: it is neither in this batch's claims file nor already stored")]


def test_repeated_ingest_changes_no_data_table(paths, src, write_csv, monkeypatch):
    write_csv(src, "claims", [claim(), claim(claim_id="CLM-2", patient_name="Bo Test"), claim(claim_id="BAD", service_date="x")])
    write_csv(src, "claim_codes", [code(), code(line="2", code="I10")])
    write_csv(src, "audit_findings", [finding()])
    write_csv(src, "denials", [denial(), denial()])
    ingest(src, paths, recorder=Recorded())
    first = _whole_store(paths)
    monkeypatch.setattr(ingest_module, "loaded_before", lambda *_: None)  # loaded in full, not recognised as unchanged
    ingest(src, paths, recorder=Recorded())
    assert _whole_store(paths) == first  # ciphertexts included: unchanged values are not re-encrypted
    assert rows(paths, "SELECT count(*) FROM ingest_runs") == [(2,)]
    runs = rows(paths, "SELECT run_id, file, line, reason FROM rejects ORDER BY run_id, file, line")
    assert len(runs) == 2 and runs[0][1:] == runs[1][1:] == ("claims.csv", 4, "service_date 'a' is not a date (YYYY-MM-DD)")


def test_failure_midway_leaves_store_as_it_was(paths, src, tmp_path, write_csv, monkeypatch):
    write_csv(src, "claims", [claim()])
    ingest(src, paths, recorder=Recorded())
    before = paths.store.read_bytes()
    more = tmp_path / "more"
    write_csv(more, "claims", [claim(claim_id="CLM-2")])

    def interrupted(*_a, **_k):
        raise KeyboardInterrupt

    monkeypatch.setattr(ingest_module, "_apply", interrupted)  # after the stager answered, while the copy is written
    with pytest.raises(KeyboardInterrupt):
        ingest(more, paths, recorder=Recorded())
    assert paths.store.read_bytes() == before
    assert sorted(p.name for p in paths.data_dir.iterdir() if not p.name.startswith("REAL")) == ["store.duckdb", "store.lock"]


def test_vault_round_trip_and_binding(paths, src, write_csv):
    write_csv(src, "claims", [claim(), claim(claim_id="CLM-2", patient_name="Bo Test")])
    ingest(src, paths, recorder=Recorded())
    vault = PhiVault(load_data_keyring(paths.key_dir))
    stored = rows(paths, "SELECT claim_key, field, key_id, nonce, ciphertext FROM phi_vault ORDER BY claim_key, field")
    plain = {(k, f): vault.open("phi_vault", k, f, kid, n, c) for k, f, kid, n, c in stored}
    assert sorted(v for (_, f), v in plain.items() if f == "patient_name") == ["Ada Test", "Bo Test"]
    assert sorted(v for (_, f), v in plain.items() if f == "claim_id") == ["CLM-1", "CLM-2"]
    k1, k2 = sorted({k for k, *_ in stored})
    sealed = next((kid, n, c) for k, f, kid, n, c in stored if k == k1 and f == "patient_name")
    with pytest.raises(DecryptionError, match="failed authentication"):
        vault.open("phi_vault", k2, "patient_name", *sealed)


def test_wrong_key_is_a_clear_error_and_changes_nothing(paths, src, write_csv):
    write_csv(src, "claims", [claim()])
    ingest(src, paths, recorder=Recorded())
    before = paths.store.read_bytes()
    ring_file = paths.key_dir / "data_keys.json"
    ring_file.write_text(ring_file.read_text().replace(ring_file.read_text().split('"k1": "')[1][:8], "AAAAAAAA"))
    with pytest.raises(KeyProblem, match="is not the key this store's values under k1 were encrypted with"):
        ingest(src, paths, recorder=Recorded())
    assert paths.store.read_bytes() == before


def test_first_use_creates_private_key_files(paths, src, write_csv):
    write_csv(src, "claims", [claim()])
    result = ingest(src, paths, recorder=Recorded())
    assert sorted(p.name for p in result.created_keys) == ["data_keys.json", "log.key", "pseudonym.key"]
    for p in result.created_keys:
        assert p.parent == paths.key_dir and os.stat(p).st_mode & 0o777 == 0o600
    assert ingest(src, paths, recorder=Recorded()).created_keys == []


def test_key_folder_inside_data_folder_is_refused(tmp_path):
    from config.settings import ConfigurationError
    with pytest.raises(ConfigurationError, match="inside the data folder"):
        Paths(data_dir=tmp_path, key_dir=tmp_path / "keys").ensure()


def test_headerless_file_is_refused_without_quoting_the_first_row(paths, src):
    src.mkdir()
    (src / "claims.csv").write_text(",".join(claim(claim_id="CLM0001000007").values()) + "\n")
    with pytest.raises(IngestError, match="the first line is not a header of known columns") as err:
        ingest(src, paths, recorder=Recorded())
    assert "CLM0001000007".lower() not in str(err.value).lower() and "Ada" not in str(err.value)


@pytest.mark.parametrize("broken", ['A,"unterminated', 'B,"also unterminated'])
def test_unclosed_quote_fails_the_file_instead_of_swallowing_rows(paths, src, broken):
    src.mkdir()
    header = ",".join(CLAIM)
    rows = [",".join(claim(claim_id=f"C{i}").values()) for i in range(5)]
    rows.insert(2, broken + "," * (len(CLAIM) - 2))
    (src / "claims.csv").write_text("\n".join([header, *rows]) + "\n")
    with pytest.raises(IngestError, match="line 4 opens a quote that is never closed"):
        ingest(src, paths, recorder=Recorded())
    assert not paths.store.exists()


def test_stray_quote_inside_a_value_is_kept_as_text(paths, src):
    src.mkdir()
    lines = [",".join(CLAIM), ",".join(claim(claim_id="Q1", facility_id='F"1').values()), ",".join(claim(claim_id="Q2").values())]
    (src / "claims.csv").write_text("\n".join(lines) + "\n")
    assert ingest(src, paths, recorder=Recorded()).accepted["claims"] == 2
    assert sorted(r[0] for r in rows(paths, "SELECT facility_id FROM claims")) == ['F"1', "F1"]
