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
  often as their peers (data/demo_inpatient.py); half of the claims billed a DRG their codes do not support
  are audited (12% of the others), so DRG validation finds some on any day;
- Medicaid's claims are coded worse in the last 12 months than before (what moved), and chapter 13's
  diagnoses throughout;
- every claim has its payer's allowed and paid amounts: contract shares of the charges, DRG payments for
  inpatient claims with a billed DRG, less denied shares and patient responsibility; findings' dollars
  follow the payment rules (data/demo_payments.py).

The draws are named steps (data/demo_draws.py: claims, codes, findings, adjustments, payments) with their
distributions named in DemoParameters; `generate` runs them in order on one seeded random stream.
"""
from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from config.paths import Paths, private_folder
from data.demo_draws import (
    INPATIENT_SHARE,
    MIN_CLAIMS,
    Calendar,
    DemoParameters,
    draw_adjustments,
    draw_claims,
    draw_codes,
    draw_findings,
    settle,
)
from data.demo_remittances import move_to_835
from data.demo_review import review_cycle
from ingest.swap import writer_lock
from ingest.writer import IngestError, IngestResult, Recorder, ingest
from queries.store import demo_mode

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class DemoFiles:
    folder: Path
    claims: int
    code_lines: int
    findings: int
    denials: int


def _with_broken_rows(claims: pd.DataFrame, denials: pd.DataFrame, seed: int,
                      p: DemoParameters) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A few claims with an impossible date and denials of no claim, so the rejects table has something to show."""
    n_bad = max(3, len(claims) // p.claims_per_broken_row)
    bad_rows = claims.sample(n_bad, random_state=seed).copy()
    bad_rows["claim_id"] = [f"BAD{i:07d}" for i in range(n_bad)]
    bad_rows["service_date"] = "2025-02-30"
    orphan = denials.head(n_bad).copy()
    orphan["claim_id"] = [f"ORPHAN{i:05d}" for i in range(n_bad)]
    return pd.concat([claims, bad_rows], ignore_index=True), pd.concat([denials, orphan], ignore_index=True)


def _write_private(folder: Path, frames: dict[str, pd.DataFrame]) -> None:
    """Each frame as <name>.csv, created readable by its owner only (0600), never over an existing file."""
    for name, df in frames.items():
        table = pa.Table.from_pandas(df.astype(str), preserve_index=False)
        path = folder / f"{name}.csv"
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as fh:
            pacsv.write_csv(table, fh)


def generate(folder: Path, n_claims: int = 20_000, seed: int = 2026, progress: Progress | None = None,
             today: date | None = None, inpatient_share: float = INPATIENT_SHARE,
             parameters: DemoParameters | None = None) -> DemoFiles:
    """Write claims.csv, claim_codes.csv, audit_findings.csv and denials.csv into `folder`, for a window
    ending on `today` (default: the real date), drawn with `parameters` (default: the demo's; an
    `inpatient_share` other than the default replaces theirs). They hold fake PHI in plaintext, as a real
    extract would, so a new folder is made private (0700) and each file is created readable by its owner
    only (0600), never over an existing file (FileExistsError). The same seed, today and parameters give
    the same bytes (tests/data/test_demo_files.py)."""
    report = progress or (lambda _f, _m: None)
    p = parameters or DemoParameters()
    if inpatient_share != INPATIENT_SHARE:
        p = replace(p, inpatient_share=inpatient_share)
    window = Calendar.ending(today or date.today())
    rng = np.random.default_rng(seed)
    private_folder(folder)
    report(0.02, "Generating claims")
    claims = draw_claims(rng, seed, n_claims, window, p)
    report(0.15, "Generating diagnosis and procedure codes")
    codes = draw_codes(rng, claims, window, p)
    report(0.35, "Generating audit findings")
    findings = draw_findings(rng, claims, codes, window, p)
    report(0.5, "Generating remittance adjustments")
    adjustments = draw_adjustments(rng, claims, p)
    findings, denials = settle(rng, seed, claims, codes, findings, adjustments, window, p)
    report(0.6, "Adding a few rows that break the format rules")
    claims_frame = pd.DataFrame(claims.columns)
    kept = move_to_835(folder, denials, claims_frame.astype(str))  # part of the denials arrive as an 835
    moved, denials = len(denials) - len(kept), kept
    claims_df, denials = _with_broken_rows(claims_frame, denials, seed, p)
    report(0.65, "Writing raw files")
    codes_df = pd.concat([pd.DataFrame(codes.columns), codes.admitting], ignore_index=True)
    _write_private(folder, {"claims": claims_df, "claim_codes": codes_df, "audit_findings": findings, "denials": denials})
    return DemoFiles(folder, len(claims_df), len(codes_df), len(findings), len(denials) + moved)


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


def build_first_demo(paths: Paths, n_claims: int, *, recorder: Recorder, actor: tuple[str, str],
                     progress: Progress | None = None) -> IngestResult | None:
    """The first start's build: `build_demo`, unless a store exists once the writer lock is held (then None).
    Several dashboard processes can find no store at once; the first to take the lock builds the demo and its
    review cycle, and the others, waiting for the lock, find that demo instead of building it again."""
    paths.ensure()
    with writer_lock(paths):  # re-entrant: build_demo takes it again in this thread
        if paths.store.exists():
            return None
        return build_demo(paths, n_claims, recorder=recorder, actor=actor, progress=progress)
