"""The ICD-10-CM frames kept between processes (queries/reference.py, _kept): what is read back equals what the code
set gives, a new code set release or rule makes a new file, and a file or folder that fails costs only the build."""
from __future__ import annotations

import pandas as pd
import pytest

from queries import reference


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("CODEAUDIT_CACHE_DIR", str(folder))
    return folder


def test_the_kept_frames_read_back_equal_to_the_frames_built_from_the_code_set(cache):
    built = reference._built_icd10cm_frame()
    assert reference._kept("icd10cm", lambda: built) is built  # the first process builds and keeps it
    (kept,) = cache.glob("icd10cm-*.parquet")
    assert not list(cache.glob(".*partial"))
    again = reference._kept("icd10cm", lambda: pytest.fail("built again though a kept file is there"))
    pd.testing.assert_frame_equal(again, built)  # values, column order and dtypes (bool stays bool)
    assert len(again) > 98_000 and again["unspecified"].dtype == bool
    headings = reference._kept("icd10cm-headings", reference._built_chapter_frame)
    pd.testing.assert_frame_equal(reference._kept("icd10cm-headings", pytest.fail), headings)


def test_a_new_code_set_release_or_a_changed_rule_gets_a_new_file(cache, monkeypatch):
    first = reference._frames_key()
    monkeypatch.setattr(reference, "version", lambda name: "99.0.0")
    assert reference._frames_key() != first
    monkeypatch.undo()
    source = reference.Path(reference.__file__).read_bytes()
    monkeypatch.setattr(reference.Path, "read_bytes", lambda self: source + b"\n# a changed rule")
    assert reference._frames_key() != first


def test_a_file_cut_short_is_built_again_and_replaced(cache):
    frame = pd.DataFrame({"code": ["A00", "A000"], "billable": [False, True]})
    reference._kept("tiny", lambda: frame)
    (kept,) = cache.glob("tiny-*.parquet")
    kept.write_bytes(kept.read_bytes()[:40])  # as a crash or a full disk could leave it
    pd.testing.assert_frame_equal(reference._kept("tiny", lambda: frame.copy()), frame)
    pd.testing.assert_frame_equal(pd.read_parquet(kept), frame)


def test_a_folder_that_cannot_be_written_costs_only_the_build(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would be")
    monkeypatch.setenv("CODEAUDIT_CACHE_DIR", str(blocker / "codeaudit"))
    frame = pd.DataFrame({"code": ["A00"], "billable": [False]})
    assert reference._kept("tiny", lambda: frame) is frame
    assert reference._kept("tiny", lambda: frame) is frame


@pytest.mark.parametrize("loosened", ["file", "folder"])
def test_a_file_or_folder_others_may_write_is_not_read(cache, loosened):
    """The flags decide findings: a kept file that another account could have replaced is built again."""
    frame = pd.DataFrame({"code": ["A00"], "billable": [False]})
    reference._kept("tiny", lambda: frame)
    (kept,) = cache.glob("tiny-*.parquet")
    assert kept.stat().st_mode & 0o077 == 0 and cache.stat().st_mode & 0o077 == 0  # made private
    (kept if loosened == "file" else cache).chmod(0o666 if loosened == "file" else 0o777)
    built = []
    reference._kept("tiny", lambda: built.append(1) or frame)
    assert built == [1]
