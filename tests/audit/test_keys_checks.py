"""Key check values (known answers) and the rules for making keys: ids never reused, no log key
beside a log."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from audit.key_checks import (
    DATA,
    PSEUDONYM,
    PSEUDONYM_KEY_ID,
    Registered,
    StoreKeyState,
    check_value,
    ensure_log_key,
    log_exists,
)
from audit.keys import LOG_KEY_FILE, DataKeyring, KeyProblem

# Checked independently with `printf 'codeaudit key check v1|data|k1' | openssl dgst -sha256 -mac HMAC -macopt hexkey:...`
KNOWN_CHECKS = [
    (DATA, "k1", bytes(range(32)), "5f27364abcf213931edfdfe026e0b660c3d2020016b1028bdf4b93efa1dc4164"),
    (PSEUDONYM, PSEUDONYM_KEY_ID, bytes(range(32, 64)), "ed88a4280db043b1c4d94061b1be967c062cb974a3536649ccfa1f7c3861edd4"),
]


@pytest.mark.parametrize(("kind", "key_id", "key", "expected"), KNOWN_CHECKS)
def test_known_check_values(kind, key_id, key, expected):
    assert check_value(kind, key_id, key) == expected


def test_a_check_value_is_bound_to_kind_and_id():
    key = bytes(range(32))
    assert len({check_value(DATA, "k1", key), check_value(DATA, "k2", key), check_value(PSEUDONYM, "k1", key)}) == 3


def test_new_key_ids_skip_every_id_the_store_ever_knew():
    when = datetime(2026, 1, 1, tzinfo=UTC)
    state = StoreKeyState(
        registered={(DATA, k): Registered("x", when) for k in ("k1", "k2", "k3")} | {(PSEUDONYM, PSEUDONYM_KEY_ID): Registered("y", when)},
        usage={"k2": 5}, holds_data=True, _con=None,
    )
    ring = DataKeyring(primary="k2", keys={"k2": bytes(32)})  # k1 and k3 were retired
    assert state.next_data_key_id(ring) == "k4"
    assert StoreKeyState({}, {}, False, None).next_data_key_id(DataKeyring(primary="main", keys={"main": bytes(32)})) == "k1"


def test_a_log_key_is_made_for_a_new_log_only(paths):
    assert not log_exists(paths)
    assert ensure_log_key(paths) == paths.key_dir / LOG_KEY_FILE
    assert ensure_log_key(paths) is None  # there is one already
    paths.log_dir.mkdir(parents=True)
    (paths.log_dir / "events.jsonl").write_text("{}\n")
    (paths.key_dir / LOG_KEY_FILE).unlink()
    with pytest.raises(KeyProblem, match="Restore log.key"):
        ensure_log_key(paths)
    assert not (paths.key_dir / LOG_KEY_FILE).exists()


# Checkpoints live in a folder per log: named by its identity, or (before identities) by a path hash.
@pytest.mark.parametrize("folder", ["a" * 64, "7d365753ad9a6854"])
def test_checkpoints_alone_are_a_log(paths, folder):
    paths.key_dir.mkdir(mode=0o700, exist_ok=True)
    (paths.checkpoint_dir / folder).mkdir(parents=True)
    assert not log_exists(paths)  # an empty folder records nothing
    (paths.checkpoint_dir / folder / "head").write_bytes(b"x")
    assert log_exists(paths)
    with pytest.raises(KeyProblem, match="access-log key"):
        ensure_log_key(paths)
