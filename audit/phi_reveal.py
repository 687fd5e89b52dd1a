"""Reveal patient identifiers for one claim: record the access first, decrypt only after.

The contract (docs/SECURITY.md, rule 4): a granted `RevealDecision` is written to the access log,
durably, before any value is decrypted. If the log cannot be written, `AccessLogError` propagates and
nothing has been decrypted. Reading the ciphertext rows beforehand discloses nothing: they are
AES-256-GCM sealed and bound to their claim key and field.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import duckdb

from audit.events import AccessEvent
from audit.keys import load_data_keyring, require
from audit.permissions import RevealDecision
from audit.sql_files import sql
from audit.vault import PhiVault
from config.paths import Paths

CLAIM_KEY_PATTERN = re.compile(r"[0-9a-f]{24}")
VAULT_TABLE = "phi_vault"

Record = Callable[[AccessEvent], Any]


class UnknownClaim(LookupError):
    """No vault entry for this claim key; the message says what to check."""


def normalize_claim_key(text: str) -> str:
    """A claim key as stored (24 lower-case hex digits), or ValueError with a sentence saying why not."""
    key = text.strip().lower()
    if not CLAIM_KEY_PATTERN.fullmatch(key):
        raise ValueError(
            "A claim key is 24 hexadecimal digits (0-9, a-f), as shown in the findings tables; "
            "claim numbers are never typed here."
        )
    return key


def reveal(
    paths: Paths,
    con: duckdb.DuckDBPyConnection,
    decision: RevealDecision,
    user: str,
    claim_key: str,
    record: Record,
) -> dict[str, str]:
    """The granted fields of one claim, in the order granted; a field the vault does not hold is absent.

    `record` is the access log's append (it must raise, never return, when the event was not stored).
    Order: find the sealed rows (UnknownClaim if the claim has none), record the event, then decrypt.
    """
    key = normalize_claim_key(claim_key)
    fields = [field.value for field in decision.fields]
    sealed = con.execute(sql("vault/claim_fields"), {"claim_key": key, "fields": fields}).fetch_arrow_table()
    if not sealed.num_rows:
        raise UnknownClaim(f"No patient identifiers are stored for claim key {key}; check the key and try again.")
    record(decision.access_event(user, [key]))
    vault = PhiVault(require(load_data_keyring(paths.key_dir), "data keyring", paths.key_dir))
    stored_fields = sealed.column("field").to_pylist()
    values = dict(zip(stored_fields, vault.open_many(VAULT_TABLE, [key] * len(stored_fields), stored_fields, sealed)))
    return {field: values[field] for field in fields if field in values}
