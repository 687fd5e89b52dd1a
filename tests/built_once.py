"""A folder built once for the whole test run, shared by the xdist workers: for templates that tests only copy
(a demo installation, a demo store), which each worker would otherwise build again."""
from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest


def built_once(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """The folder `name` under the run's temporary root, filled by `build(folder)` by the first worker that asks;
    a worker that asks meanwhile waits for it (a lock), and later ones find it built. A build that failed
    halfway is started again from an empty folder. Callers must never change what is in it: copy it."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the run's root, shared by the workers (each has its own folder below it)
    folder, done = base / name, base / f"{name}.built"
    with open(base / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            build(folder)
            done.touch()
    return folder
