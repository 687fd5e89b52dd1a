"""An 835 remittance as the store sees it: its claims, their payments and adjustments, netted.

Read from segments (ingest/x12.py) in file order. Only what docs/FORMAT.md maps is kept; every patient,
subscriber and provider identifier (NM1*QC, NM1*IL, NM1*74, NM1*82, REF member ids) is skipped, never
held past the split. A claim's status 22 (CLP02) reverses an earlier payment of the same claim by the
same payer; `net` keeps, for each claim and payer, the last adjudication that no later reversal cancels.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from ingest.x12 import X12Refused

REVERSAL = "22"
CAS_TRIPLETS = 6  # CAS02-04, 05-07, ..., 17-19
CLAIM_REMARKS = {"MIA": (5, 20, 21, 22, 23), "MOA": (3, 4, 5, 6, 7)}  # the elements that hold remark codes


@dataclass
class Adjustment:
    segment: int
    level: str  # 'claim' (after CLP) or 'service' (after SVC)
    group_code: str
    carc: str
    amount: Decimal
    remarks: list[str]  # shared with the claim (MIA/MOA) or the service (LQ*HE); filled as they are read


@dataclass
class ClaimPayment:
    file: str
    segment: int  # of its CLP in the file
    claim_id: str
    status: str
    charge: Decimal | None
    paid: Decimal | None
    allowed: Decimal | None
    payer: str
    payer_id: str | None
    remit_date: date | None
    trace: str
    adjustments: list[Adjustment] = field(default_factory=list)


@dataclass
class Transaction:
    file: str
    segment: int  # of its ST
    payer: str = ""
    payer_id: str | None = None
    remit_date: date | None = None
    trace: str = ""
    claims: list[ClaimPayment] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str]:
        """Same payer and check/EFT trace number (TRN02): the same remittance received twice."""
        return (self.payer_id or self.payer, self.trace)


def _element(elements: list[str], index: int) -> str:
    return elements[index].strip() if len(elements) > index else ""


def _amount(elements: list[str], index: int, number: int) -> Decimal | None:
    text = _element(elements, index)
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise X12Refused(f"segment {number} ({elements[0]}): {elements[0]}{index:02d} is not a number") from None
    if not value.is_finite() or abs(value) >= Decimal(10) ** 12:
        raise X12Refused(f"segment {number} ({elements[0]}): {elements[0]}{index:02d} is not an amount")
    return value


def _date(text: str) -> date | None:
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def read_transactions(file: str, segments: list[list[str]], component: str, first: int = 1) -> list[Transaction]:
    """Every ST/SE transaction of an interchange, with its claims (CLP), their claim-level and service-level
    adjustments (CAS, up to six triplets each), remark codes (MIA/MOA at claim level, LQ*HE at service level)
    and the allowed amount (AMT*AU, else the sum of the services' AMT*B6). `first` is the file's number of
    the first segment given (a part of a file starts further on); each transaction is read on its own."""
    transactions: list[Transaction] = []
    current: Transaction | None = None
    claim: ClaimPayment | None = None
    claim_remarks: list[str] = []
    service_remarks: list[str] | None = None
    service_allowed: list[Decimal | None] = []
    bpr_date: date | None = None

    def close_claim() -> None:
        if claim is not None and claim.allowed is None and service_allowed and None not in service_allowed:
            claim.allowed = sum(service_allowed, Decimal(0))  # type: ignore[arg-type]

    for number, elements in enumerate(segments, start=first):
        tag = elements[0].strip()
        if tag == "ST":
            if _element(elements, 1) != "835":
                raise X12Refused(f"segment {number} (ST): ST01 is not 835: only 835 remittances are read")
            current, claim, bpr_date = Transaction(file, number), None, None
            transactions.append(current)
        elif current is None:
            continue
        elif tag == "SE":
            close_claim()
            if current.remit_date is None:
                current.remit_date = bpr_date
            for each in current.claims:
                each.payer, each.payer_id, each.trace = current.payer, current.payer_id, current.trace
                each.remit_date = current.remit_date
            current, claim = None, None
        elif tag == "BPR":
            bpr_date = _date(_element(elements, 16))
        elif tag == "TRN" and claim is None:
            current.trace = _element(elements, 2)
        elif tag == "DTM" and claim is None and _element(elements, 1) == "405":
            current.remit_date = _date(_element(elements, 2))
        elif tag == "N1" and claim is None and _element(elements, 1) == "PR":
            current.payer = _element(elements, 2)
            current.payer_id = _element(elements, 4) or current.payer_id
        elif tag == "REF" and claim is None and _element(elements, 1) == "2U" and not current.payer_id:
            current.payer_id = _element(elements, 2) or None
        elif tag == "CLP":
            close_claim()
            claim_remarks, service_remarks, service_allowed = [], None, []
            claim = ClaimPayment(file, number, _element(elements, 1), _element(elements, 2), _amount(elements, 3, number),
                                 _amount(elements, 4, number), None, "", None, None, "")
            current.claims.append(claim)
        elif claim is None:
            continue
        elif tag == "SVC":
            service_remarks = []
            service_allowed.append(None)
        elif tag == "CAS":
            level, remarks = ("claim", claim_remarks) if service_remarks is None else ("service", service_remarks)
            group = _element(elements, 1)
            for triplet in range(CAS_TRIPLETS):
                carc, amount = _element(elements, 2 + 3 * triplet), _amount(elements, 3 + 3 * triplet, number)
                if carc and amount is not None:
                    claim.adjustments.append(Adjustment(number, level, group, carc, amount, remarks))
        elif tag == "AMT" and _element(elements, 1) == "AU" and service_remarks is None:
            claim.allowed = _amount(elements, 2, number)
        elif tag == "AMT" and _element(elements, 1) == "B6" and service_remarks is not None:
            service_allowed[-1] = _amount(elements, 2, number)
        elif tag in CLAIM_REMARKS and service_remarks is None:
            claim_remarks += [code for i in CLAIM_REMARKS[tag] if (code := _element(elements, i).split(component)[0])]
        elif tag == "LQ" and service_remarks is not None and _element(elements, 1) == "HE":
            service_remarks.append(_element(elements, 2))
    return transactions


@dataclass(frozen=True)
class Netted:
    """Per claim and payer: the adjudications that stand (none when the last event was a reversal) and
    the last one read (the remittance record keeps its payer, date and trace number)."""

    standing: list[ClaimPayment]
    latest: ClaimPayment


def net(claims: list[ClaimPayment]) -> dict[tuple[str, str], Netted]:
    """Claims in the order they were remitted (remittance date, then file and segment order) reduced per
    claim and payer: a reversal (CLP02 22) cancels what stood before it, so a reversed denial is not
    counted and a corrected claim counts once, by its correction; a later remittance of the claim replaces
    an earlier one; several CLPs of one claim on one remittance (a split claim) all stand."""
    ordered = sorted(claims, key=lambda c: (c.remit_date or date.min, c.file, c.segment))
    out: dict[tuple[str, str], Netted] = {}
    for claim in ordered:
        key = (claim.claim_id, claim.payer)
        before = out[key].standing if key in out else []
        if claim.status == REVERSAL:
            standing: list[ClaimPayment] = []
        elif before and before[-1].trace == claim.trace and before[-1].file == claim.file:
            standing = [*before, claim]
        else:
            standing = [claim]
        out[key] = Netted(standing, claim)
    return out
