"""Review speed at scale: the time to save a finding, to complete a claim, and for a completed claim to count
in the metrics.

Uses the store of bench/metrics.py (built once into bench/out/, default 2,000,000 claims = 10,000,000 code
lines), draws a sample from it into a review store of its own, then for each sampled claim:
- save: one save of the claim's findings (its five codes, one of them revised), as the worklist's Save does;
- complete: what the worklist's Complete does: save the findings and complete the claim in one transaction,
  with the version check, the revision's SHA-256 and its `review_complete` event in a real access log;
- visible: from just before `complete` until a reader that was already open (a dashboard session) shows
  the claim in `metrics.summary` (its next query reloads the published findings).
Prints medians and the largest value, with the metric query's time with and without reviewed findings, and
the time to check the stored sample (its frame against its SHA-256) before an appraisal.

    python bench/review.py [--claims N] [--reviews R]
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from audit.key_checks import ensure_log_key  # noqa: E402
from audit.log.writer import AccessLog  # noqa: E402
from bench.metrics import linked_data_folder  # noqa: E402
from bench.sql_files import sql as bench_sql  # noqa: E402
from queries import metrics  # noqa: E402
from queries.store import StoreReader  # noqa: E402
from review import worklist  # noqa: E402
from review.claims import first_findings, submitted_codes  # noqa: E402
from review.db import ReviewDb  # noqa: E402
from review.samples import check_sample, draw_sample  # noqa: E402
from review.sampling import SampleSpec  # noqa: E402

SCOPE = metrics.Filters()


def median_ms(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1000:7.1f} ms, max {max(values) * 1000:7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--claims", type=int, default=2_000_000)
    parser.add_argument("--reviews", type=int, default=25)
    args = parser.parse_args()
    paths = linked_data_folder("review", args.claims)
    db = ReviewDb(paths.reviews_db)
    reader = StoreReader(paths)  # a dashboard session, open before the reviews start
    con = reader.connection()
    lines = con.execute(bench_sql("code_lines")).fetchone()[0]
    print(f"{args.claims:,} claims, {lines:,} code lines; {args.reviews} claims reviewed")

    plain = []
    for _ in range(5):
        t0 = time.perf_counter()
        metrics.summary(con, SCOPE)
        plain.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    sample = draw_sample(con, db, SampleSpec("random", args.reviews), seed=2026, user="bench", role="auditor", record=None)
    print(f"draw a sample from a frame of {sample.frame_size:,} claims: {time.perf_counter() - t0:.2f} s")
    findings = int(metrics.summary(con, SCOPE).iloc[0]["findings"])
    checks = []
    for _ in range(3):
        t0 = time.perf_counter()
        check_sample(db, sample.sample_id)
        checks.append(time.perf_counter() - t0)
    ensure_log_key(paths)
    log = AccessLog(paths)

    saves, completes, visible = [], [], []
    for key in sample.claim_keys:
        rows = first_findings(submitted_codes(con, key))
        rows[0].update(finding="revise", audited_code=rows[0]["submitted_code"] + "9", error_category="specificity")
        rows[-1].update(finding="agree")
        opened = worklist.open_review(db, sample.sample_id, key, "bench")
        t0 = time.perf_counter()
        saved = worklist.save_draft(db, opened.review_id, rows, "bench", expected_version=opened.version)
        saves.append(time.perf_counter() - t0)
        rows[0].update(finding="agree", audited_code=rows[0]["submitted_code"], error_category=None)  # nothing to rebut: final
        t0 = time.perf_counter()
        worklist.complete(db, opened.review_id, con=con, rows=rows, expected_version=saved.version, user="bench",
                          role="auditor", record=log.append)
        completes.append(time.perf_counter() - t0)
        while int(metrics.summary(reader.connection(), SCOPE).iloc[0]["findings"]) != findings + len(rows):
            pass
        visible.append(time.perf_counter() - t0)
        findings += len(rows)

    with_reviews = []
    for _ in range(5):
        t0 = time.perf_counter()
        metrics.summary(reader.connection(), SCOPE)
        with_reviews.append(time.perf_counter() - t0)
    print(f"  save a finding (the claim's {len(rows)} rows)       {median_ms(saves)}  (target < 200 ms)")
    print(f"  complete a claim (save, hash, log, commit) {median_ms(completes)}  (target < 200 ms)")
    print(f"  completed claim counted in the metrics   {median_ms(visible)}  (target < 5,000 ms)")
    print(f"  check the stored sample before appraisal {median_ms(checks)}  (frame of {sample.frame_size:,} claims)")
    print(f"  summary query, store only                {median_ms(plain)}")
    print(f"  summary query, with {args.reviews} reviewed claims     {median_ms(with_reviews)}")
    reader.close()
    log.close()
    shutil.rmtree(paths.data_dir, ignore_errors=True)
    shutil.rmtree(paths.checkpoint_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
