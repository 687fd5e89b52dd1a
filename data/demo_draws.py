"""The demo's draws, one named step per file it writes (claims, their codes, audit findings, remittance
adjustments and what was paid), each with its distributions named in DemoParameters or below. data/demo.py
runs the steps in order on one random stream, so the same seed, today and parameters give the same files."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from faker import Faker

from data.demo_inpatient import InpatientDemo
from data.demo_payments import DemoPayments
from data.demo_revisions import related_diagnosis, related_procedure
from queries.metrics import months_back
from queries.reference import dotted, icd10cm_frame

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


@dataclass(frozen=True)
class DemoParameters:
    """The demo's distributions, each by name. Ranges are [low, high) as numpy draws them; (mean, sd) pairs
    are normal draws. Changing any of them changes the demo; the defaults are the demo users see."""

    inpatient_share: float = INPATIENT_SHARE
    outpatient_professional: tuple[float, float] = (0.45, 0.40)  # the other encounter types, in this ratio
    base_charge: tuple[float, float, float] = (18_000.0, 1_400.0, 240.0)  # inpatient, outpatient, professional
    charge_spread: float = 0.5  # sigma of the lognormal factor on the base charge
    stay_days: tuple[int, int] = (1, 9)  # inpatient length of stay
    diagnoses_per_claim: tuple[tuple[int, int], tuple[int, int], tuple[int, int]] = ((4, 11), (2, 6), (1, 4))
    sloppy_unspecified_share: float = 0.12  # diagnoses a weak coder (or anyone after the update) leaves unspecified
    invalid_dx_share: float = 0.006  # diagnosis lines with a header or a non-code
    poa_mix: tuple[float, float, float, float] = (0.85, 0.1, 0.03, 0.02)  # Y, N, U, W on inpatient diagnoses
    procedures_per_claim: tuple[tuple[int, int], tuple[int, int], tuple[int, int]] = ((1, 4), (1, 4), (1, 3))
    cpt_share: float = 0.85  # outpatient and professional procedures that are CPT (the rest HCPCS)
    modifier_share: float = 0.15  # CPT lines with a modifier
    units: tuple[int, int] = (1, 3)
    audited_share: float = 0.12  # claims with findings
    # of inpatient claims billed a DRG their codes do not support: a DRG validation targets them, as a review
    # driven by PEPPER's or a payer's flags would; at audited_share alone a 3,000-claim demo held 0 to 3 DRG
    # revisions, none on some days
    drg_mismatch_audited_share: float = 0.5
    revise_share: float = 0.8  # code errors that are revisions (the rest deletions)
    code_impact: tuple[float, float] = (-60.0, 140.0)  # dollars of a code error
    missed_code_factor: float = 2.5  # missed codes per claim, times the coder's error rate
    missed_code_impact: tuple[float, float] = (85.0, 60.0)
    # Where errors concentrate beyond the coders: code accuracy lower by this much on one payer's claims served in
    # the last 12 months (a payer whose coding got worse: "what moved") and on the diagnoses of one ICD-10-CM chapter
    # throughout, so the errors-by-family views show a family and a payer that differ by more than chance at the
    # browser tests' 3,000 claims. At 0.18 the payer's change missed the Benjamini-Hochberg cut on 4 days in 22
    # (its 12 months hold only about 130 findings); at 0.30 it passed on every day tried across a year.
    payer_accuracy_drop: tuple[str, float] = ("Medicaid", 0.30)
    chapter_accuracy_drop: tuple[str, float] = ("13", 0.07)
    drg_impact: tuple[float, float] = (1800.0, 1200.0)  # size of a DRG change before payment rules
    review_lag_days: tuple[int, int] = (20, 90)
    weak_coder_denial_factor: float = 1.6
    co_share: float = 0.85  # denials with group code CO; of the rest, OA (else PI):
    oa_share: float = 0.6
    appeal_mix: tuple[float, float, float, float] = (0.55, 0.07, 0.24, 0.14)  # none, pending, overturned, upheld
    denied_share: tuple[float, float] = (0.2, 1.0)  # of the charge
    split_share: tuple[float, float] = (0.2, 0.5)  # of a denial moved to a further adjustment
    patient_responsibility_share: float = 0.35  # insured claims with a PR adjustment
    patient_responsibility_amount: tuple[float, float] = (10.0, 400.0)
    remit_lag_days: tuple[int, int] = (14, 60)
    claims_per_broken_row: int = 5000  # at least 3 broken claims rows and orphan denials


APPEAL_STATUSES = np.array(["", "pending", "overturned", "upheld"])


@dataclass
class Claims:
    """The claims as drawn: their columns for claims.csv, and what later steps draw from."""

    claim_id: np.ndarray
    coder: np.ndarray
    encounter: np.ndarray
    service: np.ndarray
    discharge: np.ndarray
    payer: np.ndarray
    billed: np.ndarray
    stays: InpatientDemo
    columns: dict[str, np.ndarray]


@dataclass
class Codes:
    """The claims' code lines (claim_codes.csv without the admitting diagnoses), and the DRGs they support."""

    pool: np.ndarray
    pool_unspecified: np.ndarray
    owner: np.ndarray
    dx: np.ndarray
    px_owner: np.ndarray
    px_code: np.ndarray
    columns: dict[str, np.ndarray]
    admitting: pd.DataFrame
    billed_drg: np.ndarray
    supported_drg: np.ndarray


def draw_claims(rng: np.random.Generator, seed: int, n: int, window: Calendar, p: DemoParameters) -> Claims:
    claim_id = np.char.add("CLM", np.char.zfill(rng.permutation(np.arange(10**6, 10**6 + n * 7, 7))[:n].astype(str), 10))
    coders = np.array([f"C{i:03d}" for i in range(1, N_CODERS + 1)])
    coder = coders[rng.integers(0, N_CODERS, n)]
    rest = np.array(p.outpatient_professional) * (1 - p.inpatient_share) / (1 - INPATIENT_SHARE)
    encounter = rng.choice(ENCOUNTERS, n, p=[p.inpatient_share, *rest])
    stays = InpatientDemo.draw(np.random.default_rng([seed, 12]), encounter == "inpatient")  # its own stream
    service = _dates(rng, n, window)
    los = np.where(encounter == "inpatient", rng.integers(*p.stay_days, n), 0).astype("timedelta64[D]")
    discharge = np.where(encounter == "inpatient", (service + los).astype(str), "")
    payer = rng.choice(PAYERS, n, p=PAYER_WEIGHTS)
    base_amount = np.select([encounter == "inpatient", encounter == "outpatient"], list(p.base_charge[:2]), p.base_charge[2])
    billed = np.round(base_amount * rng.lognormal(0, p.charge_spread, n), 2)
    columns = {
        "claim_id": claim_id, **_fake_people(rng, n),
        "facility_id": rng.choice(FACILITIES, n, p=FACILITY_WEIGHTS), "payer": payer, "coder_id": coder,
        "encounter_type": encounter, "service_date": service.astype(str), "discharge_date": discharge,
        "billed_amount": np.char.mod("%.2f", billed),
    }
    columns.update(stays.demographics(service, columns["patient_dob"]))
    return Claims(claim_id, coder, encounter, service, discharge, payer, billed, stays, columns)


def _per_claim(rng: np.random.Generator, c: Claims, ranges: tuple[tuple[int, int], ...]) -> np.ndarray:
    """How many lines each claim has, from its encounter type's range (inpatient, outpatient, professional)."""
    n = len(c.claim_id)
    return np.select([c.encounter == "inpatient", c.encounter == "outpatient"],
                     [rng.integers(*ranges[0], n), rng.integers(*ranges[1], n)], rng.integers(*ranges[2], n))


def draw_codes(rng: np.random.Generator, c: Claims, window: Calendar, p: DemoParameters) -> Codes:
    pool, weights, pool_unspec = _dx_pool(rng)
    n = len(c.claim_id)
    n_dx = _per_claim(rng, c, p.diagnoses_per_claim)
    owner = np.repeat(np.arange(n), n_dx)
    line = np.arange(len(owner)) - np.repeat(np.cumsum(n_dx) - n_dx, n_dx) + 1
    dx = c.stays.diagnoses(owner, line, pool[rng.choice(len(pool), len(owner), p=weights)])
    # Around the code-set update, and for weak coders, more codes are left unspecified.
    sloppy = np.isin(c.coder[owner], WEAK_CODERS) | window.after_update(c.service[owner])
    unspec_codes = pool[pool_unspec]
    swap = sloppy & (rng.random(len(owner)) < p.sloppy_unspecified_share)
    dx[swap] = unspec_codes[rng.integers(0, len(unspec_codes), swap.sum())]
    bad = rng.random(len(owner)) < p.invalid_dx_share
    dx[bad] = INVALID_DX[rng.integers(0, len(INVALID_DX), bad.sum())]
    dx_display = _dotted(dx)  # files carry the official dotted form; ingest normalises it away
    poa = np.where(c.encounter[owner] == "inpatient",
                   rng.choice(np.array(["Y", "N", "U", "W"]), len(owner), p=list(p.poa_mix)), "")

    n_px = _per_claim(rng, c, p.procedures_per_claim)
    px_owner = np.repeat(np.arange(n), n_px)
    px_line = np.arange(len(px_owner)) - np.repeat(np.cumsum(n_px) - n_px, n_px) + 1
    px_type = np.where(c.encounter[px_owner] == "inpatient", "ICD10PCS",
                       np.where(rng.random(len(px_owner)) < p.cpt_share, "CPT", "HCPCS"))
    px_code = np.where(px_type == "ICD10PCS", PCS_CODES[rng.integers(0, len(PCS_CODES), len(px_owner))],
                       np.where(px_type == "CPT", CPT_CODES[rng.integers(0, len(CPT_CODES), len(px_owner))],
                                HCPCS_CODES[rng.integers(0, len(HCPCS_CODES), len(px_owner))]))
    px_code = c.stays.procedures(px_owner, px_line, px_code)
    modifiers = np.where((px_type == "CPT") & (rng.random(len(px_owner)) < p.modifier_share),
                         rng.choice(np.array(["25", "59", "LT", "RT", "26"]), len(px_owner)), "")
    columns = {
        "claim_id": np.concatenate([c.claim_id[owner], c.claim_id[px_owner]]),
        "line": np.concatenate([line, px_line]).astype(str),
        "code_type": np.concatenate([np.full(len(owner), "ICD10CM_DX"), px_type]),
        "code": np.concatenate([dx_display, px_code]),
        "poa": np.concatenate([poa, np.full(len(px_owner), "")]),
        "modifiers": np.concatenate([np.full(len(owner), ""), modifiers]),
        "units": np.concatenate([np.full(len(owner), ""), rng.integers(*p.units, len(px_owner)).astype(str)]),
    }
    admitting = c.stays.admitting(c.claim_id)
    billed_drg, supported_drg = c.stays.billed_drgs(
        pd.DataFrame(c.columns), pd.concat([pd.DataFrame({**columns, "code": np.concatenate([dx, px_code])}),
                                            admitting.assign(code=admitting.code.str.replace(".", ""))]),
        np.where(np.isin(c.coder, WEAK_CODERS), 3.0, 1.0))
    c.columns["ms_drg"] = billed_drg
    return Codes(pool, pool_unspec, owner, dx, px_owner, px_code, columns, admitting, billed_drg, supported_drg)


def draw_findings(rng: np.random.Generator, c: Claims, k: Codes, window: Calendar, p: DemoParameters) -> pd.DataFrame:
    """Audit findings of a share of the claims: each code agreed, revised or deleted (worse for weak coders
    and after the update), missed codes added, and a DRG finding on audited inpatient claims with a billed
    DRG. Columns `i` (the claim's index) and `is_drg` are for the payment step."""
    n = len(c.claim_id)
    mismatched = (c.encounter == "inpatient") & (k.billed_drg != "") & (k.supported_drg != "") & (k.billed_drg != k.supported_drg)
    audited = rng.random(n) < np.where(mismatched, p.drg_mismatch_audited_share, p.audited_share)
    all_owner = np.concatenate([k.owner, k.px_owner])
    all_code = np.concatenate([k.dx, k.px_code])
    all_type = k.columns["code_type"]
    sel = audited[all_owner]
    f_owner, f_code, f_type = all_owner[sel], all_code[sel], all_type[sel]
    acc = _coder_accuracy(c.coder[f_owner], c.service[f_owner], window)
    (payer, payer_drop), (chapter, chapter_drop) = p.payer_accuracy_drop, p.chapter_accuracy_drop
    chapters = pd.Series(f_code).map(icd10cm_frame().set_index("code")["chapter"]).to_numpy()
    recent = c.service[f_owner] >= np.datetime64(months_back(window.end, 12))
    acc = acc - payer_drop * ((c.payer[f_owner] == payer) & recent) - chapter_drop * ((f_type == "ICD10CM_DX") & (chapters == chapter))
    u = rng.random(len(f_owner))
    finding = np.where(u < acc, "agree", np.where(rng.random(len(f_owner)) < p.revise_share, "revise", "delete"))
    spec_alt = k.pool[~k.pool_unspecified]
    audited_code = np.where(finding == "agree", f_code, "").astype(object)
    category = np.where(finding == "delete", "unsupported_code", "").astype(object)
    audited_code, category = _revise(rng, finding == "revise", f_type, f_code, audited_code, category, spec_alt)
    finding = np.where((finding == "revise") & (audited_code == f_code), "agree", finding)  # no related code: agreed
    category = np.where(finding == "agree", "", category)
    impact = np.where(finding == "agree", 0.0, np.round(rng.normal(*p.code_impact, len(f_owner)), 2))
    # Missed codes the reviewer adds.
    aud_idx = np.flatnonzero(audited)
    add_p = 1 - _coder_accuracy(c.coder[aud_idx], c.service[aud_idx], window)
    adds = aud_idx[rng.random(len(aud_idx)) < add_p * p.missed_code_factor]
    add_code = spec_alt[rng.integers(0, len(spec_alt), len(adds))]
    # DRG validation for audited inpatient claims with a billed DRG: the auditor's DRG is the one the codes support.
    drg_idx = aud_idx[(c.encounter[aud_idx] == "inpatient") & (k.billed_drg[aud_idx] != "")]
    drg_sub = k.billed_drg[drg_idx]
    drg_aud = np.where(k.supported_drg[drg_idx] != "", k.supported_drg[drg_idx], drg_sub)
    drg_ok = drg_aud == drg_sub
    drg_overpaid = np.char.greater(drg_aud, drg_sub)  # a higher number in a family is a lower severity
    review_of = np.concatenate([f_owner, adds, drg_idx])
    review_lag = rng.integers(*p.review_lag_days, n).astype("timedelta64[D]")  # one review date per claim
    review_date = window.capped(c.service[review_of] + review_lag[review_of])
    findings = {
        "i": review_of, "is_drg": np.concatenate([np.zeros(len(f_owner) + len(adds), bool), np.ones(len(drg_idx), bool)]),
        "claim_id": c.claim_id[review_of],
        "review_id": np.char.add("R", np.char.zfill(review_of.astype(str), 7)),
        "auditor_id": np.array(["A01", "A02", "A03", "A04"])[review_of % 4],
        "review_date": review_date.astype(str),
        "code_type": np.concatenate([f_type, np.full(len(adds), "ICD10CM_DX"), np.full(len(drg_idx), "MSDRG")]),
        "submitted_code": np.concatenate([np.where(f_type == "ICD10CM_DX", _dotted(f_code), f_code), np.full(len(adds), ""), drg_sub]),
        "audited_code": np.concatenate([np.where(finding == "delete", "", np.where(f_type == "ICD10CM_DX", _dotted(audited_code), audited_code)), _dotted(add_code), np.where(drg_ok, drg_sub, drg_aud)]),
        "finding": np.concatenate([finding, np.full(len(adds), "add"), np.where(drg_ok, "agree", "revise")]),
        "error_category": np.concatenate([category, np.full(len(adds), "missing_code"), np.where(drg_ok, "", "drg")]),
        "dollar_impact": np.concatenate([
            impact, np.round(rng.normal(*p.missed_code_impact, len(adds)), 2),
            np.where(drg_ok, 0.0, np.round(np.where(drg_overpaid, -1, 1) * np.abs(rng.normal(*p.drg_impact, len(drg_idx))), 2)),
        ]),
    }
    return pd.DataFrame(findings).drop_duplicates(["claim_id", "review_id", "code_type", "submitted_code", "audited_code"])


def draw_adjustments(rng: np.random.Generator, c: Claims, p: DemoParameters) -> pd.DataFrame:
    """Remittance adjustments by claim index `i`: each payer's denial mix (CARCs, some split over two or three
    adjustments, appeals), and patient responsibility (PR, not a denial) on insured claims."""
    den_rows = []
    for name, (p_deny, carcs, w) in DENIAL_MIX.items():
        idx = np.flatnonzero(c.payer == name)
        bump = np.where(np.isin(c.coder[idx], WEAK_CODERS), p.weak_coder_denial_factor, 1.0)
        denied = idx[rng.random(len(idx)) < p_deny * bump]
        carc = rng.choice(np.array(carcs), len(denied), p=np.array(w))
        amount = np.round(c.billed[denied] * rng.uniform(*p.denied_share, len(denied)), 2)
        group = np.where(rng.random(len(denied)) < p.co_share, "CO", np.where(rng.random(len(denied)) < p.oa_share, "OA", "PI"))
        status = rng.choice(APPEAL_STATUSES, len(denied), p=list(p.appeal_mix))
        rows = pd.DataFrame({"i": denied, "group_code": group, "carc": carc, "denied_amount": amount, "appeal_status": status})
        # Several adjustments on one claim: the denied amount split over another CARC or two of the payer's mix.
        for share in (SECOND_ADJUSTMENT, THIRD_ADJUSTMENT):
            more = rows[(rows.index < len(denied)) & (rng.random(len(rows)) < share)].copy()
            if len(carcs) < 2 or more.empty:
                continue
            used = rows.groupby("i")["carc"].agg(set)
            others = [[code for code in carcs if code not in used[i]] or carcs for i in more["i"]]
            more["carc"] = [options[int(rng.integers(0, len(options)))] for options in others]
            split = np.round(more["denied_amount"].to_numpy() * rng.uniform(*p.split_share, len(more)), 2)
            rows.loc[more.index, "denied_amount"] -= split
            more["denied_amount"] = split
            more["appeal_status"] = rng.choice(APPEAL_STATUSES, len(more), p=list(p.appeal_mix))
            rows = pd.concat([rows, more], ignore_index=True)
        rows["denied_amount"] = rows["denied_amount"].round(2)
        den_rows.append(rows.assign(rarc=np.where(rows["carc"] == "16", "M81", "")))
    pr_idx = np.flatnonzero((c.payer != "Self-pay") & (rng.random(len(c.claim_id)) < p.patient_responsibility_share))
    den_rows.append(pd.DataFrame({"i": pr_idx, "group_code": "PR", "carc": rng.choice(np.array(["1", "2", "3"]), len(pr_idx)),
                                  "denied_amount": np.round(rng.uniform(*p.patient_responsibility_amount, len(pr_idx)), 2),
                                  "appeal_status": "", "rarc": ""}))
    return pd.concat(den_rows, ignore_index=True)


def settle(rng: np.random.Generator, seed: int, c: Claims, k: Codes, findings: pd.DataFrame, den: pd.DataFrame,
            window: Calendar, p: DemoParameters) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Allowed and paid amounts on every claim (data/demo_payments.py), findings' dollars by the payment
    rules, and the denials file: the findings without their helper columns, and the denials."""
    paying = DemoPayments.settle(np.random.default_rng([seed, 17]), c.payer, c.encounter, c.billed, k.billed_drg,
                                 c.discharge, den)
    c.columns.update(paying.columns())
    drg_rows = findings.is_drg.to_numpy()
    drg_dollars = paying.drg_dollars(findings.i.to_numpy()[drg_rows], findings.submitted_code.to_numpy()[drg_rows],
                                     findings.audited_code.to_numpy()[drg_rows])
    impact = findings.dollar_impact.to_numpy(dtype=float)
    impact[drg_rows] = np.where(np.isnan(drg_dollars), impact[drg_rows], drg_dollars)
    findings["dollar_impact"] = np.char.mod("%.2f", paying.finding_dollars(findings.i.to_numpy(), drg_rows, impact) + 0.0)
    remit_lag = rng.integers(*p.remit_lag_days, len(c.claim_id)).astype("timedelta64[D]")
    denials = pd.DataFrame({
        "claim_id": c.claim_id[den.i], "payer": c.payer[den.i],
        "remit_date": window.capped(c.service[den.i] + remit_lag[den.i]).astype(str),  # one remittance per claim
        "group_code": den.group_code, "carc": den.carc, "rarc": den.rarc,
        "denied_amount": np.char.mod("%.2f", den.denied_amount.to_numpy()), "appeal_status": den.appeal_status,
    })
    return findings.drop(columns=["i", "is_drg"]), denials
