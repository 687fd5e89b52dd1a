"""Checking one stretch of the log in a second process, so that verify uses two cores on a large log.

Checking an event is hashing and MACing its bytes (audit.log.format.unseal), which holds Python's lock, so
threads cannot share it out. verify (audit.log.verify) reads the first half of a large log itself while
this module, run as `python -m audit.log.scan FD START END` with the log's open file passed as FD, checks
the lines of bytes START to END. It answers only whether that stretch is regular, every line a signed event
that follows the one before it (seq + 1, prev_hash its hash), and if so its first event, its last, and the
hashes of the seqs it was asked about (those that checkpoints and anchors record). verify then continues its
own checks from there, exactly as if it had read each line; a stretch that is not regular, or a helper that
fails, is read line by line by verify itself, so every problem is still named by the one verifier.

The log key reaches the helper on its standard input, never on its command line.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from audit.log.format import Signer, follow, unseal

READ_BLOCK = 1 << 20
_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Stretch:
    """A regular stretch: its line count, its first event (seq, prev_hash, hash), its last (seq, hash) and the
    hash of each asked-for seq it holds."""

    lines: int
    first: tuple[int, bytes, bytes]
    last: tuple[int, bytes]
    found: dict[int, str]


def iter_blocks(fd: int, start: int, end: int) -> Iterator[list[bytes]]:
    """The lines of bytes start to end (end just past a newline), without their newlines, a list per block read:
    verify takes most lines a list at a time (audit.log.format.follow). Each block is split as read, and only
    the line it cuts is joined to the next block's first, rather than copying the block to join it."""
    carry, pos = b"", start
    while pos < end:
        chunk = os.pread(fd, min(READ_BLOCK, end - pos), pos)
        if not chunk:
            break
        pos += len(chunk)
        lines = chunk.split(b"\n")
        lines[0] = carry + lines[0]
        carry = lines.pop()
        if lines:
            yield lines
    if carry:
        yield [carry]


def scan(fd: int, start: int, end: int, signer: Signer, wanted: frozenset[int]) -> Stretch | None:
    """The stretch of bytes start to end if it is regular, else None (at its first irregular line)."""
    lines, first, seq, digest, found = 0, None, 0, b"", {}
    for block in iter_blocks(fd, start, end):
        index = 0
        if first is None:
            first = unseal(block[0], signer)
            if isinstance(first, str):
                return None
            lines, seq, digest, index = 1, first[0], first[2], 1
            if seq in wanted:
                found[seq] = digest.decode()
        while index < len(block):
            taken, seq, digest = follow(block, index, signer, seq, digest, wanted)
            if taken == index:
                return None
            lines, index = lines + taken - index, taken
            if seq in wanted:
                found[seq] = digest.decode()
    if first is None:
        return None
    return Stretch(lines, first, (seq, digest), found)


class Helper:
    """The second process checking bytes start to end of the open log `fd`; result() waits for its answer.
    It is sent the key and the seqs wanted as it starts, so it checks its stretch while verify reads the other."""

    def __init__(self, fd: int, start: int, end: int, log_key: bytes, wanted: frozenset[int]) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "audit.log.scan", str(fd), str(start), str(end)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, pass_fds=(fd,), cwd=_ROOT,
        )
        request = json.dumps({"key": log_key.hex(), "wanted": sorted(wanted)}).encode()
        try:  # the helper reads all of its input first, so this write does not wait on its work
            self._process.stdin.write(request)
            self._process.stdin.close()
        except OSError:  # it died at start: result() answers None and verify reads the stretch itself
            self._process.kill()

    def result(self) -> Stretch | None:
        """The stretch, or None when it is not regular or the helper failed (verify then reads it itself)."""
        try:
            out = self._process.stdout.read()
            self._process.stdout.close()
            self._process.wait()
        except OSError:
            self._process.kill()
            self._process.wait()
            return None
        if self._process.returncode != 0:
            return None
        answer = json.loads(out)
        if answer is None:
            return None
        first = answer["first"]
        return Stretch(answer["lines"], (first[0], first[1].encode(), first[2].encode()),
                       (answer["last"][0], answer["last"][1].encode()), {int(k): v for k, v in answer["found"].items()})


def main(argv: list[str]) -> None:
    fd, start, end = (int(arg) for arg in argv)
    request = json.loads(sys.stdin.buffer.read())
    stretch = scan(fd, start, end, Signer(bytes.fromhex(request["key"])), frozenset(request["wanted"]))
    answer = None if stretch is None else {
        "lines": stretch.lines, "first": [stretch.first[0], stretch.first[1].decode(), stretch.first[2].decode()],
        "last": [stretch.last[0], stretch.last[1].decode()], "found": stretch.found,
    }
    sys.stdout.write(json.dumps(answer))


if __name__ == "__main__":
    main(sys.argv[1:])
