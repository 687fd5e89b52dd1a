"""A large 835 read in parts (ingest/x12.py, split_interchange; ingest/remittance_stage.py, RemittanceReading):
the same transactions, claims, segment numbers and claim reasons as the file read whole, and, when the file
is broken anywhere, in its first half or its second, the same refusal word for word."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal as D

import pytest

from data.remittance_835 import DEFAULT_MARKS, Marks, interchange
from ingest.remittance_stage import RemittanceReading, _read_one, _read_part
from ingest.x12 import delimiters, split_interchange, split_segments
from tests.ingest.remits import paid_claim, remit

TODAY = date(2025, 3, 1)
TRANSACTIONS = 8
PART_CHARS = 1_500  # a few transactions a part


def _base(marks: Marks = DEFAULT_MARKS) -> str:
    """Eight transactions of three claims; one transaction in the first half and one in the second break a
    rule of ours that pyx12 does not check (a date after the ingest's), so each half has claim reasons."""
    remits = [remit([paid_claim(f"QZS{t}{c}") for c in range(3)], trace=f"TRS{t}",
                    day=date(2025, 4, 1) if t in (1, 6) else date(2025, 2, 1 + t)) for t in range(TRANSACTIONS)]
    return interchange([remits], marks)


def _segment_of(text: str, needle: str, half: str) -> int:
    """The number of the first segment holding `needle` in the given half of the file (ISA = 1)."""
    lines = text.splitlines()
    found = [n for n, line in enumerate(lines, start=1) if needle in line]
    return next(n for n in found if (n > len(lines) // 2) == (half == "second"))


def _in_half(half: str, old: str, new: str):
    def mutate(text: str) -> str:
        lines = text.splitlines(keepends=True)
        number = _segment_of(text, old, half)
        lines[number - 1] = lines[number - 1].replace(old, new, 1)
        return "".join(lines)
    return mutate


def _duplicate_st02(text: str) -> str:
    """The seventh transaction numbered as the first (ST02 and SE02): each part alone would not see it."""
    se = re.search(r"SE\*\d+\*0007", text).group(0)
    return text.replace("ST*835*0007", "ST*835*0001").replace(se, se[:-4] + "0001")


MUTATIONS = {
    **{f"{half}_{name}": _in_half(half, old, new) for half in ("first", "second") for name, old, new in (
        ("bad_date", "DTM*472*", "DTM*472*2025"),
        ("bad_group_code", "CAS*CO*50", "CAS*ZZ*50"),
        ("unknown_segment", "LQ*HE*N130~", "LQ*HE*N130~\nZZZ*1*2~"),
        ("missing_mandatory_element", "N1*PR*ACME HEALTH*XV*12345", "N1*PR"),
        ("too_many_elements", "AMT*AU*200~", "AMT*AU*200*1*2*3~"),
        ("bad_amount", "*1*300*180*", "*1*30.0.0*180*"),
        ("wrong_se_count", "SE*", "SE*9"),
        ("control_character", "N3*1 PAYER WAY", "N3*1 PAYER\x07WAY"),
        ("not_835", "ST*835*", "ST*837*"),
        ("empty_segment", "LX*1~", "LX*1~\n~"),
    )},
    "duplicate_st02_across_halves": lambda text: _duplicate_st02(text),
    "junk_after_a_se": lambda text: text.replace("~\nST*835*0005", "~\nREF*ZZ*1~\nST*835*0005"),
    "wrong_ge_count": lambda text: text.replace(f"GE*{TRANSACTIONS}*", f"GE*{TRANSACTIONS + 1}*"),
    "wrong_iea_count": lambda text: text.replace("IEA*1*", "IEA*2*"),
    "no_last_terminator": lambda text: text.rstrip().removesuffix("~"),
    "second_group": lambda text: text.replace("~\nST*835*0005", "~\nGE*4*1~\nGS*HP*SYNTHPAYER*SYNTHPROV*20261201*1200*2*X*"
                                              "005010X221A1~\nST*835*0005").replace(f"GE*{TRANSACTIONS}*1", "GE*4*2")
    .replace("IEA*1*", "IEA*2*"),
}


@dataclass(frozen=True)
class _File:
    name: str
    reader_path: str


def test_the_parts_of_a_file_read_as_the_whole_file():
    text = _base()
    parts = split_interchange(text, PART_CHARS)
    assert len(parts) >= 3
    marks = delimiters(text)
    whole = split_segments(text, marks)
    for part in parts:
        segments = split_segments(part.text, marks)
        assert segments[:2] == whole[:2]  # the file's ISA and GS
        count = sum(s[0] == "ST" for s in segments)
        assert segments[-2:] == [["GE", str(count), "1"], whole[-1]]  # a GE counting the part's transactions
        assert segments[2:-2] == whole[part.first - 1:part.first - 1 + len(segments) - 4]
    reads = [_read_part("big.835", part, TODAY) for part in parts]
    unsplit = _read_one("big.835", text.encode(), TODAY)
    assert [t for read in reads for t in read.transactions] == unsplit.transactions
    assert {n: r for read in reads for n, r in read.reasons.items()} == unsplit.reasons
    assert len(unsplit.reasons) == 6 and min(unsplit.reasons) < len(whole) // 2 < max(unsplit.reasons)


def test_other_delimiters_and_no_line_breaks_split_too():
    text = _base(Marks("|", ">", "!", "\\", ""))
    parts = split_interchange(text, PART_CHARS)
    assert len(parts) >= 3
    reads = [_read_part("big.edi", part, TODAY) for part in parts]
    assert [t for read in reads for t in read.transactions] == _read_one("big.edi", text.encode(), TODAY).transactions


@pytest.mark.parametrize("name", ["small", "newline_terminated"])
def test_what_is_not_split(name):
    if name == "small":
        assert split_interchange(_base(), len(_base())) == []
    else:
        assert split_interchange(_base(Marks("*", ":", "^", "\n", "")), PART_CHARS) == []


def test_a_split_file_gives_the_unsplit_files_answer_broken_or_not(tmp_path):
    """Each file is read by the workers in parts and by this process whole; the answers are equal: the
    same rows when the file is sound, the same refusal (segment numbers, rules, counts) when it is not."""
    texts = {"base.835": _base(), **{f"{name}.835": mutate(_base()) for name, mutate in MUTATIONS.items()}}
    assert len(set(texts.values())) == len(texts)  # every mutation changed the file
    for name, text in texts.items():
        (tmp_path / name).write_text(text)
    sources = {name: _File(name, str(tmp_path / name)) for name in texts}
    reading = RemittanceReading(sources, TODAY, part_chars=PART_CHARS)
    try:
        split = dict(zip(sorted(texts), reading.results()))
        parts = reading.parts
    finally:
        reading.close()
    unsplit = {name: _read_one(name, (tmp_path / name).read_bytes(), TODAY) for name in texts}
    assert [name for name in texts if split[name] != unsplit[name]] == []
    # The sound file and those broken inside a transaction were read in parts (the broken ones then whole).
    assert parts["base.835"] >= 3 and parts["second_bad_date.835"] >= 3 and parts["first_not_835.835"] >= 3
    # Not split: the envelope is checked on the whole file first, and anything but the plain shape is read whole.
    for name in ("wrong_ge_count", "wrong_iea_count", "duplicate_st02_across_halves", "junk_after_a_se",
                 "second_group", "no_last_terminator", "first_wrong_se_count", "second_empty_segment"):
        assert parts[f"{name}.835"] == 1, name
    refused = [name for name, answer in split.items() if isinstance(answer, str)]
    assert "base.835" not in refused and len(refused) >= len(MUTATIONS) - 4
    late = _segment_of(texts["second_bad_date.835"], "DTM*472*2025", "second")
    assert f"segment {late} (DTM)" in split["second_bad_date.835"]
    assert late > len(texts["base.835"].splitlines()) // 2


def test_claim_amounts_of_each_part_are_kept(tmp_path):
    text = _base()
    parts = split_interchange(text, PART_CHARS)
    claims = [c for part in parts for t in _read_part("big.835", part, TODAY).transactions for c in t.claims]
    assert [c.claim_id for c in claims] == [f"QZS{t}{c}" for t in range(TRANSACTIONS) for c in range(3)]
    assert {c.paid for c in claims} == {D("180")}
