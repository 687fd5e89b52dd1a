"""835 ingest speed: N claims (default 100,000) remitted in F synthetic 835 files, ingested into a store that
already holds the claims, for each F given (default 20 files, then 1,000 small ones).

The remittances vary as real ones do: claim ids, charges and payments, CARC and RARC codes, group codes,
claim statuses, payers, trace numbers and dates, one or two service lines a claim and about three
adjustments a claim (seeded: every run and every checkout gets the same files). Per run it prints the
ingest's wall time beside the CPU time of its processes (the stager and its validation workers; the
writer), and the floor timed in the same run: DuckDB reading the same bytes as text. Then, once per case,
the validation alone as the ingest runs it (ingest/remittance_stage.py's RemittanceReading): its wall time
and its workers' CPU time. The load average is printed before and after: on a shared machine the seconds
move with it.

    python bench/ingest_835.py [--claims N] [--files F [F ...]] [--runs R]
"""
from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import duckdb  # noqa: E402

from bench.sql_files import sql as bench_sql  # noqa: E402
from config.paths import Paths  # noqa: E402
from data.remittance_835 import ClaimRemit, Remit, Service, interchange  # noqa: E402
from ingest.remittance_stage import RemittanceReading  # noqa: E402
from ingest.writer import ingest  # noqa: E402

TARGET_S = 30.0
TODAY = date(2025, 3, 1)
CLAIMS_PER_TRANSACTION = 1000
CARCS = ("1", "2", "3", "4", "16", "18", "22", "23", "27", "29", "45", "50", "96", "97", "109", "119", "151", "197",
         "204", "242", "253")
RARCS = ("M15", "M20", "M51", "M76", "M80", "M81", "N4", "N30", "N115", "N130", "N179", "N211", "N362", "N381",
         "MA01", "MA04", "MA130")
PROCEDURES = (*(str(c) for c in range(99201, 99500, 3)), "36415", "80053", "85025", "71046", "93000", "G0438", "J1885")
NAMES = ("SMITH", "JOHNSON", "WILLIAMS", "BROWN", "JONES", "GARCIA", "MILLER", "DAVIS", "RODRIGUEZ", "MARTINEZ")
CENT = Decimal("0.01")


def _money(rnd: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rnd.randint(low, high)) / 100


def _claim(rnd: random.Random, claim_id: str) -> ClaimRemit:
    """One claim: one or two service lines (each a CO adjustment, half of them a PR too), a claim-level
    adjustment, remark codes on about half; charge and payment the services' sums."""
    services = []
    for _ in range(rnd.choice((1, 1, 2))):
        charge = _money(rnd, 2_000, 500_000)
        paid = (charge * rnd.randint(0, 90) / 100).quantize(CENT)
        adjustments = [("CO", [(rnd.choice(CARCS), charge - paid)])]
        if rnd.random() < 0.5:
            adjustments.append(("PR", [(rnd.choice(("1", "2", "3")), _money(rnd, 100, 5_000))]))
        services.append(Service(rnd.choice(PROCEDURES), charge, paid, adjustments,
                                [rnd.choice(RARCS)] if rnd.random() < 0.6 else []))
    charge, paid = sum(s.charge for s in services), sum(s.paid for s in services)
    return ClaimRemit(claim_id, rnd.choice(("1", "1", "1", "2", "4")), charge, paid,
                      adjustments=[(rnd.choice(("OA", "CO")), [(rnd.choice(CARCS), _money(rnd, 100, 9_000))])],
                      remarks=[rnd.choice(RARCS)] if rnd.random() < 0.5 else [],
                      allowed=(charge - _money(rnd, 0, 2_000)) if rnd.random() < 0.7 else None,
                      patient=(rnd.choice(NAMES), rnd.choice(NAMES)[::-1]), member_id=f"M{rnd.randint(0, 10**9):09d}",
                      services=services)


def write_batch(folder: Path, claims: int, files: int, seed: int = 835) -> int:
    """claims.csv and the 835 files (in folder/remits); returns the bytes of the 835 files."""
    rnd = random.Random(seed)
    ids = [f"{rnd.choice('ABCDEFGHJK')}{n:07d}{rnd.randint(0, 999):03d}" for n in range(claims)]
    rnd.shuffle(ids)
    (folder / "remits").mkdir(parents=True)
    with open(folder / "claims.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["claim_id", "facility_id", "payer", "coder_id", "encounter_type", "service_date", "billed_amount"])
        writer.writerows([claim_id, f"F{rnd.randint(1, 9)}", "Acme", f"C{rnd.randint(0, 39):02d}", "outpatient",
                          (date(2024, 11, 1) + timedelta(days=rnd.randint(0, 90))).isoformat(), "300.00"]
                         for claim_id in ids)
    size = 0
    per_file = -(-claims // files)
    for f in range(files):
        mine = ids[f * per_file:(f + 1) * per_file]
        payer = rnd.randint(0, 6)
        remits = [Remit(f"PAYER {payer}", f"{10_000 + payer}", f"{rnd.randint(10**6, 10**7 - 1)}{f:05d}{t:03d}",
                        date(2025, 1, 15) + timedelta(days=rnd.randint(0, 44)),
                        [_claim(rnd, claim_id) for claim_id in mine[i:i + CLAIMS_PER_TRANSACTION]])
                  for t, i in enumerate(range(0, len(mine), CLAIMS_PER_TRANSACTION))]
        text = interchange([remits], control=f + 1)
        (folder / "remits" / f"remit{f:04d}.835").write_text(text)
        size += len(text)
    return size


@dataclass(frozen=True)
class _File:
    name: str
    reader_path: str


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def run_case(root: Path, claims: int, files: int, runs: int) -> None:
    size = write_batch(root / "in", claims, files)
    remits = root / "in" / "remits"
    prepared = Paths(data_dir=root / "prepared", key_dir=root / "keys").ensure()
    (root / "claims").mkdir()
    (root / "in" / "claims.csv").rename(root / "claims" / "claims.csv")
    ingest(root / "claims", prepared, recorder=lambda _e: None, today=TODAY)
    print(f"{claims:,} claims in {files:,} file{'s' if files > 1 else ''} ({size / 1e6:.1f} MB); load average before: {_load()}")
    walls, floors = [], []
    for run in range(runs):
        data = root / f"data{run}"
        shutil.copytree(prepared.data_dir, data)  # the store holding the claims, as prepared
        paths = Paths(data_dir=data, key_dir=prepared.key_dir).ensure()
        cpu_self, cpu_children = _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        result = ingest(remits, paths, recorder=lambda _e: None, today=TODAY)
        walls.append(time.perf_counter() - t0)
        children, writer = _cpu(resource.RUSAGE_CHILDREN) - cpu_children, _cpu(resource.RUSAGE_SELF) - cpu_self
        t0 = time.perf_counter()
        floor_bytes = duckdb.connect().execute(bench_sql("read_text_835"), {"glob": str(remits / "*.835")}).fetchone()[0]
        floors.append(time.perf_counter() - t0)
        shutil.rmtree(data)
        print(f"  run {run + 1}: ingest {walls[-1]:.1f} s wall; CPU {children:.1f} s in the stager and its validation "
              f"workers, {writer:.1f} s in the writer; floor {floors[-1]:.3f} s "
              f"({result.accepted['denials']:,} adjustments accepted, {result.rejected['denials']:,} claims rejected); "
              f"load average {_load()}")
    wall, floor = statistics.median(walls), statistics.median(floors)
    print(f"  median of {runs}: 835 ingest {wall:.1f} s ({'under' if wall < TARGET_S else 'OVER'} the {TARGET_S:.0f} s "
          f"target); floor, DuckDB reading the same {floor_bytes / 1e6:.1f} MB as text: {floor:.3f} s")
    sources = {path.name: _File(path.name, str(path)) for path in sorted(remits.glob("*.835"))}
    cpu_children = _cpu(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    reading = RemittanceReading(sources, TODAY)
    refused = [r for r in reading.results() if isinstance(r, str)]
    reading.close()
    assert refused == [], refused[:1]
    print(f"  validation alone (as the ingest runs it, {sum(reading.parts.values())} part(s)): "
          f"{time.perf_counter() - t0:.1f} s wall, {_cpu(resource.RUSAGE_CHILDREN) - cpu_children:.1f} s CPU in its "
          f"workers; load average after: {_load()}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--files", type=int, nargs="+", default=[20, 1000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    for files in args.files:
        with tempfile.TemporaryDirectory() as tmp:
            run_case(Path(tmp), args.claims, files, args.runs)


if __name__ == "__main__":
    main()
