"""The demo's inpatient claims: a principal diagnosis from a common inpatient case (heart failure,
pneumonia, sepsis, a knee replacement, ...), secondary diagnoses that are sometimes a CC or an MCC, the
case's procedure, the patient's sex and age, a UB-04 discharge status, an admitting diagnosis, and the
billed MS-DRG. All synthetic.

The billed DRG is what the hospital's own grouper gave for the submitted codes (grouped here with the real
grouper), so it mostly agrees with the store's grouping. It does not when the hospital billed the next
higher severity of the DRG family (about 5%: the upcoding pattern DRG validation looks for) or the next
lower one (about 1%), and when the submitted codes cannot be grouped (an external-cause code or an
invalid code as principal diagnosis): the bill then carries the DRG the case usually gets. A claim
discharged outside the dates the grouper package covers (a demo built after March 2027) was billed as the
package's nearest release would group it; the store itself refuses to group such claims.
A few patients of a sex-specific case are recorded with the other sex, which the Medicare Code Editor
flags for discharges before FY2025 (its sex-conflict edit was retired on 2024-10-01).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from queries.drg.grouper import ClaimCode, Encounter, grouper_versions
from queries.drg.grouping import CLAIM_SCHEMA, CODE_SCHEMA, group_claims, regroup
from queries.reference import dotted

# (principal diagnosis, procedure or "", the sex the case requires or "", weight)
CASES = (
    ("A419", "", "", 9), ("I5023", "", "", 6), ("I130", "", "", 3), ("J189", "", "", 7), ("J441", "", "", 5),
    ("N390", "", "", 4), ("N179", "", "", 3), ("L03115", "", "", 2), ("I639", "", "", 3), ("I214", "", "", 3),
    ("I4891", "", "", 3), ("K922", "", "", 2), ("K8590", "", "", 2), ("E1165", "", "", 1), ("R079", "", "", 2),
    ("R55", "", "", 2), ("M1711", "0SRC0J9", "", 4), ("K8000", "0FT44ZZ", "", 2), ("K3580", "0DTJ4ZZ", "", 2),
    ("S72001A", "0QS604Z", "", 2), ("C61", "0VT00ZZ", "M", 1), ("D259", "0UT90ZZ", "F", 1), ("I2510", "02703ZZ", "", 2),
)
CC = np.array(["E871", "D62", "N184", "I5022", "E440", "J9610", "N179", "G9340", "E870"])
MCC = np.array(["N170", "J9601", "R6520", "E43", "I5021", "G9341"])
CHRONIC = np.array(["I10", "E785", "E119", "Z794", "K219", "F17210", "Z87891", "E039", "Z7901", "G4733", "F329", "E6601"])
ADMITTING = np.array(["R0602", "R079", "R509", "R4182", "R1110", "R531", "R0600", "R55"])
EXTERNAL_CAUSE = np.array(["W19XXXA", "W010XXA", "V0001XA"])
NON_OR = np.array(["30233N1", "BW03ZZZ", "BW20ZZZ", "3E0436Z"])  # transfusion, imaging, nutrition: no effect on the DRG
DISCHARGE = {"01": 0.58, "06": 0.16, "03": 0.11, "62": 0.03, "20": 0.03, "02": 0.02, "07": 0.02, "50": 0.03, "51": 0.02}
SHARES = {"cc": 0.22, "mcc": 0.10, "chronic": 0.40}  # what a secondary diagnosis line is; the rest from the pool
UPCODE, DOWNCODE, WRONG_SEX, UNKNOWN_SEX, E_CODE_PDX, NO_ADMITTING = 0.05, 0.01, 0.15, 0.003, 0.004, 0.15


@dataclass(frozen=True)
class InpatientDemo:
    """The case of each claim (-1 for claims that are not inpatient) and the draws that depend on it."""

    rng: np.random.Generator
    case: np.ndarray

    @classmethod
    def draw(cls, rng: np.random.Generator, inpatient: np.ndarray) -> InpatientDemo:
        weights = np.array([w for *_, w in CASES], dtype=float)
        case = np.where(inpatient, rng.choice(len(CASES), len(inpatient), p=weights / weights.sum()), -1)
        return cls(rng, case)

    @property
    def inpatient(self) -> np.ndarray:
        return self.case >= 0

    def diagnoses(self, owner: np.ndarray, line: np.ndarray, dx: np.ndarray) -> np.ndarray:
        """Inpatient diagnosis rows: line 1 the case's principal diagnosis (now and then an external-cause
        code by mistake), other lines a CC, an MCC, a chronic condition or a pool code."""
        rng, out = self.rng, dx.astype(object)
        rows = self.inpatient[owner]
        principal = rows & (line == 1)
        out[principal] = np.array([c[0] for c in CASES], dtype=object)[self.case[owner[principal]]]
        slip = principal & (rng.random(len(dx)) < E_CODE_PDX)
        out[slip] = EXTERNAL_CAUSE[rng.integers(0, len(EXTERNAL_CAUSE), slip.sum())]
        secondary = np.flatnonzero(rows & (line > 1))
        kind = rng.random(len(secondary))
        for pool, low, high in ((CC, 0, SHARES["cc"]), (MCC, SHARES["cc"], SHARES["cc"] + SHARES["mcc"]),
                                (CHRONIC, SHARES["cc"] + SHARES["mcc"], SHARES["cc"] + SHARES["mcc"] + SHARES["chronic"])):
            pick = secondary[(kind >= low) & (kind < high)]
            out[pick] = pool[rng.integers(0, len(pool), len(pick))]
        return out.astype(str)

    def procedures(self, px_owner: np.ndarray, px_line: np.ndarray, px_code: np.ndarray) -> np.ndarray:
        """Inpatient procedure rows: the case's procedure on line 1 of a surgical case, otherwise procedures
        that do not change the DRG."""
        out = px_code.astype(object)
        rows = np.flatnonzero(self.inpatient[px_owner])
        out[rows] = NON_OR[self.rng.integers(0, len(NON_OR), len(rows))]
        surgery = np.array([c[1] for c in CASES], dtype=object)[self.case[px_owner[rows]]]
        first = (px_line[rows] == 1) & (surgery != "")
        out[rows[first]] = surgery[first]
        return out.astype(str)

    def demographics(self, service: np.ndarray, dob: np.ndarray) -> dict[str, np.ndarray]:
        """patient_sex, discharge_status and, for inpatients, a date of birth of an adult inpatient (mostly
        over 60); blank sex and status for other claims."""
        rng, n = self.rng, len(self.case)
        required = np.array([c[2] for c in CASES], dtype=object)[np.maximum(self.case, 0)]
        sex = np.where(rng.random(n) < 0.5, "F", "M").astype(object)
        sex = np.where(required != "", required, sex)
        wrong = (required != "") & (rng.random(n) < WRONG_SEX)
        sex[wrong] = np.where(sex[wrong] == "F", "M", "F")
        sex[rng.random(n) < UNKNOWN_SEX] = "U"
        status = rng.choice(np.array(list(DISCHARGE)), n, p=np.array(list(DISCHARGE.values())))
        age_days = (np.clip(rng.normal(67, 15, n), 18, 99) * 365.25).astype(int) + rng.integers(0, 365, n)
        adult_dob = (service - age_days.astype("timedelta64[D]")).astype(str)
        inpatient = self.inpatient
        return {"patient_sex": np.where(inpatient, sex, "").astype(str), "discharge_status": np.where(inpatient, status, ""),
                "patient_dob": np.where(inpatient, adult_dob, dob)}

    def admitting(self, claim_id: np.ndarray) -> pd.DataFrame:
        """One ICD10CM_ADMIT row for most inpatient claims: a presenting symptom."""
        rows = np.flatnonzero(self.inpatient & (self.rng.random(len(self.case)) >= NO_ADMITTING))
        codes = ADMITTING[self.rng.integers(0, len(ADMITTING), len(rows))]
        return pd.DataFrame({"claim_id": claim_id[rows], "line": "1", "code_type": "ICD10CM_ADMIT",
                             "code": [dotted(c) for c in codes], "poa": "", "modifiers": "", "units": ""})

    def billed_drgs(self, claims: pd.DataFrame, codes: pd.DataFrame, risk: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The billed MS-DRG of each claim and the DRG its submitted codes support ('' for claims that are
        not inpatient, and for support when the codes cannot be grouped). `claims` has claim_id,
        discharge_date, patient_dob, patient_sex and discharge_status; `codes` claim_id, line, code_type,
        the undotted code and poa; `risk` multiplies each claim's chance of being billed a higher severity."""
        first, last = grouper_versions()[0].first_day, grouper_versions()[-1].last_day
        idx = np.flatnonzero(self.inpatient)
        stays = claims.iloc[idx]
        discharge = pd.to_datetime(stays.discharge_date).clip(pd.Timestamp(first), pd.Timestamp(last))  # the hospital's grouper
        born = pd.to_datetime(stays.patient_dob)
        age = discharge.dt.year - born.dt.year - ((discharge.dt.month * 100 + discharge.dt.day) < (born.dt.month * 100 + born.dt.day))
        stay_codes = codes[codes.claim_id.isin(stays.claim_id)]
        grouped = group_claims(
            pa.Table.from_pandas(pd.DataFrame({
                "claim_key": stays.claim_id.to_numpy(), "discharge_date": discharge.dt.date.to_numpy(), "patient_age": age.to_numpy(),
                "patient_sex": stays.patient_sex.to_numpy(), "discharge_status": stays.discharge_status.to_numpy()}),
                CLAIM_SCHEMA, preserve_index=False),
            pa.Table.from_pandas(pd.DataFrame({
                "claim_key": stay_codes.claim_id.to_numpy(), "code_type": stay_codes.code_type.to_numpy(),
                "line": stay_codes.line.astype(int).to_numpy(), "code": stay_codes.code.to_numpy(),
                "poa": stay_codes.poa.replace("", None).to_numpy()}), CODE_SCHEMA, preserve_index=False),
        )["drg_new"].to_pandas().set_index("claim_key").loc[stays.claim_id]
        typical = [regroup(Encounter(last, 70, sex or "M", "01"), [ClaimCode("ICD10CM_DX", 1, principal, "Y")]
                           + ([ClaimCode("ICD10PCS", 1, px)] if px else [])).drg for principal, px, sex, _ in CASES]
        supported = np.where(grouped.ungroupable_reason.isna(), grouped.grouped_drg.fillna(""), "")
        billed = np.where(supported != "", supported, np.array(typical, dtype=object)[self.case[idx]])
        draw = self.rng.random(len(idx))
        upcode = (draw < UPCODE * risk[idx]) & grouped.severity_split.to_numpy() & (billed > grouped.drg_family.fillna("").to_numpy())
        downcode = ((draw >= UPCODE * risk[idx]) & (draw < UPCODE * risk[idx] + DOWNCODE) & grouped.severity_split.to_numpy()
                    & (billed == grouped.drg_family.fillna("").to_numpy()))
        shift = np.where(upcode, -1, np.where(downcode, 1, 0))
        billed = np.array([f"{int(b) + s:03d}" if s else b for b, s in zip(billed, shift, strict=True)], dtype=object)
        out_billed, out_supported = np.full(len(self.case), "", dtype=object), np.full(len(self.case), "", dtype=object)
        out_billed[idx], out_supported[idx] = billed, supported
        return out_billed.astype(str), out_supported.astype(str)
