"""Small synthetic 835s for the ingest tests: one claim paid with adjustments at both levels, and helpers."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from pathlib import Path

from data.remittance_835 import DEFAULT_MARKS, ClaimRemit, Marks, Remit, Service, interchange

PAYER, PAYER_ID = "ACME HEALTH", "12345"
# Fake, but treated as PHI: never to appear anywhere. Patient (NM1*QC) and member id; subscriber (NM1*IL),
# corrected insured (NM1*74) and rendering provider (NM1*82) as last name, first name, id; REF ids of loop 2100.
PATIENT, MEMBER = ("ZYXWAR", "QUENTINA"), "MBRZ98765"
INSURED, CORRECTED = ("QWYLLIS", "BERNADOTTE", "SUBZ44110"), ("XOLANDER", "PERPETUA", "CORZ77310")
RENDERING = ("VANTRIGG", "OSWINDA", "1765432103")
CLAIM_REFS = [("1L", "GRPZ55021"), ("1W", "MEMZ66032"), ("SY", "987650123"), ("EA", "MRNZ77043")]
PHI = (*PATIENT, MEMBER, *INSURED, *CORRECTED, *RENDERING, *(value for _, value in CLAIM_REFS))


def paid_claim(claim_id: str = "CLM-1", **over: object) -> ClaimRemit:
    """Charge 300: claim level CO-16 20 (M81, MA130 on the MOA), service 1 CO-50 50 and CO-97 10 (LQ N130),
    service 2 PR-2 40; paid 180, allowed 200; every name and id of PHI above."""
    values: dict[str, object] = dict(
        claim_id=claim_id, status="1", charge=D("300"), paid=D("180"), allowed=D("200"), remarks=["M81", "MA130"],
        adjustments=[("CO", [("16", D("20"))])], patient=PATIENT, member_id=MEMBER, insured=INSURED,
        corrected=CORRECTED, rendering=RENDERING, claim_refs=CLAIM_REFS,
        services=[Service("99214", D("200"), D("120"), [("CO", [("50", D("50")), ("97", D("10"))])], ["N130"]),
                  Service("73630", D("100"), D("60"), [("PR", [("2", D("40"))])])])
    return ClaimRemit(**{**values, **over})  # type: ignore[arg-type]


def remit(claims: list[ClaimRemit], trace: str = "TRC-1", day: date = date(2025, 2, 10), **over: object) -> Remit:
    return Remit(**{"payer": PAYER, "payer_id": PAYER_ID, "trace": trace, "remit_date": day, "claims": claims, **over})  # type: ignore[arg-type]


def write_835(folder: Path, name: str, groups: list[list[Remit]], marks: Marks = DEFAULT_MARKS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(interchange(groups, marks))
    return path
