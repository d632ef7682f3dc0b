"""Read a results file (CSV or XLSX) into raw text columns with their source row numbers.

Nothing is interpreted here: every cell is text exactly as in the file ("" when empty), held as a
pandas Categorical per column (engine.inputs.normalise parses each distinct text once).

The whole input is read into memory first (bounded by MAX_INPUT_BYTES), so a pipe, ``/dev/stdin``
or ``-`` is read completely and the same bytes are hashed for the export manifest. A FIFO or device
given by name is refused: opening it could wait forever or never end.

A regular UTF-8 CSV (header on the first line, no quotes, every row as wide as the header) is read
by pyarrow's multi-threaded CSV reader straight into dictionary-encoded columns, without ever
decoding the whole file in Python; a large one can also be read in byte ranges by several processes
at once (``csv_layout``, ``csv_ranges``, ``read_csv_range``). Anything else — cp1252, bytes that are not UTF-8, quoted cells,
blank lines before the header, ragged rows — goes through Python's csv module, which sees every
field exactly (NUL bytes included) and refuses a row that is narrower or wider than the header
instead of shifting its columns.

Cells that cannot be read faithfully are kept as text carrying a marker that normalise turns into
an afkeur bevinding for that row and column (see ``UNREADABLE``): bytes that are not valid UTF-8 in a
UTF-8 file, an XLSX formula without a stored result, a date outside what a datetime can hold.
"""

import csv
import datetime as dt
import hashlib
import io
import os
import re
import stat
import sys
import threading
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from examenbron.engine.inputs.columns import ALL_COLUMNS, mask_numbers
from examenbron.engine.errors import InputError, RuleError, os_reason, suggestion

# Limits (see docs/input-format.md, "Grenzen"): about four times a national file (2.2 million vak
# rows, ~270 MB), so real input never meets them while a hostile file is refused within seconds.
MAX_INPUT_BYTES = 1024 * 1024 * 1024
MAX_ROWS = 10_000_000
# XLSX is one school's file (Excel itself stops at 1 048 576 rows). Sizes are the uncompressed sizes
# the archive declares; zipfile never inflates an entry beyond its declared size.
MAX_XLSX_UNCOMPRESSED = 256 * 1024 * 1024
MAX_XLSX_SHARED_STRINGS = 32 * 1024 * 1024
MAX_XLSX_ROWS = 1_048_576
MAX_XLSX_CELLS = 10_000_000  # a sheet can claim a cell at column XFD on every row

STDIN = "-"
# A cell text starting with this character could not be read faithfully; the rest says why.
# U+FFFF is a Unicode noncharacter: it never occurs in real text.
UNREADABLE = "\uffff"

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old binary .xls
_BOM = b"\xef\xbb\xbf"
_ARROW_MIN_BYTES = 8 * 1024 * 1024  # a large file: hashed in a thread, may be read in byte ranges
# pyarrow reads a whole CSV of any size faster than the csv module (one school: 6 ms against 16 ms;
# pandas imports pyarrow anyway). Tests raise this to compare the two readers.
_ARROW_READ_MIN_BYTES = 0
_ARROW_BLOCK_BYTES = 4 * 1024 * 1024  # fewer dictionaries to unify than pyarrow's 1 MiB, still a block per core
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")
_LINE_END = re.compile(rb"\r|\n")
_BLANK_LINE = re.compile(rb"[ \t;,]*(?:\r\n|\n|\r)")
_FD_PATHS = re.compile(r"/dev/std(in|out|err)|/dev/fd/\d+|/proc/(self|\d+)/fd/\d+")
_XLSX_LIMITS = {"xl/sharedStrings.xml": MAX_XLSX_SHARED_STRINGS}


@dataclass(frozen=True)
class RawTable:
    """A file's cells as text: ``columns[i]`` holds the cells under ``headers[i]``."""

    source: str
    headers: list          # header cells as written in the file
    columns: list          # one pd.Categorical of str per header
    bron_rij: np.ndarray   # int64 file row of each data row (header row = 1 when it is the first line)
    sha256: str | None = None  # of the bytes read (None for a DataFrame)


def read_table(path, *, sheet=None) -> RawTable:
    """Read a CSV (``;`` or ``,``; UTF-8, UTF-8 with BOM or cp1252) or the first/named sheet of an XLSX.

    ``path`` may be ``-`` for standard input. ``sheet`` only applies to XLSX.
    Raises InputError when the file cannot be read.
    """
    source = "standaardinvoer" if str(path) == STDIN else str(path)
    data = read_input(path)
    digest = _Sha256(data)
    if data.startswith(_OLE_MAGIC):
        raise InputError(f"{source}: oud Excel-formaat (.xls) of een met wachtwoord beveiligd bestand; "
                         "sla het op als .xlsx zonder wachtwoord of als CSV")
    if data.startswith(_ZIP_MAGIC) or Path(source).suffix.lower() in (".xlsx", ".xlsm"):
        return replace(_read_xlsx(source, data, sheet), sha256=digest.hexdigest())
    sample = data[:4096]
    if sample.count(b"\x00") * 100 > len(sample):  # a stray NUL in a cell is a bevinding, not this
        raise InputError(f"{source}: geen CSV- of XLSX-bestand (bevat binaire gegevens, of is UTF-16; "
                         "sla het op als CSV in UTF-8)")
    return replace(_read_csv(source, data), sha256=digest.hexdigest())


class _Sha256(threading.Thread):
    """The sha256 of a large input, computed while it is parsed (hashlib releases the GIL)."""

    def __init__(self, data: bytes):
        super().__init__(daemon=True)
        self.data, self.digest = data, None
        if len(data) < _ARROW_MIN_BYTES:
            self.run()
        else:
            self.start()

    def run(self):
        self.digest = hashlib.sha256(self.data).hexdigest()

    def hexdigest(self) -> str:
        if self.digest is None:
            self.join()
        return self.digest


def read_input(path) -> bytes:
    """All bytes of a regular file, of standard input (``-``) or of an already open pipe.

    Refuses a named FIFO or a device (it could block or never end) and anything over MAX_INPUT_BYTES.
    """
    if str(path) == STDIN:
        return _read_limited(sys.stdin.buffer, "standaardinvoer")
    source = str(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise InputError(f"{source}: bestand niet gevonden") from None
    except OSError as exc:
        raise InputError(f"{source}: kan het bestand niet openen ({os_reason(exc)})") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(f"{source}: is een map, geen bestand")
    connected = stat.S_ISFIFO(info.st_mode) and _FD_PATHS.fullmatch(source)
    if not stat.S_ISREG(info.st_mode) and not connected:
        raise InputError(f"{source}: is geen gewoon bestand (een pipe of apparaat); geef een bestand op, "
                         "of '-' om van standaardinvoer te lezen")
    if info.st_size > MAX_INPUT_BYTES:
        raise InputError(f"{source}: bestand is groter dan {MAX_INPUT_BYTES // 2**20} MiB; "
                         "splits het bestand (bijvoorbeeld per vestiging)")
    try:
        with open(path, "rb") as handle:
            return _read_limited(handle, source)
    except OSError as exc:
        raise InputError(f"{source}: kan het bestand niet lezen ({os_reason(exc)})") from None


def _read_limited(handle, source: str) -> bytes:
    data = handle.read(MAX_INPUT_BYTES + 1)
    if len(data) > MAX_INPUT_BYTES:
        raise InputError(f"{source}: invoer is groter dan {MAX_INPUT_BYTES // 2**20} MiB; "
                         "splits het bestand (bijvoorbeeld per vestiging)")
    return data


def table_from_frame(frame: pd.DataFrame, source: str = "<DataFrame>") -> RawTable:
    """A DataFrame's cells as text, as if read from a file with the header on row 1.

    Cells are taken as written (``str``); missing values (None/NaN/NA) become empty cells.
    """
    columns = []
    for name in frame.columns:
        values = frame[name]
        text = values.astype(object).where(values.notna(), "").map(_cell_text)
        columns.append(pd.Categorical(text.to_numpy(dtype=object)))
    return RawTable(source, [str(name) for name in frame.columns], columns,
                    np.arange(2, len(frame) + 2, dtype=np.int64))


def _read_csv(source: str, data: bytes) -> RawTable:
    """Read a CSV; the delimiter is whichever of ``;`` and ``,`` occurs most in the header line."""
    fast = _read_csv_arrow(source, data)
    if fast is not None:
        return fast
    text = _decode(source, data)
    blank = re.match(r"(?:[ \t;,]*(?:\r\n|\n|\r))*", text)
    header_end = re.compile(r"\r|\n").search(text, blank.end())
    header_line = text[blank.end(): header_end.start() if header_end else len(text)]
    if not header_line.strip(" \t;,"):
        raise InputError(f"{source}: bestand is leeg (geen kopregel gevonden)")
    delimiter = _delimiter(header_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    headers, records, starts, line = None, [], [], 0
    try:
        for record in reader:
            start, line = line + 1, reader.line_num
            if headers is None:
                if any(field.strip(" \t") for field in record):
                    headers, width = record, len(record)
                continue
            if len(record) != width:
                if any(field.strip() for field in record):
                    raise InputError(f"{source}: kan niet als CSV worden gelezen: {_ragged(start, len(record), width)}")
                record = [""] * width
            records.append(record)
            starts.append(start)
            if len(records) > MAX_ROWS:
                raise InputError(f"{source}: meer dan {MAX_ROWS:,} rijen; splits het bestand".replace(",", "."))
    except csv.Error as exc:
        raise InputError(f"{source}: kan niet als CSV worden gelezen: rij {line + 1}: {exc}") from None
    if headers is None:
        raise InputError(f"{source}: bestand is leeg (geen kopregel gevonden)")
    transposed = list(zip(*records)) if records else [()] * width
    columns = [pd.Categorical(np.array(cells, dtype=object)) for cells in transposed]
    return RawTable(source, headers, columns, np.array(starts, dtype=np.int64))


def _delimiter(header_line: str) -> str:
    return ";" if header_line.count(";") >= header_line.count(",") else ","


def _ragged(row: int, fields: int, width: int) -> str:
    """Why a row that is narrower or wider than the header is refused (never shifted into other columns)."""
    why = ("scheidingsteken in een waarde zonder aanhalingstekens, of een scheidingsteken te veel aan het eind?"
           if fields > width else "ontbrekende velden of een regelovergang in een waarde zonder aanhalingstekens?")
    return f"rij {row} heeft {fields} velden, de kopregel {width} ({why})"


def _decode(source: str, data: bytes) -> str:
    """The text of a CSV: UTF-8 (without BOM) when it is valid UTF-8.

    A file that is UTF-8 apart from a few bad bytes stays UTF-8: the bad bytes become lone surrogates
    (``surrogateescape``) that normalise reports per cell, instead of re-decoding the whole file as
    cp1252 and exporting mangled text. A file without any UTF-8 multi-byte sequence is cp1252.
    """
    body = data.removeprefix(_BOM)
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if data.startswith(_BOM) or _UTF8_MULTIBYTE.search(body):
        return body.decode("utf-8", "surrogateescape")
    try:
        return body.decode("cp1252")
    except UnicodeDecodeError:
        raise InputError(f"{source}: onbekende tekenset; sla het bestand op als UTF-8 (of Windows-1252)") from None


def _read_csv_arrow(source: str, data: bytes) -> RawTable | None:
    """The fast path for a UTF-8 CSV; None when the file needs the general reader.

    Taken when the header is on the first line and the file holds no quote, so that one line is one
    row: then it gives the table the general reader gives (a blank line is a row of empty cells with
    its own number in both). pyarrow refuses bytes that are not valid UTF-8 and a row narrower or
    wider than the header; the general reader then reads the file and says what is wrong.
    """
    if len(data) < _ARROW_READ_MIN_BYTES or b'"' in data:
        return None
    body = data.removeprefix(_BOM)
    header = _first_line_header(body, 0)
    try:
        import pyarrow  # noqa: F401 - the fast path needs it
    except ImportError:
        return None
    if header is None:
        return None
    headers, delimiter, _ = header
    read = _arrow_columns(body, delimiter, len(headers), skip_rows=1)
    if read is None:
        return None
    columns, rows = read
    if rows > MAX_ROWS:
        raise InputError(f"{source}: meer dan {MAX_ROWS:,} rijen; splits het bestand".replace(",", "."))
    return RawTable(source, headers, columns, np.arange(2, 2 + rows, dtype=np.int64))


def _arrow_columns(body: bytes, delimiter: str, width: int, *, skip_rows: int) -> tuple[list, int] | None:
    """pyarrow's read of CSV bytes without quotes into one Categorical per column and the number of
    rows; None when pyarrow refuses them (bytes that are not UTF-8, a row narrower or wider than
    ``width``), so that the general reader says what is wrong."""
    import pyarrow as pa
    from pyarrow import csv as pacsv
    names = [str(i) for i in range(width)]
    text = pa.dictionary(pa.int32(), pa.string())
    try:
        table = pacsv.read_csv(
            pa.py_buffer(body),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=skip_rows, block_size=_ARROW_BLOCK_BYTES),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, quote_char=False, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(column_types={n: text for n in names}, strings_can_be_null=False,
                                                 quoted_strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    table = table.unify_dictionaries()
    columns = []
    for i in range(table.num_columns):  # one dictionary per column now: its indices are the codes
        cells = table.column(i).combine_chunks()
        columns.append(pd.Categorical.from_codes(cells.indices.to_numpy(),
                                                 cells.dictionary.to_numpy(zero_copy_only=False), validate=False))
    rows = table.num_rows
    del table, cells
    pa.default_memory_pool().release_unused()  # the parser's buffers (~2x the file) back to the system
    return columns, rows


@dataclass(frozen=True)
class CsvLayout:
    """Where the rows of a CSV that the fast path can read in ranges start (``body``: byte offset of
    the first data row), its header cells and delimiter, and its size in bytes."""

    source: str
    headers: list
    delimiter: str
    body: int
    size: int


def csv_layout(path) -> CsvLayout | None:
    """The layout of a regular file that pyarrow's fast path may read in byte ranges, from its first
    line alone; None when the whole file must be read by `read_table` (small, not UTF-8 at the start,
    XLSX, a blank first line, a header that does not end in a line feed, too large: `read_table`
    then says what is wrong, if anything)."""
    source = str(path)
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode) or not _ARROW_MIN_BYTES <= info.st_size <= MAX_INPUT_BYTES:
            return None
        with open(path, "rb") as handle:
            head = handle.read(1024 * 1024)
    except OSError:
        return None
    header = _first_line_header(head, len(_BOM) if head.startswith(_BOM) else 0)
    if (header is None or head.startswith((_ZIP_MAGIC, _OLE_MAGIC))
            or head[:4096].count(b"\x00") * 100 > len(head[:4096]) or b'"' in head[:header[2]]):
        return None
    headers, delimiter, end = header
    body = end + (2 if head[end:end + 2] == b"\r\n" else 1)
    if head[body - 1:body] != b"\n":
        return None  # a header ending in a lone carriage return
    return CsvLayout(source, headers, delimiter, body, info.st_size)


def _first_line_header(data: bytes, start: int) -> tuple[list, str, int] | None:
    """The header cells, delimiter and end offset of the first line of ``data`` from ``start``, as the
    fast path reads it (no quotes: split on the delimiter, exactly what csv.reader gives); None when
    the first line is blank, the only line, or not UTF-8."""
    header_end = _LINE_END.search(data, start)
    if header_end is None or _BLANK_LINE.match(data, start):
        return None
    try:
        header_line = data[start:header_end.start()].decode("utf-8")
    except UnicodeDecodeError:
        return None
    delimiter = _delimiter(header_line)
    return header_line.split(delimiter), delimiter, header_end.start()


def csv_ranges(path, layout: CsvLayout, parts: int) -> list[tuple[int, int]]:
    """The data rows of ``layout``'s file as at most ``parts`` byte ranges of about equal size, each
    ending just after a line feed (or at the end of the file)."""
    import mmap
    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as view:
        cuts, start = [], layout.body
        for k in range(1, parts):
            at = view.find(b"\n", max(start, layout.body + (layout.size - layout.body) * k // parts))
            if at < 0 or at + 1 >= layout.size:
                break
            cuts.append((start, at + 1))
            start = at + 1
    return cuts + [(start, layout.size)] if start < layout.size else cuts


def read_csv_range(path, layout: CsvLayout, start: int, end: int) -> RawTable | None:
    """The rows in bytes ``start:end`` of ``layout``'s file (from `csv_ranges`), numbered from 0 in
    ``bron_rij`` (the caller adds the rows before the range); None when the range needs the general
    reader (quotes, bytes that are not UTF-8, ragged rows: `read_table` then reads the whole file)."""
    with open(path, "rb") as handle:
        handle.seek(start)
        body = handle.read(end - start)
    if b'"' in body or len(body) != end - start:
        return None
    read = _arrow_columns(body, layout.delimiter, len(layout.headers), skip_rows=0)
    if read is None:
        return None
    columns, rows = read
    return RawTable(layout.source, layout.headers, columns, np.arange(rows, dtype=np.int64))


def _read_xlsx(source: str, data: bytes, sheet) -> RawTable:
    """Read the first (or the named) sheet; the first non-empty row is the header.

    The archive is checked against the size limits before any part is parsed, and openpyxl parses
    through defusedxml (no DTDs or entities). Any failure of the parser on a malformed part is an
    InputError: the file comes from outside and its structure cannot be trusted.
    """
    import openpyxl  # imported lazily: CSV users do not pay for it

    formulas = _check_archive(source, data)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        raw_formulas = (openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
                        if formulas else None)
    except Exception as exc:  # noqa: BLE001 - any parser failure on untrusted input is "unreadable"
        raise InputError(f"{source}: geen leesbaar XLSX-bestand ({_reason(exc)})") from None
    try:
        worksheet = _worksheet(source, workbook, sheet)
        rows = _sheet_rows(source, worksheet, _worksheet(source, raw_formulas, sheet) if raw_formulas else None)
    finally:
        workbook.close()
        if raw_formulas is not None:
            raw_formulas.close()
    if not rows:
        raise InputError(f"{source}: het tabblad is leeg (geen kopregel gevonden)")
    header_row, header = rows[0]
    width = len(header)
    headers = [_cell_text(cell) for cell in header]
    body = rows[1:]
    columns = [np.empty(len(body), dtype=object) for _ in range(width)]
    for i, (number, row) in enumerate(body):
        for j in range(width):
            columns[j][i] = row[j] if j < len(row) else ""
        if len(row) > width and any(c.strip() for c in row[width:]):
            raise InputError(f"{source}: rij {number} heeft waarden buiten de kolommen van de kopregel (rij {header_row})")
    return RawTable(source, headers, [pd.Categorical(c) for c in columns],
                    np.array([number for number, _ in body], dtype=np.int64))


def _check_archive(source: str, data: bytes) -> bool:
    """Refuse an archive over the size limits; return whether any sheet holds formulas."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            total = sum(info.file_size for info in infos)
            too_big = [info.filename for info in infos if info.file_size > _XLSX_LIMITS.get(info.filename, total)]
            if total > MAX_XLSX_UNCOMPRESSED or too_big:
                raise InputError(f"{source}: XLSX-bestand is uitgepakt te groot ({total // 2**20} MiB"
                                 f"{', ' + too_big[0] if too_big else ''}; grens {MAX_XLSX_UNCOMPRESSED // 2**20} MiB, "
                                 f"gedeelde teksten {MAX_XLSX_SHARED_STRINGS // 2**20} MiB)")
            sheets = [i.filename for i in infos if i.filename.startswith("xl/worksheets/")]
            return any(re.search(rb"<(?:\w+:)?f[\s>/]", archive.read(name)) for name in sheets)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError, ValueError) as exc:
        raise InputError(f"{source}: geen leesbaar XLSX-bestand ({_reason(exc)})") from None


def _worksheet(source: str, workbook, sheet):
    if not workbook.sheetnames:
        raise InputError(f"{source}: geen leesbaar XLSX-bestand (de werkmap heeft geen tabbladen)")
    if sheet is None:
        return workbook.worksheets[0]
    if sheet in workbook.sheetnames:
        return workbook[sheet]
    names = ", ".join(repr(n) for n in workbook.sheetnames)
    raise InputError(f"{source}: tabblad {sheet!r} bestaat niet; beschikbare tabbladen: {names}")


def _sheet_rows(source: str, worksheet, raw_sheet) -> list:
    """Non-empty rows as (row number, cell texts); a formula without a stored result is UNREADABLE."""
    rows, cells = [], 0
    try:
        for ws in (worksheet, raw_sheet):
            if ws is not None and hasattr(ws, "reset_dimensions"):
                ws.reset_dimensions()  # never pad rows to a dimension the file merely claims
        values = worksheet.iter_rows(values_only=True)
        raw = raw_sheet.iter_rows(values_only=True) if raw_sheet is not None else None
        for number, row in enumerate(values, 1):
            formulas = next(raw, ()) if raw is not None else ()
            cells += len(row)
            if number > MAX_XLSX_ROWS or cells > MAX_XLSX_CELLS:
                raise InputError(f"{source}: het tabblad heeft meer dan {MAX_XLSX_ROWS:,} rijen of {MAX_XLSX_CELLS:,} cellen; "
                                 "splits het bestand".replace(",", "."))
            texts = [_cell_text(cell) for cell in row]
            for j, formula in enumerate(formulas):
                if row[j] is None and isinstance(formula, str) and formula.startswith("="):
                    texts[j] = UNREADABLE + "formule zonder opgeslagen uitkomst (open en bewaar het bestand in Excel)"
            if any(t.strip() for t in texts):
                rows.append((number, texts))
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - see _read_xlsx
        raise InputError(f"{source}: geen leesbaar XLSX-bestand ({_reason(exc)})") from None
    return rows


def _reason(exc: Exception) -> str:
    """A parser's complaint, short and without data values that could hold personal numbers."""
    text = mask_numbers(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    return text[:200]


def _cell_text(value) -> str:
    """Turn an XLSX cell value into text without losing leading digits or decimals (353 -> '353', 6.5 -> '6.5')."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


_YAML_PROBLEMS = (  # the strict loader's rule-file texts, as a school administrator reads them for a mapping
    ("geen geldige YAML: ", ""),
    ("ankers en verwijzingen", "ankers en verwijzingen (&naam / *naam) zijn niet toegestaan; schrijf de waarde uit"),
    ("de YAML-tag", "YAML-tags (!!...) zijn niet toegestaan"),
    ("de sleutel", "een kolomkop staat er twee keer in"),
    ("een sleutel moet tekst zijn", "een kolomkop moet tekst zijn"),
)


def load_mapping(path) -> dict:
    """Load a column-mapping YAML file ``their header: canonical name``; keys are matched case-insensitively.

    Read with the strict loader of the rule files (no anchors/aliases, no tags, no duplicate keys).
    Raises InputError naming the file and the problem when the file is missing or invalid.
    """
    from examenbron.engine.rulesets import yamlsource

    source = str(path)
    if not Path(path).exists():
        raise InputError(f"{source}: koppelbestand niet gevonden")
    if not Path(path).is_file():
        raise InputError(f"{source}: koppelbestand is geen gewoon bestand")
    if Path(path).stat().st_size > 1024 * 1024:
        raise InputError(f"{source}: koppelbestand is groter dan 1 MiB")
    try:
        data = yamlsource.load(path, display_name=source) if Path(path).stat().st_size else None
    except RuleError as exc:
        prefix = ":".join(str(p) for p in (exc.file, exc.line, exc.column) if p is not None)
        problem = str(exc)[len(prefix) + 2:] if prefix else str(exc)
        for fragment, for_mapping in _YAML_PROBLEMS:
            if problem.startswith(fragment):
                problem = problem[len(fragment):] if not for_mapping else for_mapping
                break
        where = f" (regel {exc.line}, kolom {exc.column})" if exc.line else ""
        raise InputError(f"{source}: geen geldige YAML{where}: {problem}") from None
    return check_mapping(data, source)


def mapping_of(mapping) -> dict | None:
    """A column mapping given as a YAML path or a dict ``{their header: canonical}``, checked (None stays None)."""
    if isinstance(mapping, dict):
        return check_mapping(mapping, "kolomkoppeling")
    return None if mapping is None else load_mapping(mapping)


def check_mapping(data, source: str) -> dict:
    """Validate a mapping ``{their header: canonical name}``; return it with normalised keys."""
    if not isinstance(data, dict) or not data:
        raise InputError(f"{source}: een koppelbestand moet regels 'kolomkop in uw bestand: canonieke naam' bevatten")
    mapping = {}
    for their, canonical in data.items():
        if isinstance(their, (dict, list)) or their is None:
            raise InputError(f"{source}: ongeldige kolomkop {their!r}; verwacht tekst")
        if not isinstance(canonical, str) or canonical.strip().lower() not in ALL_COLUMNS:
            hint = did_you_mean(str(canonical), ALL_COLUMNS)
            raise InputError(
                f"{source}: kolomkop {str(their)!r} wijst naar {canonical!r}, dat is geen bekende kolomnaam{hint}. "
                f"Bekende namen: {', '.join(ALL_COLUMNS)}"
            )
        key, target = normalise_header(str(their)), canonical.strip().lower()
        if mapping.get(key, target) != target:
            raise InputError(f"{source}: kolomkop {str(their)!r} staat er twee keer in met verschillende namen")
        mapping[key] = target
    return mapping


def normalise_header(header: str) -> str:
    """Header comparison form: case-insensitive, surrounding whitespace ignored."""
    return header.strip().lower()


def did_you_mean(name: str, candidates) -> str:
    """Return " (bedoelde u 'x'?)" for a close candidate, else ""."""
    return suggestion(normalise_header(name), candidates, form=" ({})")

