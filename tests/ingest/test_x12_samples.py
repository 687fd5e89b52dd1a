"""The public 835 samples (tests/fixtures/x12/MANIFEST.md): every file either reads or is refused with the
validator's reason, told by segment number and rule and never quoting one of the file's values."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from ingest.remittance_stage import read_interchange
from ingest.x12 import X12Refused, delimiters, looks_like_x12, split_segments

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "x12"
ROW = re.compile(r"^\| \d+ \| `([^`]+)` \|(.*)$")


def _manifest() -> list[tuple[str, int, bool]]:
    """(path, CLP count, pyx12 passes) of every sample, from the MANIFEST table."""
    samples = []
    for line in (FIXTURES / "MANIFEST.md").read_text().splitlines():
        if match := ROW.match(line):
            cells = [c.strip() for c in match.group(2).split("|")]
            samples.append((match.group(1), int(cells[5]), cells[15].startswith("PASS")))
    return samples


SAMPLES = _manifest()


def test_the_manifest_lists_every_copied_sample():
    assert len(SAMPLES) == 30
    assert sum(passes for _, _, passes in SAMPLES) == 15
    assert all((FIXTURES / path).is_file() for path, _, _ in SAMPLES)


def _values(data: bytes) -> set[str]:
    """Every element value of 4 characters or more, as a message could quote it."""
    text = data.decode("utf-8", "replace").lstrip("\ufeff \r\n")
    try:
        marks = delimiters(text)
        elements = [e.strip() for seg in split_segments(text, marks) for e in seg[1:]]
    except X12Refused:
        elements = re.split(r"[*|~^:\n]", text)
    return {v for v in elements if len(v) >= 4}


@pytest.mark.parametrize(("path", "claims", "passes"), SAMPLES, ids=[Path(p).name for p, _, _ in SAMPLES])
def test_each_sample_reads_or_is_refused_with_the_validators_reason(path, claims, passes):
    data = (FIXTURES / path).read_bytes()
    name = Path(path).name
    if passes:
        transactions = read_interchange(name, data)
        assert sum(len(t.claims) for t in transactions) == claims
        assert all(t.trace and t.payer for t in transactions)
        return
    if not looks_like_x12(data[:7]):
        return  # not an interchange at all: a .txt like it is not read as one (test_remittance_ingest)
    with pytest.raises(X12Refused) as refused:
        read_interchange(name, data)
    message = str(refused.value).removeprefix(name)
    assert re.search(r"segment \d+ \([A-Z0-9]{2,3}\)|ISA segment", message)
    quoted = sorted(v for v in _values(data) if v in message)
    assert quoted == []


def test_a_broken_envelope_names_each_count_that_is_wrong():
    data = (FIXTURES / "badX12/tests/files/errors/error_validation.edi").read_bytes()
    with pytest.raises(X12Refused) as refused:
        read_interchange("error_validation.edi", data)
    message = str(refused.value)
    assert message.startswith("error_validation.edi: ")
    assert "segment 29 (SE): SE01 does not count the segments it closes" in message
    assert "GE01 does not count the transactions it closes" in message or "(GE)" in message


def test_the_same_stream_with_three_terminator_styles_reads_the_same():
    base = "x12-parser-tastypackets/test/test-files/835/"
    read = [read_interchange(n, (FIXTURES / p).read_bytes()) for n, p in (
        ("one-line", "edi-835-parser/tests/test_edi_835_files/emedny_sample.txt"),
        ("line-per-segment", base + "profee.edi"), ("newline-terminated", base + "multi-line-not-delimited.edi"))]
    shapes = [[(c.claim_id, c.status, c.paid, [(a.level, a.group_code, a.carc, a.amount, tuple(a.remarks))
                                               for a in c.adjustments]) for t in r for c in t.claims] for r in read]
    assert shapes[0] == shapes[1] == shapes[2]
    assert len(shapes[0]) == 3 and sum(len(c[3]) for c in shapes[0]) == 4
