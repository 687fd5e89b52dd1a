"""What was paid on a claim, and the overpayment rule that keeps a claim's dollars consistent with it
(docs/METRICS.md, "Overpayment of a claim"). One home for the rule: completing a review, correcting it and
deciding a rebuttal all check it here, and a sample's appraisal reads the paid amounts through it."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import duckdb

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


def in_dollars(amount: Decimal) -> str:
    """Dollars and cents, the sign before the dollar sign: -1500 -> '-$1,500.00'."""
    return f"-${-amount:,.2f}" if amount < 0 else f"${amount:,.2f}"


def net_overpayment(impacts: Sequence[str | Decimal]) -> Decimal:
    """A claim's overpayment: its findings' net dollar impact with the sign turned (> 0 overpaid, < 0
    underpaid, 0 no dollar error)."""
    return -sum((Decimal(x) for x in impacts), Decimal("0"))
