"""Which files of a folder are read as X12 835 (ingest/files.py, find_inputs), before any lock or store."""
from __future__ import annotations

import pytest

from ingest.files import IngestError, find_inputs
from ingest.remittance_stage import INPUT_PREFIX


def test_835_edi_x12_and_txt_starting_with_isa_are_inputs_other_txt_files_are_not(tmp_path):
    isa = "ISA*00*" + " " * 10 + "*00*~"
    for name in ("a.835", "b.edi", "c.X12", "d.txt"):
        (tmp_path / name).write_text("\ufeff" + isa if name == "b.edi" else isa)
    (tmp_path / "notes.txt").write_text("minutes of the meeting\n")
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / ".hidden.835").write_text("not read")
    assert sorted(find_inputs(tmp_path)) == [INPUT_PREFIX + n for n in ("a.835", "b.edi", "c.X12", "d.txt")]


@pytest.mark.parametrize("name", ["remit.835", "remit.edi", "remit.x12"])
def test_an_x12_suffix_without_isa_refuses_the_batch(tmp_path, name):
    (tmp_path / name).write_text("GS*HP*...~")
    with pytest.raises(IngestError, match=rf"{name.replace('.', '[.]')} does not start with an ISA segment"):
        find_inputs(tmp_path)


def test_a_folder_with_only_other_text_files_has_nothing_to_ingest(tmp_path):
    (tmp_path / "notes.txt").write_text("minutes\n")
    with pytest.raises(IngestError, match="nor an X12 835 file"):
        find_inputs(tmp_path)
