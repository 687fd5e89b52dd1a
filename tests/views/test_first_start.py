"""The dashboard's first start builds the demo only into a data folder that never held real data, and
makes everything it creates private whatever umask it was started with."""
from __future__ import annotations

import os

import pytest

from tests.views.conftest import new_paths, open_app, point_at


def test_first_start_builds_no_demo_where_real_data_was(tmp_path, monkeypatch: pytest.MonkeyPatch):
    paths = point_at(new_paths(tmp_path), monkeypatch)
    paths.real_data_marker.touch()  # a real ingest ran here; the store has since been lost
    started_with = os.umask(0o022)  # a typical login umask
    try:
        app = open_app()
    finally:
        assert os.umask(started_with) == 0o077  # the dashboard made everything it creates private
    assert not paths.store.exists()
    [error] = app.error
    assert "real data was loaded" in error.value and "manage.py ingest" in error.value
