"""835 ingest speed: N claims (default 100,000) remitted in F synthetic 835 files (three adjustments a
claim: one at claim level, two at service level), ingested into a store that already holds the claims.
Prints the ingest time beside its floor, DuckDB reading the same bytes as text, in the same run, and the
part pyx12's validation takes of one file, measured on its own.

    python bench/ingest_835.py [--claims N] [--files F]
"""
from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import duckdb  # noqa: E402

from bench.sql_files import sql as bench_sql  # noqa: E402
from config.paths import Paths  # noqa: E402
from data.remittance_835 import ClaimRemit, Remit, Service, interchange  # noqa: E402
from ingest.writer import ingest  # noqa: E402
from ingest.x12 import validate  # noqa: E402

TARGET_S = 30.0


def _claim(number: int) -> ClaimRemit:
    return ClaimRemit(f"B{number:08d}", "1", Decimal("300"), Decimal("200"), adjustments=[("CO", [("16", Decimal("20"))])],
                      remarks=["M81"], allowed=Decimal("220"), patient=("SYNTH", "PATIENT"), member_id=f"M{number:08d}",
                      services=[Service("99214", Decimal("300"), Decimal("200"), [("CO", [("45", Decimal("60"))]),
                                                                                     ("PR", [("2", Decimal("20"))])], ["N130"])])


def write_batch(folder: Path, claims: int, files: int) -> int:
    """claims.csv and the 835 files; returns the bytes of the 835 files."""
    folder.mkdir(parents=True)
    with open(folder / "claims.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["claim_id", "facility_id", "payer", "coder_id", "encounter_type", "service_date", "billed_amount"])
        writer.writerows([f"B{i:08d}", "F1", "Acme", f"C{i % 40:02d}", "outpatient", "2025-01-10", "300.00"] for i in range(claims))
    size = 0
    per_file = -(-claims // files)
    for f in range(files):
        numbers = range(f * per_file, min(claims, (f + 1) * per_file))
        remits = [Remit("ACME HEALTH", "12345", f"T{f:04d}{t:03d}", date(2025, 2, 10), [_claim(n) for n in chunk])
                  for t, chunk in enumerate([numbers[i:i + 1000] for i in range(0, len(numbers), 1000)])]
        text = interchange([remits], control=f + 1)
        (folder / "remits" / f"remit{f:03d}.835").parent.mkdir(exist_ok=True)
        (folder / "remits" / f"remit{f:03d}.835").write_text(text)
        size += len(text)
    return size


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--files", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        size = write_batch(root / "in", args.claims, args.files)
        paths = Paths(data_dir=root / "data", key_dir=root / "keys").ensure()
        claims_only = root / "claims"
        claims_only.mkdir()
        (root / "in" / "claims.csv").rename(claims_only / "claims.csv")
        ingest(claims_only, paths, recorder=lambda _e: None, today=date(2025, 3, 1))
        t0 = time.perf_counter()
        result = ingest(root / "in" / "remits", paths, recorder=lambda _e: None, today=date(2025, 3, 1))
        seconds = time.perf_counter() - t0
        t0 = time.perf_counter()
        con = duckdb.connect()
        floor_bytes = con.execute(bench_sql("read_text_835"), {"glob": str(root / "in" / "remits" / "*.835")}).fetchone()[0]
        floor = time.perf_counter() - t0
        one = (root / "in" / "remits" / "remit000.835").read_text()
        t0 = time.perf_counter()
        assert validate(one) == []
        one_validation = time.perf_counter() - t0
    adjustments = result.accepted["denials"]
    print(f"{args.claims:,} claims, {adjustments:,} adjustments in {args.files} files ({size / 1e6:.1f} MB)")
    print(f"835 ingest: {seconds:.1f} s ({'under' if seconds < TARGET_S else 'OVER'} the {TARGET_S:.0f} s target); "
          f"floor, DuckDB reading the same {floor_bytes / 1e6:.1f} MB as text: {floor:.2f} s")
    print(f"pyx12 validation of one file ({args.claims // args.files:,} claims) alone: {one_validation:.1f} s")


if __name__ == "__main__":
    main()
