"""The log's bytes do not change: known-answer vectors, and a log written by older code still verifies.

A consistent change to the format (another key label, another serialisation) would pass every other
test and make every stored log unverifiable; these fail on it. The expected values were computed by the
code of commit 24506b7, before the access log became the audit/log package; the anchor's were checked
with OpenSSL 3 (`openssl kdf ... HKDF`, `openssl pkeyutl -sign -rawin`).
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import replace

import pytest

from audit.events import AccessEvent
from audit.key_checks import ensure_log_key
from audit.keys import load_log_key
from audit.log.checkpoints import HISTORY_FILE
from audit.log.format import (
    Anchor,
    Checkpoint,
    Signer,
    anchor_public_key,
    checkpoint_key,
    decode_checkpoint,
    encode_checkpoint,
    follow,
    head_slot,
    parse_anchor,
    seal_event,
    unseal,
)
from audit.log.identity import DATA_FOLDER_FILE, legacy_name
from audit.log.read import read_events
from audit.log.verify import verify
from audit.log.writer import AccessLog
from tests.audit import log_support as support

LOG_KEY = bytes(range(32))
LOG_V1_IDENTITY = "1f25cf2ef324c83f87b99aca8cf75a0de7f6db6c302d0fc67cc43ba3fc2d6531"  # its first event's hash
EVENT = AccessEvent(
    user="alice", role="auditor", action="phi_reveal", resource="claims", claim_keys=("ck_00000000000000a1",),
    fields=("claim_id", "patient_mrn"), purpose_of_use="HOPERAT", justification="r\u00e9vision",
    details={"needs_review": False, "rows": [1, 2.5, None]},
)
EVENT_LINE = (
    b'{"action":"phi_reveal","claim_keys":["ck_00000000000000a1"],"details":{"needs_review":false,"rows":[1,2.5,null]},'
    b'"fields":["claim_id","patient_mrn"],"justification":"r\\u00e9vision","outcome":"success",'
    b'"prev_hash":"abababababababababababababababababababababababababababababababab","purpose_of_use":"HOPERAT",'
    b'"resource":"claims","role":"auditor","seq":7,"ts":"2025-01-02T03:04:05.678901Z","user":"alice",'
    b'"hash":"74ddbe8c89528f6afa9542116f9466255a046955fb7ec7a31c04fdd362f3868e",'
    b'"mac":"37dda10494e736e5261049533b5383d5eb1f60a1227c67fedfd4d482b990de7a"}\n'
)
EVENT_HASH = "74ddbe8c89528f6afa9542116f9466255a046955fb7ec7a31c04fdd362f3868e"
CHECKPOINT_KEY = "1ea438d4ddacb4ae5c7bb74ed7069abeda5158317ab97bef01ce71d6fac7bd2c"
CHECKPOINT_RECORD = (
    b'{"at":"2025-01-02T03:04:05.678901Z","hash":"74ddbe8c89528f6afa9542116f9466255a046955fb7ec7a31c04fdd362f3868e",'
    b'"seq":7,"mac":"9967cf30e5be6f4af86e36ec4a2f7c674b15738f491095b63db4720da2463973"}'
)
# In place: an installation whose checkpoint folder is named by its data folder's path. Moved: restored
# to another path before it was ever written by this code, so the folder has a stranger's path hash.
@pytest.mark.parametrize("installation", ["in place", "moved"])
def test_log_written_before_the_split_verifies_then_its_checkpoints_take_the_log_identity(paths, installation):
    support.restore_log_v1(paths)
    legacy = paths.checkpoint_dir / support.LOG_V1_FOLDER
    if installation == "in place":
        legacy = legacy.rename(paths.checkpoint_dir / legacy_name(paths.data_dir))
    report = verify(paths)
    assert (report.ok, report.events, report.checkpoints) == (True, 12, 5)
    assert (report.log_id, report.checkpoint_folder) == (LOG_V1_IDENTITY, legacy)
    events = read_events(paths)
    assert [e["seq"] for e in events] == list(range(12, 0, -1)) and events[-1]["hash"] == LOG_V1_IDENTITY
    with AccessLog(paths) as log:
        assert log.append(AccessEvent(user="alice", role="auditor", action="sign_in"))["seq"] == 13
    report = verify(paths)
    assert (report.ok, report.events, report.checkpoints) == (True, 13, 6)  # a new day: one more history line
    assert sorted(p.name for p in paths.checkpoint_dir.iterdir()) == [LOG_V1_IDENTITY]
    own = paths.checkpoint_dir / LOG_V1_IDENTITY
    assert (own / DATA_FOLDER_FILE).read_text().splitlines()[0] == str(paths.data_dir.resolve())
    history = (support.LOG_V1 / "keys" / "log_checkpoints" / support.LOG_V1_FOLDER / HISTORY_FILE).read_bytes()
    assert (own / HISTORY_FILE).read_bytes().startswith(history)
    assert support.lines(paths)[:12] == (support.LOG_V1 / "data" / "access_log" / "events.jsonl").read_bytes().splitlines(keepends=True)


ANCHOR_PUBLIC_KEY = "vA6QT619i12ipz676r3Zxg6qfnqx0bV+KwZBf3dos7w="
ANCHOR_STATEMENT = (
    b'{"event_ts":"2025-01-02T03:04:05.678901Z","format":"codeaudit access-log anchor v1",'
    b'"hash":"74ddbe8c89528f6afa9542116f9466255a046955fb7ec7a31c04fdd362f3868e","issued_at":"2025-01-02T03:04:06.000000Z",'
    b'"log":"1f25cf2ef324c83f87b99aca8cf75a0de7f6db6c302d0fc67cc43ba3fc2d6531",'
    b'"public_key":"vA6QT619i12ipz676r3Zxg6qfnqx0bV+KwZBf3dos7w=","seq":7}'
)
ANCHOR_SIGNATURE = "XMnQJx4RfRRA8UNdP6lNx27nhVJLyo+LioA39J0AUCFfqvjXHJjGqHGD/bVIq4ZWX14geWsWAbYoudKMErnvBQ=="


def test_event_line_known_answer():
    stored, line = seal_event(EVENT, seq=7, ts="2025-01-02T03:04:05.678901Z", prev_hash="ab" * 32, signer=Signer(LOG_KEY))
    assert line == EVENT_LINE
    assert (stored["hash"], stored["mac"]) == (EVENT_HASH, "37dda10494e736e5261049533b5383d5eb1f60a1227c67fedfd4d482b990de7a")
    assert unseal(line[:-1], Signer(LOG_KEY)) == (7, b"ab" * 32, EVENT_HASH.encode())


def test_checkpoint_key_and_record_known_answer():
    key = checkpoint_key(LOG_KEY)
    assert key.hex() == CHECKPOINT_KEY
    checkpoint = Checkpoint(seq=7, hash=EVENT_HASH, at="2025-01-02T03:04:05.678901Z")
    assert encode_checkpoint(checkpoint, key) == CHECKPOINT_RECORD
    slot = head_slot(CHECKPOINT_RECORD)
    assert len(slot) == 256 and slot == CHECKPOINT_RECORD + b" " * (255 - len(CHECKPOINT_RECORD)) + b"\n"
    assert decode_checkpoint(slot, key, "head slot 1") == Checkpoint(7, EVENT_HASH, checkpoint.at, "head slot 1")


def test_anchor_key_and_signature_known_answer():
    assert anchor_public_key(LOG_KEY) == ANCHOR_PUBLIC_KEY
    anchor = Anchor(
        log=LOG_V1_IDENTITY, seq=7, hash=EVENT_HASH, event_ts="2025-01-02T03:04:05.678901Z",
        issued_at="2025-01-02T03:04:06.000000Z", public_key=ANCHOR_PUBLIC_KEY,
    ).signed(LOG_KEY)
    assert anchor.statement() == ANCHOR_STATEMENT and anchor.signature == ANCHOR_SIGNATURE
    assert parse_anchor(anchor.to_text(), "minutes") == replace(anchor, source="minutes")
    assert anchor.signature_problem(ANCHOR_PUBLIC_KEY) is None


@pytest.mark.parametrize("key_length", [0, 1, 32, 64, 65, 200])  # shorter, equal to and longer than SHA-256's block
def test_signer_mac_is_hmac_sha256(key_length):
    key = bytes(range(7, 7 + key_length % 256)) * (1 + key_length // 256)
    for body in (b"", b"}", EVENT_LINE, EVENT_LINE * 9):
        assert Signer(key).mac(body) == hmac.new(key, body, hashlib.sha256).hexdigest().encode()


def _variants(line: bytes, key: bytes) -> dict[str, bytes]:
    """The line as written, and changed in each way a line can be wrong, re-signed where that matters."""
    body, hash_at = support.body(line), line.rindex(b',"hash":"') + 9

    def flipped(at: int) -> bytes:  # the hex digit at `at` changed
        return line[:at] + (b"0" if line[at:at + 1] != b"0" else b"1") + line[at + 1:-1]

    return {
        "as written": line[:-1],
        "body edited": line[:-1].replace(b'"user":"user', b'"user":"mallory'),
        "hash edited": flipped(hash_at),
        "mac edited": flipped(len(line) - 4),
        "hash tag edited": line[:-1].replace(b',"hash":"', b',"hesh":"'),
        "mac tag edited": line[:-1].replace(b'","mac":"', b'","mac"="'),
        "end edited": line[:-2] + b" ",
        "cut short": line[:100],
        "empty": b"",
        "forged": support.signed_line(body | {"user": "ghost"}, key=bytes(32))[:-1],
        "seq skips": support.signed_line(body | {"seq": body["seq"] + 1}, key)[:-1],
        "seq as text": support.signed_line(body | {"seq": str(body["seq"])}, key)[:-1],
        "chained elsewhere": support.signed_line(body | {"prev_hash": "f" * 64}, key)[:-1],
        "prev_hash nested only": support.signed_line(
            {k: v for k, v in body.items() if k != "prev_hash"} | {"details": {"prev_hash": body["prev_hash"]}}, key)[:-1],
    }


def test_follow_takes_a_line_exactly_when_unseal_reads_it_as_the_next_event(paths):
    """follow() repeats unseal()'s checks inline for speed; for every way a line can be wrong, and for the
    line as written, it must take the line exactly when unseal() returns the next seq chained to the last hash."""
    ensure_log_key(paths)
    written = support.write(paths, 3)
    key, signer = load_log_key(paths.key_dir), Signer(load_log_key(paths.key_dir))
    before = written[1]
    for name, changed in _variants(support.lines(paths)[2], key).items():
        expected = unseal(changed, signer) == (3, before["hash"].encode(), written[2]["hash"].encode())
        taken = follow([changed], 0, signer, 2, before["hash"].encode(), frozenset())
        assert taken == ((1, 3, written[2]["hash"].encode()) if expected else (0, 2, before["hash"].encode())), name
        assert expected == (name == "as written"), name


def test_follow_stops_after_a_wanted_seq_and_before_a_line_that_does_not_continue(paths):
    ensure_log_key(paths)
    written = support.write(paths, 6)
    signer = Signer(load_log_key(paths.key_dir))
    lines = [line[:-1] for line in support.lines(paths)]
    hashes = [e["hash"].encode() for e in written]
    assert follow(lines, 1, signer, 1, hashes[0], frozenset()) == (6, 6, hashes[5])
    assert follow(lines, 1, signer, 1, hashes[0], frozenset({3, 5})) == (3, 3, hashes[2])
    assert follow(lines, 3, signer, 3, hashes[2], frozenset({3, 5})) == (5, 5, hashes[4])
    lines[4] = lines[3]
    assert follow(lines, 1, signer, 1, hashes[0], frozenset()) == (4, 4, hashes[3])
    assert follow(lines, 6, signer, 6, hashes[5], frozenset()) == (6, 6, hashes[5])
