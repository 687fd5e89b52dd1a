"""The bytes of the access log, defined in this one place: event lines, checkpoint records, anchors.

An event line is the event's canonical JSON with `"hash"` and `"mac"` added before the closing brace:
hash = SHA-256 of the canonical JSON, mac = HMAC-SHA256 of the same bytes under the log key. Each event
names the previous event's hash (prev_hash; GENESIS_HASH for the first), so an edited, removed,
reordered or forged event breaks a MAC, the sequence or the chain. Because the stored line is the
canonical form, verification checks raw bytes and never re-serialises.

A checkpoint record is the canonical JSON of {at, hash, seq} with `"mac"` added the same way, under a
key derived from the log key with its own label, so that an event MAC can never pass for a checkpoint
signature or the reverse. A head slot is one record padded with spaces to SLOT_SIZE - 1 bytes and a
newline.

An anchor is a statement of the log's head for safekeeping elsewhere: the canonical JSON of its fields
(ANCHOR_FIELDS, with `format` = ANCHOR_FORMAT) signed with Ed25519 under a key derived from the log key
by HKDF-SHA256 with its own label, so that anyone holding the public key can check it without a secret.

Changing anything here makes every stored log unverifiable: tests/audit/test_log_format.py pins these
bytes with known-answer vectors and a log written by older code.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Container, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from audit.events import AccessEvent

GENESIS_HASH = "0" * 64
SLOT_SIZE = 256
TS_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
CHECKPOINT_KEY_LABEL = b"codeaudit access-log checkpoint v1"
ANCHOR_KEY_LABEL = b"codeaudit access-log anchor v1"
ANCHOR_FORMAT = "codeaudit access-log anchor v1"
ANCHOR_FIELDS = ("format", "log", "seq", "hash", "event_ts", "issued_at", "public_key", "signature")

# A stored line ends with  ,"hash":"<64 hex>","mac":"<64 hex>"}
_HASH_TAG, _MAC_TAG, _END = b',"hash":"', b'","mac":"', b'"}'
_SUFFIX_LEN = len(_HASH_TAG) + 64 + len(_MAC_TAG) + 64 + len(_END)
_HASH_AT = slice(-_SUFFIX_LEN + len(_HASH_TAG), -_SUFFIX_LEN + len(_HASH_TAG) + 64)
_MAC_TAG_AT = slice(-2 - 64 - len(_MAC_TAG), -2 - 64)
_MAC_AT = slice(-2 - 64, -2)
# A checkpoint record ends with  ,"mac":"<64 hex>"}
_RECORD_MAC_TAG = b',"mac":"'
_RECORD_SUFFIX_LEN = len(_RECORD_MAC_TAG) + 64 + 2


def canonical_json(value: Any) -> bytes:
    """The one serialisation that is hashed and signed: sorted keys, no spaces, ASCII only."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode()


def utc_now() -> str:
    return datetime.now(UTC).strftime(TS_FORMAT)


def as_log_time(moment: datetime) -> str:
    """A datetime in the log's timestamp format; naive datetimes are taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime(TS_FORMAT)


class Signer:
    """Hash and MAC of canonical event bytes. The MAC is HMAC-SHA256 (RFC 2104) continued from the key's inner
    and outer SHA-256 states, built once: copying two hash states per event costs less than copying an hmac
    object, and verify does it for every line of the log."""

    def __init__(self, log_key: bytes) -> None:
        block = hashlib.sha256().block_size
        key = (hashlib.sha256(log_key).digest() if len(log_key) > block else log_key).ljust(block, b"\0")
        self._inner = hashlib.sha256(bytes(byte ^ 0x36 for byte in key))
        self._outer = hashlib.sha256(bytes(byte ^ 0x5C for byte in key))

    def mac(self, body: bytes) -> bytes:
        """HMAC-SHA256 of body under the log key, as hex."""
        inner, outer = self._inner.copy(), self._outer.copy()
        inner.update(body)
        outer.update(inner.digest())
        return outer.hexdigest().encode()

    def seal(self, body: bytes) -> tuple[bytes, bytes]:
        return hashlib.sha256(body).hexdigest().encode(), self.mac(body)


def seal_event(event: AccessEvent, seq: int, ts: str, prev_hash: str, signer: Signer) -> tuple[dict[str, Any], bytes]:
    """The event as stored (with seq, ts, prev_hash, hash and mac) and its line, newline included.
    Raises TypeError or ValueError if the details are not plain JSON values."""
    record = {
        "seq": seq, "ts": ts, "user": event.user, "role": event.role,
        "action": event.action, "outcome": event.outcome, "resource": event.resource,
        "claim_keys": list(event.claim_keys), "fields": list(event.fields),
        "purpose_of_use": event.purpose_of_use, "justification": event.justification,
        "details": event.details, "prev_hash": prev_hash,
    }
    body = canonical_json(record)
    digest, mac = signer.seal(body)
    record["hash"], record["mac"] = digest.decode(), mac.decode()
    return record, body[:-1] + _HASH_TAG + digest + _MAC_TAG + mac + _END + b"\n"


def unseal(line: bytes, signer: Signer) -> tuple[int, bytes, bytes] | str:
    """(seq, prev_hash, hash) of a line signed under the log key, or the reason it is not."""
    if (
        len(line) <= _SUFFIX_LEN or line[-_SUFFIX_LEN:_HASH_AT.start] != _HASH_TAG
        or line[_MAC_TAG_AT] != _MAC_TAG or not line.endswith(_END)
    ):
        return "it is not a signed event line"
    body = line[:-_SUFFIX_LEN] + b"}"
    digest, mac = signer.seal(body)
    if digest != line[_HASH_AT]:
        return "its content does not match its hash"
    if not hmac.compare_digest(mac, line[_MAC_AT]):
        return "its MAC does not verify under the log key (forged, or hash recomputed after an edit)"
    # The MAC proves our writer made these bytes, so the layout is known: with sorted keys, only
    # scalars follow "prev_hash" and "seq", so the last occurrence of each key is the top-level one.
    seq_at, prev_at = body.rfind(b',"seq":'), body.rfind(b',"prev_hash":"')
    seq_end = body.find(b",", seq_at + 1)
    if min(seq_at, prev_at, seq_end) < 0 or not body[seq_at + 7:seq_end].isdigit():
        return "it is signed but is not an event"
    return int(body[seq_at + 7:seq_end]), body[prev_at + 14:prev_at + 78], digest


def follow(lines: Sequence[bytes], start: int, signer: Signer, seq: int, last_hash: bytes,
           wanted: Container[int]) -> tuple[int, int, bytes]:
    """How far lines[start:] continue a chain that ends at event `seq` with hash `last_hash`: the index after
    the last line taken, and that line's seq and hash (`seq` and `last_hash` if none was taken).

    A line is taken when unseal() accepts it as event seq + 1 with prev_hash `last_hash`, as every line of a
    regular log is; taking stops before any other line, and after a line whose seq is in `wanted`, so that the
    caller can look at it. This loop is most of verify's time, so it makes unseal()'s checks with as few
    operations per line as it can: the line's last _SUFFIX_LEN bytes are compared at once with the suffix its
    body's hash and MAC give (tags, hash and MAC in one constant-time comparison), the MAC is computed inline,
    and the seq is compared as the expected number's digits. A line that fails here for any reason is left to
    unseal() and the caller's general case, which name the problem.
    """
    sha256, compare, suffix = hashlib.sha256, hmac.compare_digest, _SUFFIX_LEN
    inner, outer = signer._inner, signer._outer
    for index in range(start, len(lines)):
        line = lines[index]
        if len(line) <= suffix:
            return index, seq, last_hash
        body = line[:-suffix] + b"}"
        digest = sha256(body).hexdigest().encode()
        inner_mac, outer_mac = inner.copy(), outer.copy()
        inner_mac.update(body)
        outer_mac.update(inner_mac.digest())
        if not compare(line[-suffix:], b"".join((_HASH_TAG, digest, _MAC_TAG, outer_mac.hexdigest().encode(), _END))):
            return index, seq, last_hash
        # As in unseal(): the last ',"seq":' and ',"prev_hash":"' are the top-level keys.
        seq_at, prev_at = body.rfind(b',"seq":'), body.rfind(b',"prev_hash":"')
        if (
            seq_at < 0 or prev_at < 0 or not body.startswith(last_hash, prev_at + 14)
            or not body.startswith(b"%d," % (seq + 1), seq_at + 7)
        ):
            return index, seq, last_hash
        seq, last_hash = seq + 1, digest
        if seq in wanted:
            return index + 1, seq, last_hash
    return len(lines), seq, last_hash


def claimed_seq(record: bytes) -> int | None:
    """The seq a damaged or forged JSON record claims, for reports; None if it names none."""
    try:
        seq = json.loads(record).get("seq")
    except (ValueError, AttributeError, RecursionError):  # RecursionError: deeply nested garbage
        return None
    return seq if isinstance(seq, int) else None


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    at: str
    source: str = ""  # where it was read ("head slot 1", "history line 7"), for reports


@dataclass(frozen=True)
class UnreadableCheckpoint:
    """A checkpoint record whose signature or shape is wrong: forged, edited or torn."""

    source: str
    reason: str
    claimed_seq: int | None


Record = Checkpoint | UnreadableCheckpoint


def checkpoint_key(log_key: bytes) -> bytes:
    return hmac.digest(log_key, CHECKPOINT_KEY_LABEL, "sha256")


def encode_checkpoint(checkpoint: Checkpoint, key: bytes) -> bytes:
    """The signed record, without a newline; `key` is checkpoint_key(log key)."""
    body = canonical_json({"at": checkpoint.at, "hash": checkpoint.hash, "seq": checkpoint.seq})
    mac = hmac.new(key, body, hashlib.sha256).hexdigest().encode()
    return body[:-1] + _RECORD_MAC_TAG + mac + b'"}'


def decode_checkpoint(raw: bytes, key: bytes, source: str) -> Record:
    record = raw.rstrip(b" \n\0")
    body = record[:-_RECORD_SUFFIX_LEN] + b"}"
    mac = record[-_RECORD_SUFFIX_LEN + len(_RECORD_MAC_TAG):-2]
    well_formed = record[-_RECORD_SUFFIX_LEN:].startswith(_RECORD_MAC_TAG) and record.endswith(b'"}')
    if not well_formed or not hmac.compare_digest(hmac.new(key, body, hashlib.sha256).hexdigest().encode(), mac):
        return UnreadableCheckpoint(source, "its signature does not verify under the log key", claimed_seq(record))
    fields = json.loads(body)
    return Checkpoint(seq=fields["seq"], hash=fields["hash"], at=fields["at"], source=source)


def head_slot(record: bytes) -> bytes:
    """One head slot: the record padded with spaces to SLOT_SIZE - 1 bytes, then a newline."""
    return record + b" " * (SLOT_SIZE - 1 - len(record)) + b"\n"


def read_slots(raw: bytes, key: bytes) -> list[Record | None]:
    """Decode a head file's two slots, by position; None for a slot never written."""
    slots = [raw[i:i + SLOT_SIZE] for i in range(0, 2 * SLOT_SIZE, SLOT_SIZE)]
    return [
        decode_checkpoint(slot, key, f"head slot {n}") if slot.strip(b" \n\0") else None
        for n, slot in enumerate(slots, 1)
    ]


def anchor_signing_key(log_key: bytes) -> Ed25519PrivateKey:
    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=ANCHOR_KEY_LABEL).derive(log_key)
    return Ed25519PrivateKey.from_private_bytes(seed)


def anchor_public_key(log_key: bytes) -> str:
    """The anchor key's public half, base64 of its 32 raw bytes: what a third party checks anchors with."""
    public = anchor_signing_key(log_key).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(public).decode()


@dataclass(frozen=True)
class Anchor:
    """The log `log` (its identity) held event `seq` with hash `hash`, recorded at `event_ts`, when the
    anchor was issued at `issued_at`; `signature` (base64 Ed25519) covers everything but `source`."""

    log: str
    seq: int
    hash: str
    event_ts: str
    issued_at: str
    public_key: str
    signature: str = ""
    source: str = ""  # where it was read, for reports

    def statement(self) -> bytes:
        """The signed bytes: the canonical JSON of every field but the signature."""
        fields = asdict(self) | {"format": ANCHOR_FORMAT}
        return canonical_json({name: fields[name] for name in ANCHOR_FIELDS if name != "signature"})

    def signed(self, log_key: bytes) -> Anchor:
        signature = anchor_signing_key(log_key).sign(self.statement())
        return Anchor(**(asdict(self) | {"signature": base64.b64encode(signature).decode()}))

    def to_text(self) -> str:
        """The anchor as indented JSON to keep: any reformatting of it still verifies."""
        fields = asdict(self) | {"format": ANCHOR_FORMAT}
        return json.dumps({name: fields[name] for name in ANCHOR_FIELDS}, indent=2) + "\n"

    def signature_problem(self, public_key: str) -> str | None:
        """Why this anchor is not one of ours, or None: it must name `public_key` and carry its signature."""
        if self.public_key != public_key:
            return f"it is signed by another key ({self.public_key}), not this log's anchor key ({public_key})"
        try:
            signature = base64.b64decode(self.signature, validate=True)
            Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key)).verify(signature, self.statement())
        except (InvalidSignature, binascii.Error, ValueError):
            return "its signature does not verify: it was altered or forged"
        return None


def parse_anchor(text: str, source: str) -> Anchor | str:
    """The anchor in `text` (JSON, any layout), or the reason it is not one."""
    try:
        fields = json.loads(text)
    except (ValueError, RecursionError):
        return "it is not JSON"
    if not isinstance(fields, dict) or sorted(fields) != sorted(ANCHOR_FIELDS) or fields["format"] != ANCHOR_FORMAT:
        return f"it is not an access-log anchor (expected the fields {', '.join(ANCHOR_FIELDS)} and format {ANCHOR_FORMAT!r})"
    if type(fields["seq"]) is not int or not all(isinstance(fields[k], str) for k in ANCHOR_FIELDS if k != "seq"):
        return "its seq must be a number and its other fields text"
    del fields["format"]
    return Anchor(**fields, source=source)
