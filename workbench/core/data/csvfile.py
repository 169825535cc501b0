"""Reading a CSV file as people have them: the raw header and rows as strings, nothing typed yet.

- Encoding: UTF-8 with or without a byte-order mark, UTF-16 with a BOM (Excel's "Unicode text"),
  else Windows-1252 / Latin-1 (every byte decodes).
- Dialect (delimiter ``,`` ``;`` tab ``|`` and the quote character) detected with CleverCSV, whose
  data-consistency measure gets real files right where ``csv.Sniffer`` gives up (it cannot tell
  the delimiter of the IMDB reviews file, whose quoted texts are full of commas); the standard
  library's C reader then parses the whole file with that dialect (quoted newlines included,
  fields of any size).
- Blank lines are skipped; empty header names become "column N", repeated ones "name (2)"; an
  unnamed column that is empty in every row (a trailing delimiter) is dropped; a row with another
  number of values than the header is an error naming its line, unless the extra values are empty.
- Every file problem is a DataError with one sentence: missing file, a folder, no permission,
  empty file, no data rows.
"""
from __future__ import annotations

import codecs
import csv
import io
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from workbench.core.errors import DataError

DELIMITERS = (",", ";", "\t", "|")
SNIFF_CHARS = 65536  # characters the dialect is detected from (about 0.2 s at most)
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}


@dataclass
class RawTable:
    """A CSV file's header and rows as strings, with where each row came from."""

    path: Path
    header: list[str]
    rows: list[list[str]]  # every row has len(header) values
    lines: list[int]  # the file line each row starts on
    delimiter: str
    quotechar: str
    encoding: str
    notes: list[str] = field(default_factory=list)  # what was repaired, for the summary

    @property
    def file(self) -> str:
        return self.path.name

    def column(self, j: int) -> list[str]:
        return [r[j] for r in self.rows]

    def describe_dialect(self) -> str:
        return f"{_DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))}-separated, {self.encoding}"


def _read_bytes(p: Path) -> bytes:
    if not p.exists():
        raise DataError(f"The file {str(p)!r} does not exist; check the path.")
    if p.is_dir():
        raise DataError(f"{str(p)!r} is a folder, not a CSV file; choose the CSV file inside it.")
    from workbench.core.media import read_regular_bytes

    return read_regular_bytes(p, "CSV file")  # a FIFO or a link to a device is refused, never waited on


def decode(raw: bytes) -> tuple[str, str]:
    """(text, encoding name) for UTF-8 (BOM or not), UTF-16 with a BOM, else cp1252 / Latin-1."""
    if raw.startswith(codecs.BOM_UTF16_LE) or raw.startswith(codecs.BOM_UTF16_BE):
        try:
            return raw.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            pass
    try:
        bom = raw.startswith(codecs.BOM_UTF8)
        return raw.decode("utf-8-sig"), "UTF-8 with BOM" if bom else "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:  # the five bytes cp1252 leaves undefined
        return raw.decode("latin-1"), "Latin-1"


def _sample(text: str) -> str:
    if len(text) <= SNIFF_CHARS:
        return text
    cut = text.rfind("\n", 0, SNIFF_CHARS)
    return text[: cut if cut > 0 else SNIFF_CHARS]


def detect_dialect(text: str, suffix: str = "") -> tuple[str, str]:
    """(delimiter, quote character) of a CSV text; a file with a single column gets ","."""
    sample = _sample(text)
    try:
        import clevercsv

        d = clevercsv.Detector().detect(sample, delimiters=list(DELIMITERS))
        if d is not None and d.delimiter in DELIMITERS:
            return d.delimiter, d.quotechar or '"'
    except Exception:  # noqa: BLE001 - detection is a guess; fall back to the standard library's
        pass
    try:
        d = csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS))
        return d.delimiter, d.quotechar or '"'
    except csv.Error:
        pass
    first = sample.splitlines()[0] if sample.strip() else ""
    counts = {c: first.count(c) for c in DELIMITERS}
    best = max(counts, key=counts.get)
    if counts[best]:
        return best, '"'
    return ("\t" if suffix == ".tsv" else ","), '"'


def _unique_header(names: list[str]) -> tuple[list[str], list[str]]:
    notes = []
    out: list[str] = []
    for j, raw in enumerate(names):
        name = raw.strip()
        if not name:
            name = f"column {j + 1}"
            notes.append(f"Column {j + 1} has no name in the header; it is called {name!r}.")
        out.append(name)
    seen: dict[str, int] = {}
    lowered = [n.lower() for n in out]
    for j, name in enumerate(out):
        if lowered.count(name.lower()) > 1:
            seen[name.lower()] = seen.get(name.lower(), 0) + 1
            if seen[name.lower()] > 1:
                new = f"{name} ({seen[name.lower()]})"
                while new.lower() in lowered:
                    new += "'"
                notes.append(f"The header repeats the name {name!r}; column {j + 1} is called {new!r}.")
                out[j] = new
                lowered[j] = new.lower()
    return out, notes


def read_csv_file(path: str | os.PathLike) -> RawTable:
    """Read a CSV file into a RawTable (see the module docstring for what is coped with)."""
    p = Path(path).expanduser()
    text, encoding = decode(_read_bytes(p))
    if not text.strip():
        raise DataError(f"The file {str(p)!r} is empty; it needs a header row and data rows.")
    delimiter, quotechar = detect_dialect(text, p.suffix.lower())
    # one field may hold a whole review or a log: allow fields as long as the file
    if csv.field_size_limit() < len(text) + 1:
        csv.field_size_limit(min(sys.maxsize, 2**31 - 1, max(len(text) + 1, 131072)))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar=quotechar,
                        doublequote=True, skipinitialspace=False, strict=False)
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    trimmed = 0
    start = 1
    try:
        for fields in reader:
            line_no, start = start, reader.line_num + 1
            if not fields or all(not f.strip() for f in fields):
                continue
            if header is None:
                header = fields
                continue
            n = len(header)
            if len(fields) != n:
                extra_empty = len(fields) > n and not any(f.strip() for f in fields[n:])
                if not extra_empty:  # a short row is shifted data more often than a missing tail
                    raise DataError(
                        f"Line {line_no} of {p.name} has {len(fields)} values but the header has {n} columns; "
                        f"fix that line (quote values that contain {_DELIMITER_NAMES.get(delimiter, delimiter)}s).")
                fields = fields[:n]
                trimmed += 1
            rows.append(fields)
            lines.append(line_no)
    except csv.Error as e:
        raise DataError(f"{p.name} cannot be read as CSV near line {reader.line_num} ({e}); check the quoting "
                        "there.") from None
    if header is None:
        raise DataError(f"The file {str(p)!r} is empty; it needs a header row and data rows.")
    if not rows:
        raise DataError(f"The file {p.name} has a header but no data rows.")
    notes: list[str] = []
    # a trailing delimiter makes an unnamed column with nothing in it: not a column at all
    keep = [j for j, name in enumerate(header) if name.strip() or any(r[j].strip() for r in rows)]
    if len(keep) < len(header):
        header = [header[j] for j in keep]
        rows = [[r[j] for j in keep] for r in rows]
    header, renamed = _unique_header(header)
    notes += renamed
    if trimmed:
        notes.append(f"{trimmed} row(s) of {p.name} end with empty values beyond the last column; they are ignored.")
    return RawTable(p, header, rows, lines, delimiter, quotechar, encoding, notes)
