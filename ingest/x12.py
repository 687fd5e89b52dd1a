"""X12 interchanges as they arrive: delimiters from the ISA segment, segments, the envelope, validation.

pyx12 validates every transaction against its implementation guide (005010X221A1 for an 835; it is
maintained, BSD-licensed and runs offline). Its messages quote the values they failed on, and an 835's
values include patient names and member ids, so no message of pyx12 is passed on: a problem is told as the
segment number, the segment id, the element reference and the rule broken (`X12Problem`), in our words.
"""
from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass

ISA_LENGTH = 106  # the ISA segment is fixed length: 105 characters and its terminator
X12_SUFFIXES = (".835", ".edi", ".x12")  # always read as X12; a .txt only when it starts with ISA
SNIFF_BYTES = 4 + 3  # a byte-order mark and "ISA"
ENVELOPE_TAGS = ("ISA", "GS", "ST", "SE", "GE", "IEA")

# The rule behind each error code pyx12 reports, in the words of the 999 acknowledgment (IK304 for a
# segment, IK403 for an element, IK502/AK905 for a transaction or group, TA1 for the interchange).
SEGMENT_RULES = {
    "1": "unrecognised segment id", "2": "unexpected segment", "3": "mandatory segment missing",
    "4": "loop occurs over its maximum times", "5": "segment exceeds its maximum use",
    "6": "segment not in the defined transaction set", "7": "segment not in proper sequence",
    "8": "segment has data element errors",
}
ELEMENT_RULES = {
    "1": "mandatory data element missing", "2": "conditional required data element missing",
    "3": "too many data elements", "4": "data element too short", "5": "data element too long",
    "6": "invalid character in data element", "7": "invalid code value", "8": "invalid date",
    "9": "invalid time", "10": "exclusion condition violated", "12": "too many repetitions",
    "13": "too many components", "I10": "implementation: not used data element present",
    "I12": "implementation pattern match failure", "I13": "implementation: situational data element missing",
}
ENVELOPE_RULES = {
    "1": "transaction set not supported", "2": "trailer missing", "3": "control number in header and trailer do not match",
    "4": "number of included segments or transactions does not match the actual count",
    "5": "one or more segments in error", "6": "missing or invalid transaction set identifier",
    "7": "missing or invalid control number", "023": "trailer missing or count wrong",
}


class X12Refused(ValueError):
    """The file is not a readable or valid X12 interchange; the message never quotes a value."""


@dataclass(frozen=True)
class Delimiters:
    element: str
    component: str
    repetition: str | None
    segment: str


@dataclass(frozen=True)
class X12Problem:
    segment: int  # the segment's number in the file, ISA = 1
    segment_id: str
    rule: str

    def __str__(self) -> str:
        return f"segment {self.segment} ({self.segment_id}): {self.rule}"


def looks_like_x12(head: bytes) -> bool:
    """The file starts with an ISA segment (after a byte-order mark or blank lines)."""
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"ISA")


def delimiters(text: str) -> Delimiters:
    """The delimiters an interchange declares in its fixed-length ISA segment: the element separator is its
    4th character, the repetition separator ISA11 (5010; 4010 has a standards id there), the component
    separator ISA16 and the segment terminator the character after it."""
    if not text.startswith("ISA") or len(text) < ISA_LENGTH:
        raise X12Refused("it does not start with a complete ISA segment (106 characters)")
    element = text[3]
    if element.isalnum() or element.isspace():
        raise X12Refused("its ISA segment does not declare an element separator (the 4th character)")
    fields = text[:ISA_LENGTH].split(element)
    if len(fields) != 17:
        raise X12Refused(f"its ISA segment has {len(fields) - 1} elements, not 16 (is it fixed length, 106 characters?)")
    repetition = fields[11] if fields[12] >= "00501" and len(fields[11]) == 1 and not fields[11].isalnum() else None
    component, segment = text[104], text[105]
    if len({element, component, segment}) < 3 or segment.isalnum():
        raise X12Refused("its ISA segment declares the same character for two delimiters")
    return Delimiters(element, component, repetition, segment)


def split_segments(text: str, marks: Delimiters) -> list[list[str]]:
    """Every segment as its elements, in file order (segment 1 = ISA). Line breaks around terminators are
    not part of a segment; a newline that is itself the terminator is honoured."""
    segments = []
    for raw in text.split(marks.segment):
        raw = raw.strip("\r\n") if marks.segment not in "\r\n" else raw.strip("\r")
        if raw.strip():
            segments.append(raw.split(marks.element))
    return segments


def envelope_problems(segments: list[list[str]]) -> list[X12Problem]:
    """The envelope's counts and control numbers: IEA01 = groups, GE01 = transactions, SE01 = segments from
    ST to SE, and each trailer's control number equal to its header's. Checked here as well as by pyx12, so
    a broken envelope is refused whatever the transaction type."""
    problems = _numbered_envelope_problems(enumerate(segments, start=1))
    if not segments or segments[0][0] != "ISA":
        problems.insert(0, X12Problem(1, "ISA", "the interchange does not start with ISA"))
    return problems


def _numbered_envelope_problems(segments: Iterable[tuple[int, list[str]]]) -> list[X12Problem]:
    """envelope_problems over numbered segments; only the envelope's own (ENVELOPE_TAGS) count, so the
    envelope segments alone, with their numbers in the file, give the same answer as the whole file."""
    problems: list[X12Problem] = []
    opened: dict[str, tuple[int, str]] = {}
    counts = {"ISA": 0, "GS": 0, "ST": 0}
    for number, elements in segments:
        tag = elements[0].strip()
        header = {"IEA": "ISA", "GE": "GS", "SE": "ST"}.get(tag)
        if tag in counts:
            if tag in opened:
                problems.append(X12Problem(number, tag, f"{tag} opens before the previous {tag} is closed"))
            control = {"ISA": 13, "GS": 6, "ST": 2}[tag]
            opened[tag] = (number, elements[control].strip() if len(elements) > control else "")
            if tag != "ISA":
                counts[{"GS": "ISA", "ST": "GS"}[tag]] += 1
            counts[tag] = 0
        elif header is not None:
            if header not in opened:
                problems.append(X12Problem(number, tag, f"{tag} closes a {header} that was never opened"))
                continue
            start, control = opened.pop(header)
            count = elements[1].strip() if len(elements) > 1 else ""
            expected = number - start + 1 if tag == "SE" else counts[header]
            if count != str(expected):
                what = {"SE": "segments", "GE": "transactions", "IEA": "functional groups"}[tag]
                problems.append(X12Problem(number, tag, f"{tag}01 does not count the {what} it closes"))
            if (elements[2].strip() if len(elements) > 2 else "") != control:
                problems.append(X12Problem(number, tag, f"{tag}02 is not the control number of its {header}"))
    problems += [X12Problem(start, tag, f"{tag} is never closed") for tag, (start, _) in opened.items()]
    return problems


@dataclass(frozen=True)
class InterchangePart:
    """Whole transactions of a file in an envelope of their own: the file's ISA and GS as they are, the
    transactions' text as it is, a GE counting this part's transactions and the file's IEA. `first` is the
    file's number of the part's first ST; `envelope` its ST and SE segments as the file numbers them."""

    text: str
    first: int
    envelope: tuple[tuple[int, tuple[str, ...]], ...]


def split_interchange(text: str, part_chars: int) -> list[InterchangePart]:
    """A large interchange cut between transactions into parts of about `part_chars` characters, so that
    several processes can validate it; [] when it is not cut. Only the plain shape is cut: one ISA and one
    GS, every segment ended by a terminator that is not white space, no empty segment, nothing between a
    SE and the next ST, a sound envelope (counts and control numbers checked on the whole file here) and
    no ST02 twice (pyx12 checks that across the group). Anything else is validated whole, as it is when
    a part finds any problem at all, so that a refusal is always the unsplit file's."""
    if len(text) < 2 * part_chars:
        return []
    try:
        marks = delimiters(text)
    except X12Refused:
        return []
    term, elem = marks.segment, marks.element
    ends_clean = not text[text.rfind(term) + 1:].strip()
    if term.isspace() or not ends_clean or re.search(f"{re.escape(term)}\\s*{re.escape(term)}", text):
        return []
    tags = "|".join(ENVELOPE_TAGS)
    pattern = f"{re.escape(term)}(?=\\s*(?:{tags})\\s*(?:{re.escape(elem)}|{re.escape(term)}))"
    starts = [0, *(match.start() + 1 for match in re.finditer(pattern, text))]  # the envelope's segments
    numbers = [1]
    for before, start in zip(starts, starts[1:]):
        numbers.append(numbers[-1] + text.count(term, before, start))
    found = [text[start:text.find(term, start)].strip("\r\n").split(elem) for start in starts]
    shape = ["ISA", "GS", *["ST", "SE"] * ((len(found) - 4) // 2), "GE", "IEA"]
    if [elements[0] for elements in found] != shape or numbers[:3] != [1, 2, 3] or numbers[-1] != text.count(term):
        return []
    if any(numbers[i + 1] != numbers[i] + 1 for i in [*range(3, len(numbers) - 2, 2), len(numbers) - 2]):
        return []  # something between a SE and the next ST or the GE, or between GE and IEA
    if _numbered_envelope_problems(zip(numbers, found)):
        return []
    transactions = [(starts[i], numbers[i]) for i in range(2, len(found) - 2, 2)]
    controls = [found[i][2].strip() if len(found[i]) > 2 else "" for i in range(2, len(found) - 2, 2)]
    ge, iea = found[-2], found[-1]
    if len(set(controls)) < len(controls) or ge[1] != str(len(transactions)) or iea[1] != "1":
        return []
    count = min(len(transactions), round(len(text) / part_chars))
    cuts = sorted({next(i for i, (start, _) in enumerate(transactions) if start >= len(text) * j // count or
                        i == len(transactions) - 1) for j in range(count)} | {0})
    header = text[:transactions[0][0]]
    parts = []
    for first, last in zip(cuts, [*cuts[1:], len(transactions)]):
        end = transactions[last][0] if last < len(transactions) else starts[-2]
        start, number = transactions[first]
        trailer = elem.join(["GE", str(last - first), *ge[2:]]) + term + elem.join(iea) + term
        envelope = tuple((n, tuple(e)) for n, e in zip(numbers[2 + 2 * first:2 + 2 * last], found[2 + 2 * first:2 + 2 * last]))
        parts.append(InterchangePart(header + text[start:end] + trailer, number, envelope))
    return parts if len(parts) > 1 else []


def part_segments(part: InterchangePart) -> list[list[str]] | None:
    """The segments of a part's transactions, or None when they are not those the file has at its
    numbers (the part is then not used)."""
    segments = split_segments(part.text, delimiters(part.text))[2:-2]
    numbered = tuple((n, tuple(e)) for n, e in enumerate(segments, start=part.first) if e[0].strip() in ENVELOPE_TAGS)
    if numbered != part.envelope or part.first + len(segments) - 1 != part.envelope[-1][0]:
        return None
    return segments


def _pyx12_problems(report: dict) -> list[X12Problem]:
    """pyx12's JSON error report, told by segment number and rule: only its codes, segment ids, element
    reference numbers and element positions are read, never `err_str` or `err_val` (they quote values)."""
    problems: list[X12Problem] = []
    for isa in report.get("interchanges", []):
        problems += [X12Problem(int(isa.get("cur_line") or 1), "IEA", f"interchange: {ENVELOPE_RULES.get(str(e['err_cde']), 'envelope error')} "
                                          f"(code {e['err_cde']})") for e in isa.get("errors", [])]
        for gs in isa.get("groups", []):
            problems += [X12Problem(int(gs.get("cur_line") or 0), "GE", f"functional group: "
                                    f"{ENVELOPE_RULES.get(str(e['err_cde']), 'group error')} (code {e['err_cde']})")
                         for e in gs.get("errors", [])]
            for st in gs.get("transactions", []):
                problems += [X12Problem(int(st.get("cur_line") or 0), "SE", f"transaction: "
                                        f"{ENVELOPE_RULES.get(str(e['err_cde']), 'transaction error')} (code {e['err_cde']})")
                             for e in st.get("errors", [])]
                for seg in st.get("segments", []):
                    number, tag = int(seg.get("cur_line") or 0), str(seg.get("seg_id") or "?")
                    problems += [X12Problem(number, tag, f"{SEGMENT_RULES.get(str(e['err_cde']), 'segment error')} "
                                                         f"(code {e['err_cde']})") for e in seg.get("errors", [])]
                    for ele in seg.get("elements", []):
                        where = f"{tag}{int(ele.get('ele_pos') or 0):02d}"
                        problems += [X12Problem(number, tag, f"{where}: {ELEMENT_RULES.get(str(e['err_cde']), 'element error')} "
                                                             f"(code {e['err_cde']})") for e in ele.get("errors", [])]
    return problems


def validate(text: str) -> list[X12Problem]:
    """Problems pyx12 finds against the implementation guide named in GS08 (an empty list: valid). pyx12's
    own log is silenced (it quotes values); a guide it does not have is one problem at the GS."""
    import pyx12.errors
    import pyx12.params
    import pyx12.x12n_document

    log = logging.getLogger("pyx12")
    log.propagate, log.handlers, log.level = False, [logging.NullHandler()], logging.CRITICAL
    report = io.StringIO()
    try:
        valid = pyx12.x12n_document.x12n_document(pyx12.params.params(), io.StringIO(text), None, None, None, report)
    except pyx12.errors.EngineError:
        return [X12Problem(2, "GS", "GS01/GS08 name no implementation guide the validator has (an 835 is HP, 005010X221A1)")]
    except Exception:  # noqa: BLE001 - pyx12 fails on some malformed segments; its text may quote values
        return [X12Problem(1, "ISA", "the validator could not read the interchange (a segment broke its parser)")]
    if not report.getvalue():
        return [] if valid else [X12Problem(1, "ISA", "the validator could not read the interchange")]
    problems = _pyx12_problems(json.loads(report.getvalue()))
    if not valid and not problems:
        problems.append(X12Problem(1, "ISA", "the validator rejected the interchange"))
    return problems
