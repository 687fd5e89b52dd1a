"""The demo's payments: what each payer allowed and paid on each claim, and finding dollars that follow the
payment rules (docs/FORMAT.md, "Paid and allowed amounts"; docs/METRICS.md, "Overpayment of a claim").
All synthetic: made-up contract shares and base rates, with the synthetic DRG weights of the demo.

- A DRG-paid claim (inpatient with a billed MS-DRG) is allowed its billed DRG's relative weight (for the
  fiscal year of its discharge) times its payer's base rate, whatever its charges, so it may be allowed more
  than billed; without a weight for that DRG and year it is allowed a contract share of its charges like
  any other claim. Other claims: the payer's contract share of the billed amount, never above it.
- Paid = the allowed amount less the denied share (CO, OA and PI adjustments out of the billed amount) and
  less patient responsibility (the claim's PR adjustments, at most half the allowed amount), never below 0:
  a claim denied in full is paid 0, one denied in part is paid in part. Self-pay claims have no payer: allowed blank, paid 0.
- Findings: on a DRG-paid claim the code-level findings carry no dollars and the DRG finding carries the
  payment difference (the weight difference times the base rate, where both weights are known); no claim's
  net overpayment exceeds what was paid on it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ingest.reference import SYNTHETIC_DRG_WEIGHTS_FILE

# Per payer: (allowed share of billed charges, DRG base rate in dollars per unit of relative weight).
CONTRACTS = {
    "Medicare": (0.40, 6_500.0), "Medicaid": (0.33, 5_600.0), "Blue Ridge Health": (0.62, 9_100.0),
    "Summit Commercial": (0.66, 9_800.0), "Harbor Mutual": (0.58, 8_700.0),
}
SELF_PAY = "Self-pay"


def _weights(drg: np.ndarray, fiscal_year: np.ndarray) -> np.ndarray:
    """The synthetic relative weight of each (DRG, fiscal year); NaN where the demo has none."""
    table = pd.read_csv(SYNTHETIC_DRG_WEIGHTS_FILE, dtype={"drg": str})
    lookup = dict(zip(zip(table.drg, table.fiscal_year), table.weight))
    return np.array([lookup.get((d, int(y)), np.nan) for d, y in zip(drg, fiscal_year, strict=True)], dtype=float)


@dataclass(frozen=True)
class DemoPayments:
    """Per claim: DRG-paid or not, fiscal year of discharge, base rate, allowed (NaN: blank) and paid."""

    drg_paid: np.ndarray
    fiscal_year: np.ndarray
    base_rate: np.ndarray
    allowed: np.ndarray
    paid: np.ndarray

    @classmethod
    def settle(cls, rng: np.random.Generator, payer: np.ndarray, encounter: np.ndarray, billed: np.ndarray,
               billed_drg: np.ndarray, discharge: np.ndarray, adjustments: pd.DataFrame) -> DemoPayments:
        """`adjustments`: the claims' remittance rows (`i` the claim's index, group_code, denied_amount)."""
        n = len(payer)
        share = np.array([CONTRACTS.get(p, (np.nan, np.nan))[0] for p in payer])
        base_rate = np.array([CONTRACTS.get(p, (np.nan, np.nan))[1] for p in payer])
        drg_paid = (encounter == "inpatient") & (billed_drg != "")
        when = pd.to_datetime(pd.Series(discharge).replace("", None))
        fiscal_year = np.where(when.notna(), when.dt.year.fillna(0) + (when.dt.month.fillna(0) >= 10), 0).astype(int)
        weight = np.where(drg_paid, _weights(billed_drg, fiscal_year), np.nan)
        by_share = np.minimum(np.round(billed * share * rng.uniform(0.9, 1.05, n), 2), billed)
        allowed = np.where(drg_paid & ~np.isnan(weight), np.round(weight * base_rate, 2), by_share)
        rows = adjustments.assign(denial=adjustments.group_code.isin(["CO", "OA", "PI"]))
        denied = rows[rows.denial].groupby("i")["denied_amount"].sum().reindex(range(n), fill_value=0.0).to_numpy()
        patient = rows[rows.group_code == "PR"].groupby("i")["denied_amount"].sum().reindex(range(n), fill_value=0.0).to_numpy()
        denied_share = np.minimum(denied / np.maximum(billed, 0.01), 1.0)
        paid = np.maximum(np.floor((allowed * (1 - denied_share) - np.minimum(patient, allowed / 2)) * 100) / 100, 0.0)
        self_pay = payer == SELF_PAY
        return cls(drg_paid, fiscal_year, base_rate, np.where(self_pay, np.nan, allowed), np.where(self_pay, 0.0, paid))

    def columns(self) -> dict[str, np.ndarray]:
        """claims.csv's allowed_amount (blank when not known) and paid_amount."""
        return {"allowed_amount": np.where(np.isnan(self.allowed), "", np.char.mod("%.2f", np.nan_to_num(self.allowed))),
                "paid_amount": np.char.mod("%.2f", self.paid)}

    def drg_dollars(self, owner: np.ndarray, submitted: np.ndarray, audited: np.ndarray) -> np.ndarray:
        """The payment difference of DRG findings (audited DRG's weight less the billed one's, times the
        claim's base rate; negative = overpaid); NaN where a weight or a base rate is missing."""
        year = self.fiscal_year[owner]
        return np.round((_weights(audited, year) - _weights(submitted, year)) * self.base_rate[owner], 2)

    def finding_dollars(self, owner: np.ndarray, is_drg: np.ndarray, impact: np.ndarray) -> np.ndarray:
        """The findings' dollar impacts under the payment rules: none on code-level findings of a DRG-paid
        claim, and each claim's net overpayment at most its paid amount (its overpaid findings scaled down,
        cut to the cent toward 0, where it would be more)."""
        out = np.where(self.drg_paid[owner] & ~is_drg, 0.0, impact)
        frame = pd.DataFrame({"owner": owner, "over": np.maximum(-out, 0.0), "under": np.maximum(out, 0.0)})
        sums = frame.groupby("owner")[["over", "under"]].sum()
        room = self.paid[sums.index.to_numpy()] + sums.under.to_numpy()
        factor = pd.Series(np.where(sums.over.to_numpy() > room, room / np.maximum(sums.over.to_numpy(), 0.01), 1.0), index=sums.index)
        scale = factor.reindex(owner).to_numpy()
        return np.where(out < 0, np.ceil(np.round(out * scale * 100, 6)) / 100, out)
