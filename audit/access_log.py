"""The access log: append-only, hash-chained, HMAC-signed and shared by every process.

Format: one line per event in Paths.log_dir/events.jsonl. A line is the event's canonical JSON
(audit.log_checkpoints.canonical_json) with `"hash"` and `"mac"` added before the closing brace:
hash = SHA-256 of the canonical JSON, mac = HMAC-SHA256 of the same bytes under the log key. Each
event names the previous event's hash (prev_hash; 64 zeros for the first), so an edited, removed,
reordered or forged event breaks a signature, the sequence or the chain, and signed checkpoints
(audit.log_checkpoints) reveal removal of the newest events. Because the stored line is the canonical
form, verify() checks raw bytes and never re-serialises.

How a page uses it: keep one AccessLog per process (e.g. in st.cache_resource) and call append()
*before* showing PHI. If append() raises AccessLogError, show the error instead of the data.
"""
from __future__ import annotations

import bisect
import fcntl
import hashlib
import hmac
import json
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from audit.events import AccessEvent
from audit.keys import load_log_key, require
from audit.log_checkpoints import (
    Checkpoint,
    CheckpointWriter,
    Record,
    UnreadableCheckpoint,
    canonical_json,
    claimed_seq,
    newest,
    open_durable,
    read_all,
    same_file,
)
from audit.paths import Paths

LOG_FILE = "events.jsonl"
LOCK_FILE = "events.lock"
GENESIS_HASH = "0" * 64

# Problem kinds reported by verify().
MODIFIED = "modified event"
MISSING = "missing event"
INSERTED = "inserted event"
REORDERED = "reordered events"
TRUNCATED = "truncated tail"
BAD_CHECKPOINT = "bad checkpoint signature"
BROKEN_CHAIN = "broken chain"

# A stored line ends with  ,"hash":"<64 hex>","mac":"<64 hex>"}
_HASH_TAG, _MAC_TAG, _END = b',"hash":"', b'","mac":"', b'"}'
_SUFFIX_LEN = len(_HASH_TAG) + 64 + len(_MAC_TAG) + 64 + len(_END)
_HASH_AT = slice(-_SUFFIX_LEN + len(_HASH_TAG), -_SUFFIX_LEN + len(_HASH_TAG) + 64)
_MAC_TAG_AT = slice(-2 - 64 - len(_MAC_TAG), -2 - 64)
_MAC_AT = slice(-2 - 64, -2)
_TS_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
_READ_CHUNK = 1 << 23


class AccessLogError(RuntimeError):
    """The event could not be recorded durably, so the action it describes must not happen:
    do not show PHI. The message says what to fix."""


class _Signer:
    """Hash and MAC of canonical event bytes; the keyed HMAC state is built once and copied per event."""

    def __init__(self, log_key: bytes) -> None:
        self._hmac = hmac.new(log_key, digestmod=hashlib.sha256)

    def seal(self, body: bytes) -> tuple[bytes, bytes]:
        mac = self._hmac.copy()
        mac.update(body)
        return hashlib.sha256(body).hexdigest().encode(), mac.hexdigest().encode()


@dataclass(frozen=True)
class _Tail:
    """What the next append needs: file size, last seq and hash, and the head checkpoint slot."""

    size: int
    seq: int
    hash: str
    head: Checkpoint | None
    slot: int


def _open_log_key(paths: Paths) -> bytes:
    return require(load_log_key(paths.key_dir), "access-log key", paths.key_dir)


def _utc_now() -> str:
    return datetime.now(UTC).strftime(_TS_FORMAT)


def _ts(moment: datetime) -> str:
    """A datetime in the log's timestamp format; naive datetimes are taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime(_TS_FORMAT)


def _unseal(line: bytes, signer: _Signer) -> tuple[int, bytes, bytes] | str:
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


def _lines_newest_first(fd: int, size: int, block: int = 1 << 16) -> Iterator[tuple[bytes, int]]:
    """Complete lines from the end backwards, each with the offset just past its newline.
    Bytes after the last newline (a write in progress, or torn by a crash) are skipped."""
    pos, pending, line_end = size, b"", None
    while pos > 0:
        step = min(block, pos)
        pos -= step
        buf = os.pread(fd, step, pos) + pending
        stop = len(buf)
        while (newline := buf.rfind(b"\n", 0, stop)) != -1:
            if line_end is not None:
                yield buf[newline + 1:stop], line_end
            line_end = pos + newline + 1
            stop = newline
        pending = buf[:stop]
    if line_end is not None:
        yield pending, line_end


class AccessLog:
    """Appends events for one process. Safe to share between threads and with other processes:
    an exclusive flock on events.lock covers read-last-event, write, fsync and checkpoint."""

    def __init__(self, paths: Paths) -> None:
        self.paths = paths
        log_key = _open_log_key(paths)
        try:
            paths.ensure()
        except OSError as exc:
            raise AccessLogError(
                f"Cannot create {paths.data_dir} or {paths.key_dir} ({exc.strerror}); fix the permissions."
            ) from None
        self._signer = _Signer(log_key)
        self._checkpoints = CheckpointWriter(paths.checkpoint_dir, log_key)
        self._mutex = threading.Lock()
        self._pid = os.getpid()
        self._lock_fd: int | None = None
        self._log_fd: int | None = None
        self._tail: _Tail | None = None

    def append(self, event: AccessEvent) -> dict[str, Any]:
        """Record one event durably and return it as stored (with seq, ts, hash and mac).

        Returns only after the event and its checkpoint are fsync'ed. Raises AccessLogError if the
        event cannot be recorded (disk full, permissions, a log that fails its checkpoint): the caller
        must then NOT show PHI or perform the action. (If only the checkpoint failed, the event stays
        in the log as a record of the attempt.) Never pass PHI: claim keys must be pseudonyms and
        fields are field names, not values.
        """
        return self.append_many([event])[0]

    def append_many(self, events: Sequence[AccessEvent]) -> list[dict[str, Any]]:
        """Record several events with one write and one fsync (group commit); same contract as append()."""
        if not events:
            return []
        with self._mutex:
            try:
                with self._locked():
                    return self._commit(events)
            except OSError as exc:
                self._tail = None
                raise AccessLogError(
                    f"Recording the access failed ({exc.strerror or exc}: {exc.filename or self.paths.log_dir}). "
                    f"Do not show the data. Free disk space or fix the permissions of {self.paths.log_dir} and "
                    f"{self.paths.checkpoint_dir}, then retry."
                ) from exc

    def close(self) -> None:
        with self._mutex:
            self._drop_files()

    def _drop_files(self) -> None:
        for fd in (self._log_fd, self._lock_fd):
            if fd is not None:
                os.close(fd)
        self._log_fd = self._lock_fd = None
        self._checkpoints.close()
        self._tail = None

    def __enter__(self) -> AccessLog:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def _locked(self) -> Iterator[None]:
        if self._pid != os.getpid():  # a forked child must take its own lock, not share the parent's
            self._drop_files()
            self._pid = os.getpid()
        lock_path = self.paths.log_dir / LOCK_FILE
        while True:
            if self._lock_fd is None:
                self._lock_fd = open_durable(lock_path, os.O_RDWR)
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
            if same_file(self._lock_fd, lock_path):
                break
            os.close(self._lock_fd)  # the lock file was replaced: lock the one other processes see
            self._lock_fd = None
        try:
            yield
        finally:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def _commit(self, events: Sequence[AccessEvent]) -> list[dict[str, Any]]:
        tail = self._current_tail()
        records, lines = [], []
        seq, prev_hash = tail.seq, tail.hash
        for event in events:
            seq += 1
            record, line = self._seal(event, seq, prev_hash)
            prev_hash = record["hash"]
            records.append(record)
            lines.append(line)
        data = b"".join(lines)
        self._tail = None  # until the commit completes, re-read the state from disk
        try:
            _write_all(self._log_fd, data)
            os.fsync(self._log_fd)
        except OSError:
            _truncate_quietly(self._log_fd, tail.size)
            raise
        checkpoint = Checkpoint(seq=seq, hash=prev_hash, at=records[-1]["ts"])
        self._checkpoints.write(checkpoint, tail.slot, tail.head)
        self._tail = _Tail(tail.size + len(data), seq, prev_hash, checkpoint, 1 - tail.slot)
        return records

    def _seal(self, event: AccessEvent, seq: int, prev_hash: str) -> tuple[dict[str, Any], bytes]:
        record = {
            "seq": seq, "ts": _utc_now(), "user": event.user, "role": event.role,
            "action": event.action, "outcome": event.outcome, "resource": event.resource,
            "claim_keys": list(event.claim_keys), "fields": list(event.fields),
            "purpose_of_use": event.purpose_of_use, "justification": event.justification,
            "details": event.details, "prev_hash": prev_hash,
        }
        try:
            body = canonical_json(record)
        except (TypeError, ValueError) as exc:
            raise AccessLogError(
                f"Event details must be plain JSON values (text, numbers, true/false, null, lists, dicts): {exc}. "
                "The action was not recorded, so do not show the data."
            ) from None
        digest, mac = self._signer.seal(body)
        record["hash"], record["mac"] = digest.decode(), mac.decode()
        return record, body[:-1] + _HASH_TAG + digest + _MAC_TAG + mac + _END + b"\n"

    def _current_tail(self) -> _Tail:
        """The log's end as the next append must continue it. Cached while the file size is unchanged
        (every commit grows the file); otherwise read from disk and checked against the checkpoint."""
        log_path = self.paths.log_dir / LOG_FILE
        if self._log_fd is not None and not same_file(self._log_fd, log_path):
            os.close(self._log_fd)
            self._log_fd, self._tail = None, None
        if self._log_fd is None:
            self._log_fd = open_durable(log_path, os.O_RDWR | os.O_APPEND)
        if self._checkpoints.reopen_if_replaced():
            self._tail = None
        size = os.fstat(self._log_fd).st_size
        if self._tail is not None and self._tail.size == size:
            return self._tail
        newest_line = next(_lines_newest_first(self._log_fd, size, block=4096), None)
        seq, last_hash, end = 0, GENESIS_HASH, 0
        if newest_line is not None:
            sealed = _unseal(newest_line[0], self._signer)
            if isinstance(sealed, str):
                raise self._refuse(f"its last line is not a valid event ({sealed})")
            seq, last_hash, end = sealed[0], sealed[2].decode(), newest_line[1]
        head, slot = self._checkpoints.read_head()
        self._check_against_head(seq, last_hash, head)
        if end < size:  # an append torn by a crash; it was never acknowledged, so drop it
            os.ftruncate(self._log_fd, end)
            os.fsync(self._log_fd)
        return _Tail(end, seq, last_hash, head, slot)

    def _check_against_head(self, seq: int, last_hash: str, head: Checkpoint | None) -> None:
        """Refuse to write on top of a log that lost events: appending would overwrite the evidence."""
        if head is None:
            if self._checkpoints.has_records():
                raise self._refuse("its head checkpoint has no valid signature")
            if seq:
                raise self._refuse(f"it has {seq} events but no checkpoint")
        elif head.seq > seq:
            raise self._refuse(f"it ends at seq {seq} but its checkpoint ({head.at}) records seq {head.seq}")
        elif head.seq == seq and head.hash != last_hash:
            raise self._refuse(f"its last event (seq {seq}) differs from the one its checkpoint ({head.at}) records")

    def _refuse(self, problem: str) -> AccessLogError:
        return AccessLogError(
            f"The access log in {self.paths.log_dir} cannot be trusted: {problem}. Nothing can be recorded, "
            "so do not show the data. Run `manage.py verify-log` and restore the log and "
            f"{self.paths.checkpoint_dir} from backup."
        )


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _truncate_quietly(fd: int, size: int) -> None:
    """Undo a failed write so that no half-written or unsynced line stays behind; best effort, as
    the disk may be failing, and a leftover torn line is removed by the next append anyway."""
    try:
        os.ftruncate(fd, size)
        os.fsync(fd)
    except OSError:
        pass


@dataclass(frozen=True)
class Problem:
    seq: int
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"seq {self.seq}: {self.kind}: {self.detail}"


@dataclass
class VerifyReport:
    events: int = 0
    checkpoints: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        outcome = "no problems" if self.ok else f"{len(self.problems)} problem(s)"
        return f"verified {self.events} events and {self.checkpoints} checkpoints: {outcome}"


class _Gaps:
    """Sequence numbers not (yet) seen below the highest one seen, as sorted [start, end) ranges."""

    def __init__(self) -> None:
        self.ranges: list[list[int]] = []

    def add(self, start: int, end: int) -> None:
        if start < end:
            self.ranges.append([start, end])  # always above every existing range

    def take(self, seq: int) -> bool:
        """Mark seq as seen; False if it was not missing (so it was seen before)."""
        i = bisect.bisect_right(self.ranges, [seq, float("inf")]) - 1
        if i < 0 or not self.ranges[i][0] <= seq < self.ranges[i][1]:
            return False
        start, end = self.ranges.pop(i)
        self.ranges[i:i] = [r for r in ([start, seq], [seq + 1, end]) if r[0] < r[1]]
        return True


class _Verifier:
    """Checks log lines in file order, keeping only the frontier (highest seq seen), gap ranges and
    unplaced bad lines, so memory does not grow with the log.

    A line that fails its hash or MAC is placed once the next good line shows where it sits: if the
    good line leaves seqs unaccounted for, the bad lines fill them (modified events); any bad lines
    beyond that are extra (inserted events). At the end of the log, the newest checkpoint says how
    many seqs the tail should hold.
    """

    def __init__(self, signer: _Signer, checkpoints: list[Checkpoint]) -> None:
        self.signer = signer
        self.problems: list[Problem] = []
        self.lines = 0
        self.frontier_seq, self.frontier_hash = 0, GENESIS_HASH.encode()
        self.gaps = _Gaps()
        self.unplaced: list[tuple[int, int | None, str]] = []  # (line number, claimed seq, reason)
        self.latest = newest(checkpoints)
        self.by_seq: dict[int, list[Checkpoint]] = {}
        for checkpoint in checkpoints:
            self.by_seq.setdefault(checkpoint.seq, []).append(checkpoint)

    def feed(self, line: bytes) -> None:
        self.lines += 1
        sealed = _unseal(line, self.signer)
        if isinstance(sealed, str):
            self.unplaced.append((self.lines, claimed_seq(line), sealed))
            return
        seq, prev_hash, digest = sealed
        if seq > self.frontier_seq:
            slots = range(self.frontier_seq + 1, seq)
            filled = self._place_bad_lines(slots)
            self.gaps.add(slots.start + filled, slots.stop)
            if seq == self.frontier_seq + 1 and prev_hash != self.frontier_hash:
                detail = f"line {self.lines}: its prev_hash is not the hash of seq {self.frontier_seq}"
                self._report(seq, BROKEN_CHAIN, detail)
            self.frontier_seq, self.frontier_hash = seq, digest
        else:
            self._place_bad_lines(range(0))
            if not self.gaps.take(seq):
                self._report(seq, INSERTED, f"line {self.lines} repeats seq {seq}: a copy of an earlier event")
                return
            self._report(seq, REORDERED, f"line {self.lines} holds seq {seq} after seq {self.frontier_seq}")
        self._compare_checkpoints(seq, digest.decode())

    def fragment(self, data: bytes) -> None:
        """Bytes after the last newline: an append interrupted by a crash (the next append removes it)."""
        self.lines += 1
        self.unplaced.append((self.lines, claimed_seq(data), "it is an incomplete last line, cut off by a crash"))

    def finish(self) -> list[Problem]:
        end = self.latest.seq if self.latest and self.latest.seq > self.frontier_seq else self.frontier_seq
        slots = range(self.frontier_seq + 1, end + 1)
        filled = self._place_bad_lines(slots)
        if filled < len(slots):
            first, latest = slots[filled], self.latest
            self._report(first, TRUNCATED, (
                f"the log ends at seq {first - 1} but {latest.source} (written {latest.at}) records seq "
                f"{latest.seq}: {len(slots) - filled} event(s) were removed from the end"
            ))
        for start, stop in self.gaps.ranges:
            what = f"event {start} is" if stop == start + 1 else f"events {start}-{stop - 1} ({stop - start}) are"
            self._report(start, MISSING, f"{what} missing from the log")
        return self.problems

    def _place_bad_lines(self, slots: range) -> int:
        """Report the bad lines seen since the last good one; returns how many slots they filled."""
        unplaced, self.unplaced = self.unplaced, []
        for (line_no, _, reason), seq in zip(unplaced, slots):
            self._report(seq, MODIFIED, f"line {line_no}: {reason}")
        for line_no, claimed, reason in unplaced[len(slots):]:
            seq = claimed if claimed is not None else self.frontier_seq
            self._report(seq, INSERTED, f"line {line_no} is not part of the log: {reason}")
        return min(len(unplaced), len(slots))

    def _compare_checkpoints(self, seq: int, digest: str) -> None:
        for checkpoint in self.by_seq.pop(seq, ()):
            if checkpoint.hash == digest:
                continue
            found = f"{checkpoint.source} records another event at seq {seq}"
            if checkpoint is self.latest:
                self._report(seq, TRUNCATED, f"{found}: the end of the log was replaced")
            else:
                self._report(seq, BROKEN_CHAIN, f"{found}: the log was rewritten at or before it")

    def _report(self, seq: int, kind: str, detail: str) -> None:
        self.problems.append(Problem(seq, kind, detail))


def _checkpoint_problems(
    history: list[Record],
    head: list[Record],
    log_dir: Path,
    events: int,
) -> list[Problem]:
    """Problems visible from the checkpoints alone: bad signatures, a history that goes backwards
    (the log was cut back and rewritten), or none at all although the log has events."""
    problems = [
        Problem(r.claimed_seq or 0, BAD_CHECKPOINT, f"{r.source}: {r.reason}")
        for r in history + head if isinstance(r, UnreadableCheckpoint)
    ]
    highest: Checkpoint | None = None
    for record in history:
        if not isinstance(record, Checkpoint):
            continue
        if highest is not None and record.seq < highest.seq:
            problems.append(Problem(record.seq, TRUNCATED, (
                f"{record.source} records seq {record.seq} after {highest.source} recorded seq {highest.seq}: "
                "the log was cut back and rewritten"
            )))
        if highest is None or record.seq > highest.seq:
            highest = record
    if events and not history + head:
        problems.append(Problem(0, BAD_CHECKPOINT, (
            f"there are no checkpoints beside the {events} log lines; "
            f"restore {log_dir} and the checkpoint folder from backup"
        )))
    return problems


def verify(paths: Paths) -> VerifyReport:
    """Check every event's hash and MAC, the sequence, the chain and every checkpoint.

    Takes a consistent snapshot (log length and checkpoints) under a shared lock, then reads without
    it, so writers wait only for the snapshot. Problems are sorted by seq.
    """
    log_key = _open_log_key(paths)
    log_path = paths.log_dir / LOG_FILE
    with _shared_lock(paths.log_dir / LOCK_FILE):
        size = log_path.stat().st_size if log_path.exists() else 0
        history, head = read_all(paths.checkpoint_dir, log_key)
    verifier = _Verifier(_Signer(log_key), [r for r in history + head if isinstance(r, Checkpoint)])
    carry = b""
    if size:
        with open(log_path, "rb") as log:
            remaining = size
            while remaining and (chunk := log.read(min(_READ_CHUNK, remaining))):
                remaining -= len(chunk)
                lines = (carry + chunk).split(b"\n")
                carry = lines.pop()
                for line in lines:
                    verifier.feed(line)
    if carry:
        verifier.fragment(carry)
    problems = verifier.finish() + _checkpoint_problems(history, head, paths.log_dir, verifier.lines)
    problems.sort(key=lambda p: p.seq)
    return VerifyReport(events=verifier.lines, checkpoints=len(history) + len(head), problems=problems)


@contextmanager
def _shared_lock(lock_path: Path) -> Iterator[None]:
    try:
        fd = os.open(lock_path, os.O_RDONLY)
    except FileNotFoundError:  # nothing was ever written
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)


def read_events(
    paths: Paths,
    since: datetime | None = None,
    until: datetime | None = None,
    user: str | None = None,
    action: str | None = None,
    claim_key: str | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Events newest first, for the log viewer and exports: since inclusive, until exclusive (naive
    datetimes are UTC). Reads backwards from the end and stops at the first event older than `since`
    or after `limit` matches, so recent pages stay fast on a large log. Does not verify: use verify()."""
    try:
        fd = os.open(paths.log_dir / LOG_FILE, os.O_RDONLY)
    except FileNotFoundError:
        return []
    low, high = since and _ts(since), until and _ts(until)
    wanted = {"user": user, "action": action}
    found: list[dict[str, Any]] = []
    try:
        for line, _ in _lines_newest_first(fd, os.fstat(fd).st_size):
            try:
                event = json.loads(line)
            except ValueError:
                continue  # a damaged line; verify() reports it
            if not isinstance(event, dict):
                continue
            ts = str(event.get("ts", ""))
            if low and ts < low:
                break
            if (high and ts >= high) or any(v is not None and event.get(k) != v for k, v in wanted.items()):
                continue
            if claim_key is not None and claim_key not in event.get("claim_keys", ()):
                continue
            found.append(event)
            if limit is not None and len(found) >= limit:
                break
    finally:
        os.close(fd)
    return found

