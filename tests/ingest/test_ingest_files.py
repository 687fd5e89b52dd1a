"""Reading one input file (ingest/files.py), in this process and without a store: what the stager
does with hostile bytes before any row is checked. Fast on purpose: the whole ingest is tested in
test_ingest.py and test_hostile_input.py.

Every file-level problem is one IngestError line naming the file and the kind of problem, never a value.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ingest import files as ingest_files
from ingest.files import SPECS, IngestError, find_inputs, stage
from ingest.stage import STAGER_SETTINGS

HEADER = "claim_id,facility_id,payer,coder_id,encounter_type,service_date,billed_amount"
SECRET = "Zebulon Quackenbush"


def row(claim_id: str, payer: str = "P") -> str:
    return f"{claim_id},F1,{payer},C1,outpatient,2025-01-10,10\n"


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(":memory:", config=dict(STAGER_SETTINGS))
    yield connection
    connection.close()


def staged(con: duckdb.DuckDBPyConnection, tmp_path: Path, content: bytes, name: str = "claims.csv") -> list:
    (tmp_path / name).write_bytes(content)
    return stage(con, SPECS["claims"], find_inputs(tmp_path)["claims"])


def refusal(con: duckdb.DuckDBPyConnection, tmp_path: Path, content: bytes, name: str = "claims.csv") -> str:
    with pytest.raises(IngestError) as err:
        staged(con, tmp_path, content, name)
    message = str(err.value)
    assert "\n" not in message and name in message and SECRET not in message and "Quackenbush" not in message
    return message


def test_cr_only_line_endings_are_one_clear_line(con, tmp_path):
    message = refusal(con, tmp_path, (HEADER + "\n" + row("A") + row("B")).replace("\n", "\r").encode())
    assert "carriage return" in message and "LF" in message


def test_a_header_line_python_cannot_parse_is_one_clear_line(con, tmp_path):
    message = refusal(con, tmp_path, ('claim_id,"payer\r' + HEADER[8:] + "\n" + row("A")).encode())
    assert "carriage return" in message


def test_a_multi_line_record_with_too_many_fields_is_a_reject_not_an_unclosed_quote(con, tmp_path):
    content = HEADER + "\n" + row("A") + 'B,"F\n1",P,C1,outpatient,2025-01-10,10,extra\n' + row("C")
    rejects = staged(con, tmp_path, content.encode())
    assert [(line, reason) for line, reason, _ in rejects] == [(3, "the row has more fields than the header")]
    assert con.execute("SELECT src_line FROM raw_claims ORDER BY src_line").fetchall() == [(2,), (4,)]


def test_a_stray_quote_is_named_before_the_missing_fields_it_causes(con, tmp_path):
    content = HEADER + "\n" + row("A") + 'B,"F"1,P\n' + row("C")
    rejects = staged(con, tmp_path, content.encode())
    assert [(line, reason) for line, reason, _ in rejects] == [(3, "a field has a stray quote character")]


def test_a_quote_closed_on_a_later_line_then_a_stray_quote_is_not_called_unclosed(con, tmp_path):
    content = HEADER + "\n" + row("A") + 'B,"F\n1"x,P,C1,outpatient,2025-01-10,10\n' + row("C")
    rejects = staged(con, tmp_path, content.encode())
    assert [(line, reason) for line, reason, _ in rejects] == [(3, "a field has a stray quote character")]


def test_bom_and_invisible_characters_in_header_names_are_ignored(con, tmp_path):
    header = "\ufeffclaim_id,facility\u200b_id,\u00a0payer\u00a0,coder_id\u2060,encounter_type,service_date,billed_amount"
    assert staged(con, tmp_path, (header + "\n" + row("A")).encode()) == []
    assert con.execute("SELECT claim_id, facility_id, payer FROM raw_claims").fetchall() == [("A", "F1", "P")]


@pytest.mark.parametrize(("extra", "hint"), [
    ("Zebulon Quackenbush", ""),
    ("Patient MRN", " It looks like patient_mrn written differently"),
])
def test_an_unknown_column_is_named_by_position_and_length_only(con, tmp_path, extra, hint):
    message = refusal(con, tmp_path, (HEADER + "," + extra + "\n" + row("A").rstrip("\n") + ",x\n").encode())
    assert f"column 8 of the header ({len(extra)} characters) is not a known column.{hint}" in message
    assert extra not in message


def _parquet(path: Path, **columns: pa.Array) -> None:
    base = {"claim_id": pa.array(["A", "B"]), "facility_id": pa.array(["F1", "F1"]), "payer": pa.array(["P", "P"]),
            "coder_id": pa.array(["C1", "C1"]), "encounter_type": pa.array(["outpatient", "outpatient"]),
            "service_date": pa.array(["2025-01-10", "2025-01-10"]), "billed_amount": pa.array(["10", "10"])}
    pq.write_table(pa.table({**base, **columns}), path / "claims.parquet")


@pytest.mark.parametrize(("column", "kind"), [
    ("patient_name", "text that is not valid UTF-8"),
    ("claim_id", "text that is not valid UTF-8"),
    ("patient_dob", "a date, time or number outside the range that can be read"),
])
def test_parquet_values_the_reader_cannot_convert_are_one_line_naming_the_kind(con, tmp_path, column, kind):
    if kind.startswith("text"):
        values = pa.array([SECRET.encode() + b"\xff", b"ok"], pa.binary()).view(pa.string())
    else:
        values = pa.array(np.array([2**62, 1], dtype="int64")).view(pa.timestamp("ms"))
    _parquet(tmp_path, **{column: values})
    with pytest.raises(IngestError) as err:
        stage(con, SPECS["claims"], find_inputs(tmp_path)["claims"])
    message = str(err.value)
    assert message.startswith(f"claims.parquet holds {kind}") and "\n" not in message and SECRET not in message


@pytest.mark.parametrize("swap", ["a FIFO", "a symlink to another file", "another file"])
def test_a_file_swapped_after_the_check_is_not_read(con, tmp_path, swap):
    """Time of check to time of use: what find_inputs checked is what stage reads, whatever the name
    points to by then (a FIFO would hang the reader, a link or a new file would read something else)."""
    (tmp_path / "claims.csv").write_text(HEADER + "\n" + row("CHECKED"))
    source = find_inputs(tmp_path)["claims"]
    swapped = tmp_path / "swapped"
    if swap == "a FIFO":
        os.mkfifo(swapped)
    elif swap == "another file":
        swapped.write_text(HEADER + "\n" + row("SWAPPED"))
    else:
        (tmp_path / "elsewhere.csv").write_text(HEADER + "\n" + row("ELSEWHERE"))
        swapped.symlink_to(tmp_path / "elsewhere.csv")
    os.replace(swapped, tmp_path / "claims.csv")
    assert stage(con, SPECS["claims"], source) == []
    assert con.execute("SELECT claim_id FROM raw_claims").fetchall() == [("CHECKED",)]


def test_a_symlink_to_a_regular_file_is_refused(tmp_path):
    (tmp_path / "elsewhere.csv").write_text(HEADER + "\n" + row("A"))
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "claims.csv").symlink_to(tmp_path / "elsewhere.csv")
    with pytest.raises(IngestError, match="claims.csv is a symbolic link: copy the file itself"):
        find_inputs(tmp_path / "in")


def test_an_input_over_the_size_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(ingest_files, "INPUT_MAX_BYTES", len(HEADER) + 1)
    (tmp_path / "claims.csv").write_text(HEADER + "\n" + row("A"))
    with pytest.raises(IngestError, match="claims.csv is larger than .* the limit of one input file"):
        find_inputs(tmp_path)


def test_a_reject_keeps_at_most_the_record_limit_and_says_so():
    limit = ingest_files.RECORD_MAX_CHARS
    assert ingest_files.bounded_reject(3, "a reason", "x" * limit) == (3, "a reason", "x" * limit)
    line, reason, kept = ingest_files.bounded_reject(3, "a reason", "y" * (limit + 1))
    assert (line, reason, kept) == (3, "the record is longer than 8,192 characters (only its first 8,192 are kept)", "y" * limit)


@pytest.mark.parametrize(("bad", "reason"), [
    (b"B,F1,Jos\xe9,C1,outpatient,2025-01-10,10\n", "the row is not valid UTF-8"),
    (b'B,"F1,P,C1\n', "a quoted value is never closed"),
    (b'B,"F\\"1",P,C1,outpatient,2025-01-10,10\n', "a field has a stray quote character"),
])
def test_a_row_the_reader_cannot_parse_is_rejected_with_its_real_reason(con, tmp_path, bad, reason):
    rejects = staged(con, tmp_path, (HEADER + "\n" + row("A")).encode() + bad)
    assert [(line, why) for line, why, _ in rejects] == [(3, reason)]


def test_mixed_line_endings_are_one_clear_line(con, tmp_path):
    message = refusal(con, tmp_path, (HEADER + "\r\n" + row("A").replace("\n", "\r\n") + row("B")).encode())
    assert "line endings" in message


def test_an_empty_header_name_is_called_empty(con, tmp_path):
    message = refusal(con, tmp_path, (HEADER + ",\n" + row("A").rstrip("\n") + ",\n").encode())
    assert "column 8 of the header is empty (a comma at the end of the header line?)" in message


def test_a_repeated_parquet_column_is_called_repeated(con, tmp_path):
    names = ["claim_id", "facility_id", "payer", "coder_id", "encounter_type", "service_date", "billed_amount", "payer"]
    pq.write_table(pa.Table.from_arrays([pa.array(["A"]) for _ in names], names=names), tmp_path / "claims.parquet")
    message = refusal(con, tmp_path, (tmp_path / "claims.parquet").read_bytes(), "claims.parquet")
    assert "column 'payer' appears twice in the header" in message


def test_a_file_that_is_not_parquet_is_one_line(con, tmp_path):
    assert "could not be read as Parquet" in refusal(con, tmp_path, b"claim_id,payer\nA,P\n", "claims.parquet")
