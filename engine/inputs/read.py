"""Read a results file (CSV or XLSX) into raw text columns with their source row numbers.

Nothing is interpreted here: every cell is text exactly as in the file ("" when empty), held as a
pandas Categorical per column (the parser factorizes while reading, which is as fast as reading
plain strings and lets engine.inputs.normalise parse each distinct text once).

A regular UTF-8 CSV (header on the first line, no blank lines, every row as wide as the header) is
read by pyarrow's multi-threaded CSV reader straight into dictionary-encoded columns, about three
times faster than pandas on a national file. Anything else — cp1252, blank lines, ragged rows, quoted
line breaks — goes through pandas' C parser, whose messages name the row; both give the same RawTable.
"""

import csv
import datetime as dt
import difflib
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from examenbron.engine.inputs.columns import ALL_COLUMNS
from examenbron.engine.errors import InputError

_SNIFF_BYTES = 64 * 1024
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old binary .xls
_BOM = b"\xef\xbb\xbf"
_ARROW_MIN_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class RawTable:
    """A file's cells as text: ``columns[i]`` holds the cells under ``headers[i]``."""

    source: str
    headers: list          # header cells as written in the file
    columns: list          # one pd.Categorical of str per header
    bron_rij: np.ndarray   # int64 file row of each data row (header row = 1 when it is the first line)


def read_table(path, *, sheet=None) -> RawTable:
    """Read a CSV (``;`` or ``,``; UTF-8, UTF-8 with BOM or cp1252) or the first/named sheet of an XLSX.

    ``sheet`` only applies to XLSX. Raises InputError when the file cannot be read.
    """
    source = str(path)
    try:
        with open(path, "rb") as handle:
            start = handle.read(_SNIFF_BYTES)
    except FileNotFoundError:
        raise InputError(f"{source}: bestand niet gevonden") from None
    except IsADirectoryError:
        raise InputError(f"{source}: is een map, geen bestand") from None
    except OSError as exc:
        raise InputError(f"{source}: kan het bestand niet openen ({exc.strerror or exc})") from None
    if start.startswith(_OLE_MAGIC):
        raise InputError(f"{source}: oud Excel-formaat (.xls) of een met wachtwoord beveiligd bestand; "
                         "sla het op als .xlsx zonder wachtwoord of als CSV")
    if start.startswith(_ZIP_MAGIC) or Path(source).suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(source, sheet)
    if b"\x00" in start:
        raise InputError(f"{source}: geen CSV- of XLSX-bestand (bevat binaire gegevens)")
    return _read_csv(source, start)


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


def _read_csv(source: str, start: bytes) -> RawTable:
    """Read a CSV; the delimiter is whichever of ``;`` and ``,`` occurs most in the header line."""
    lines = start.splitlines()
    leading = 0
    while leading < len(lines) and not lines[leading].strip(b" \t\r\n;," + _BOM):
        leading += 1
    if leading == len(lines):
        raise InputError(f"{source}: bestand is leeg (geen kopregel gevonden)")
    header_bytes = lines[leading].removeprefix(_BOM)
    delimiter = ";" if header_bytes.count(b";") >= header_bytes.count(b",") else ","
    if leading == 0:
        fast = _read_csv_arrow(source, header_bytes, delimiter)
        if fast is not None:
            return fast
    for encoding in ("utf-8", "cp1252"):
        try:
            header_text = header_bytes.decode(encoding)
            headers = next(csv.reader([header_text], delimiter=delimiter))
            frame = pd.read_csv(
                source, sep=delimiter, header=None, names=list(range(len(headers))),
                skiprows=leading + 1, dtype="category", keep_default_na=False, na_filter=False,
                skip_blank_lines=False, engine="c", encoding=encoding,
            )
            break
        except UnicodeDecodeError:
            continue
        except (pd.errors.ParserError, ValueError, csv.Error) as exc:
            raise InputError(f"{source}: kan niet als CSV worden gelezen: {_parser_problem(exc)}") from None
    else:
        raise InputError(f"{source}: onbekende tekenset; sla het bestand op als UTF-8 (of Windows-1252)")
    first_data_row = leading + 2
    columns = [frame[i].array for i in range(len(headers))]
    return RawTable(source, headers, columns, np.arange(first_data_row, first_data_row + len(frame), dtype=np.int64))


def _read_csv_arrow(source: str, header_bytes: bytes, delimiter: str) -> RawTable | None:
    """The fast path for a large regular UTF-8 CSV; None when the file needs the general reader.

    Small files (one school) skip it: importing pyarrow costs more than it saves there.
    """
    if Path(source).stat().st_size < _ARROW_MIN_BYTES:
        return None
    try:
        import pyarrow as pa
        from pyarrow import csv as pacsv
    except ImportError:
        return None
    try:
        headers = next(csv.reader([header_bytes.decode("utf-8")], delimiter=delimiter))
        data = Path(source).read_bytes()
    except (UnicodeDecodeError, OSError, csv.Error, StopIteration):
        return None
    if b"\n\n" in data or b"\n\r\n" in data or b'"' in data:
        return None  # blank lines or quoting: the general reader keeps exact row numbers
    names = [str(i) for i in range(len(headers))]
    text = pa.dictionary(pa.int32(), pa.string())
    try:
        table = pacsv.read_csv(
            pa.py_buffer(data),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, quote_char=False, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(column_types={n: text for n in names}, strings_can_be_null=False,
                                                 quoted_strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    del data  # the table holds its own buffers; convert without keeping two copies
    frame = table.to_pandas(self_destruct=True, split_blocks=True)
    del table
    columns = [frame[name].array for name in names]
    return RawTable(source, headers, columns, np.arange(2, 2 + len(frame), dtype=np.int64))


def _parser_problem(exc: Exception) -> str:
    """The CSV parser's complaint in Dutch where we recognise it."""
    fields = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
    if fields:
        expected, line, saw = fields.groups()
        return f"rij {line} heeft {saw} velden, de kopregel {expected} (scheidingsteken in een waarde zonder aanhalingstekens?)"
    return str(exc).strip()


def _read_xlsx(source: str, sheet) -> RawTable:
    """Read the first (or the named) sheet; the first non-empty row is the header."""
    import openpyxl  # imported lazily: CSV users do not pay for it
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = openpyxl.load_workbook(source, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError, TypeError) as exc:
        raise InputError(f"{source}: geen leesbaar XLSX-bestand ({exc})") from None
    try:
        if sheet is None:
            worksheet = workbook.worksheets[0]
        elif sheet in workbook.sheetnames:
            worksheet = workbook[sheet]
        else:
            names = ", ".join(repr(n) for n in workbook.sheetnames)
            raise InputError(f"{source}: tabblad {sheet!r} bestaat niet; beschikbare tabbladen: {names}")
        try:
            rows = [(number, row) for number, row in enumerate(worksheet.iter_rows(min_row=1, values_only=True), 1)
                    if any(cell is not None and str(cell).strip() for cell in row)]
        except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
            raise InputError(f"{source}: geen leesbaar XLSX-bestand ({exc})") from None
    finally:
        workbook.close()
    if not rows:
        raise InputError(f"{source}: het tabblad is leeg (geen kopregel gevonden)")
    header_row, header = rows[0]
    width = len(header)
    headers = [_cell_text(cell) for cell in header]
    body = rows[1:]
    columns = [np.empty(len(body), dtype=object) for _ in range(width)]
    for i, (_, row) in enumerate(body):
        for j in range(width):
            columns[j][i] = _cell_text(row[j]) if j < len(row) else ""
        if len(row) > width and any(c is not None and str(c).strip() for c in row[width:]):
            raise InputError(f"{source}: rij {body[i][0]} heeft waarden buiten de kolommen van de kopregel (rij {header_row})")
    return RawTable(source, headers, [pd.Categorical(c) for c in columns],
                    np.array([number for number, _ in body], dtype=np.int64))


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


def load_mapping(path) -> dict:
    """Load a column-mapping YAML file ``their header: canonical name``; keys are matched case-insensitively.

    Raises InputError naming the file and the problem when the file is missing or invalid.
    """
    source = str(path)
    try:
        with open(path, "rb") as handle:
            data = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except FileNotFoundError:
        raise InputError(f"{source}: koppelbestand niet gevonden") from None
    except OSError as exc:
        raise InputError(f"{source}: kan het koppelbestand niet openen ({exc.strerror or exc})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (regel {mark.line + 1}, kolom {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(f"{source}: geen geldige YAML{where}: {problem}") from None
    return check_mapping(data, source)


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
    """Return " (bedoelt u 'x'?)" for a close candidate, else ""."""
    close = difflib.get_close_matches(normalise_header(name), list(candidates), n=1, cutoff=0.6)
    return f" (bedoelt u {close[0]!r}?)" if close else ""

