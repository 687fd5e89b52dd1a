"""Synthetic demo data: raw coding-record files with fake PHI, loaded through the real ingest.

Everything here is generated (Faker for names and ZIP codes, numpy for the rest); nothing comes from
a real patient. The data covers the 26 calendar months that end on the day it is built ("today", the
current month partly), so a fresh demo always looks current. Built-in patterns a coding manager should
be able to find (dates for a demo built on 2026-10-31):
- coders C007, C023 and C041 have clearly worse accuracy than their peers;
- coder C015 degrades from the first of the month 16 months before today's (2025-06-01);
- accuracy dips and unspecified codes rise for two months after the October 1 code-set update that
  falls 12 to 23 months before today's month (2025-10-01);
- each payer has its own denial mix (Medicare: medical necessity and NCCI; Medicaid: missing
  information; Harbor Mutual: authorisation), self-pay claims have no payer denials, about a third of
  denied claims carry two or three adjustments, and appeals end overturned, upheld or pending;
- reviewers revise codes to clinically related ones (data/demo_revisions.py): an unspecified diagnosis to a
  specified sibling, a procedure within its code set and family;
- a handful of rows break format rules, so the rejects table has something to show;
- inpatient claims carry sex, discharge status, an admitting diagnosis and a billed MS-DRG that mostly
  agrees with the grouper; the weak coders bill the next higher severity of a DRG family three times as
  often as their peers (data/demo_inpatient.py);
- every claim has its payer's allowed and paid amounts: contract shares of the charges, DRG payments for
  inpatient claims with a billed DRG, less denied shares and patient responsibility; findings' dollars
  follow the payment rules (data/demo_payments.py).
"""
from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from faker import Faker

from config.paths import Paths, private_folder
from data.demo_inpatient import InpatientDemo
from data.demo_payments import DemoPayments
from data.demo_review import review_cycle
from data.demo_revisions import related_diagnosis, related_procedure
from ingest.swap import writer_lock
from ingest.writer import IngestError, IngestResult, Recorder, ingest
from queries.metrics import months_back
from queries.reference import dotted, icd10cm_frame
from queries.store import demo_mode

Progress = Callable[[float, str], None]

WINDOW_MONTHS = 26
DEGRADE_MONTHS_BEFORE = 16
CODE_SET_UPDATE_MONTH = 10  # ICD-10-CM updates take effect each October 1
FACILITIES = np.array(["FAC-NORTH", "FAC-SOUTH", "FAC-EAST", "FAC-WEST", "FAC-CLINIC"])
FACILITY_WEIGHTS = np.array([0.3, 0.25, 0.2, 0.15, 0.1])
PAYERS = np.array(["Medicare", "Medicaid", "Blue Ridge Health", "Summit Commercial", "Harbor Mutual", "Self-pay"])
PAYER_WEIGHTS = np.array([0.35, 0.2, 0.18, 0.14, 0.1, 0.03])
ENCOUNTERS = np.array(["inpatient", "outpatient", "professional"])
INPATIENT_SHARE = 0.15  # the rest is outpatient and professional, 45 to 40
N_CODERS = 50
MIN_CLAIMS = 100
WEAK_CODERS = ("C007", "C023", "C041")
DEGRADING_CODER = "C015"
CPT_CODES = np.array(["99213", "99214", "99215", "99203", "99204", "36415", "71046", "93000", "80053", "85025",
                      "97110", "20610", "45378", "43239", "29881", "66984", "99283", "99284", "99285", "93306"])
HCPCS_CODES = np.array(["G0439", "J1100", "J3301", "A4550", "G0008", "Q4101", "J0696", "E0114"])
PCS_CODES = np.array(["0DTJ4ZZ", "0SRD0J9", "02703ZZ", "0FT44ZZ", "5A1955Z", "5A1945Z", "0UT90ZZ", "30233N1",
                      "30243N1", "0W9G3ZZ"])
INVALID_DX = np.array(["E11", "I25", "J44", "M54", "R0", "Z9999", "S7200", "K21"])  # headers and non-codes
# Per payer: (denial probability, CARCs, weights). PR rows (deductibles) are added separately.
DENIAL_MIX = {
    "Medicare": (0.11, ["50", "236", "97", "16", "146", "4"], [0.3, 0.2, 0.15, 0.15, 0.1, 0.1]),
    "Medicaid": (0.16, ["16", "31", "29", "11", "18"], [0.4, 0.2, 0.15, 0.15, 0.1]),
    "Blue Ridge Health": (0.09, ["197", "50", "167", "189"], [0.4, 0.3, 0.2, 0.1]),
    "Summit Commercial": (0.08, ["96", "204", "11", "182"], [0.4, 0.3, 0.2, 0.1]),
    "Harbor Mutual": (0.14, ["197", "198", "242", "16"], [0.45, 0.25, 0.2, 0.1]),
}  # Self-pay claims have no payer to deny them: no remittance adjustments at all.
SECOND_ADJUSTMENT = 0.3  # a denied claim with a second denial adjustment (another CARC of its payer's mix)
THIRD_ADJUSTMENT = 0.1   # ... and a third
# Categories of a revised code other than a specificity revision (an unspecified code made specific).
DX_REVISION_CATEGORIES = (np.array(["wrong_code", "sequencing", "poa", "other"]), np.array([0.55, 0.2, 0.15, 0.1]))
PROCEDURE_REVISION_CATEGORIES = (np.array(["wrong_code", "modifier"]), np.array([0.7, 0.3]))


@dataclass(frozen=True)
class Calendar:
    """Where the demo's window and its dated patterns fall for a demo built on `end` ("today")."""

    start: date
    end: date
    degrade: np.datetime64
    code_set_update: np.datetime64

    @classmethod
    def ending(cls, today: date) -> Calendar:
        update_year = today.year - (1 if today.month >= CODE_SET_UPDATE_MONTH else 2)
        return cls(start=months_back(today, WINDOW_MONTHS - 1), end=today,
                   degrade=np.datetime64(months_back(today, DEGRADE_MONTHS_BEFORE)),
                   code_set_update=np.datetime64(date(update_year, CODE_SET_UPDATE_MONTH, 1)))

    def after_update(self, when: np.ndarray) -> np.ndarray:
        """Dates in the two months after the code-set update."""
        return (when >= self.code_set_update) & (when < self.code_set_update + np.timedelta64(61, "D"))

    def capped(self, when: np.ndarray) -> np.ndarray:
        """Later dates (reviews, remittances) as they stand on the day the demo is built: none after it."""
        return np.minimum(when, np.datetime64(self.end))


@dataclass(frozen=True)
class DemoFiles:
    folder: Path
    claims: int
    code_lines: int
    findings: int
    denials: int


def _dx_pool(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A pool of real billable ICD-10-CM codes, about a quarter of them 'unspecified', with Zipf-like
    popularity so a few codes dominate, as in real claims. Returns codes, weights and unspecified flags."""
    ref = icd10cm_frame()
    billable = ref[ref.billable]
    # Chapters most seen in claims: circulatory, endocrine, respiratory, musculoskeletal, symptoms, factors.
    common = billable[billable.chapter.isin(["4", "9", "10", "11", "13", "14", "18", "21", "5", "6"])]
    unspec = common[common.unspecified].sample(300, random_state=int(rng.integers(1 << 31)))
    spec = common[~common.unspecified].sample(900, random_state=int(rng.integers(1 << 31)))
    pool = pd.concat([unspec, spec])
    weights = 1.0 / np.arange(1, len(pool) + 1) ** 0.8
    weights = weights[rng.permutation(len(pool))]
    weights /= weights.sum()
    return pool.code.to_numpy(), weights, pool.unspecified.to_numpy()


def _dotted(codes: np.ndarray) -> np.ndarray:
    uniques, inverse = np.unique(codes, return_inverse=True)
    return np.array([dotted(c) for c in uniques], dtype=object)[inverse].astype(str) if len(codes) else codes


def _dates(rng: np.random.Generator, n: int, window: Calendar) -> np.ndarray:
    """Service dates over the demo window; volume grows by a third over it, as a new feed fills in."""
    days = (window.end - window.start).days + 1
    weights = 1.0 + 0.35 * np.arange(days) / days
    return np.datetime64(window.start) + rng.choice(days, n, p=weights / weights.sum()).astype("timedelta64[D]")


def _fake_people(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    fake = Faker("en_US")
    fake.seed_instance(int(rng.integers(1 << 31)))
    first = np.array([fake.first_name() for _ in range(400)])
    last = np.array([fake.last_name() for _ in range(600)])
    zips = np.array([fake.zipcode() for _ in range(300)])
    dob = np.datetime64("1935-01-01") + rng.integers(0, 365 * 85, n).astype("timedelta64[D]")
    return {
        "patient_name": np.char.add(np.char.add(first[rng.integers(0, len(first), n)], " "), last[rng.integers(0, len(last), n)]),
        "patient_mrn": np.char.add("MRN", np.char.zfill(rng.integers(0, 10**8, n).astype(str), 8)),
        "patient_dob": dob.astype(str),
        "patient_zip": zips[rng.integers(0, len(zips), n)],
    }


def _coder_accuracy(coder: np.ndarray, when: np.ndarray, window: Calendar) -> np.ndarray:
    acc = np.full(len(coder), 0.965)
    acc[np.isin(coder, WEAK_CODERS)] = 0.86
    acc[(coder == DEGRADING_CODER) & (when >= window.degrade)] = 0.84
    acc[window.after_update(when)] -= 0.05
    return acc


def _revise(rng: np.random.Generator, revise: np.ndarray, code_type: np.ndarray, code: np.ndarray,
            audited: np.ndarray, category: np.ndarray, specific: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Audited codes and error categories of the revised rows: a clinically related code (data/demo_revisions.py),
    or for an invalid code without a billable code in its category, one of the `specific` codes. A diagnosis
    made specific is a specificity error; other revisions draw their category."""
    reference = icd10cm_frame().set_index("code")
    procedures = {"CPT": CPT_CODES, "HCPCS": HCPCS_CODES, "ICD10PCS": PCS_CODES}
    audited, category = audited.copy(), category.copy()
    for i in np.flatnonzero(revise):
        if code_type[i] == "ICD10CM_DX":
            known = code[i] in reference.index
            related, kind = related_diagnosis(rng, code[i], known and bool(reference.at[code[i], "unspecified"]),
                                              reference.at[code[i], "block"] if known else None)
            audited[i] = related or specific[rng.integers(0, len(specific))]
            names, weights = DX_REVISION_CATEGORIES
        else:
            audited[i], kind = related_procedure(rng, code_type[i], code[i], procedures), ""
            names, weights = PROCEDURE_REVISION_CATEGORIES
        category[i] = kind if kind == "specificity" else rng.choice(names, p=weights)
    return audited, category


def generate(folder: Path, n_claims: int = 20_000, seed: int = 2026, progress: Progress | None = None,
             today: date | None = None, inpatient_share: float = INPATIENT_SHARE) -> DemoFiles:
    """Write claims.csv, claim_codes.csv, audit_findings.csv and denials.csv into `folder`, for a window
    ending on `today` (default: the real date). They hold fake PHI in plaintext, as a real extract would,
    so a new folder is made private (0700) and each file is created readable by its owner only (0600),
    never over an existing file (FileExistsError)."""
    report = progress or (lambda _f, _m: None)
    window = Calendar.ending(today or date.today())
    rng = np.random.default_rng(seed)
    private_folder(folder)
    report(0.02, "Generating claims")
    n = n_claims
    claim_id = np.char.add("CLM", np.char.zfill(rng.permutation(np.arange(10**6, 10**6 + n * 7, 7))[:n].astype(str), 10))
    coders = np.array([f"C{i:03d}" for i in range(1, N_CODERS + 1)])
    coder = coders[rng.integers(0, N_CODERS, n)]
    encounter = rng.choice(ENCOUNTERS, n, p=[inpatient_share, *(np.array([0.45, 0.40]) * (1 - inpatient_share) / 0.85)])
    stays = InpatientDemo.draw(np.random.default_rng([seed, 12]), encounter == "inpatient")  # its own stream
    service = _dates(rng, n, window)
    los = np.where(encounter == "inpatient", rng.integers(1, 9, n), 0).astype("timedelta64[D]")
    discharge = np.where(encounter == "inpatient", (service + los).astype(str), "")
    payer = rng.choice(PAYERS, n, p=PAYER_WEIGHTS)
    base_amount = np.select([encounter == "inpatient", encounter == "outpatient"], [18_000.0, 1_400.0], 240.0)
    billed = np.round(base_amount * rng.lognormal(0, 0.5, n), 2)
    claims = {
        "claim_id": claim_id, **_fake_people(rng, n),
        "facility_id": rng.choice(FACILITIES, n, p=FACILITY_WEIGHTS), "payer": payer, "coder_id": coder,
        "encounter_type": encounter, "service_date": service.astype(str), "discharge_date": discharge,
        "billed_amount": np.char.mod("%.2f", billed),
    }
    claims.update(stays.demographics(service, claims["patient_dob"]))

    report(0.15, "Generating diagnosis and procedure codes")
    pool, weights, pool_unspec = _dx_pool(rng)
    n_dx = np.select([encounter == "inpatient", encounter == "outpatient"], [rng.integers(4, 11, n), rng.integers(2, 6, n)], rng.integers(1, 4, n))
    owner = np.repeat(np.arange(n), n_dx)
    line = np.arange(len(owner)) - np.repeat(np.cumsum(n_dx) - n_dx, n_dx) + 1
    dx = stays.diagnoses(owner, line, pool[rng.choice(len(pool), len(owner), p=weights)])
    # Around the code-set update, and for weak coders, more codes are left unspecified.
    sloppy = np.isin(coder[owner], WEAK_CODERS) | window.after_update(service[owner])
    unspec_codes = pool[pool_unspec]
    swap = sloppy & (rng.random(len(owner)) < 0.12)
    dx[swap] = unspec_codes[rng.integers(0, len(unspec_codes), swap.sum())]
    bad = rng.random(len(owner)) < 0.006
    dx[bad] = INVALID_DX[rng.integers(0, len(INVALID_DX), bad.sum())]
    dx_display = _dotted(dx)  # files carry the official dotted form; ingest normalises it away
    poa = np.where(encounter[owner] == "inpatient", rng.choice(np.array(["Y", "N", "U", "W"]), len(owner), p=[0.85, 0.1, 0.03, 0.02]), "")

    n_px = np.select([encounter == "inpatient", encounter == "outpatient"], [rng.integers(1, 4, n), rng.integers(1, 4, n)], rng.integers(1, 3, n))
    px_owner = np.repeat(np.arange(n), n_px)
    px_line = np.arange(len(px_owner)) - np.repeat(np.cumsum(n_px) - n_px, n_px) + 1
    px_enc = encounter[px_owner]
    px_type = np.where(px_enc == "inpatient", "ICD10PCS", np.where(rng.random(len(px_owner)) < 0.85, "CPT", "HCPCS"))
    px_code = np.where(px_type == "ICD10PCS", PCS_CODES[rng.integers(0, len(PCS_CODES), len(px_owner))],
                       np.where(px_type == "CPT", CPT_CODES[rng.integers(0, len(CPT_CODES), len(px_owner))],
                                HCPCS_CODES[rng.integers(0, len(HCPCS_CODES), len(px_owner))]))
    px_code = stays.procedures(px_owner, px_line, px_code)
    modifiers = np.where((px_type == "CPT") & (rng.random(len(px_owner)) < 0.15), rng.choice(np.array(["25", "59", "LT", "RT", "26"]), len(px_owner)), "")
    codes = {
        "claim_id": np.concatenate([claim_id[owner], claim_id[px_owner]]),
        "line": np.concatenate([line, px_line]).astype(str),
        "code_type": np.concatenate([np.full(len(owner), "ICD10CM_DX"), px_type]),
        "code": np.concatenate([dx_display, px_code]),
        "poa": np.concatenate([poa, np.full(len(px_owner), "")]),
        "modifiers": np.concatenate([np.full(len(owner), ""), modifiers]),
        "units": np.concatenate([np.full(len(owner), ""), rng.integers(1, 3, len(px_owner)).astype(str)]),
    }
    admitting = stays.admitting(claim_id)
    billed_drg, supported_drg = stays.billed_drgs(
        pd.DataFrame(claims), pd.concat([pd.DataFrame({**codes, "code": np.concatenate([dx, px_code])}),
                                         admitting.assign(code=admitting.code.str.replace(".", ""))]),
        np.where(np.isin(coder, WEAK_CODERS), 3.0, 1.0))
    claims["ms_drg"] = billed_drg

    report(0.35, "Generating audit findings")
    audited = rng.random(n) < 0.12
    all_owner = np.concatenate([owner, px_owner])
    all_code = np.concatenate([dx, px_code])
    all_type = codes["code_type"]
    sel = audited[all_owner]
    f_owner, f_code, f_type = all_owner[sel], all_code[sel], all_type[sel]
    acc = _coder_accuracy(coder[f_owner], service[f_owner], window)
    u = rng.random(len(f_owner))
    finding = np.where(u < acc, "agree", np.where(rng.random(len(f_owner)) < 0.8, "revise", "delete"))
    spec_alt = pool[~pool_unspec]
    audited_code = np.where(finding == "agree", f_code, "").astype(object)
    category = np.where(finding == "delete", "unsupported_code", "").astype(object)
    audited_code, category = _revise(rng, finding == "revise", f_type, f_code, audited_code, category, spec_alt)
    finding = np.where((finding == "revise") & (audited_code == f_code), "agree", finding)  # no related code: agreed
    category = np.where(finding == "agree", "", category)
    impact = np.where(finding == "agree", 0.0, np.round(rng.normal(-60, 140, len(f_owner)), 2))
    # Missed codes the reviewer adds.
    aud_idx = np.flatnonzero(audited)
    add_p = 1 - _coder_accuracy(coder[aud_idx], service[aud_idx], window)
    adds = aud_idx[rng.random(len(aud_idx)) < add_p * 2.5]
    add_code = spec_alt[rng.integers(0, len(spec_alt), len(adds))]
    # DRG validation for audited inpatient claims with a billed DRG: the auditor's DRG is the one the codes support.
    drg_idx = aud_idx[(encounter[aud_idx] == "inpatient") & (billed_drg[aud_idx] != "")]
    drg_sub = billed_drg[drg_idx]
    drg_aud = np.where(supported_drg[drg_idx] != "", supported_drg[drg_idx], drg_sub)
    drg_ok = drg_aud == drg_sub
    drg_overpaid = np.char.greater(drg_aud, drg_sub)  # a higher number in a family is a lower severity
    review_of = np.concatenate([f_owner, adds, drg_idx])
    review_lag = rng.integers(20, 90, n).astype("timedelta64[D]")  # one review date per claim
    review_date = window.capped(service[review_of] + review_lag[review_of])
    findings = {
        "i": review_of, "is_drg": np.concatenate([np.zeros(len(f_owner) + len(adds), bool), np.ones(len(drg_idx), bool)]),
        "claim_id": claim_id[review_of],
        "review_id": np.char.add("R", np.char.zfill(review_of.astype(str), 7)),
        "auditor_id": np.array(["A01", "A02", "A03", "A04"])[review_of % 4],
        "review_date": review_date.astype(str),
        "code_type": np.concatenate([f_type, np.full(len(adds), "ICD10CM_DX"), np.full(len(drg_idx), "MSDRG")]),
        "submitted_code": np.concatenate([np.where(f_type == "ICD10CM_DX", _dotted(f_code), f_code), np.full(len(adds), ""), drg_sub]),
        "audited_code": np.concatenate([np.where(finding == "delete", "", np.where(f_type == "ICD10CM_DX", _dotted(audited_code), audited_code)), _dotted(add_code), np.where(drg_ok, drg_sub, drg_aud)]),
        "finding": np.concatenate([finding, np.full(len(adds), "add"), np.where(drg_ok, "agree", "revise")]),
        "error_category": np.concatenate([category, np.full(len(adds), "missing_code"), np.where(drg_ok, "", "drg")]),
        "dollar_impact": np.concatenate([
            impact, np.round(rng.normal(85, 60, len(adds)), 2),
            np.where(drg_ok, 0.0, np.round(np.where(drg_overpaid, -1, 1) * np.abs(rng.normal(1800, 1200, len(drg_idx))), 2)),
        ]),
    }
    findings_df = pd.DataFrame(findings).drop_duplicates(["claim_id", "review_id", "code_type", "submitted_code", "audited_code"])

    report(0.5, "Generating remittance adjustments")
    den_rows = []
    for name, (p_deny, carcs, w) in DENIAL_MIX.items():
        idx = np.flatnonzero(payer == name)
        bump = np.where(np.isin(coder[idx], WEAK_CODERS), 1.6, 1.0)
        denied = idx[rng.random(len(idx)) < p_deny * bump]
        carc = rng.choice(np.array(carcs), len(denied), p=np.array(w))
        amount = np.round(billed[denied] * rng.uniform(0.2, 1.0, len(denied)), 2)
        group = np.where(rng.random(len(denied)) < 0.85, "CO", np.where(rng.random(len(denied)) < 0.6, "OA", "PI"))
        status = rng.choice(np.array(["", "pending", "overturned", "upheld"]), len(denied), p=[0.55, 0.07, 0.24, 0.14])
        rows = pd.DataFrame({"i": denied, "group_code": group, "carc": carc, "denied_amount": amount, "appeal_status": status})
        # Several adjustments on one claim: the denied amount split over another CARC or two of the payer's mix.
        for share in (SECOND_ADJUSTMENT, THIRD_ADJUSTMENT):
            more = rows[(rows.index < len(denied)) & (rng.random(len(rows)) < share)].copy()
            if len(carcs) < 2 or more.empty:
                continue
            used = rows.groupby("i")["carc"].agg(set)
            others = [[c for c in carcs if c not in used[i]] or carcs for i in more["i"]]
            more["carc"] = [options[int(rng.integers(0, len(options)))] for options in others]
            split = np.round(more["denied_amount"].to_numpy() * rng.uniform(0.2, 0.5, len(more)), 2)
            rows.loc[more.index, "denied_amount"] -= split
            more["denied_amount"] = split
            more["appeal_status"] = rng.choice(np.array(["", "pending", "overturned", "upheld"]), len(more), p=[0.55, 0.07, 0.24, 0.14])
            rows = pd.concat([rows, more], ignore_index=True)
        rows["denied_amount"] = rows["denied_amount"].round(2)
        den_rows.append(rows.assign(rarc=np.where(rows["carc"] == "16", "M81", "")))
    pr_idx = np.flatnonzero((payer != "Self-pay") & (rng.random(n) < 0.35))
    den_rows.append(pd.DataFrame({"i": pr_idx, "group_code": "PR", "carc": rng.choice(np.array(["1", "2", "3"]), len(pr_idx)),
                                  "denied_amount": np.round(rng.uniform(10, 400, len(pr_idx)), 2), "appeal_status": "", "rarc": ""}))
    den = pd.concat(den_rows, ignore_index=True)
    paying = DemoPayments.settle(np.random.default_rng([seed, 17]), payer, encounter, billed, billed_drg, discharge, den)
    claims.update(paying.columns())
    drg_rows = findings_df.is_drg.to_numpy()
    drg_dollars = paying.drg_dollars(findings_df.i.to_numpy()[drg_rows], findings_df.submitted_code.to_numpy()[drg_rows],
                                     findings_df.audited_code.to_numpy()[drg_rows])
    impact = findings_df.dollar_impact.to_numpy(dtype=float)
    impact[drg_rows] = np.where(np.isnan(drg_dollars), impact[drg_rows], drg_dollars)
    findings_df["dollar_impact"] = np.char.mod("%.2f", paying.finding_dollars(findings_df.i.to_numpy(), drg_rows, impact) + 0.0)
    findings_df = findings_df.drop(columns=["i", "is_drg"])
    remit_lag = rng.integers(14, 60, n).astype("timedelta64[D]")
    denials = pd.DataFrame({
        "claim_id": claim_id[den.i], "payer": payer[den.i],
        "remit_date": window.capped(service[den.i] + remit_lag[den.i]).astype(str),  # one remittance per claim
        "group_code": den.group_code, "carc": den.carc, "rarc": den.rarc,
        "denied_amount": np.char.mod("%.2f", den.denied_amount.to_numpy()), "appeal_status": den.appeal_status,
    })

    report(0.6, "Adding a few rows that break the format rules")
    claims_df = pd.DataFrame(claims)
    n_bad = max(3, n // 5000)
    bad_rows = claims_df.sample(n_bad, random_state=seed).copy()
    bad_rows["claim_id"] = [f"BAD{i:07d}" for i in range(n_bad)]
    bad_rows["service_date"] = "2025-02-30"
    claims_df = pd.concat([claims_df, bad_rows], ignore_index=True)
    orphan = denials.head(n_bad).copy()
    orphan["claim_id"] = [f"ORPHAN{i:05d}" for i in range(n_bad)]
    denials = pd.concat([denials, orphan], ignore_index=True)

    report(0.65, "Writing raw files")
    codes_df = pd.concat([pd.DataFrame(codes), admitting], ignore_index=True)
    for name, df in (("claims", claims_df), ("claim_codes", codes_df), ("audit_findings", findings_df), ("denials", denials)):
        table = pa.Table.from_pandas(df.astype(str), preserve_index=False)
        path = folder / f"{name}.csv"
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as fh:
            pacsv.write_csv(table, fh)
    return DemoFiles(folder, len(claims_df), len(codes_df), len(findings_df), len(denials))


def build_demo(paths: Paths, n_claims: int = 20_000, seed: int = 2026, *, recorder: Recorder,
               actor: tuple[str, str] | None = None, progress: Progress | None = None,
               keep_raw: Path | None = None, today: date | None = None) -> IngestResult:
    """Generate the raw files for the window ending on `today` (default: the real date) and load them
    through the real ingest (encryption included), which records its `ingest` event through `recorder`
    before the store is swapped in (see `ingest.writer.ingest`); then run the demo's review cycle
    (data/demo_review.py: a completed sample with a rebuttal and its decision, events through `recorder`).

    The raw files hold fake PHI in plaintext, as a real extract would, so they are written to a private
    temporary folder and deleted after the load unless `keep_raw` names a folder to keep them in: a new
    folder (made 0700) or an empty one (left as it is; files 0600). A folder holding anything is refused
    before anything is built: its files are never overwritten nor its mode changed.
    """
    report = progress or (lambda _f, _m: None)
    if n_claims < MIN_CLAIMS:
        raise IngestError(f"The demo needs at least {MIN_CLAIMS} claims to show its patterns; {n_claims} was asked for.")
    if keep_raw is not None and (keep_raw.exists() and (not keep_raw.is_dir() or any(keep_raw.iterdir()))):
        raise IngestError(f"--keep-raw {keep_raw} is not empty (or not a folder): the raw files are never written over "
                          "anything. Name a new or empty folder.")
    paths.ensure()
    with writer_lock(paths), tempfile.TemporaryDirectory(dir=paths.data_dir, prefix=".demo-raw-") as tmp:
        if paths.real_data_marker.exists() and not paths.store.exists():
            raise IngestError(
                f"real data was loaded into {paths.data_dir} ({paths.real_data_marker.name}), so the synthetic demo is "
                "never built there. Restore the store from backup (docs/SECURITY.md) or ingest the real files again; "
                "give the demo its own folder with --data-dir."
            )
        if paths.store.exists() and not demo_mode(paths):
            raise IngestError(
                f"{paths.store} holds real data: the synthetic demo is never mixed into it. "
                "Give the demo its own store with --db /another/folder/store.duckdb."
            )
        folder = keep_raw or Path(tmp)
        generate(folder, n_claims, seed, lambda f, m: report(0.4 * f, m), today)
        result = ingest(folder, paths, recorder=recorder, source="demo", actor=actor, today=today,
                        progress=lambda f, m: report(0.4 + 0.55 * f, m))
    report(0.97, "Reviewing a sample (draw, reviews, rebuttal, frozen report)")
    review_cycle(paths, today or date.today(), recorder)
    return result
