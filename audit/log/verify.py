"""Verification of the access log: every event's hash and MAC, the sequence, the chain, every checkpoint
and every anchor given.

Each problem is named with its sequence number and kind, and the report counts what was checked, as
CloudTrail's validate-logs does; `manage.py verify-log` exits 1 on any problem.
"""
from __future__ import annotations

import bisect
import os
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from audit.log import scan
from audit.log.checkpoints import HEAD_FILE, HISTORY_FILE, StoredCheckpoints, newest, read_all
from audit.log.files import LOCK_FILE, LOG_FILE, lines_newest_first, open_log_key, shared_lock
from audit.log.format import (
    GENESIS_HASH,
    Anchor,
    Checkpoint,
    Signer,
    UnreadableCheckpoint,
    anchor_public_key,
    claimed_seq,
    follow,
    parse_anchor,
    unseal,
)
from audit.log.identity import locate, log_identity, orphans
from audit.log.scan import Stretch
from config.paths import Paths

# Problem kinds.
MODIFIED = "modified event"
MISSING = "missing event"
INSERTED = "inserted event"
REORDERED = "reordered events"
TRUNCATED = "truncated tail"
BAD_CHECKPOINT = "bad checkpoint signature"
BROKEN_CHAIN = "broken chain"
MISSING_CHECKPOINT = "missing checkpoint"
REPLACED = "replaced log"
ORPHANED = "orphaned checkpoints"
BAD_ANCHOR = "bad anchor"
UNANCHORED = "anchor not extended"

# A log at least this large is checked by two processes (audit.log.scan): below it, starting the second costs
# more than it saves.
PARALLEL_BYTES = 16 << 20
_ANCHOR_MAX_BYTES = 1 << 16  # an anchor is about 500 bytes


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
    log_id: str | None = None  # the hash of the first event (audit.log.identity)
    checkpoint_folder: Path | None = None
    anchors: int = 0
    anchor_key: str = ""  # the public key anchors of this log are signed with

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        outcome = "no problems" if self.ok else f"{len(self.problems)} problem(s)"
        if self.anchors:
            return f"verified {self.events} events, {self.checkpoints} checkpoints and {self.anchors} anchor(s): {outcome}"
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
    many seqs the tail should hold, and each anchor that the log still holds its event.
    """

    def __init__(self, signer: Signer, checkpoints: list[Checkpoint], anchors: list[Anchor]) -> None:
        self.signer = signer
        self.problems: list[Problem] = []
        self.lines = 0
        self.frontier_seq, self.frontier_hash = 0, GENESIS_HASH.encode()
        self.gaps = _Gaps()
        self.unplaced: list[tuple[int, int | None, str]] = []  # (line number, claimed seq, reason)
        self.latest = newest(checkpoints)
        self.by_seq: dict[int, list[Checkpoint | Anchor]] = {}  # what each seq's event must hash to
        for claim in [*checkpoints, *anchors]:
            self.by_seq.setdefault(claim.seq, []).append(claim)

    def feed(self, line: bytes) -> None:
        self.lines += 1
        sealed = unseal(line, self.signer)
        if isinstance(sealed, str):
            self.unplaced.append((self.lines, claimed_seq(line), sealed))
            return
        seq, prev_hash, digest = sealed
        if seq == self.frontier_seq + 1 and prev_hash == self.frontier_hash and not self.unplaced:
            # The usual line, the next event chained to the last: the general case below reports nothing for it.
            self.frontier_seq, self.frontier_hash = seq, digest
            if seq in self.by_seq:
                self._compare_checkpoints(seq, digest.decode())
            return
        self._place(seq, prev_hash, digest)

    def feed_block(self, lines: list[bytes]) -> None:
        """feed() each line in turn; the usual lines, each the next event chained to the last, are taken by
        audit.log.format.follow, which checks them as feed() would without a call per line."""
        index = 0
        while index < len(lines):
            if not self.unplaced:
                taken, seq, digest = follow(lines, index, self.signer, self.frontier_seq, self.frontier_hash, self.by_seq)
                if taken > index:
                    self.lines += taken - index
                    self.frontier_seq, self.frontier_hash, index = seq, digest, taken
                    if seq in self.by_seq:
                        self._compare_checkpoints(seq, digest.decode())
                    continue
            self.feed(lines[index])
            index += 1

    def skip(self, stretch: Stretch) -> bool:
        """Take a regular stretch checked by audit.log.scan as if each of its lines had been fed; False (nothing
        taken) when its first event does not continue the log, so its lines must be fed one by one."""
        seq, prev_hash, digest = stretch.first
        if seq != self.frontier_seq + 1 or prev_hash != self.frontier_hash or self.unplaced:
            return False
        self.lines += stretch.lines
        for found in sorted(s for s in stretch.found if s in self.by_seq):
            self._compare_checkpoints(found, stretch.found[found])
        self.frontier_seq, self.frontier_hash = stretch.last
        return True

    def wanted(self) -> frozenset[int]:
        """The seqs whose hashes checkpoints and anchors record."""
        return frozenset(self.by_seq)

    def _place(self, seq: int, prev_hash: bytes, digest: bytes) -> None:
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
        for anchor in (claim for claims in self.by_seq.values() for claim in claims if isinstance(claim, Anchor)):
            issued = f"{anchor.source} (issued {anchor.issued_at}) records seq {anchor.seq}"
            if anchor.seq > self.frontier_seq:
                self._report(anchor.seq, UNANCHORED, f"the log ends at seq {self.frontier_seq} but {issued}: it was rolled back")
            else:
                self._report(anchor.seq, UNANCHORED, f"{issued}, which the log no longer holds intact")
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
            if isinstance(checkpoint, Anchor):
                self._report(seq, UNANCHORED, (
                    f"{checkpoint.source} (issued {checkpoint.issued_at}) records another event at seq {seq}: "
                    "the log was rewritten at or before it"
                ))
                continue
            found = f"{checkpoint.source} records another event at seq {seq}"
            if checkpoint is self.latest:
                self._report(seq, TRUNCATED, f"{found}: the end of the log was replaced")
            else:
                self._report(seq, BROKEN_CHAIN, f"{found}: the log was rewritten at or before it")

    def _report(self, seq: int, kind: str, detail: str) -> None:
        self.problems.append(Problem(seq, kind, detail))


def _checkpoint_problems(stored: StoredCheckpoints, events: int) -> list[Problem]:
    """Problems visible from the checkpoints alone: bad signatures, a history that goes backwards
    (the log was cut back and rewritten), and a head or history missing although the log has events
    (whoever removed them could have cut the tail unseen)."""
    problems = [
        Problem(r.claimed_seq or 0, BAD_CHECKPOINT, f"{r.source}: {r.reason}")
        for r in stored.records if isinstance(r, UnreadableCheckpoint)
    ]
    highest: Checkpoint | None = None
    for record in stored.history:
        if not isinstance(record, Checkpoint):
            continue
        if highest is not None and record.seq < highest.seq:
            problems.append(Problem(record.seq, TRUNCATED, (
                f"{record.source} records seq {record.seq} after {highest.source} recorded seq {highest.seq}: "
                "the log was cut back and rewritten"
            )))
        if highest is None or record.seq > highest.seq:
            highest = record
    if not events:
        return problems
    restore = "restore the log and its checkpoint folder from backup"
    if not stored.head:
        vouched = highest.seq if highest else 0
        problems.append(Problem(vouched + 1, MISSING_CHECKPOINT, (
            f"the head checkpoint{stored.where(HEAD_FILE)} is {'empty' if stored.head_found else 'missing'}, "
            f"so events after seq {vouched} could have been removed from the end unseen; {restore}"
        )))
    if not stored.history:
        problems.append(Problem(1, MISSING_CHECKPOINT, (
            f"the checkpoint history{stored.where(HISTORY_FILE)} is {'empty' if stored.history_found else 'missing'}, "
            f"so the log cannot be checked against it; {restore}"
        )))
    return problems


def verify(paths: Paths, anchor_files: Sequence[Path] = ()) -> VerifyReport:
    """Check every event's hash and MAC, the sequence, the chain, every checkpoint, and that the log
    still holds the event each anchor in `anchor_files` records (OSError if one cannot be read).

    Takes a consistent snapshot (log length and checkpoints) under a shared lock, then reads without
    it, so writers wait only for the snapshot. Problems are sorted by seq.
    """
    texts = [(path, _anchor_text(path)) for path in anchor_files]
    log_key = open_log_key(paths)
    signer, anchor_key = Signer(log_key), anchor_public_key(log_key)
    log_path = paths.log_dir / LOG_FILE
    with ExitStack() as files:
        with shared_lock(paths.log_dir / LOCK_FILE):
            log = files.enter_context(open(log_path, "rb")) if log_path.exists() else None
            size = os.fstat(log.fileno()).st_size if log else 0
            log_id, last = _identity_and_end(log.fileno(), size, signer) if log else (None, None)
            home = locate(paths, log_id, last, log_key)
            stored = read_all(home.folder, log_key)
        anchors, anchor_problems = _read_anchors(texts, anchor_key, log_id)
        verifier = _Verifier(signer, [r for r in stored.records if isinstance(r, Checkpoint)], anchors)
        if log:
            _check_lines(log.fileno(), size, verifier, log_key)
    problems = verifier.finish() + _checkpoint_problems(stored, verifier.lines) + anchor_problems
    if home.displaced is not None:
        problems.append(Problem(1, REPLACED, (
            f"the checkpoints this data folder holds ({home.displaced}) are another log's: this log "
            f"({log_id}) took its place; restore the data folder's own log from backup, or remove "
            f"{home.displaced} if that log is retired"
        )))
    known = {folder for folder in (home.folder, home.displaced) if folder is not None}
    for folder, head in orphans(paths, log_key, known):
        problems.append(Problem(head.seq if head else 0, ORPHANED, (
            f"{folder} holds the checkpoints of a log (up to seq {head.seq if head else '?'}) that no data folder "
            "holds: the log was deleted together with its data folder's claim. Restore that log from backup, "
            f"or, if it was retired on purpose, move {folder} out of the key folder"
        )))
    problems.sort(key=lambda p: p.seq)
    return VerifyReport(
        events=verifier.lines, checkpoints=len(stored.records), problems=problems,
        log_id=log_id, checkpoint_folder=home.folder, anchors=len(texts), anchor_key=anchor_key,
    )


def _check_lines(fd: int, size: int, verifier: _Verifier, log_key: bytes) -> None:
    """Feed every line of the log's first `size` bytes to the verifier, in file order, then the bytes after the
    last newline as a fragment. A log of PARALLEL_BYTES or more is split in two at a line start: a second
    process (audit.log.scan) checks the second half while this one feeds the first."""
    end = _end_of_last_line(fd, size)
    split = _line_start_after(fd, end // 2, end) if end >= PARALLEL_BYTES else end
    helper = scan.Helper(fd, split, end, log_key, verifier.wanted()) if split < end else None
    for block in scan.iter_blocks(fd, 0, split):
        verifier.feed_block(block)
    if helper is not None:
        stretch = helper.result()
        if stretch is None or not verifier.skip(stretch):
            for block in scan.iter_blocks(fd, split, end):
                verifier.feed_block(block)
    if end < size:
        verifier.fragment(os.pread(fd, size - end, end))


def _end_of_last_line(fd: int, size: int) -> int:
    """The offset just past the last newline in the first `size` bytes (0 if there is none)."""
    pos = size
    while pos > 0:
        step = min(1 << 16, pos)
        newline = os.pread(fd, step, pos - step).rfind(b"\n")
        if newline != -1:
            return pos - step + newline + 1
        pos -= step
    return 0


def _line_start_after(fd: int, offset: int, end: int) -> int:
    """The start of the first line that begins after `offset` (`end` if none does before it)."""
    pos = offset
    while pos < end:
        block = os.pread(fd, min(1 << 16, end - pos), pos)
        newline = block.find(b"\n")
        if newline != -1:
            return pos + newline + 1
        pos += len(block)
    return end


def fingerprint(paths: Paths) -> tuple[tuple[str, int, int, int], ...]:
    """What verify() reads, as (path, size, mtime_ns, inode) of every file: the log and every checkpoint
    folder's files. Any edit, in place or by replacement, changes it, so a cached report keyed on it is
    never stale (the Access log page)."""
    files = [paths.log_dir / LOG_FILE, *sorted(paths.checkpoint_dir.rglob("*"))]
    stats = []
    for path in files:
        try:
            st = path.stat()
        except FileNotFoundError:
            continue
        stats.append((str(path), st.st_size, st.st_mtime_ns, st.st_ino))
    return tuple(stats)


def _identity_and_end(fd: int, size: int, signer: Signer) -> tuple[str | None, tuple[int, str] | None]:
    """The log's identity and its last valid event (seq, hash), which locate its checkpoints."""
    newest_line = next(lines_newest_first(fd, size, block=4096), None)
    sealed = unseal(newest_line[0], signer) if newest_line else "empty"
    last = None if isinstance(sealed, str) else (sealed[0], sealed[2].decode())
    return log_identity(fd, signer), last


def _anchor_text(path: Path) -> str:
    """The text of an anchor file, read no further than any anchor could be; OSError, with a sentence,
    for what is not a regular file (a folder, or a FIFO that would block)."""
    if not path.is_file():
        raise OSError(f"the anchor {path} is not a file; give the files written by `manage.py anchor`")
    with open(path, "rb") as anchor:
        return anchor.read(_ANCHOR_MAX_BYTES).decode(errors="replace")


def _read_anchors(texts: list[tuple[Path, str]], public_key: str, log_id: str | None) -> tuple[list[Anchor], list[Problem]]:
    """The anchors signed by this log's anchor key for this log, and a problem for each other one."""
    anchors, problems = [], []
    for path, text in texts:
        anchor = parse_anchor(text, f"anchor {path}")
        if isinstance(anchor, str):
            problems.append(Problem(0, BAD_ANCHOR, f"anchor {path}: {anchor}"))
        elif reason := anchor.signature_problem(public_key):
            problems.append(Problem(anchor.seq, BAD_ANCHOR, f"{anchor.source}: {reason}"))
        elif log_id is not None and anchor.log != log_id:
            problems.append(Problem(anchor.seq, BAD_ANCHOR, f"{anchor.source} is an anchor of another log ({anchor.log})"))
        else:
            anchors.append(anchor)
    return anchors, problems
