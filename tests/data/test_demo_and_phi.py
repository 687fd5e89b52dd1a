"""The demo goes through the real ingest, holds the promised patterns, and leaves no PHI in plaintext."""
from __future__ import annotations

import csv
import re
import threading
from datetime import date
from pathlib import Path

import duckdb
import pytest

from config.paths import Paths
from data.demo import build_demo, build_first_demo
from data.demo_draws import DEGRADING_CODER, WEAK_CODERS
from ingest.swap import writer_lock
from ingest.writer import IngestError
from tests.conftest import Recorded
from tests.store_rows import store_rows

PATTERN_DAY = date(2026, 10, 31)  # the day data/demo.py's docstring dates its patterns for


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Paths, Path]:
    root = tmp_path_factory.mktemp("demo")
    paths = Paths(data_dir=root / "data", key_dir=root / "keys").ensure()
    raw = root / "raw"  # kept outside the data folder so the test can read the fake PHI back
    with pytest.MonkeyPatch.context() as mp:
        for var in ("CODEAUDIT_DATA_KEYS", "CODEAUDIT_PSEUDONYM_KEY", "CODEAUDIT_LOG_KEY"):
            mp.delenv(var, raising=False)
        build_demo(paths, n_claims=10_000, recorder=Recorded(), keep_raw=raw, today=PATTERN_DAY)
    return paths, raw


def _phi_values(raw: Path) -> dict[str, set[str]]:
    with open(raw / "claims.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {f: {r[f] for r in rows if r[f]} for f in ("claim_id", "patient_mrn", "patient_name", "patient_dob", "patient_zip")}


_PHRASE = re.compile(rb"[A-Za-z0-9]+(?: [A-Za-z0-9]+)*")


def _tokens(blob: bytes) -> set[bytes]:
    """Every word and every pair of adjacent words: claim ids and MRNs are one word, names two.
    Tokenising once keeps the scan linear in the size of what is scanned."""
    found: set[bytes] = set()
    for words in (p.split(b" ") for p in _PHRASE.findall(blob)):
        found.update(words)
        found.update(b" ".join(pair) for pair in zip(words, words[1:]))
    return found


def test_no_phi_in_any_text_column(demo):
    paths, raw = demo
    phi = _phi_values(raw)
    con = duckdb.connect(str(paths.store), read_only=True)
    text_columns = con.execute(
        "SELECT table_name, column_name FROM information_schema.columns WHERE data_type IN ('VARCHAR', 'JSON')"
    ).fetchall()
    assert len(text_columns) > 20
    long_values = phi["claim_id"] | phi["patient_mrn"] | phi["patient_name"]
    exact_values = phi["patient_dob"] | phi["patient_zip"]
    for table, column in text_columns:
        values = {v for (v,) in con.execute(f'SELECT DISTINCT "{column}" FROM "{table}"').fetchall() if v}
        assert not values & (long_values | exact_values), f"{table}.{column} holds a PHI value"
        assert not _tokens("\n".join(values).encode()) & {v.encode() for v in long_values}, f"{table}.{column} contains a PHI value"
    con.close()


def test_no_phi_in_any_file_written(demo):
    paths, raw = demo
    phi = _phi_values(raw)
    needles = {v.encode() for f in ("claim_id", "patient_mrn", "patient_name") for v in phi[f]}
    written = [p for folder in (paths.data_dir, paths.key_dir) for p in folder.rglob("*") if p.is_file()]
    assert paths.store in written
    for path in written:
        assert not _tokens(path.read_bytes()) & needles, f"{path.name} contains PHI"


def _accuracy(con: duckdb.DuckDBPyConnection, where: str, params: list) -> float:
    return con.execute(f"SELECT sum(findings_agree) / sum(findings) FROM claim_facts WHERE {where}", params).fetchone()[0]


def test_demo_has_the_patterns_managers_should_find(demo):
    paths, _ = demo
    con = duckdb.connect(str(paths.store), read_only=True)
    peers = _accuracy(con, "coder_id NOT IN (SELECT unnest(?::VARCHAR[])) AND coder_id <> ?", [list(WEAK_CODERS), DEGRADING_CODER])
    weak = _accuracy(con, "coder_id IN (SELECT unnest(?::VARCHAR[]))", [list(WEAK_CODERS)])
    assert peers - weak > 0.05
    before = _accuracy(con, "coder_id = ? AND service_date < DATE '2025-06-01'", [DEGRADING_CODER])
    after = _accuracy(con, "coder_id = ? AND service_date >= DATE '2025-06-01'", [DEGRADING_CODER])
    assert before - after > 0.04
    spike = _accuracy(con, "service_date BETWEEN DATE '2025-10-01' AND DATE '2025-11-30'", [])
    usual = _accuracy(con, "service_date < DATE '2025-09-01'", [])
    assert usual - spike > 0.03
    months = con.execute("SELECT count(DISTINCT service_month) FROM claim_facts").fetchone()[0]
    coders = con.execute("SELECT count(DISTINCT coder_id) FROM claim_facts").fetchone()[0]
    assert months >= 24 and coders == 50
    mix = dict(con.execute(
        "SELECT payer, arg_max(carc, n) FROM (SELECT payer, carc, count(*) AS n FROM denials WHERE group_code <> 'PR' GROUP BY ALL) GROUP BY payer"
    ).fetchall())
    assert mix["Medicaid"] == "16" and mix["Harbor Mutual"] == "197"
    statuses = {s for (s,) in con.execute("SELECT DISTINCT appeal_status FROM denials").fetchall()}
    assert {"overturned", "upheld", "pending"} <= statuses
    assert con.execute("SELECT count(*) FROM rejects").fetchone()[0] > 0
    assert con.execute("SELECT DISTINCT source FROM ingest_runs").fetchall() == [("demo",)]
    con.close()


def test_demo_reads_like_a_hospitals_data(demo):
    """Revisions go to clinically related codes, payers deny as payers do (no self-pay denials) and some claims
    carry several adjustments."""
    paths, _ = demo
    con = duckdb.connect(str(paths.store), read_only=True)
    dx = con.execute(
        "SELECT f.submitted_code, f.audited_code, f.error_category, s.block, a.block, s.unspecified, a.unspecified "
        "FROM audit_findings AS f JOIN icd10cm AS s ON s.code = f.submitted_code AND s.billable "
        "JOIN icd10cm AS a ON a.code = f.audited_code "
        "WHERE f.code_type = 'ICD10CM_DX' AND f.finding = 'revise'").fetchall()
    assert len(dx) > 100
    assert [row for row in dx if row[0][:3] != row[1][:3] and row[3] != row[4]] == []  # same category or block
    specificity = [row for row in dx if row[2] == "specificity"]
    assert specificity and all(row[5] and not row[6] for row in specificity)       # unspecified -> specified
    procedures = con.execute(
        "SELECT code_type, submitted_code, audited_code FROM audit_findings "
        "WHERE code_type IN ('ICD10PCS', 'CPT', 'HCPCS') AND finding = 'revise'").fetchall()
    assert procedures
    for code_type, submitted, audited in procedures:
        assert submitted != audited
        if code_type == "ICD10PCS":
            assert submitted[0] == audited[0] and len(audited) == 7                 # same section
        elif code_type == "HCPCS":
            assert submitted[0] == audited[0]                                       # same letter
        else:
            assert audited.isdigit() and len(audited) == 5                          # a CPT code, never a diagnosis
    self_pay = con.execute("SELECT count(*) FROM denials AS d JOIN claims AS c USING (claim_key) "
                           "WHERE c.payer = 'Self-pay'").fetchone()[0]
    assert self_pay == 0
    several = con.execute("SELECT count(*) FROM (SELECT claim_key FROM denials WHERE group_code <> 'PR' "
                          "GROUP BY claim_key HAVING count(DISTINCT carc) >= 2)").fetchone()[0]
    assert several > 50
    con.close()


def test_the_scan_would_see_plaintext_phi():
    blob = b"\x00\x17header Kelly Williams,MRN42055317;CLM0001126000\x00"
    assert {b"Kelly Williams", b"MRN42055317", b"CLM0001126000"} <= _tokens(blob)


def test_kept_raw_files_and_the_store_are_private(demo):
    paths, raw = demo
    assert raw.stat().st_mode & 0o777 == 0o700
    assert sorted(p.name for p in raw.iterdir()) == ["audit_findings.csv", "claim_codes.csv", "claims.csv", "demo_remittance.835", "denials.csv"]
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in raw.iterdir())
    assert paths.store.stat().st_mode & 0o777 == 0o600


def test_keep_raw_refuses_a_folder_that_holds_anything(paths, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir(mode=0o755)
    raw.chmod(0o755)
    (raw / "claims.csv").write_text("someone else's file\n")
    with pytest.raises(IngestError, match="--keep-raw .* is not empty"):
        build_demo(paths, n_claims=300, recorder=Recorded(), keep_raw=raw)
    assert (raw / "claims.csv").read_text() == "someone else's file\n" and raw.stat().st_mode & 0o777 == 0o755
    assert sorted(p.name for p in raw.iterdir()) == ["claims.csv"] and not paths.store.exists()



def test_payments_follow_the_payers_rules(demo):
    """paid <= allowed <= billed, except that a DRG-paid claim is allowed its DRG's payment whatever its charges;
    self-pay claims are paid nothing; denials leave claims paid 0 or in part."""
    paths, _ = demo
    [(claims, no_paid, over_allowed, over_billed, self_pay_wrong, drg_over_billed)] = store_rows(paths, """
        SELECT count(*), count(*) FILTER (WHERE paid_amount IS NULL),
               count(*) FILTER (WHERE paid_amount > allowed_amount),
               count(*) FILTER (WHERE allowed_amount > billed_amount AND NOT (encounter_type = 'inpatient' AND ms_drg IS NOT NULL)),
               count(*) FILTER (WHERE payer = 'Self-pay' AND (allowed_amount IS NOT NULL OR paid_amount <> 0)),
               count(*) FILTER (WHERE allowed_amount > billed_amount)
        FROM claims""")
    assert claims > 9_900 and no_paid == 0 and over_allowed == 0 and over_billed == 0 and self_pay_wrong == 0
    assert drg_over_billed > 0  # some DRG payments exceed the charges, as real ones do
    [(denied, paid_nothing, paid_part)] = store_rows(paths, """
        SELECT count(*), count(*) FILTER (WHERE paid_amount = 0), count(*) FILTER (WHERE paid_amount > 0 AND paid_amount < allowed_amount)
        FROM claim_facts WHERE denied""")
    assert denied > 500 and 0 < paid_nothing < denied and paid_part > 0
    # A Medicare DRG claim with a weight for its discharge's fiscal year: allowed = weight x the demo's base rate, 6,500.
    drg = store_rows(paths, """
        SELECT c.allowed_amount, w.weight FROM claims AS c JOIN claim_drg AS g USING (claim_key)
        JOIN drg_weights AS w ON w.drg = c.ms_drg AND w.fiscal_year = g.fiscal_year
        WHERE c.payer = 'Medicare' AND c.encounter_type = 'inpatient'""")
    assert len(drg) > 100
    assert all(allowed == (weight * 6500).quantize(allowed) for allowed, weight in drg)


def test_finding_dollars_follow_the_overpayment_rule(demo):
    """On a DRG-paid claim only the DRG finding carries dollars (its weight difference at the payer's base
    rate); no claim is overpaid by more than was paid on it."""
    paths, _ = demo
    [(code_dollars,)] = store_rows(paths, """
        SELECT count(*) FROM audit_findings AS f JOIN claims AS c USING (claim_key)
        WHERE c.encounter_type = 'inpatient' AND c.ms_drg IS NOT NULL AND f.code_type <> 'MSDRG' AND f.dollar_impact <> 0""")
    assert code_dollars == 0
    over = store_rows(paths, """
        SELECT c.claim_key, -sum(f.dollar_impact) AS overpayment, c.paid_amount FROM audit_findings AS f JOIN claims AS c USING (claim_key)
        GROUP BY c.claim_key, c.paid_amount HAVING -sum(f.dollar_impact) > c.paid_amount""")
    assert over == []
    drg = store_rows(paths, """
        SELECT f.dollar_impact, wa.weight - wb.weight FROM audit_findings AS f JOIN claims AS c USING (claim_key)
        JOIN claim_drg AS g USING (claim_key)
        JOIN drg_weights AS wb ON wb.drg = f.submitted_code AND wb.fiscal_year = g.fiscal_year
        JOIN drg_weights AS wa ON wa.drg = f.audited_code AND wa.fiscal_year = g.fiscal_year
        WHERE f.code_type = 'MSDRG' AND f.finding = 'revise' AND c.payer = 'Medicare'
          AND -(wa.weight - wb.weight) * 6500 <= c.paid_amount""")
    assert drg and all(impact == (difference * 6500).quantize(impact) for impact, difference in drg)


def test_a_first_start_waiting_for_another_processs_build_finds_its_store_and_builds_nothing(paths):
    """Two dashboard processes can find no store at once. The one that did not get the writer lock first waits for
    it, then sees the store the other built (here a stand-in written under the lock by another thread, which holds
    the lock as another process would) and leaves it alone."""
    locked, release = threading.Event(), threading.Event()

    def other_process_builds() -> None:
        with writer_lock(paths):
            locked.set()
            release.wait(30)
            paths.store.write_bytes(b"the other process's demo")

    other = threading.Thread(target=other_process_builds)
    other.start()
    assert locked.wait(30)
    found = []
    waiting = threading.Thread(target=lambda: found.append(build_first_demo(
        paths, 1_000, recorder=Recorded(), actor=("dashboard:first-start", "system"))))
    waiting.start()
    waiting.join(0.5)
    assert waiting.is_alive()  # it waits for the lock, not building beside the other
    release.set()
    other.join(30)
    waiting.join(120)
    assert found == [None]
    assert paths.store.read_bytes() == b"the other process's demo"
