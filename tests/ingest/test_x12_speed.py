"""The pyx12 patches (ingest/x12_speed.py) change no answer: the sample 835s and mutated copies of them,
validated by a patched interpreter and by a clean one, give the same JSON reports and return values.

Each interpreter validates every file twice in one process, so state a patch might carry from one file to
the next (the cached maps, the cached element answers) would show as a difference too.

Run as a script, this module is that interpreter: `python tests/ingest/test_x12_speed.py patched|clean FILE...`
prints {file: [[return value, JSON report], ...]}.
"""
from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "x12"
# The synthetic base (tests/ingest/remits.py) has one claim like this; the mutations edit it or its envelope.
BASE_CLP = "CLP*CLM-1*1*300*180**12*PCNCLM-1~"


def _base_835() -> str:
    sys.path.insert(0, str(REPO))
    from data.remittance_835 import interchange
    from tests.ingest.remits import paid_claim, remit

    return interchange([[remit([paid_claim(), paid_claim("CLM-2", status="4", paid=0)], trace="TRC-1"),
                         remit([paid_claim("CLM-3")], trace="TRC-2")]])


def _replace(old: str, new: str) -> Callable[[str], str]:
    def mutate(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)
    return mutate


def _move_before(segment: str, before: str) -> Callable[[str], str]:
    def mutate(text: str) -> str:
        assert segment in text and before in text
        return text.replace(segment, "", 1).replace(before, segment + before, 1)
    return mutate


MUTATIONS: dict[str, Callable[[str], str]] = {
    "bad_date": _replace("DTM*405*20250210", "DTM*405*20251345"),
    "bad_service_date": _replace("DTM*472*20250210", "DTM*472*2025021"),
    "date_period_elements": _replace("DTM*405*20250210~", "DTM*405*20250210***RD8*20250101-20250131~"),
    "date_period_elements_bad": _replace("DTM*405*20250210~", "DTM*405*20250210***RD8*20250131-2025010~"),
    "bad_group_code": _replace("CAS*CO*16*20", "CAS*ZZ*16*20"),
    "bad_claim_status": _replace("CLP*CLM-1*1*", "CLP*CLM-1*99*"),
    "bad_amount": _replace("CLP*CLM-1*1*300*", "CLP*CLM-1*1*30.0.0*"),
    "missing_mandatory_element": _replace(BASE_CLP, "CLP*CLM-1*1*300~"),
    "missing_mandatory_segment": _replace("TRN*1*TRC-1*1000012345~\n", ""),
    "empty_mandatory_element": _replace("N1*PR*ACME HEALTH*", "N1*PR**"),
    "control_character": _replace("NM1*QC*1*ZYXWAR", "NM1*QC*1*ZYX\x07WAR"),
    "control_character_extended": _replace("N3*1 PAYER WAY", "N3*1 PAYER\x02WAY"),
    "trailing_space": _replace("N4*CENTERVILLE*", "N4*CENTERVILLE *"),
    "too_long": _replace(BASE_CLP, "CLP*" + "C" * 60 + "*1*300*180**12*PCNCLM-1~"),
    "too_many_elements": _replace(BASE_CLP, "CLP*CLM-1*1*300*180**12*PCNCLM-1" + "*1" * 30 + "~"),
    "too_many_components": _replace("SVC*HC:99214*", "SVC*HC:99214:25:59:76:77:91:X:Y*"),
    "not_used_element": _replace("LX*1~", "LX*1*2~"),
    "wrong_order": _move_before("N1*PR*ACME HEALTH*XV*12345~\n", "TRN*1*TRC-1"),
    "service_before_claim": _move_before("SVC*HC:73630*100*60~\n", "CLP*CLM-1*"),
    "unknown_segment": _replace("LX*1~", "LX*1~\nZZZ*1*2~"),
    "wrong_se_count": lambda text: text.replace("SE*", "SE*9", 1),
    "wrong_ge_count": _replace("GE*2*1~", "GE*3*1~"),
    "wrong_iea_count": _replace("IEA*1*", "IEA*2*"),
    "wrong_control_number": _replace("ST*835*0001", "ST*835*0009"),
    "repeated_loop": _replace("N1*PE*SYNTHETIC PROVIDER*XX*1234567893~\n", "N1*PE*SYNTHETIC PROVIDER*XX*1234567893~\n" * 3),
    "repeated_segment": _replace("DTM*405*20250210~", "DTM*405*20250210~\nDTM*405*20250210~\nDTM*405*20250210~"),
    "unknown_guide": _replace("005010X221A1", "005010X999A1"),
    "paired_element_missing": _replace("*MI*MBRZ98765", "*MI*"),
    "paired_elements_missing_twice": lambda text: text.replace("*MI*MBRZ98765", "*MI*"),
    "cas_reason_without_amount": _replace("CAS*CO*16*20", "CAS*CO*16*20**4"),
    "unknown_qualifier": _replace("N1*PE*SYNTHETIC", "N1*ZZ*SYNTHETIC"),
    "unknown_date_qualifier": _replace("DTM*472*", "DTM*999*"),
    "elements_absent_at_the_end": _replace("N4*CENTERVILLE*PA*17111", "N4*CENTERVILLE"),
    "qualifier_without_its_id": _replace("N1*PR*ACME HEALTH*XV*12345", "N1*PR*ACME HEALTH*XV"),
    "not_an_interchange": lambda text: "HELLO*WORLD~" + text[106:],
    "truncated": lambda text: text[: len(text) // 2],
}


def _corpus(folder: Path) -> list[Path]:
    """The X12 samples as given, the synthetic 835 and each mutation of it, and a few mutations of a sample."""
    samples = sorted(p for p in FIXTURES.rglob("*") if p.is_file() and p.suffix in (".txt", ".edi", ".835")
                     and p.read_bytes().lstrip(b"\xef\xbb\xbf \r\n").startswith(b"ISA"))
    base = _base_835()
    (folder / "base.835").write_text(base)
    files = [*samples, folder / "base.835"]
    for name, mutate in MUTATIONS.items():
        (folder / f"{name}.835").write_text(mutate(base))
        files.append(folder / f"{name}.835")
    sample = (FIXTURES / "x12-LinuxForHealth/src/tests/resources/835_005010X221A1/managed-care.835").read_text()
    for name, mutate in (("sample_bad_code", lambda t: t.replace("CAS*CO*", "CAS*QQ*")),
                         ("sample_no_claims", lambda t: "\n".join(s for s in t.split("\n") if not s.startswith("CLP")))):
        (folder / f"{name}.835").write_text(mutate(sample))
        files.append(folder / f"{name}.835")
    return files


def _validate(text: str) -> list[object]:
    import pyx12.params
    import pyx12.x12n_document

    report = io.StringIO()
    try:
        valid = pyx12.x12n_document.x12n_document(pyx12.params.params(), io.StringIO(text), None, None, None, report)
    except Exception as exc:  # noqa: BLE001 - which exception, not its text, is the answer compared
        return ["raised", type(exc).__name__]
    return [valid, report.getvalue()]


def _interpreter(patched: bool, files: list[str]) -> dict[str, list[list[object]]]:
    """Each file's answer; the patched interpreter validates them all a second time and gives both answers."""
    if patched:
        from ingest.x12_speed import load_835_maps, speed_up_pyx12

        assert speed_up_pyx12()
        load_835_maps()
    log = logging.getLogger("pyx12")
    log.propagate, log.handlers, log.level = False, [logging.NullHandler()], logging.CRITICAL
    texts = {f: Path(f).read_text(errors="replace") for f in files}
    first = {f: _validate(texts[f]) for f in files}
    return {f: [first[f], _validate(texts[f])] if patched else [first[f]] for f in files}


def _run(mode: str, files: list[Path]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, __file__, mode, *map(str, files)], cwd=REPO, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_the_patched_pyx12_answers_every_file_as_the_original(tmp_path):
    files = _corpus(tmp_path)
    running = {mode: _run(mode, files) for mode in ("patched", "clean")}
    answers = {}
    for mode, process in running.items():
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0 and out, err
        answers[mode] = json.loads(out)
    patched, clean = answers["patched"], answers["clean"]
    assert sorted(patched) == sorted(clean) == sorted(map(str, files))
    differ = [Path(f).name for f in clean if patched[f] != clean[f] * 2]
    assert differ == []
    # The corpus reaches the checks the patches touch: the mutations are refused for many different reasons.
    codes = {e["err_cde"] for runs in clean.values() if runs[0][0] != "raised" and runs[0][1]
             for e in _errors(json.loads(runs[0][1]))}
    assert {"1", "2", "3", "4", "5", "6", "7", "8", "10", "021", "023"} <= codes
    assert sum(runs[0][0] is True for runs in clean.values()) >= 15
    assert any(runs[0][0] == "raised" for runs in clean.values())


def _errors(report: object) -> list[dict[str, object]]:
    """Every error item anywhere in a pyx12 JSON report."""
    if isinstance(report, dict):
        return [*report.get("errors", []), *(e for v in report.values() for e in _errors(v))]
    if isinstance(report, list):
        return [e for v in report for e in _errors(v)]
    return []


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    json.dump(_interpreter(sys.argv[1] == "patched", sys.argv[2:]), sys.stdout)
