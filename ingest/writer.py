"""Ingest the four coding-record files into the store in one all-or-nothing write.

Rows that break a rule are rejected, not dropped: each goes to `rejects` with its file, line and an
actionable reason, and the raw row itself is kept there encrypted. accepted + rejected = rows read.

PHI never reaches a file in plaintext, nor the memory of the process that writes the store: the files
are read, checked, pseudonymised and sealed in a process of their own (ingest/stage.py, an
in-memory DuckDB that never spills), which hands this writer only pseudonymous and sealed rows. The
access-log event of the ingest is appended inside the write, after all the work and before the swap: if
it cannot be written, the store is left unchanged.

A batch that the store's last write loaded, byte for byte and under the same code, reference data and
packages, is not loaded again (ingest/rerun.py): the run is recorded in the access log only, as skipped.
"""
from __future__ import annotations

import contextlib
import json
import os
import pickle
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from audit.events import AccessEvent, cli_actor
from audit.key_checks import log_exists, open_store_keys
from audit.keys import LOG_KEY_FILE
from config.paths import Paths
from config.settings import REPO_ROOT, child_environment
from ingest.files import TABLES, IngestError, InputFile, find_inputs
from ingest.grouping import group_stored_claims
from ingest.reference import ensure_reference
from ingest.remittance_stage import summary_rows, write_remittances
from ingest.rerun import LoadedBefore, basis, fingerprint, input_digests, loaded_before
from ingest.sql_files import sql
from ingest.stage import Staged, StageRequest, decode
from ingest.swap import write_transaction, writer_lock
from queries.sql_files import sql as shared_sql
from queries.store import demo_mode

__all__ = ["TABLES", "IngestError", "IngestResult", "Recorder", "find_inputs", "ingest"]

Progress = Callable[[float, str], None]
Recorder = Callable[[AccessEvent], object]  # appends the event durably, or raises


@dataclass
class IngestResult:
    run_id: str
    accepted: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLES, 0))
    rejected: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLES, 0))
    files: dict[str, str] = field(default_factory=dict)
    created_keys: list[Path] = field(default_factory=list)
    reject_samples: list[str] = field(default_factory=list)
    replaced_demo: bool = False  # the first real ingest started from an empty store, not the demo's
    remittance_files: list[dict[str, object]] = field(default_factory=list)  # per 835 file: what was read
    loaded_before: LoadedBefore | None = None  # set when nothing changed: the run that loaded these files

    def counts(self) -> dict[str, dict[str, int]]:
        return {"accepted": dict(self.accepted), "rejected": dict(self.rejected)}


class _Staging:
    """ingest/stage.py running in a process of its own on one request, started before the writer loads the
    reference tables so that the two overlap (the 835 validation, the slow part, starts at once); result()
    takes its pseudonymous and sealed rows. Its standard error is never shown (a library's message may quote
    a row); a failure is one sentence."""

    def __init__(self, request: StageRequest) -> None:
        self._process = subprocess.Popen([sys.executable, "-m", "ingest.stage"], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO_ROOT,
                                         env=child_environment(), start_new_session=True,  # its workers: one group
                                         pass_fds=[source.fd for source in request.inputs.values()])  # it reads what was checked
        self._answer: list[bytes] = []
        self._talk = threading.Thread(target=lambda: self._answer.append(self._process.communicate(pickle.dumps(request))[0]),
                                      daemon=True)
        self._talk.start()

    def result(self) -> Staged:
        self._talk.join()
        try:
            status, body = pickle.loads(self._answer[0])
        except Exception:  # noqa: BLE001 - the process died before answering (killed, out of memory)
            raise IngestError(f"reading the input files stopped unexpectedly (exit code {self._process.returncode}); "
                              "nothing was loaded. Check the machine's free memory and ingest again.") from None
        if status == "refused":
            raise IngestError(str(body))
        if status == "failed":
            raise IngestError(f"the input files could not be read ({body}); nothing was loaded.")
        return decode(body)

    def stop(self) -> None:
        """The write failed before taking the rows: neither the stager nor its 835 workers are left running."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._process.pid, signal.SIGKILL)
        self._talk.join()


def _apply(con: duckdb.DuckDBPyConnection, staged: Staged) -> None:
    """Write what the stager handed over: accepted rows, new vault values, rejects (all pseudonymous or sealed)."""
    for table, rows in staged.accepted_rows.items():
        con.register(f"accepted_{table}", rows)
    con.execute(sql("ingest/upsert"))
    write_remittances(con)
    if staged.vault_new is not None:
        con.register("vault_new", staged.vault_new)
        con.execute(sql("ingest/vault_upsert"))
    for rejects in staged.rejects_new:
        con.register("rejects_new", rejects)
        con.execute(sql("ingest/rejects_insert"))
        con.unregister("rejects_new")


@dataclass(frozen=True)
class _Batch:
    """What one ingest loads: where, the inputs, and the date the date rules are checked against. The keys
    are opened inside the write, where they are checked against the store."""

    paths: Paths
    inputs: dict[str, InputFile]
    source: str
    today: date
    fingerprint: dict[str, object]  # recorded with the run, to recognise the same batch later (ingest/rerun.py)


def _write(con: duckdb.DuckDBPyConnection, batch: _Batch, result: IngestResult, report: Progress) -> None:
    started = datetime.now(UTC)
    keys = open_store_keys(batch.paths, con)  # refuses keys that do not fit the store, before anything is sealed
    report(0.05, "Reading, checking, pseudonymising and sealing the files (in a process of their own)")
    staging = _Staging(StageRequest(
        inputs=batch.inputs, live_store=batch.paths.store if batch.paths.store.exists() and not result.replaced_demo else None,
        keyring=keys.ring, pseudonym_key=keys.pseudonym_key, today=batch.today, run_id=result.run_id))
    try:
        report(0.1, "Loading reference data (beside the files being read)")
        ensure_reference(con, synthetic_drg_weights=batch.source == "demo")
        staged = staging.result()
    except BaseException:
        staging.stop()
        raise
    result.accepted.update(staged.accepted)
    result.rejected.update(staged.rejected)
    result.reject_samples += staged.reject_samples
    result.remittance_files = summary_rows(staged)
    report(0.7, "Writing accepted rows")
    _apply(con, staged)
    report(0.75, "Grouping inpatient claims (MS-DRG) and running the Medicare Code Editor")
    group_stored_claims(con)
    report(0.8, "Summarising claims for the metrics")
    con.execute(shared_sql("claim_rules"))
    con.execute(shared_sql("claim_facts"))
    con.execute(shared_sql("totals/build"))
    con.execute(shared_sql("in_scope"))
    con.execute(sql("ingest/run_insert"), {
        "run_id": result.run_id, "source": batch.source, "started_at": started, "finished_at": datetime.now(UTC),
        "summary": json.dumps({"files": result.files, **result.counts(), **batch.fingerprint}),
    })
    result.created_keys = keys.register(con)  # saves the keys a new store needs; before the event, which needs log.key
    report(0.9, "Saving the store")


def _discard_new_keys(paths: Paths, created: list[Path]) -> None:
    """A write that failed after saving new key files (the event or the swap failed) leaves none behind:
    they protect nothing, and the next ingest would find keys that no store was built with.
    The log key stays if the log holds anything signed with it."""
    for path in created:
        if path.name != LOG_KEY_FILE or not log_exists(paths):
            path.unlink(missing_ok=True)


def ingest(
    src: Path, paths: Paths, *, recorder: Recorder, source: str = "real", actor: tuple[str, str] | None = None,
    progress: Progress | None = None, today: date | None = None,
) -> IngestResult:
    """Load folder `src` into the store as one transaction. `source` is 'demo' only for the generated demo
    set. `recorder` appends the `ingest` access event, by `actor` (user, role; default the OS account as
    `cli`), before the new store is swapped in; if it raises, nothing is loaded. Dates are checked
    against `today` (default: the local date). The first real ingest into a store that holds only the
    demo starts from an empty store: the demo is replaced, never mixed with real data (`replaced_demo`,
    and `replaced: demo` in the event). A batch the store's last write loaded, unchanged (ingest/rerun.py),
    is not loaded again: the store is not touched, the event says `skipped` and `loaded_by` that run, and
    `loaded_before` names it."""
    if source not in ("demo", "real"):
        raise ValueError("source must be 'demo' or 'real'")
    report = progress or (lambda _f, _m: None)
    inputs = find_inputs(Path(src))  # before the lock: a FIFO or a device is refused without waiting
    digests = input_digests(inputs)
    user, role = actor or (cli_actor(), "cli")
    paths.ensure()
    with writer_lock(paths):  # keys are read under the lock, so a key rotation cannot interleave
        result = IngestResult(run_id=uuid.uuid4().hex, files={t: p.name for t, p in inputs.items()})
        day = today or date.today()
        batch = _Batch(paths, inputs, source, day, fingerprint(digests, basis(source), day))
        result.replaced_demo = source == "real" and demo_mode(paths)
        result.loaded_before = None if result.replaced_demo else loaded_before(paths, batch.fingerprint, day)

        def record() -> None:
            skipped = ({"skipped": "nothing changed", "loaded_by": result.loaded_before.run_id}
                       if result.loaded_before else {})
            event = AccessEvent(user=user, role=role, action="ingest", resource="store",
                                details={"run_id": result.run_id, "source": source, "files": result.files, **result.counts(),
                                         **({"replaced": "demo"} if result.replaced_demo else {}), **skipped})
            try:
                recorder(event)
            except Exception as exc:  # the recorder's contract: it raises when the event is not durable
                raise IngestError(f"the access log could not record this ingest ({exc}); nothing was loaded. "
                                  "Fix the access log (python manage.py verify-log) and ingest again.") from exc

        if result.loaded_before is not None:
            record()
            report(1.0, "Done")
            return result
        try:
            with write_transaction(paths, before_swap=record, fresh=result.replaced_demo, write_id=result.run_id) as con:
                _write(con, batch, result, report)
        except BaseException:
            _discard_new_keys(paths, result.created_keys)
            raise
    if source == "real":
        paths.real_data_marker.touch(mode=0o600)
    report(1.0, "Done")
    return result
