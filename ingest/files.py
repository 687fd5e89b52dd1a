"""The four input files: which are there, whether they are safe to open, and staging them as text.

Everything a file can get wrong as a whole (not a regular file, not UTF-8, no header, an unknown, missing
or repeated column, a nested Parquet column, a quote never closed) is an `IngestError`: one line naming
the file, nothing loaded. The kind of each file is checked before the writer lock is taken, so a FIFO or a
device named claims.csv is refused at once instead of hanging while other writers wait.
"""
from __future__ import annotations

import csv
import errno
import io
import os
import stat
import unicodedata
import weakref
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from ingest.remittance_stage import INPUT_PREFIX
from ingest.sql_files import sql, sql_template
from ingest.x12 import SNIFF_BYTES, X12_SUFFIXES, looks_like_x12

TABLES = ("claims", "claim_codes", "audit_findings", "denials")
HEADER_MAX_BYTES = 64 * 1024  # a header of the format is a few hundred bytes
INPUT_MAX_BYTES = 2 << 30  # 2 GiB: about 10 million claim rows, beyond what the stager holds in memory


class IngestError(ValueError):
    """The batch cannot be loaded at all; the store is unchanged. The message says what to fix."""


@dataclass(frozen=True)
class FileSpec:
    table: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional

    @property
    def raw(self) -> str:
        """Its staging table (TEMP, in the ingest's in-memory connection)."""
        return f"raw_{self.table}"

    @property
    def checked(self) -> str:
        """Its validated table: every staged row, normalised, with the first rule it breaks."""
        return f"v_{self.table}"


# The allow-list: every table and column name SQL is built with comes from here.
SPECS = {
    "claims": FileSpec(
        "claims",
        ("claim_id", "facility_id", "payer", "coder_id", "encounter_type", "service_date", "billed_amount"),
        ("patient_mrn", "patient_name", "patient_dob", "patient_zip", "discharge_date", "ms_drg", "patient_sex",
         "discharge_status", "paid_amount", "allowed_amount"),
    ),
    "claim_codes": FileSpec("claim_codes", ("claim_id", "line", "code_type", "code"), ("poa", "modifiers", "units")),
    "audit_findings": FileSpec(
        "audit_findings",
        ("claim_id", "review_id", "auditor_id", "review_date", "code_type", "finding"),
        ("submitted_code", "audited_code", "error_category", "dollar_impact"),
    ),
    "denials": FileSpec(
        "denials",
        ("claim_id", "payer", "remit_date", "group_code", "carc", "denied_amount"),
        ("rarc", "appeal_status"),
    ),
}

_CSV_ERRORS = {
    "MISSING COLUMNS": "the row has fewer fields than the header",
    "TOO MANY COLUMNS": "the row has more fields than the header",
    "UNQUOTED VALUE": "a field has a stray quote character",
    "UNCLOSED QUOTE": "a quoted value is never closed",  # ours: an UNQUOTED VALUE whose last quote opens a field
    "LINE SIZE OVER MAXIMUM": "the row is longer than the reader's line limit",
    "INVALID ENCODING": "the row is not valid UTF-8",
}
RECORD_MAX_CHARS = 8192  # a record of the format is at most about 2,100 characters (20 values of 100)
RECORD_TOO_LONG = f"the record is longer than {RECORD_MAX_CHARS:,} characters (only its first {RECORD_MAX_CHARS:,} are kept)"
_READER_TEXT_MAX = 10_000  # DuckDB keeps at most this many characters of a record it could not parse
_NESTED = ("STRUCT", "MAP", "UNION", "[]")


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


@dataclass(frozen=True)
class InputFile:
    """One input file, opened once (`find_inputs`) and read only through that descriptor, so what was
    checked is what is read: a file swapped for a FIFO, a link or another file after the check is not
    read. The stager process inherits the descriptor (same number); DuckDB's readers open it again as
    /proc/self/fd/N, which is the same open file. The writer's copy is closed when it is no longer used."""

    name: str
    fd: int
    size: int

    def __post_init__(self) -> None:
        weakref.finalize(self, os.close, self.fd)  # not run again when the stager unpickles its copy

    @property
    def suffix(self) -> str:
        return Path(self.name).suffix

    @property
    def reader_path(self) -> str:
        return f"/proc/self/fd/{self.fd}"

    def head(self, size: int) -> bytes:
        """The first `size` bytes, read without moving the descriptor's offset."""
        return os.pread(self.fd, size, 0)


def _open_input(folder: int, name: str) -> InputFile:
    """Open `name` in the folder `folder` once, not following a symbolic link and without blocking (a FIFO
    opens at once), then check what was opened: a regular file, not empty, not over INPUT_MAX_BYTES."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=folder)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise IngestError(f"{name} is a symbolic link: copy the file itself into the folder (a link can be "
                              "changed to point elsewhere between the check and the read); nothing was loaded.") from None
        raise IngestError(f"{name} cannot be read ({exc.strerror}): check the file and its permissions.") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise IngestError(f"{name} is {_kind(st.st_mode)}, not a regular file: give the file itself; nothing was loaded.")
        if st.st_size == 0:
            raise IngestError(f"{name} is empty: it needs at least a header line.")
        if st.st_size > INPUT_MAX_BYTES:
            raise IngestError(f"{name} is larger than {INPUT_MAX_BYTES >> 30} GiB, the limit of one input file: split the "
                              "batch into several folders and ingest them one after another; nothing was loaded.")
    except BaseException:
        os.close(fd)
        raise
    return InputFile(name, fd, st.st_size)


def find_inputs(src: Path) -> dict[str, InputFile]:
    """The input files of folder `src`, by table, each opened once and checked (`_open_input`). The folder
    is opened once too, and every file is opened in it."""
    try:
        folder = os.open(src, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        raise IngestError(f"{src} is not a folder: give the folder that holds claims.csv and the other files.") from None
    found: dict[str, InputFile] = {}
    try:
        for table in TABLES:
            present = [f"{table}{suffix}" for suffix in (".csv", ".parquet") if _entry_exists(folder, f"{table}{suffix}")]
            if len(present) == 2:
                raise IngestError(f"{src} holds both {table}.csv and {table}.parquet: keep one so it is clear which to load.")
            if present:
                found[table] = _open_input(folder, present[0])
        found |= _remittance_inputs(folder)
    finally:
        os.close(folder)
    if not found:
        raise IngestError(f"{src} holds none of {', '.join(t + '.csv' for t in TABLES)} (or .parquet), nor an X12 835 "
                          "file (.835, .edi, .x12, or .txt starting with ISA): nothing to ingest.")
    return found


def _remittance_inputs(folder: int) -> dict[str, InputFile]:
    """The folder's X12 835 files (docs/FORMAT.md): every .835, .edi and .x12 file, which must start with an
    ISA segment, and every .txt file that does."""
    found: dict[str, InputFile] = {}
    for name in sorted(os.listdir(folder)):
        suffix = Path(name).suffix.lower()
        if suffix not in (*X12_SUFFIXES, ".txt") or name.startswith("."):
            continue
        if suffix == ".txt" and os.stat(name, dir_fd=folder, follow_symlinks=False).st_size == 0:
            continue  # an empty note is no remittance
        source = _open_input(folder, name)
        if looks_like_x12(source.head(SNIFF_BYTES)):
            found[INPUT_PREFIX + name] = source
        elif suffix != ".txt":
            raise IngestError(f"{name} does not start with an ISA segment, so it is not an X12 interchange: remove it "
                              "from the folder or give the payer's 835 file as received; nothing was loaded.")
    return found


def _entry_exists(folder: int, name: str) -> bool:
    try:
        os.stat(name, dir_fd=folder, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return True


def header_name(name: str) -> str:
    """A header name as matched: without a byte-order mark or other invisible format characters (zero-width
    space, word joiner), any kind of space (NBSP) read as a space, trimmed, lower case."""
    visible = (" " if unicodedata.category(c) == "Zs" else c for c in name if unicodedata.category(c) != "Cf")
    return "".join(visible).strip().lower()


def _looks_like(name: str, spec: FileSpec) -> str:
    """A known column `name` may be meant as (same letters and digits), named as an allow-listed name only."""
    squeezed = "".join(c for c in name if c.isalnum())
    meant = [column for column in spec.columns if column.replace("_", "") == squeezed]
    return f" It looks like {meant[0]} written differently." if meant else ""


def _check_header(source: InputFile, names: list[str], spec: FileSpec) -> list[str]:
    """The header's names, matched (`header_name`), when they are the format's. A name that is not is never
    quoted, only placed (its position and length): headers are mislabelled, and a data row taken for a
    header is PHI."""
    cleaned = [header_name(n) for n in names]
    unknown = [i for i, n in enumerate(cleaned) if n not in spec.columns]
    if unknown and not set(spec.required) <= set(cleaned):
        raise IngestError(
            f"{source.name}: the first line is not a header of known columns (column {unknown[0] + 1} is not one). "
            f"The header must name the columns, e.g. {', '.join(spec.required)}; nothing was loaded."
        )
    if unknown:
        name = cleaned[unknown[0]]
        what = f"({len(name)} characters) is not a known column" if name else "is empty (a comma at the end of the header line?)"
        raise IngestError(
            f"{source.name}: column {unknown[0] + 1} of the header {what}."
            f"{_looks_like(name, spec)} Known columns: {', '.join(spec.columns)}. Remove or rename it; nothing was "
            "loaded (an unexpected column could carry PHI into the store)."
        )
    dupes = sorted({n for n in cleaned if cleaned.count(n) > 1})
    if dupes:
        raise IngestError(f"{source.name}: column '{dupes[0]}' appears twice in the header; nothing was loaded.")
    missing = [n for n in spec.required if n not in cleaned]
    if missing:
        raise IngestError(f"{source.name}: required column '{missing[0]}' is missing; nothing was loaded.")
    return cleaned


def _csv_header(source: InputFile) -> list[str]:
    """The header fields, read from at most HEADER_MAX_BYTES: a first line longer than that (a file with no
    line break at all, say) is not a header."""
    head = source.head(HEADER_MAX_BYTES)
    end = head.find(b"\n")
    if b"\r" in head[: end if end >= 0 else len(head)].rstrip(b"\r"):
        raise IngestError(f"{source.name}: its lines end with a carriage return (CR) alone, which this format does not "
                          "read; save it with LF or CRLF line endings (\"Windows\" or \"Unix\" CSV). Nothing was loaded.")
    if end < 0 and len(head) == HEADER_MAX_BYTES:
        raise IngestError(f"{source.name}: the first line is longer than {HEADER_MAX_BYTES // 1024} KiB, so it is not a header "
                          "of known columns; nothing was loaded.")
    try:
        text = head[: end if end >= 0 else len(head)].decode("utf-8")
    except UnicodeDecodeError:
        raise IngestError(f"{source.name} is not UTF-8 text: save it as UTF-8 CSV.") from None
    try:
        return next(csv.reader(io.StringIO(text)), [])
    except csv.Error:  # its text names no value, but a sentence of ours is clearer
        raise IngestError(f"{source.name}: the header line could not be read as CSV; check its quotes. "
                          "Nothing was loaded.") from None


def bounded_reject(line: int, reason: str, raw: str) -> tuple[int, str, str]:
    """A reject as stored: a record longer than RECORD_MAX_CHARS (as kept: the text the reader could not
    split, or the values of a row it did split, as JSON) is rejected for its length, whatever else it
    breaks, and only its first RECORD_MAX_CHARS characters are kept (sealed). So no record is kept cut
    without saying so, and one huge row cannot fill the store."""
    if len(raw) > RECORD_MAX_CHARS:
        return line, RECORD_TOO_LONG, raw[:RECORD_MAX_CHARS]
    return line, reason, raw


def _never_closed(text: str) -> bool:
    """The record's last quote (not counting doubled ones) opens a field, so the quoted value runs to the
    end of what the reader took: `B,"Ada` but not `"O\\"Brien"` (a stray quote after a closed one)."""
    undoubled = text.replace('""', "")
    last = undoubled.rfind('"')
    return last >= 0 and (last == 0 or undoubled[last - 1] in ",\r\n")


def _reader_kind(kind: str, text: str) -> str:
    return "UNCLOSED QUOTE" if kind == "UNQUOTED VALUE" and _never_closed(text) else kind


def _opens_unclosed_quote(kind: str, text: str) -> bool:
    """A quote never closed makes the reader take the rest of the file as one record: then the file fails
    (rows would be lost); on the last line it is the row's reject. Any other error of a record with a
    quoted line break (too many fields, a stray quote after a closed one) is the row's too."""
    multi_line = "\n" in text.rstrip("\r\n")
    return kind == "UNCLOSED QUOTE" and (multi_line or len(text) >= _READER_TEXT_MAX)


def _stage_csv(con: duckdb.DuckDBPyConnection, spec: FileSpec, source: InputFile) -> list[tuple[int, str, str]]:
    names = _check_header(source, _csv_header(source), spec)
    names_sql = {"raw": spec.raw, "rejects": f"rej_{spec.table}", "rejects_scan": f"scan_{spec.table}"}
    con.execute(sql_template("ingest/raw_read_csv", **names_sql), {
        "path": source.reader_path, "columns": dict.fromkeys(names, "VARCHAR"),
        "max_line_size": max(source.size + 1, 2 << 20),
    })
    found = con.execute(sql_template("ingest/csv_rejects", rejects=names_sql["rejects"])).fetchall()
    errors = [(line, _reader_kind(kind, text or ""), text) for line, kind, text in found]
    for line, kind, text in errors:
        if _opens_unclosed_quote(kind, text or ""):
            raise IngestError(
                f"{source.name} line {line} opens a quote that is never closed, so the rest of the file cannot be "
                "read row by row; nothing was loaded. Close the quote (a quote inside a value is written \"\") and ingest again."
            )
    con.execute(sql_template("ingest/raw_number_lines", raw=spec.raw, rejects=names_sql["rejects"]))
    _add_missing_columns(con, spec, names)
    return [(int(line), _CSV_ERRORS.get(kind, "the row could not be read as CSV"), text or "") for line, kind, text in errors]


def _stage_parquet(con: duckdb.DuckDBPyConnection, spec: FileSpec, source: InputFile) -> None:
    names = pq.read_schema(source.reader_path).names  # the file's own names: DuckDB renames a repeated one
    _check_header(source, names, spec)
    if [header_name(n) for n in names] != names:
        raise IngestError(f"{source.name}: Parquet column names must be lower case without spaces, as in docs/FORMAT.md.")
    described = con.execute(sql("ingest/parquet_columns"), {"path": source.reader_path}).fetchall()
    nested = [name for name, kind in described if any(mark in kind.upper() for mark in _NESTED)]
    if nested:
        raise IngestError(f"{source.name}: column '{nested[0]}' holds nested values (a list, struct or map); every column "
                          "must hold plain text, numbers or dates. Nothing was loaded.")
    con.execute(sql_template("ingest/raw_read_parquet", raw=spec.raw), {"path": source.reader_path})
    _add_missing_columns(con, spec, names)


def _add_missing_columns(con: duckdb.DuckDBPyConnection, spec: FileSpec, present: list[str]) -> None:
    for column in spec.columns:
        if column not in present:
            con.execute(sql_template("ingest/raw_add_column", raw=spec.raw, column=column))


def stage(con: duckdb.DuckDBPyConnection, spec: FileSpec, source: InputFile | None) -> list[tuple[int, str, str]]:
    """Create TEMP table raw_<table> (src_line + every column of the format, as text) from `source`, or empty
    when the batch has no such file. Returns the rows the CSV reader itself could not parse, as (line,
    reason, raw text)."""
    if source is None:
        con.execute(sql_template("ingest/raw_empty", raw=spec.raw))
        _add_missing_columns(con, spec, [])
        return []
    try:
        if source.suffix == ".csv":
            return _stage_csv(con, spec, source)
        _stage_parquet(con, spec, source)
        return []
    except (duckdb.Error, pa.ArrowException) as exc:
        raise IngestError(f"{source.name} {_reader_problem(exc, source)}; nothing was loaded. Fix or export the file "
                          "again and ingest again.") from None


def _reader_problem(exc: Exception, source: InputFile) -> str:
    """The kind of a reader's error in our words: its own text quotes the value it failed on (PHI)."""
    text = str(exc).lower()
    if any(mark in text for mark in ("utf8", "utf-8", "unicode", "string encoding")):
        return "holds text that is not valid UTF-8"
    if "state machine" in text:  # what DuckDB's strict reader says of a carriage return outside quotes
        return ("could not be read as CSV: most often its line endings are mixed (LF and CRLF) or a carriage return "
                "(CR) stands alone; save it with one kind of line ending")
    if isinstance(exc, duckdb.ConversionException | duckdb.OutOfRangeException):
        return "holds a date, time or number outside the range that can be read"
    return f"could not be read as {'CSV' if source.suffix == '.csv' else 'Parquet'} ({type(exc).__name__})"
