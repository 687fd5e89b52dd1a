"""The dashboard and a nightly ingest (or `users add`) at the same time, as real separate processes."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from ingest.writer import ingest
from queries.store import StoreReader
from tests.conftest import Recorded

REPO = Path(__file__).resolve().parents[2]

READER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from config.paths import default_paths
    from queries.store import StoreReader
    reader = StoreReader(default_paths())
    stop = Path(sys.argv[1])
    while not stop.exists():
        n = reader.connection().execute("SELECT count(*) FROM claims").fetchone()[0]
        print(n, flush=True)
        time.sleep(0.01)
""")


def _claims(start: int, count: int) -> list[dict[str, str]]:
    return [{"claim_id": f"CLM-{i}", "patient_name": f"Pat Test{i}", "facility_id": "F1", "payer": "P", "coder_id": "C1",
             "encounter_type": "outpatient", "service_date": "2025-03-01", "billed_amount": "10"} for i in range(start, start + count)]


def test_dashboard_reads_while_ingest_and_users_add_write(paths, tmp_path, write_csv):
    first, second = tmp_path / "first", tmp_path / "second"
    write_csv(first, "claims", _claims(0, 50))
    write_csv(second, "claims", _claims(50, 30))
    ingest(first, paths, recorder=Recorded())
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    stop = tmp_path / "stop"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(stop)], cwd=REPO, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert reader.stdout.readline().strip() == "50"  # the dashboard process holds the store open
        held = StoreReader(paths)  # and this process too, from before the swap
        assert held.connection().execute("SELECT count(*) FROM claims").fetchone()[0] == 50
        old_con = held.connection()

        run = subprocess.run([sys.executable, "manage.py", "ingest", str(second), "--json"], cwd=REPO, env=env,
                             capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        assert '"claims": 30' in run.stdout
        add = subprocess.run([sys.executable, "manage.py", "users", "add", "nightly.admin", "--role", "admin", "--password-stdin"],
                             cwd=REPO, env=env, input="a long enough passphrase\n", capture_output=True, text=True, timeout=60)
        assert add.returncode == 0, add.stderr

        assert old_con.execute("SELECT count(*) FROM claims").fetchone()[0] == 50  # old snapshot, no error
        assert held.connection().execute("SELECT count(*) FROM claims").fetchone()[0] == 80  # follows the swap
        deadline = time.monotonic() + 30
        seen = []
        while time.monotonic() < deadline:
            line = reader.stdout.readline().strip()
            seen.append(line)
            if line == "80":
                break
        assert seen[-1] == "80", seen[-5:]
    finally:
        stop.touch()
        reader.wait(timeout=30)
    assert reader.returncode == 0, reader.stderr.read()
