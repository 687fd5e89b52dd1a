"""The 835 reader without a store: delimiters from ISA, netting of reversals, corrections and split claims."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from data.remittance_835 import Marks, interchange
from ingest.remittance import ClaimPayment, net
from ingest.remittance_stage import read_interchange
from ingest.x12 import X12Refused, delimiters
from tests.ingest.remits import paid_claim, remit


def _claim(status: str, day: int, trace: str, segment: int = 10, file: str = "a.835") -> ClaimPayment:
    return ClaimPayment(file, segment, "C1", status, D(100), D(80), None, "P", None, date(2025, 2, day), trace)


def test_a_reversal_cancels_what_stood_and_its_correction_stands_alone():
    original, reversal, correction = _claim("1", 1, "T1"), _claim("22", 5, "T2", 10), _claim("1", 5, "T2", 20)
    assert net([correction, original, reversal])[("C1", "P")].standing == [correction]
    alone = net([original, reversal])[("C1", "P")]
    assert alone.standing == [] and alone.latest is reversal


def test_a_later_remittance_replaces_an_earlier_one_and_a_split_claim_counts_whole():
    first, later = _claim("1", 1, "T1"), _claim("1", 9, "T9")
    assert net([later, first])[("C1", "P")].standing == [later]
    part_one, part_two = _claim("1", 1, "T1", 10), _claim("1", 1, "T1", 40)
    assert net([part_two, part_one])[("C1", "P")].standing == [part_one, part_two]


@pytest.mark.parametrize("marks", [Marks(), Marks("|", ">", "!", "\n", ""), Marks("^", "\\", "{", "'", "\r\n")],
                         ids=["default", "pipe-newline", "caret-quote-crlf"])
def test_delimiters_come_from_the_isa_segment(marks):
    text = interchange([[remit([paid_claim()])]], marks)
    found = delimiters(text)
    assert (found.element, found.component, found.repetition, found.segment) == (
        marks.element, marks.component, marks.repetition, marks.segment)
    claims = [c for t in read_interchange("x.835", text.encode()) for c in t.claims]
    assert [(a.group_code, a.carc, a.amount) for a in claims[0].adjustments] == [
        ("CO", "16", D(20)), ("CO", "50", D(50)), ("CO", "97", D(10)), ("PR", "2", D(40))]


def test_an_isa_that_is_not_fixed_length_is_refused_without_its_values():
    text = "ISA*00*SECRETNAME*00*~GS*HP~"
    with pytest.raises(X12Refused) as refused:
        delimiters(text)
    assert "SECRETNAME" not in str(refused.value)
