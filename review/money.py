"""What was paid on a claim, and the overpayment rule that keeps a claim's dollars consistent with it
(docs/METRICS.md, "Overpayment of a claim"). One home for the rule: completing a review, correcting it and
deciding a rebuttal all check it here, and a sample's appraisal reads the paid amounts through it."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import duckdb

from queries.formats import dollars
from review.db import ReviewError
from review.sql_files import sql

CENT = Decimal("0.01")


@dataclass(frozen=True)
class ClaimPayment:
    """A claim as the payment rules see it. `paid` is claims.paid_amount (None: not known or not yet paid);
    `drg_paid`: an inpatient claim with a billed MS-DRG, paid by its DRG."""

    claim_key: str
    service_date: date
    paid: Decimal | None
    drg_paid: bool


def claim_payments(con: duckdb.DuckDBPyConnection, claim_keys: Iterable[str]) -> dict[str, ClaimPayment]:
    """The payments of the named claims, by claim key (one query; claims the store lacks are left out)."""
    keys = list(dict.fromkeys(claim_keys))
    rows = con.execute(sql("frame/claim_payments"), {"claim_keys": keys}).fetchall()
    return {key: ClaimPayment(key, served, None if paid is None else Decimal(paid), bool(drg_paid))
            for key, served, paid, drg_paid in rows}


def claim_payment(con: duckdb.DuckDBPyConnection, claim_key: str) -> ClaimPayment:
    found = claim_payments(con, [claim_key]).get(claim_key)
    if found is None:
        raise ReviewError(f"Claim {claim_key} is no longer in the store, so what was paid on it is not known; "
                          "take a spare instead.")
    return found


def net_overpayment(impacts: Sequence[str | Decimal]) -> Decimal:
    """A claim's overpayment: its findings' net dollar impact with the sign turned (> 0 overpaid, < 0
    underpaid, 0 no dollar error)."""
    return -sum((Decimal(x) for x in impacts), Decimal("0"))


def money_problem(findings: Sequence[tuple[str, str | Decimal | None]], payment: ClaimPayment) -> str | None:
    """Why these findings (code_type, dollar_impact; blank = 0) break the overpayment rule on this claim, in one
    sentence; None when they keep it.

    - A DRG-paid claim is paid by its DRG: a code change moves money only by moving the DRG, so the DRG
      finding's payment difference is the claim's whole dollar impact, and code-level findings carry none
      (summing both would count the same money twice).
    - A claim cannot be overpaid by more than was paid on it (checked when the paid amount is known)."""
    impacts = [(code_type, Decimal(amount or 0)) for code_type, amount in findings]
    if payment.drg_paid:
        coded = [(i, amount) for i, (code_type, amount) in enumerate(impacts, start=1) if code_type != "MSDRG" and amount != 0]
        if coded:
            on_drg = sum((amount for code_type, amount in impacts if code_type == "MSDRG"), Decimal("0"))
            first, amount = coded[0]
            return ("This claim is paid by its DRG, so its payment difference belongs on the DRG finding alone: set the "
                    f"code-level dollar impacts to 0 (finding {first} has {dollars(amount)}) and "
                    + (f"keep the DRG finding's {dollars(on_drg)}." if on_drg else "put the payment difference on the DRG finding."))
    over = net_overpayment([amount for _, amount in impacts])
    if payment.paid is not None and over > payment.paid:
        return (f"The findings overpay this claim by {dollars(over)}, more than the {dollars(payment.paid)} paid on it: "
                "a claim cannot be overpaid by more than was paid, so lower its overpaid dollar impacts.")
    return None


def check_claim_money(findings: Sequence[object], payment: ClaimPayment) -> None:
    """Refuse (ReviewError, one sentence) findings that break the overpayment rule: what completing a review, a
    correction or an accepted rebuttal calls before it makes a completed revision. `findings` have code_type
    and dollar_impact (review.worklist.Finding)."""
    problem = money_problem([(f.code_type, f.dollar_impact) for f in findings], payment)  # type: ignore[attr-defined]
    if problem is not None:
        raise ReviewError(problem)
