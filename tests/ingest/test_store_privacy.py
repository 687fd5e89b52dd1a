"""The store writer: no plaintext PHI in any file an ingest leaves (free blocks, WAL, spill folders, a
stray `.tmp` included), private files, and no store change without its access-log event."""
from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb
import pytest

from audit.log.writer import AccessLogError
from ingest.writer import IngestError, ingest
from tests.conftest import Recorded

HEADER = ["claim_id", "patient_mrn", "patient_name", "patient_dob", "patient_zip", "facility_id", "payer", "coder_id",
          "encounter_type", "service_date", "billed_amount"]


def _batch(run: int) -> tuple[list[dict[str, str]], list[dict[str, str]], set[bytes]]:
    """Claims with PHI unique to this run, an update of the previous run's claims (new names), rows that are
    rejected (a bad date, an unknown claim), and the PHI values a scan must never find."""
    claims = [{"claim_id": f"QXCLM{run:02d}{i:03d}", "patient_mrn": f"QXMRN{run:02d}{i:03d}", "patient_name": f"Quixa Run{run}x{i}",
               "patient_dob": f"19{30 + run:02d}-0{1 + i % 9}-1{i % 10}", "patient_zip": f"9{run:02d}{i:02d}-{run:02d}{i:02d}",
               "facility_id": "F1", "payer": "P", "coder_id": "C1", "encounter_type": "outpatient",
               "service_date": "2025-01-10" if i % 6 else "2025-02-30", "billed_amount": "10"} for i in range(60)]
    if run:
        claims += [{**claims[1], "claim_id": f"QXCLM{run - 1:02d}{i:03d}", "patient_mrn": f"QXMRN{run - 1:02d}{i:03d}",
                    "patient_name": f"Quixa Renamed{run}x{i}"} for i in range(1, 4)]
    codes = [{"claim_id": c["claim_id"], "line": "1", "code_type": "ICD10CM_DX", "code": "E11.9"} for c in claims[:20]]
    codes.append({"claim_id": f"QXORPHAN{run:02d}", "line": "1", "code_type": "ICD10CM_DX", "code": "E11.9"})
    needles = {c[f].encode() for c in claims for f in ("claim_id", "patient_mrn", "patient_name", "patient_dob", "patient_zip")}
    return claims, codes, needles | {f"QXORPHAN{run:02d}".encode()}


# Every PHI value _batch makes has one of these shapes: a scan finds the candidates in one pass and looks
# the needles up in them (looking each needle up in every file is quadratic and took minutes).
PHI_SHAPES = re.compile(rb"QX(?:CLM|MRN)\d{5}|QXORPHAN\d{2}|Quixa (?:Run|Renamed)\d+x\d+|19\d\d-\d\d-\d\d|9\d{4}-\d{4}")


def _leaked(blob: bytes, needles: set[bytes]) -> list[bytes]:
    found = b"\0".join(PHI_SHAPES.findall(blob))
    return sorted(n for n in needles if n in found)


def _files(*folders: Path) -> list[Path]:
    return [p for folder in folders if folder.exists() for p in folder.rglob("*") if p.is_file()]


def test_no_plaintext_phi_in_any_file_over_many_ingests(paths, tmp_path, write_csv, monkeypatch):
    cwd = tmp_path / "cwd"  # an in-memory DuckDB spills to .tmp in the current folder unless told not to
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    seen: set[bytes] = set()
    for run in range(15):
        claims, codes, needles = _batch(run)
        seen |= needles
        src = tmp_path / f"in{run}"
        write_csv(src, "claims", claims, header=HEADER)
        write_csv(src, "claim_codes", codes)
        result = ingest(src, paths, recorder=Recorded())
        assert result.rejected["claims"] == 10 and result.rejected["claim_codes"] >= 1
        written = _files(paths.data_dir, cwd)
        assert paths.store in written and not (cwd / ".tmp").exists()
        for path in written:
            leaked = _leaked(path.read_bytes(), seen)
            assert not leaked, f"run {run}: {path.name} holds plaintext PHI {leaked[:3]}"


def test_a_store_written_before_leaves_its_free_blocks_behind(paths, tmp_path, write_csv):
    """Earlier writers (including the one that staged in its own memory and marked its files
    `plaintext_free_since`) could leave plaintext in the store file's free blocks, and the writer copies
    the store before it changes it: the new file must not carry those blocks on."""
    claims, _, _ = _batch(0)
    write_csv(tmp_path / "first", "claims", claims, header=HEADER)
    ingest(tmp_path / "first", paths, recorder=Recorded())
    con = duckdb.connect(str(paths.store))  # what an earlier writer could leave behind
    con.execute("SET force_compression = 'uncompressed'")  # plaintext as plain bytes, whatever DuckDB would pick
    con.execute("CREATE TABLE staged AS SELECT 'QXFREEBLOCK' || lpad(range::VARCHAR, 7, '0') AS claim_id, random() AS r FROM range(200000)")
    con.execute("CREATE TABLE later AS SELECT range AS n FROM range(500000)")  # the freed blocks are not the file's tail
    con.execute("CHECKPOINT")
    con.execute("DROP TABLE staged")
    con.execute("DROP TABLE built_without_plaintext")
    con.execute("CREATE TABLE plaintext_free_since AS SELECT now() AS built_at")  # the mark of the in-process stager
    con.execute("CHECKPOINT")
    con.close()
    assert b"QXFREEBLOCK" in paths.store.read_bytes()  # the premise: plaintext in free blocks
    claims, _, _ = _batch(1)
    write_csv(tmp_path / "second", "claims", claims, header=HEADER)
    ingest(tmp_path / "second", paths, recorder=Recorded())
    assert b"QXFREEBLOCK" not in paths.store.read_bytes()
    con = duckdb.connect(str(paths.store), read_only=True)
    try:  # every row survived the copy, and the new file carries the mark that lets later writes copy bytes
        assert con.execute("SELECT count(*) FROM claims").fetchone()[0] == 50 + 50
        assert con.execute("SELECT count(*) FROM built_without_plaintext").fetchone()[0] == 1
        assert not con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'plaintext_free_since'").fetchone()[0]
        assert con.execute("SELECT count(*) FROM later").fetchone()[0] == 500000
    finally:
        con.close()


def test_the_store_file_is_private(paths, tmp_path, write_csv):
    claims, _, _ = _batch(0)
    write_csv(tmp_path / "in", "claims", claims, header=HEADER)
    for _ in range(2):  # created new, then copied
        ingest(tmp_path / "in", paths, recorder=Recorded())
        assert os.stat(paths.store).st_mode & 0o777 == 0o600


def test_the_event_is_recorded_inside_the_write_before_the_swap(paths, tmp_path, write_csv):
    claims, _, _ = _batch(0)
    write_csv(tmp_path / "in", "claims", claims, header=HEADER)
    recorded = []

    def recorder(event: object) -> None:
        recorded.append((event, paths.store.exists()))

    result = ingest(tmp_path / "in", paths, recorder=recorder)
    assert len(recorded) == 1
    event, store_existed = recorded[0]
    assert not store_existed  # recorded before the new store was swapped in
    assert event.action == "ingest" and event.details["run_id"] == result.run_id
    assert event.details["accepted"]["claims"] == 50 and event.details["rejected"]["claims"] == 10


def test_no_store_change_when_the_event_cannot_be_recorded(paths, tmp_path, write_csv):
    claims, _, _ = _batch(0)
    write_csv(tmp_path / "first", "claims", claims, header=HEADER)
    ingest(tmp_path / "first", paths, recorder=Recorded())
    before = paths.store.read_bytes()
    claims, _, _ = _batch(1)
    write_csv(tmp_path / "second", "claims", claims, header=HEADER)

    def broken_log(_event: object) -> None:
        raise AccessLogError("Recording the access failed (No space left on device)")

    with pytest.raises(IngestError, match="the access log could not record this ingest") as err:
        ingest(tmp_path / "second", paths, recorder=broken_log)
    assert "\n" not in str(err.value)
    assert paths.store.read_bytes() == before
    assert not list(paths.data_dir.glob(".store.duckdb.writing-*"))
