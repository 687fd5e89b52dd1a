"""Bad input to the sampling and appraisal commands, run in-process as a user would type it: each answer is one
sentence on standard error and exit 2, nothing on standard output, within a couple of seconds (a command that
would loop or allocate without bound is refused before it starts). JSON output never holds Infinity or NaN."""
from __future__ import annotations

import json
import time

import pytest

from cli import main

SECONDS = 3.0


@pytest.fixture
def folders(tmp_path, monkeypatch):
    monkeypatch.setenv("CODEAUDIT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CODEAUDIT_KEY_DIR", str(tmp_path / "keys"))
    return tmp_path


def refused(capsys, *argv: str) -> str:
    """Run the command; assert a one-sentence refusal (exit 2) within SECONDS; return the sentence."""
    started = time.monotonic()
    code = main(list(argv))
    elapsed = time.monotonic() - started
    out, err = capsys.readouterr()
    assert (code, out) == (2, ""), (code, out, err)
    assert err.count("\n") == 1 and err.rstrip().endswith("."), err
    assert "Traceback" not in err
    assert elapsed < SECONDS, f"{argv} took {elapsed:.1f} s"
    return err


def test_band_limits_that_are_not_finite_numbers_are_refused(folders, capsys):
    for bands in ("nan", "1000,nan", "1000,inf", "abc", ""):
        err = refused(capsys, "sample", "draw", "--method", "stratified", "--strata-by", "billed", "--bands", bands,
                      "--size", "5")
        assert "band" in err.lower()


def test_a_values_file_that_is_not_utf8_is_refused_naming_the_file(folders, capsys):
    values = folders / "values.txt"
    values.write_bytes(b"12.50\n\xff\xfe3\n")
    err = refused(capsys, "appraise", "variable", "--values", str(values), "--universe", "100")
    assert str(values) in err and "UTF-8" in err


def test_values_too_large_to_appraise_are_refused_and_json_is_always_finite(folders, capsys):
    values = folders / "values.txt"
    values.write_text("1e308\n1e308\n0\n")
    err = refused(capsys, "appraise", "variable", "--values", str(values), "--universe", "10")
    assert "too large" in err
    values.write_text("inf\n1\n0\n")
    refused(capsys, "appraise", "variable", "--values", str(values), "--universe", "10")
    values.write_text("nan\n1\n0\n")
    refused(capsys, "appraise", "variable", "--values", str(values), "--universe", "10")
    values.write_text("120.5\n0\n-30\n")  # an ordinary file still appraises, with finite JSON throughout
    assert main(["appraise", "variable", "--values", str(values), "--universe", "10", "--json"]) == 0
    body = json.loads(capsys.readouterr().out, parse_constant=lambda name: pytest.fail(f"{name} in the JSON"))
    assert body["point_estimate"] == pytest.approx(10 * (120.5 - 30) / 3)


def test_random_numbers_bounds_the_count_before_drawing(folders, capsys):
    err = refused(capsys, "random-numbers", "--seed", "1", "--count", "99999999999", "--low", "1", "--high", "999999999999")
    assert "100,000" in err
    refused(capsys, "random-numbers", "--seed", "1", "--count", "99999999999", "--low", "1", "--high", "1000")
    refused(capsys, "random-numbers", "--seed", "1", "--count", "10", "--spares", "99999999999", "--low", "1",
            "--high", "999999999999")
    refused(capsys, "random-numbers", "--seed", "nan", "--count", "5", "--low", "1", "--high", "100")


def test_an_attribute_appraisal_of_a_huge_universe_answers_quickly(folders, capsys):
    err = refused(capsys, "appraise", "attribute", "--errors", "3", "--n", "100", "--universe", "99999999999999")
    assert "1,000,000,000" in err
    started = time.monotonic()
    assert main(["appraise", "attribute", "--errors", "3", "--n", "100", "--universe", "1000000000", "--json"]) == 0
    assert time.monotonic() - started < SECONDS
    body = json.loads(capsys.readouterr().out)
    assert body["point_count"] == 30_000_000 and 0 < body["two_sided"]["90"]["lower_count"] < 30_000_000


@pytest.mark.parametrize("argv", [
    ["--sd", "10", "--mean", "inf", "--universe", "100"],
    ["--sd", "10", "--mean", "nan", "--universe", "100"],
    ["--sd", "inf", "--mean", "5", "--universe", "100"],
    ["--sd", "10", "--mean", "5", "--universe", "100", "--precision-pct", "nan"],
    ["--sd", "10", "--mean", "5", "--universe", "99999999999999"],
])
def test_a_variable_sample_size_from_numbers_that_are_not_finite_is_refused(folders, capsys, argv):
    err = refused(capsys, "appraise", "sample-size", "--kind", "variable", *argv)
    assert "is 0" not in err  # the sentence names the real problem, not a zero mean


def test_an_attribute_sample_size_from_numbers_that_are_not_finite_is_refused(folders, capsys):
    refused(capsys, "appraise", "sample-size", "--kind", "attribute", "--expected-rate", "nan", "--universe", "100")
    refused(capsys, "appraise", "sample-size", "--kind", "attribute", "--expected-rate", "0.1", "--precision", "inf",
            "--universe", "100")
    refused(capsys, "appraise", "sample-size", "--kind", "attribute", "--expected-rate", "0.1", "--confidence", "nan",
            "--universe", "100")

