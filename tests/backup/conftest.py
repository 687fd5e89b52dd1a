"""One demo installation per test run, shared by the xdist workers (built through `manage.py demo`, ~40 s), copied whole (data, keys and the
raw files' fake PHI) for each module that changes it: a copy elsewhere is the same installation moved."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from config.paths import Paths
from tests.audit.keys_site import KEY_VARIABLES
from tests.backup.site import build_site
from tests.built_once import built_once


@pytest.fixture(scope="session")
def base_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    def build(root: Path) -> None:
        with pytest.MonkeyPatch.context() as env:
            for variable in KEY_VARIABLES:
                env.delenv(variable, raising=False)
            build_site(root)

    return built_once(tmp_path_factory, "backup-base", build)


def copy_site(base: Path, root: Path) -> tuple[Paths, Path]:
    """A copy of the base installation under `root`: its folders and its raw files."""
    shutil.copytree(base / "site", root / "site", symlinks=True)
    shutil.copytree(base / "raw", root / "raw", symlinks=True)
    return Paths(data_dir=root / "site" / "data", key_dir=root / "site" / "keys"), root / "raw"
