"""Exports of the access log: FHIR R4 AuditEvents valid for every action and purpose, CSV, the export-log CLI."""
from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest

# fhir.resources 8.x: the top-level modules are FHIR R5 and there is no R4 package. R4B's AuditEvent
# has the same structure as R4's (AuditEvent did not change between them), so validate against R4B.
from fhir.resources.R4B.auditevent import AuditEvent as FhirAuditEvent
from fhir.resources.R4B.bundle import Bundle as FhirBundle

from audit.events import ACTIONS
from audit.key_checks import ensure_log_key
from audit.log.export import ACT_REASON, CLAIM_SYSTEM, CSV_COLUMNS, PURPOSES, export_csv, export_fhir, fhir_bundle
from audit.log.read import read_events
from audit.log.verify import verify
from audit.log.writer import AccessLog
from audit.permissions import PurposeOfUse
from config.paths import Paths
from tests.audit import log_support as support


@pytest.fixture
def paths(paths: Paths) -> Paths:
    """The shared per-test folders (tests/conftest.py, which also sets the environment), with keys."""
    ensure_log_key(paths)
    return paths


def test_fhir_export_is_valid_r4_for_every_action(paths):
    outcomes = {"success": "0", "denied": "4", "failure": "8"}
    with AccessLog(paths) as log:
        log.append_many([
            support.event(i, action=action, outcome=list(outcomes)[i % 3]) for i, action in enumerate(ACTIONS)
        ] + [support.event(99, action="page_view", claim_keys=(), fields=(), details={}, purpose_of_use="", justification="")])
    events = read_events(paths)[::-1]
    resources = export_fhir(events)
    for event, resource in zip(events, resources):
        FhirAuditEvent.model_validate(resource)
        assert resource["outcome"] == outcomes[event["outcome"]]
        assert resource["recorded"] == event["ts"]
        [agent] = resource["agent"]
        assert agent["who"]["identifier"]["value"] == event["user"] and agent["requestor"] is True
        assert [c["text"] for c in agent.get("role", [])] == [event["role"]]
        claims = [e["what"]["identifier"]["value"] for e in resource.get("entity", []) if "what" in e]
        assert claims == event["claim_keys"]
        if event["purpose_of_use"]:
            [coding] = agent["purposeOfUse"][0]["coding"]
            assert coding == {"system": ACT_REASON, "code": "HOPERAT", "display": PurposeOfUse.HOPERAT.label}
    assert resources[0]["entity"][0]["what"]["identifier"]["system"] == CLAIM_SYSTEM
    bundle = fhir_bundle(events)
    FhirBundle.model_validate(bundle)
    assert bundle["type"] == "collection" and len(bundle["entry"]) == len(ACTIONS) + 1


def test_csv_export_has_one_row_per_event_and_defuses_formulas(paths):
    with AccessLog(paths) as log:
        log.append_many([support.event(0), support.event(1, justification="=HYPERLINK(\"http://x\")")])
    rows = list(csv.reader(io.StringIO(export_csv(read_events(paths)[::-1]))))
    assert tuple(rows[0]) == CSV_COLUMNS
    first = dict(zip(CSV_COLUMNS, rows[1]))
    assert (first["seq"], first["user"], first["claim_keys"]) == ("1", "user0", "ck_0000000000000000")
    assert first["fields"] == "member_name;dob"
    assert json.loads(first["details"]) == {"n": 0, "page": "claim_detail"}
    assert rows[2][CSV_COLUMNS.index("justification")].startswith("'=")
    assert len(rows) == 3


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def test_a_bare_carriage_return_never_starts_a_row_with_a_live_formula(paths):
    """A spreadsheet that ends a row at a carriage return must not find a formula at the start of the next one,
    whether it respects quotes (every field is quoted) or splits every line naively."""
    note = 'note\r=HYPERLINK("http://x")\n+1\r\n@SUM(A1)'
    with AccessLog(paths) as log:
        log.append_many([support.event(0, justification=note)])
    text = export_csv(read_events(paths))
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert len(rows) == 2 and all(len(row) == len(CSV_COLUMNS) for row in rows)
    assert text.startswith(",".join(f'"{c}"' for c in CSV_COLUMNS) + "\n" + '"1","')  # every field quoted
    cell = rows[1][CSV_COLUMNS.index("justification")]
    assert cell.replace("'", "") == note  # the text is all there, each line defused
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        assert not line.lstrip('"').startswith(FORMULA_STARTS), line




def test_cli_export_log_writes_fhir_or_csv_and_records_the_export(paths, tmp_path, capsys):
    support.write(paths, 4)
    today = datetime.now(UTC).date().isoformat()
    out = tmp_path / "bundle.json"
    assert support.run_cli("export-log", "--format", "fhir", "--from", today, "--to", today, "--out", str(out)) == 0
    bundle = json.loads(out.read_text())
    FhirBundle.model_validate(bundle)
    assert [e["resource"]["id"] for e in bundle["entry"]] == [f"access-log-{i}" for i in range(1, 5)]
    assert support.run_cli("export-log", "--format", "csv", "--to", "2000-01-01") == 0
    assert capsys.readouterr().out == ",".join(f'"{c}"' for c in CSV_COLUMNS) + "\n"
    exports = read_events(paths, action="export")
    assert [e["details"]["events"] for e in exports] == [0, 4] and verify(paths).ok
    with pytest.raises(SystemExit):
        support.run_cli("export-log", "--format", "csv", "--from", "2025-13-45")


def test_fhir_purpose_of_use_is_every_purpose_the_permissions_accept_and_no_other(paths):
    """The purposes come from audit.permissions.PurposeOfUse, so the export cannot drift from it."""
    purposes = list(PurposeOfUse)
    with AccessLog(paths) as log:
        log.append_many([support.event(i, purpose_of_use=p.value) for i, p in enumerate(purposes)])
    resources = export_fhir(read_events(paths)[::-1])
    for purpose, resource in zip(purposes, resources, strict=True):
        FhirAuditEvent.model_validate(resource)
        assert resource["purposeOfEvent"][0]["coding"] == [{"system": ACT_REASON, "code": purpose.value, "display": purpose.label}]
    assert "TREAT" not in PURPOSES and set(PURPOSES) == {p.value for p in PurposeOfUse}


def test_events_of_a_log_written_by_older_code_export_as_valid_fhir(tmp_path):
    """Its events include a purpose no longer accepted (TREAT): it is exported with its code only."""
    paths = Paths(tmp_path / "data", tmp_path / "keys")
    support.restore_log_v1(paths)
    events = read_events(paths)[::-1]
    FhirBundle.model_validate(fhir_bundle(events))
    codings = [resource["purposeOfEvent"][0]["coding"] for resource in export_fhir(events) if "purposeOfEvent" in resource]
    assert [{"system": ACT_REASON, "code": "TREAT"}] in codings
    assert [{"system": ACT_REASON, "code": "ETREAT", "display": PurposeOfUse.ETREAT.label}] in codings
    assert [row[0] for row in csv.reader(io.StringIO(export_csv(events)))][1:] == [str(i) for i in range(1, 13)]
