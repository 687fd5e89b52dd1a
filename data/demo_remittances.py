"""Part of the demo's remittance adjustments delivered as an X12 835 file, as payers send them, so the demo
loads through the 835 path too and its denials show trace numbers and remark codes from an 835.

Only claims whose paid and allowed amounts the claims file gives (the claims file wins, so the 835 changes
no payment) and whose adjustments carry no appeal status (an 835 carries none) move; their rows leave
denials.csv, so every metric stays as it was (the two forms give the same metrics: tests/ingest)."""
from __future__ import annotations

import os
from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd

from data.remittance_835 import ClaimRemit, Remit, Service, interchange

DEMO_835 = "demo_remittance.835"
MOVED_CLAIMS = 300
SERVICE_CODE = "99213"


def move_to_835(folder: Path, denials: pd.DataFrame, claims: pd.DataFrame) -> pd.DataFrame:
    """Write the adjustments of up to MOVED_CLAIMS claims of one payer to `folder`/demo_remittance.835
    (one remittance per remittance date, one service line per adjustment) and return the other rows."""
    paid = claims.set_index("claim_id")
    blank_appeal = denials.groupby("claim_id")["appeal_status"].agg(lambda s: (s == "").all())
    payer = sorted(p for p in denials["payer"].unique() if p != "Self-pay")[0]
    chosen = [c for c in denials.loc[denials["payer"] == payer, "claim_id"].unique()
              if blank_appeal[c] and paid.at[c, "allowed_amount"] != ""][:MOVED_CLAIMS]
    moving = denials["claim_id"].isin(chosen)
    remits = []
    for number, (day, rows) in enumerate(denials[moving].groupby("remit_date", sort=True)):
        claims_of_day = []
        for claim_id, adjustments in rows.groupby("claim_id", sort=False):
            services = [Service(SERVICE_CODE, Decimal(r.denied_amount), Decimal(0), [(r.group_code, [(r.carc, Decimal(r.denied_amount))])],
                                [r.rarc] if r.rarc else []) for r in adjustments.itertuples()]
            claims_of_day.append(ClaimRemit(claim_id, "1", Decimal(paid.at[claim_id, "billed_amount"]),
                                            Decimal(paid.at[claim_id, "paid_amount"]), services=services,
                                            allowed=Decimal(paid.at[claim_id, "allowed_amount"]), patient=("DEMO", "PATIENT"),
                                            member_id="DEMOMEMBER"))
        remits.append(Remit(payer, "DEMO01", f"DEMO{number:05d}", date.fromisoformat(day), claims_of_day))
    if remits:
        path = folder / DEMO_835
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as fh:
            fh.write(interchange([remits]))
    return denials[~moving]
