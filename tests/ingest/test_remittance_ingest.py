"""`ingest` of X12 835 files through the real writer: the mapping of docs/FORMAT.md ("X12 835 remittances"),
rejects, which paid amount wins, reversals and corrections, duplicates, re-runs, broken files and PHI."""
from __future__ import annotations

import csv
import logging
import re
import threading
import time
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pandas as pd
import pytest

from cli import main as cli_main
from config.paths import Paths
from data.remittance_835 import Marks, Service
from ingest import writer as ingest_module
from ingest.writer import IngestError, IngestResult, ingest
from queries.metrics import Filters, carc_pareto, denial_sources, payer_denials, payment_sources, rarc_pareto, summary
from queries.store import connect_read_only
from tests.conftest import Recorded
from tests.ingest.remits import PAYER, PAYER_ID, PHI, paid_claim, remit, write_835
from tests.store_rows import store_rows

TODAY = date(2025, 3, 1)
CLAIMS_HEADER = ["claim_id", "patient_name", "facility_id", "payer", "coder_id", "encounter_type", "service_date",
                 "billed_amount", "paid_amount"]


def _claims(folder: Path, ids: list[str], paid: dict[str, str] | None = None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "claims.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(CLAIMS_HEADER)
        for claim_id in ids:
            writer.writerow([claim_id, "Zyxwar Quentina", "F1", "Acme", "C1", "outpatient", "2025-01-10", "300.00",
                             (paid or {}).get(claim_id, "")])


def _load(paths: Paths, folder: Path) -> IngestResult:
    return ingest(folder, paths, recorder=Recorded(), today=TODAY)



def _snapshot(paths: Paths) -> list[list[tuple]]:
    return [store_rows(paths, f"SELECT * FROM {table} ORDER BY ALL")
            for table in ("claims", "denials", "remittances", "paid_from_remittance")]


@pytest.fixture(scope="module")
def mapped(tmp_path_factory: pytest.TempPathFactory) -> tuple[Paths, IngestResult]:
    """One batch: claims QZC1 (no paid amount) and QZC2 (paid 250.00 in claims.csv); a.835 with two
    transactions in two groups (QZC1 with adjustments at both levels, a CAS with six triplets for QZC2, and
    an unknown claim; TRA has a REF*2U besides N1*PR04); b.edi with other delimiters and its payer id in REF*2U
    only; c.txt starting with ISA; notes.txt (not X12)."""
    root = tmp_path_factory.mktemp("mapped")
    paths = Paths(data_dir=root / "data", key_dir=root / "keys").ensure()
    src = root / "in"
    _claims(src, ["QZC1", "QZC2", "QZC3", "QZC4"], paid={"QZC2": "250.00"})
    six = [("CO", [("4", D("1")), ("11", D("2")), ("16", D("3")), ("50", D("4")), ("97", D("5")), ("45", D("6"))])]
    write_835(src, "a.835", [[remit([paid_claim("QZC1"), paid_claim("QZUNKNOWN")], trace="TRA", additional_payer_id="ALT2U001")],
                             [remit([paid_claim("QZC2", adjustments=six, remarks=[], services=[])], trace="TRB",
                                    day=date(2025, 2, 11), with_dtm405=False)]])
    write_835(src, "b.edi", [[remit([paid_claim("QZC3", services=[], remarks=[])], trace="TRC", payer_id=None,
                                    additional_payer_id="PAYR2U77")]],
              Marks("|", ">", "!", "\n", ""))
    write_835(src, "c.txt", [[remit([paid_claim("QZC4", services=[], remarks=["N4"], adjustments=[])], trace="TRD")]])
    (src / "notes.txt").write_text("not a remittance\n")
    return paths, _load(paths, src)


def test_each_cas_pair_is_a_denial_row_with_its_remittance_and_remark_codes(mapped):
    paths, _ = mapped
    rows = store_rows(paths, "SELECT c.claim_key IS NOT NULL, d.payer, d.remit_date, d.group_code, d.carc, d.rarc, d.denied_amount, "
                        "d.trace_number, d.remark_codes FROM denials d LEFT JOIN claims c USING (claim_key) "
                        "WHERE d.trace_number = 'TRA' ORDER BY d.carc")
    day = date(2025, 2, 10)
    assert rows == [
        (True, PAYER, day, "CO", "16", "M81", D("20.00"), "TRA", "M81 MA130"),  # claim level: MOA remarks
        (True, PAYER, day, "PR", "2", None, D("40.00"), "TRA", None),  # service 2: no LQ
        (True, PAYER, day, "CO", "50", "N130", D("50.00"), "TRA", "N130"),  # service 1: LQ*HE
        (True, PAYER, day, "CO", "97", "N130", D("10.00"), "TRA", "N130"),
    ]


def test_the_payer_id_is_n1_pr04_and_else_ref_2u(mapped):
    paths, _ = mapped
    assert store_rows(paths, "SELECT DISTINCT trace_number, payer_id FROM remittances ORDER BY ALL") == [
        ("TRA", PAYER_ID), ("TRB", PAYER_ID), ("TRC", "PAYR2U77"), ("TRD", PAYER_ID)]


def test_six_triplets_of_one_cas_and_the_bpr16_date(mapped):
    paths, _ = mapped
    rows = store_rows(paths, "SELECT remit_date, carc, denied_amount FROM denials WHERE trace_number = 'TRB' ORDER BY denied_amount")
    assert rows == [(date(2025, 2, 11), carc, D(amount)) for carc, amount in
                    (("4", "1.00"), ("11", "2.00"), ("16", "3.00"), ("50", "4.00"), ("97", "5.00"), ("45", "6.00"))]


def test_other_delimiters_and_a_txt_starting_with_isa_are_read(mapped):
    paths, result = mapped
    assert store_rows(paths, "SELECT carc, denied_amount FROM denials WHERE trace_number = 'TRC'") == [("16", D("20.00"))]
    assert store_rows(paths, "SELECT count(*) FROM denials WHERE trace_number = 'TRD'") == [(0,)]
    assert store_rows(paths, "SELECT paid_amount FROM remittances WHERE trace_number = 'TRD'") == [(D("180.00"),)]
    assert [r["file"] for r in result.remittance_files] == ["a.835", "b.edi", "c.txt"]  # notes.txt is not X12


def test_counts_under_denials_and_the_unknown_claim_is_a_reject_with_its_segment(mapped):
    paths, result = mapped
    assert result.accepted["denials"] == 4 + 6 + 1 and result.rejected["denials"] == 1
    assert result.remittance_files[0] == {"file": "a.835", "transactions": 2, "claims": 3, "adjustments": 4 + 4 + 6,
                                          "duplicates": 0, "accepted": 4 + 6, "rejected": 1}
    segment = next(n for n, line in enumerate((Path(paths.data_dir).parent / "in" / "a.835").read_text().splitlines(), 1)
                   if line.startswith("CLP*QZUNKNOWN"))
    assert store_rows(paths, "SELECT file, line, reason, ciphertext IS NOT NULL FROM rejects WHERE file = 'a.835'") == [
        ("a.835", segment, "unknown claim_id (CLP01): it is neither in this batch's claims file nor already stored", True)]


def test_the_claims_file_wins_over_the_835_for_paid_amounts(mapped):
    paths, _ = mapped
    assert store_rows(paths, "SELECT r.trace_number, c.paid_amount, p.claim_key IS NOT NULL FROM claims c "
                        "JOIN remittances r USING (claim_key) LEFT JOIN paid_from_remittance p USING (claim_key) "
                        "ORDER BY r.trace_number") == [("TRA", D("180.00"), True), ("TRB", D("250.00"), False),
                                                       ("TRC", D("180.00"), True), ("TRD", D("180.00"), True)]


def _reversal_batches(root: Path) -> tuple[Path, Path, Path]:
    """first: QZR1 remitted (TRX1, CO-16 20 and more). second: a copy of that remittance, the same again
    under another name (a duplicate), and TRX2 reversing it (CLP02 22) and correcting it (CO-50 75). third:
    TRX1 alone once more (received again after its correction)."""
    original = remit([paid_claim("QZR1")], trace="TRX1")
    reversal = paid_claim("QZR1", status="22", charge=D("-300"), paid=D("-180"), allowed=None, remarks=[],
                          adjustments=[("CO", [("16", D("-20"))])], services=[])
    correction = paid_claim("QZR1", paid=D("225"), allowed=D("225"), remarks=[], services=[],
                            adjustments=[("CO", [("50", D("75"))])])
    first, second, third = root / "first", root / "second", root / "third"
    _claims(first, ["QZR1"])
    write_835(first, "r1.835", [[original]])
    write_835(second, "r1-again.835", [[original]])
    write_835(second, "r1-copy.835", [[original]])
    write_835(second, "r2.835", [[remit([reversal, correction], trace="TRX2", day=date(2025, 2, 20))]])
    write_835(third, "r1-late.835", [[original]])
    return first, second, third


def test_a_reversal_and_its_correction_count_once_and_reruns_change_nothing(paths, tmp_path, monkeypatch):
    first, second, third = _reversal_batches(tmp_path)
    _load(paths, first)
    assert store_rows(paths, "SELECT count(*), sum(denied_amount) FROM denials") == [(4, D("120.00"))]
    result = _load(paths, second)
    assert [(r["file"], r["duplicates"], r["accepted"]) for r in result.remittance_files] == [
        ("r1-again.835", 0, 0), ("r1-copy.835", 1, 0), ("r2.835", 0, 1)]
    after = _snapshot(paths)
    assert store_rows(paths, "SELECT group_code, carc, denied_amount, trace_number FROM denials") == [("CO", "50", D("75.00"), "TRX2")]
    assert store_rows(paths, "SELECT claim_status, paid_amount, trace_number FROM remittances") == [("1", D("225.00"), "TRX2")]
    assert store_rows(paths, "SELECT paid_amount, allowed_amount FROM claims") == [(D("225.00"), D("225.00"))]
    assert _load(paths, second).loaded_before is not None  # the same folder again: recognised, not loaded
    assert _snapshot(paths) == after
    monkeypatch.setattr(ingest_module, "loaded_before", lambda *_: None)
    assert _load(paths, second).accepted["denials"] == 1  # loaded in full, it changes nothing either
    assert _snapshot(paths) == after
    late = _load(paths, third)
    assert late.accepted["denials"] == 0 and _snapshot(paths) == after  # older than what is stored


def test_a_reversal_alone_removes_the_claims_denials_and_its_835_payment(paths, tmp_path):
    first, _, _ = _reversal_batches(tmp_path)
    _load(paths, first)
    reversal = paid_claim("QZR1", status="22", charge=D("-300"), paid=D("-180"), remarks=[], services=[],
                          adjustments=[("CO", [("16", D("-20"))])])
    write_835(tmp_path / "rev", "rev.835", [[remit([reversal], trace="TRX9", day=date(2025, 2, 25))]])
    _load(paths, tmp_path / "rev")
    assert store_rows(paths, "SELECT count(*) FROM denials") == [(0,)]
    assert store_rows(paths, "SELECT claim_status, paid_amount FROM remittances") == [("22", None)]
    assert store_rows(paths, "SELECT paid_amount FROM claims") == [(None,)]


def test_a_broken_file_refuses_the_batch_naming_segment_and_rule_without_phi(paths, tmp_path, capsys):
    src = tmp_path / "in"
    _claims(src, ["QZB1"])
    write_835(src, "good.835", [[remit([paid_claim("QZB1")])]])
    text = (src / "good.835").read_text()
    (src / "broken.835").write_text(text.replace("IEA*1*", "IEA*2*").replace("NM1*QC*1*ZYXWAR",
                                                                             "NM1*QC*1*ZYXWAR*QUENTINA*X*Y*Z*W*V*U*T*S"))
    assert cli_main(["ingest", str(src), "--data-dir", str(paths.data_dir)]) == 2
    err = capsys.readouterr().err
    iea = len(text.splitlines())
    assert re.search(rf"broken\.835: \d+ problems? against the 835 implementation guide: .*segment {iea} \(IEA\): "
                     r"IEA01 does not count the functional groups it closes", err)
    assert "Nothing was loaded" in err and not paths.store.exists()
    for secret in (*PHI, "QZB1"):
        assert secret not in err


def test_a_835_suffix_that_is_not_x12_is_refused(paths, tmp_path):
    src = tmp_path / "in"
    _claims(src, ["QZB1"])
    (src / "remit.835").write_text("claim_id,carc\nQZB1,16\n")
    with pytest.raises(IngestError, match=r"remit\.835 does not start with an ISA segment"):
        _load(paths, src)


def test_no_name_member_id_or_claim_number_in_any_file_or_output(paths, tmp_path, capsys, caplog, monkeypatch):
    """Every name and id of PHI in the 835 (NM1*QC, NM1*IL, NM1*74, NM1*82, REF*1L/1W/SY/EA) and the claim
    numbers: in no output, log record or file written (store with its free blocks, log, keys, temporary)."""
    monkeypatch.chdir(tmp_path)
    caplog.set_level(logging.DEBUG)
    src = tmp_path / "in"
    _claims(src, ["QZP1"])
    write_835(src, "p.835", [[remit([paid_claim("QZP1"), paid_claim("QZP404")])]])
    assert cli_main(["ingest", str(src), "--data-dir", str(paths.data_dir)]) == 0
    out = capsys.readouterr()
    assert "p.835 (835): 1 transactions, 2 claims, 8 adjustments; 4 denial rows accepted, 1 claims rejected" in out.out
    assert "claims.csv: 1 accepted, 0 rejected" in out.out
    needles = [n.encode() for n in (*PHI, "QZP1", "QZP404", "PCNQZP1", "Zyxwar Quentina")]
    for text in (out.out, out.err, caplog.text):
        assert not [n for n in needles if n in text.encode()]
    written = [p for p in tmp_path.rglob("*") if p.is_file() and src not in p.parents]
    assert paths.store in written and any(paths.log_dir in p.parents for p in written)
    for path in written:
        blob = path.read_bytes()
        assert not [n for n in needles if n in blob], path.name


def _metrics(paths: Paths) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    con = connect_read_only(paths)
    try:
        row = summary(con, Filters(), intervals=False).iloc[0].to_dict()
        return row, carc_pareto(con, Filters()), payer_denials(con, Filters())
    finally:
        con.close()


def test_the_same_remittances_as_835_and_as_denials_csv_give_the_same_metrics(tmp_path):
    ids = [f"QZM{i}" for i in range(6)]
    remits = [remit([paid_claim(ids[0]), paid_claim(ids[1], adjustments=[("OA", [("23", D("5"))])])], trace="TM1"),
              remit([paid_claim(ids[2], services=[Service("99213", D("300"), D("0"), [("CO", [("50", D("300"))])], ["N130", "M51"])],
                                adjustments=[], remarks=[])], trace="TM2", day=date(2025, 2, 12))]
    as_835, as_csv = tmp_path / "x12", tmp_path / "csv"
    _claims(as_835, ids)
    _claims(as_csv, ids)
    write_835(as_835, "m.835", [remits])
    with open(as_csv / "denials.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["claim_id", "payer", "remit_date", "group_code", "carc", "rarc", "denied_amount"])
        for each in remits:
            for claim in each.claims:
                for group, pairs in claim.adjustments:
                    writer.writerows([claim.claim_id, PAYER, each.remit_date, group, carc, (claim.remarks or [""])[0], amount]
                                     for carc, amount in pairs)
                for service in claim.services:
                    for group, pairs in service.adjustments:
                        writer.writerows([claim.claim_id, PAYER, each.remit_date, group, carc, (service.remarks or [""])[0], amount]
                                         for carc, amount in pairs)
    results = []
    for folder in (as_835, as_csv):
        paths = Paths(data_dir=folder.parent / f"data-{folder.name}", key_dir=folder.parent / f"keys-{folder.name}").ensure()
        _load(paths, folder)
        results.append(_metrics(paths))
    (head_835, carcs_835, payers_835), (head_csv, carcs_csv, payers_csv) = results
    money = {"paid_amount", "allowed_amount"}  # the 835 also fills paid amounts; denial metrics must agree
    assert {k: v for k, v in head_835.items() if not any(m in k for m in money)} == pytest.approx(
        {k: v for k, v in head_csv.items() if not any(m in k for m in money)}, nan_ok=True)
    # CO-16 20, CO-50 50, CO-97 10 (PR-2 is no denial); OA-23 5, CO-50 50, CO-97 10; CO-50 300
    assert head_835["denied_claims"] == 3 and head_835["denied_amount"] == pytest.approx(80 + 65 + 300)
    pd.testing.assert_frame_equal(carcs_835, carcs_csv)
    pd.testing.assert_frame_equal(payers_835, payers_csv)


def test_denials_by_remark_code_their_sources_and_where_paid_amounts_come_from(mapped):
    paths, _ = mapped
    con = connect_read_only(paths)
    try:
        rarcs = rarc_pareto(con, Filters())
        keys = tuple(k for (k,) in con.execute("SELECT DISTINCT claim_key FROM denials WHERE trace_number = 'TRA'").fetchall())
        sources = denial_sources(con, keys)
        paid = payment_sources(con, Filters()).iloc[0].to_dict()
    finally:
        con.close()
    denied_total = 20 + 50 + 10 + 21 + 20  # QZC1 (PR-2 is no denial), QZC2's six, QZC3
    assert rarcs[["rarc", "denial_rows", "denied_claims", "denied_amount"]].values.tolist() == [
        ["N130", 2, 1, 60.0], ["M81", 1, 1, 20.0], ["MA130", 1, 1, 20.0]]
    assert rarcs["share_of_denied_dollars"].tolist() == pytest.approx([60 / denied_total, 20 / denied_total, 20 / denied_total])
    assert rarcs.set_index("rarc").loc["M81", "description"] == "Code to the highest level of specificity"
    assert sources[["payer", "remit_date", "trace_number", "carc", "remark_codes", "denied_amount"]].values.tolist() == [
        [PAYER, pd.Timestamp(2025, 2, 10), "TRA", "50", "N130", 50.0],
        [PAYER, pd.Timestamp(2025, 2, 10), "TRA", "16", "M81 MA130", 20.0],
        [PAYER, pd.Timestamp(2025, 2, 10), "TRA", "97", "N130", 10.0]]
    assert sources["remark_descriptions"].iloc[1].startswith("Code to the highest level of specificity; Unprocessable claim")
    assert paid == {"from_claims_file": 1, "from_835": 3, "not_known": 0}


def _running_in_group(group: int) -> list[int]:
    """The processes of a process group that are running (not zombies), from /proc."""
    running = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, _parent, pgrp = stat.read_text().rsplit(")", 1)[1].split()[:3]
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
        if int(pgrp) == group and state != "Z":
            running.append(int(stat.parent.name))
    return running


def test_a_write_that_fails_while_835_files_are_read_leaves_no_stager_or_worker_running(paths, tmp_path, monkeypatch):
    """The stager is started before the reference tables are loaded; if that fails, the stager and the 835
    workers it started (busy with a 30,000-claim file in parts) are stopped with it, not left to finish."""
    src = tmp_path / "in"
    _claims(src, ["QZW1"])
    claims = [paid_claim(f"QZW{i}") for i in range(30_000)]
    write_835(src, "w.835", [[remit(claims[i:i + 1500], trace=f"TRW{i}") for i in range(0, len(claims), 1500)]])
    started: list[int] = []

    class Recorded(ingest_module._Staging):
        def __init__(self, request) -> None:
            super().__init__(request)
            started.append(self._process.pid)

    def failing_reference(*_args, **_kwargs) -> None:
        time.sleep(3)  # the stager has started its 835 workers by now
        assert len(_running_in_group(started[0])) >= 3  # the stager and its two workers
        raise IngestError("reference data could not be loaded")

    monkeypatch.setattr(ingest_module, "_Staging", Recorded)
    monkeypatch.setattr(ingest_module, "ensure_reference", failing_reference)
    refused: list[BaseException] = []

    def load() -> None:
        try:
            _load(paths, src)
        except BaseException as exc:  # noqa: BLE001 - the test looks at it below
            refused.append(exc)

    writing = threading.Thread(target=load, daemon=True)
    writing.start()
    writing.join(60)
    assert not writing.is_alive(), "the failed write is still waiting for the stager's workers"
    assert isinstance(refused[0], IngestError) and "reference data could not be loaded" in str(refused[0])
    time.sleep(0.5)
    assert _running_in_group(started[0]) == []
