"""A refused command leaves nothing behind: no key file beside no store, no data folder made by a typo."""
from __future__ import annotations

import pytest

from cli import main
from ingest.writer import IngestError, ingest

HEADER = "claim_id,facility_id,payer,coder_id,encounter_type,service_date,billed_amount"


def test_a_first_ingest_refused_at_the_event_leaves_no_key_file(paths, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "claims.csv").write_text(HEADER + "\nA,F1,P,C1,outpatient,2025-01-10,10\n")

    def unwritable_log(event: object) -> None:
        raise OSError("disk full")

    with pytest.raises(IngestError, match="the access log could not record this ingest"):
        ingest(src, paths, recorder=unwritable_log)
    assert not paths.store.exists()
    assert sorted(p.name for p in paths.key_dir.glob("*")) == []


@pytest.mark.parametrize("command", [["ingest", "IN"], ["metrics"]])
@pytest.mark.parametrize("option", ["--data-dir", "--db"])
def test_a_data_folder_named_on_the_command_line_must_exist(paths, tmp_path, capsys, command, option):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "claims.csv").write_text(HEADER + "\n")
    typo = tmp_path / "dtaa"
    named = typo / "store.duckdb" if option == "--db" else typo
    args = [str(tmp_path / "in") if a == "IN" else a for a in command]
    assert main([*args, option, str(named)]) == 2
    assert f"the data folder {typo} does not exist" in capsys.readouterr().err
    assert not typo.exists()


def test_metrics_never_creates_the_configured_data_folder(paths, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("CODEAUDIT_DATA_DIR", str(tmp_path / "never"))
    assert main(["metrics"]) == 2
    assert "does not exist" in capsys.readouterr().err and not (tmp_path / "never").exists()
