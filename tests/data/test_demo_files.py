"""The demo's raw files are a function of the seed, the day and the parameters: known-answer hashes of the
five files (four CSVs and the demo's 835 remittance); when the generator was split into named steps with
named parameters, the split one gave the same bytes as the unsplit one (checked side by side), so any change to
the order of the draws or to a distribution shows here (with the pinned numpy and Faker of requirements.txt)."""
from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from data.demo import generate
from data.demo_draws import DemoParameters

KNOWN = {
    (600, 0.15): "a338ee45106141103ff8c1dccd07b4aa385af6bb1ef46fb31f63c0a8bd701329",
    (800, 0.5): "191329082275470bf4b28409c5ad80d11c7727a0e708dc15edf79a17fe20da1d",
}


def files_sha256(folder: Path) -> str:
    digest = hashlib.sha256()
    for name in ("claims.csv", "claim_codes.csv", "audit_findings.csv", "denials.csv", "demo_remittance.835"):
        digest.update((folder / name).read_bytes())
    return digest.hexdigest()


@pytest.mark.parametrize("claims, inpatient_share", list(KNOWN))
def test_the_same_seed_day_and_parameters_give_the_same_bytes(tmp_path, claims, inpatient_share):
    generate(tmp_path / "raw", claims, 2026, today=date(2026, 10, 31), inpatient_share=inpatient_share)
    assert files_sha256(tmp_path / "raw") == KNOWN[(claims, inpatient_share)]


def test_the_parameters_are_named_and_change_the_files(tmp_path):
    """The inpatient share given either way draws the same files; another audited share draws others."""
    generate(tmp_path / "a", 800, 2026, today=date(2026, 10, 31), parameters=replace(DemoParameters(), inpatient_share=0.5))
    assert files_sha256(tmp_path / "a") == KNOWN[(800, 0.5)]
    generate(tmp_path / "b", 600, 2026, today=date(2026, 10, 31), parameters=DemoParameters(audited_share=0.3))
    assert files_sha256(tmp_path / "b") != KNOWN[(600, 0.15)]
