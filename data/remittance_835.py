"""Synthetic X12 835 remittances (005010X221A1) written from plain values: for the demo, the tests and the
benchmark. Names and ids of patients, subscribers and providers (NM1, REF of a claim) are whatever the
caller passes (fake ones): the reader must never keep them. The files pass pyx12's validation of the
implementation guide."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

Cas = tuple[str, list[tuple[str, Decimal]]]  # group code, then (CARC, amount) pairs: up to six per CAS
Person = tuple[str, str, str]  # last name, first name, identifier


@dataclass
class Service:
    code: str  # HCPCS/CPT procedure code
    charge: Decimal
    paid: Decimal
    adjustments: list[Cas] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)  # LQ*HE
    allowed: Decimal | None = None  # AMT*B6


@dataclass
class ClaimRemit:
    claim_id: str
    status: str  # CLP02: 1 processed as primary, 4 denied, 22 reversal
    charge: Decimal
    paid: Decimal
    adjustments: list[Cas] = field(default_factory=list)  # claim level
    services: list[Service] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)  # MOA03-07
    allowed: Decimal | None = None  # AMT*AU
    patient: tuple[str, str] = ("DOE", "JANE")
    member_id: str = "MEMBER0001"
    insured: Person | None = None  # NM1*IL, the subscriber (id qualifier MI)
    corrected: Person | None = None  # NM1*74, the corrected patient or insured (id qualifier C)
    rendering: Person | None = None  # NM1*82, the rendering provider (id: an NPI, qualifier XX)
    claim_refs: list[tuple[str, str]] = field(default_factory=list)  # REF of loop 2100: (1L, group number), (SY, SSN), ...


@dataclass
class Remit:
    payer: str
    payer_id: str | None  # N1*PR04 (N103 XV); None: N1*PR names the payer only
    trace: str
    remit_date: date
    claims: list[ClaimRemit]
    with_dtm405: bool = True  # else the date is BPR16 only
    additional_payer_id: str | None = None  # REF*2U of loop 1000A


@dataclass(frozen=True)
class Marks:
    element: str = "*"
    component: str = ":"
    repetition: str = "^"
    segment: str = "~"
    line_break: str = "\n"


DEFAULT_MARKS = Marks()


def _money(value: Decimal) -> str:
    text = f"{value:.2f}"
    return text[:-3] if text.endswith(".00") else text


def _transaction(remit: Remit, control: int, e: str, c: str) -> list[str]:
    total = sum((claim.paid for claim in remit.claims), Decimal(0))
    day = remit.remit_date.strftime("%Y%m%d")
    segments = [f"ST{e}835{e}{control:04d}",
                f"BPR{e}I{e}{_money(total)}{e}C{e}CHK{e * 12}{day}" if total > 0 else f"BPR{e}H{e}0{e}C{e}NON{e * 12}{day}",
                f"TRN{e}1{e}{remit.trace}{e}1{(remit.payer_id or remit.additional_payer_id or '')[:9].rjust(9, '0')}"]
    if remit.with_dtm405:
        segments.append(f"DTM{e}405{e}{day}")
    segments += [f"N1{e}PR{e}{remit.payer}" + (f"{e}XV{e}{remit.payer_id}" if remit.payer_id else ""),
                 f"N3{e}1 PAYER WAY", f"N4{e}CENTERVILLE{e}PA{e}17111"]
    if remit.additional_payer_id:
        segments.append(f"REF{e}2U{e}{remit.additional_payer_id}")
    segments += [f"PER{e}BL{e}TECHNICAL CONTACT{e}TE{e}8005550100", f"N1{e}PE{e}SYNTHETIC PROVIDER{e}XX{e}1234567893",
                 f"LX{e}1"]
    for claim in remit.claims:
        segments.append(f"CLP{e}{claim.claim_id}{e}{claim.status}{e}{_money(claim.charge)}{e}{_money(claim.paid)}{e}{e}12{e}PCN{claim.claim_id[-6:]}")
        segments += [f"CAS{e}{group}{e}" + e.join(f"{carc}{e}{_money(amount)}{e}" for carc, amount in pairs).rstrip(e)
                     for group, pairs in claim.adjustments]
        segments.append(f"NM1{e}QC{e}1{e}{claim.patient[0]}{e}{claim.patient[1]}{e * 4}MI{e}{claim.member_id}")
        for entity, qualifier, person in (("IL", "MI", claim.insured), ("74", "C", claim.corrected),
                                          ("82", "XX", claim.rendering)):
            if person is not None:
                last, first, identifier = person
                segments.append(f"NM1{e}{entity}{e}1{e}{last}{e}{first}{e * 4}{qualifier}{e}{identifier}")
        if claim.remarks:
            segments.append(f"MOA{e}{e}{e}" + e.join(claim.remarks))
        segments += [f"REF{e}{qualifier}{e}{value}" for qualifier, value in claim.claim_refs]
        if claim.allowed is not None:
            segments.append(f"AMT{e}AU{e}{_money(claim.allowed)}")
        for service in claim.services:
            segments.append(f"SVC{e}HC{c}{service.code}{e}{_money(service.charge)}{e}{_money(service.paid)}")
            segments.append(f"DTM{e}472{e}{day}")
            segments += [f"CAS{e}{group}{e}" + e.join(f"{carc}{e}{_money(amount)}{e}" for carc, amount in pairs).rstrip(e)
                         for group, pairs in service.adjustments]
            if service.allowed is not None:
                segments.append(f"AMT{e}B6{e}{_money(service.allowed)}")
            segments += [f"LQ{e}HE{e}{code}" for code in service.remarks]
    segments.append(f"SE{e}{len(segments) + 1}{e}{control:04d}")
    return segments


def interchange(groups: list[list[Remit]], marks: Marks = DEFAULT_MARKS, control: int = 1) -> str:
    """One interchange (ISA/IEA) of functional groups (GS/GE), each of transactions (ST/SE), one per Remit."""
    e, c = marks.element, marks.component
    isa = e.join(["ISA", "00", " " * 10, "00", " " * 10, "ZZ", "SYNTHPAYER".ljust(15), "ZZ", "SYNTHPROV".ljust(15),
                  "261201", "1200", marks.repetition, "00501", f"{control:09d}", "0", "T", c])
    segments = [isa]
    number = 0
    for group_number, remits in enumerate(groups, start=1):
        segments.append(f"GS{e}HP{e}SYNTHPAYER{e}SYNTHPROV{e}20261201{e}1200{e}{group_number}{e}X{e}005010X221A1")
        for remit in remits:
            number += 1
            segments += _transaction(remit, number, e, c)
        segments.append(f"GE{e}{len(remits)}{e}{group_number}")
    segments.append(f"IEA{e}{len(groups)}{e}{control:09d}")
    return (marks.segment + marks.line_break).join(segments) + marks.segment + marks.line_break
