"""A frame's claim keys as one array: put in frame order, hashed and stored without a Python string per claim.

A claim key is 24 lower-case hexadecimal digits (a pseudonym), so N keys are an (N, 24) array of ASCII bytes.
At two million claims, strings one by one (a list, a join, zlib) took seconds; these array operations take
milliseconds and give the same bytes:
- `frame_order`: service date, then claim key, as the frame is defined (docs/SAMPLING.md). Equal-length
  lower-case hex keys sort as their digits' values, so one stable integer sort on (days since the earliest
  date, then as many leading key bits as fit) orders almost everything; entries left tied on that prefix
  are put in order by their whole key.
- `hashed_lines`: each key and a line feed, the frame's SHA-256 input.
- `pack` / `unpack`: the stored form of a frame (the `frame` blob of a sample): a marker, then each key's 12
  bytes (its 24 digits two to a byte). Samples stored before it hold zlib of the hashed bytes; `unpack`
  reads both (a zlib stream never starts with the marker's first byte).
"""
from __future__ import annotations

import codecs
import zlib
from collections.abc import Sequence

import numpy as np
import pyarrow as pa

KEY_DIGITS = 24
PACKED_MARKER = b"FRAME-KEYS-12\n"
_HEX = b"0123456789abcdef"


def _digit_pairs() -> np.ndarray:
    """A byte -> its two lower-case hexadecimal digits, read as one little-endian uint16."""
    return np.array([_HEX[value >> 4] | _HEX[value & 0x0F] << 8 for value in range(256)], dtype=np.uint16)


_TO_DIGITS = _digit_pairs()


class KeyFormatError(ValueError):
    """The store gave a claim key that is not 24 lower-case hexadecimal digits."""


def key_binary(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """The keys of an Arrow string column as an (N, 12) uint8 array: each key's 24 digits, two to a byte, the
    first digit high (so rows compare as the keys do). `bytes.fromhex` decodes the digits in C (a third of the
    time of a table lookup per digit pair) and refuses anything that is not a hexadecimal digit; upper-case
    digits, which it accepts, are refused by their one clear bit: every lower-case digit and letter has 0x20 set."""
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if len(array) == 0:
        return np.zeros((0, KEY_DIGITS // 2), dtype=np.uint8)
    if array.type != pa.large_string():
        array = array.cast(pa.string())
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int32 if array.type == pa.string() else np.int64)
    offsets = offsets[array.offset:array.offset + len(array) + 1]
    if array.null_count or not (np.diff(offsets) == KEY_DIGITS).all():
        raise KeyFormatError("A claim key in the store is not 24 hexadecimal digits; rebuild the store with "
                             "`python manage.py ingest`.")
    start = int(offsets[0])
    digits = memoryview(array.buffers()[2])[start:start + KEY_DIGITS * len(array)]
    try:
        binary = np.frombuffer(bytes.fromhex(codecs.ascii_decode(digits)[0]), dtype=np.uint8)
    except (UnicodeDecodeError, ValueError):
        binary = None
    words = np.frombuffer(digits, dtype=np.uint64)  # 24 digits a key: a whole number of 8-byte words
    if (binary is None or len(binary) != KEY_DIGITS // 2 * len(array)  # fromhex skips spaces
            or int(np.bitwise_and.reduce(words)) & _LOWER_BITS != _LOWER_BITS):
        raise KeyFormatError("A claim key in the store is not lower-case hexadecimal; rebuild the store with "
                             "`python manage.py ingest`.")
    return binary.reshape(-1, KEY_DIGITS // 2)


_LOWER_BITS = int.from_bytes(b"\x20" * 8, "little")


def frame_order(days: np.ndarray, binary: np.ndarray) -> np.ndarray:
    """Indices that put entries in frame order: `days` (service date as a day number), then key."""
    count = len(days)
    if count == 0:
        return np.zeros(0, dtype=np.int64)
    prefix = np.ascontiguousarray(binary[:, :8]).view(">u8").ravel().astype(np.uint64)
    offset = days.astype(np.int64) - int(days.min())
    date_bits = int(offset.max()).bit_length()
    combined = (offset.astype(np.uint64) << np.uint64(64 - date_bits)) | (prefix >> np.uint64(date_bits)) \
        if date_bits else prefix
    order = np.argsort(combined)
    ordered = combined[order]
    tied = np.flatnonzero(ordered[1:] == ordered[:-1])
    for start in tied[np.r_[True, np.diff(tied) > 1]] if tied.size else ():
        end = start + 1
        while end < count and ordered[end] == ordered[start]:
            end += 1
        group = order[start:end]
        order[start:end] = group[np.argsort([binary[i].tobytes() for i in group], kind="stable")]
    return order


def rows_in(binary: np.ndarray, order: np.ndarray) -> np.ndarray:
    """`binary[order]`, each key moved as one 12-byte item (half the time of indexing the rows of a 2-D array)."""
    width = binary.shape[1]
    return np.ascontiguousarray(binary).view(f"V{width}").ravel()[order].view(np.uint8).reshape(-1, width)


def hashed_lines(binary: np.ndarray) -> np.ndarray:
    """(N, 25) ASCII: each key's digits and a line feed, in the array's order (the frame's SHA-256 input)."""
    lines = np.empty((len(binary), KEY_DIGITS + 1), dtype=np.uint8)
    lines[:, :KEY_DIGITS] = _TO_DIGITS[binary].view(np.uint8).reshape(-1, KEY_DIGITS)
    lines[:, KEY_DIGITS] = 0x0A
    return lines


def key_text(row: np.ndarray) -> str:
    return row.tobytes().hex()


def pack(binary: np.ndarray) -> bytes:
    return PACKED_MARKER + binary.tobytes()


def hashed_bytes(blob: bytes) -> bytes:
    """The bytes a stored frame's SHA-256 is taken over (each key and a line feed, in frame order), from the
    packed form or (stored before packing) zlib of those bytes."""
    if not blob.startswith(PACKED_MARKER):
        return zlib.decompress(blob)
    binary = np.frombuffer(blob, dtype=np.uint8, offset=len(PACKED_MARKER)).reshape(-1, KEY_DIGITS // 2)
    return hashed_lines(binary).tobytes()


def unpack(blob: bytes) -> list[str]:
    """The keys of a stored frame, packed or (stored before packing) zlib of the hashed bytes."""
    return hashed_bytes(blob).decode("ascii").splitlines()


def numbers_text(values: Sequence[int] | np.ndarray) -> bytes:
    """Whole numbers of zero or more, one a line (decimal, no leading zeros), built as an array."""
    numbers = np.asarray(values, dtype=np.int64)
    if numbers.size == 0:
        return b""
    width = len(str(int(numbers.max())))
    digits = np.empty((len(numbers), width + 1), dtype=np.uint8)
    rest = numbers.copy()
    for column in range(width - 1, -1, -1):
        digits[:, column] = 0x30 + rest % 10
        rest //= 10
    digits[:, width] = 0x0A
    if width == 1:
        return digits.tobytes()[:-1]
    places = np.ones(len(numbers), dtype=np.int64) + sum((numbers >= 10**power).astype(np.int64) for power in range(1, width))
    used = np.ones_like(digits, dtype=bool)
    used[:, :width] = np.arange(width)[None, :] >= (width - places)[:, None]
    return digits[used].tobytes()[:-1]
