"""Partition a results CSV on disk into parts of whole schools (and, for the archive, per examenjaar).

A national file does not fit the one-shot pipeline in bounded memory; its parts do. Every row of one
BRIN lands in the same part (a school's exams stay together: the exam key starts with the BRIN), and
each part keeps the original file's row numbers (``bron_rij``), so bevindingen still name the rows of the
file the user gave. Reading a part back gives exactly the RawTable slice the whole file would give.

One pass over the file, in constant memory: rows are buffered per part and appended to the part's
file when the buffer is full. A file without quotes is split as bytes (the fast path); a file with
quotes goes through the csv module, so quoted delimiters and line breaks stay inside their cell.
"""

from __future__ import annotations

import codecs
import csv
import io
import mmap
import os
import re
import zlib
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from examenbron.engine.errors import InputError, os_reason
from examenbron.engine.inputs.columns import EXAM_KEY

PART_BYTES = 24 * 1024 * 1024  # input bytes per part: ~25 000 candidates, a few hundred MB in the pipeline
_BLOCK_BYTES = 16 * 1024 * 1024  # input bytes handled at a time
_YEAR = re.compile(r"[1-9][0-9]{3}")
_BOM = b"\xef\xbb\xbf"
_LONE_CR = re.compile(rb"\r(?!\n)")
_SNIFF_BYTES = 64 * 1024
KEY_COLUMNS = EXAM_KEY


@dataclass(frozen=True)
class Part:
    """One part on disk: a CSV with the original header line and the original row number of each row."""

    csv: str
    rows: str            # int64 row numbers (numpy raw file), one per data row of ``csv``
    examenjaar: int | None


@dataclass(frozen=True)
class Plan:
    """The parts of one input file, and what the school year of the whole file is decided from."""

    source: str
    parts: list
    exams_per_year: Counter   # valid examenjaar -> number of distinct exam keys with that year


def partition(path, directory, *, mapping=None, per_year: bool = False, part_bytes: int = PART_BYTES) -> Plan:
    """Split the CSV ``path`` into parts under ``directory`` (which must exist).

    ``mapping`` as from engine.inputs.read.load_mapping; ``per_year`` also separates rows by their
    examenjaar (rows without a valid one go with the file's most frequent year). Raises InputError for
    a file that cannot be read as CSV or lacks required columns, like the one-shot reader.
    """
    source = str(path)
    try:
        size = os.stat(source).st_size
        with open(source, "rb") as fh:
            start = fh.read(_SNIFF_BYTES)
    except OSError as exc:
        raise InputError(f"{source}: kan het bestand niet openen ({os_reason(exc)})") from None
    lines = start.splitlines(keepends=True)
    leading = 0
    while leading < len(lines) and not lines[leading].strip(b" \t\r\n;," + _BOM):
        leading += 1
    if leading == len(lines):
        raise InputError(f"{source}: bestand is leeg (geen kopregel gevonden)")
    header_line = lines[leading]
    header_bytes = header_line.rstrip(b"\r\n").removeprefix(_BOM)
    delimiter = ";" if header_bytes.count(b";") >= header_bytes.count(b",") else ","
    encoding, errors = _encoding(source)
    headers = next(csv.reader([header_bytes.decode(encoding, errors)], delimiter=delimiter))
    positions = _key_positions(source, headers, mapping)
    skip = sum(len(line) for line in lines[:leading + 1])
    first_row = leading + 2
    parts = max(1, -(-size // part_bytes))
    with open(source, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
        quoted = data.find(b'"', skip) >= 0 or _LONE_CR.search(data, skip) is not None
    header = header_line.removeprefix(_BOM).rstrip(b"\r\n") + b"\n"
    if encoding == "cp1252":
        header = header.decode(encoding).encode("utf-8")
    elif errors == "surrogateescape":
        header = _BOM + header  # every part read as the whole file is: UTF-8, bad bytes kept per cell
    writer = _PartWriter(Path(directory), header, transcode="cp1252" if encoding == "cp1252" and not quoted else None)
    blocks = _quoted_blocks if quoted else _plain_blocks
    wanted = [positions[c] for c in KEY_COLUMNS]
    hashes_per_year = {}
    for numbers, columns, widths, lines in blocks(source, skip, delimiter, (encoding, errors), wanted, first_row):
        _check_widths(source, numbers, widths, lines, len(headers), delimiter)
        columns = dict(zip(KEY_COLUMNS, columns))
        brin_codes, brins = columns["brin"]
        part = np.array([zlib.crc32(b.upper().encode("utf-8")) % parts for b in brins], dtype=np.int64)[brin_codes]
        year_codes, year_texts = columns["examenjaar"]
        year = np.array([int(t) if _YEAR.fullmatch(t) else -1 for t in year_texts], dtype=np.int64)[year_codes]
        _count_exams(columns, year, hashes_per_year)
        writer.add(part, year if per_year else None, numbers, lines)
    parts_written = writer.close()
    years = Counter({y: len(np.unique(np.concatenate(h))) for y, h in hashes_per_year.items()})
    if per_year and years:
        parts_written = _merge_yearless(parts_written, max(sorted(years), key=years.__getitem__))
    return Plan(source, parts_written, years)


def _texts(values):
    """(codes, stripped text per unique) of one key column's cells."""
    codes, uniques = pd.factorize(np.asarray(values, dtype=object))
    return codes, [u.strip() for u in uniques]


def _field_texts(data, words8, begin, end, encoding):
    """(codes, stripped text per unique) of the cells data[begin:end], without slicing every cell:
    each cell is packed into a uint64 (its bytes up to 8 long, read through ``words8``, the 8 bytes
    starting at every offset of ``data``; longer cells a mix of their first 24 bytes and length), factorized, and only one cell per distinct value is decoded. Equal cells always get
    equal codes, so rows of one BRIN always go to one part."""
    length = end - begin
    words = 3 if length.max(initial=0) > 8 else 1
    key = length.astype(np.uint64) if words > 1 else np.zeros(len(begin), dtype=np.uint64)
    for w in range(words):
        size = np.clip(length - 8 * w, 0, 8).astype(np.uint64)
        mask = np.where(size == 8, np.uint64(2**64 - 1), (np.uint64(1) << (size * np.uint64(8))) - np.uint64(1))
        word = words8[np.minimum(begin + 8 * w, len(data))] & mask
        key = key * np.uint64(0x9E3779B97F4A7C15) ^ word if words > 1 else word
    codes, uniques = pd.factorize(key)
    first = np.empty(len(uniques), dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)
    return codes, [data[b:e].decode(encoding[0], "replace").strip()
                   for b, e in zip(begin[first].tolist(), end[first].tolist())]


def _count_exams(columns, year, hashes_per_year):
    """Add the distinct exam keys (hashed) of this block to their examenjaar's list."""
    key = np.zeros(len(year), dtype=np.uint64)
    for codes, texts in columns.values():
        hashed = pd.util.hash_array(np.asarray(texts, dtype=object)) if texts else np.zeros(0, np.uint64)
        key = key * np.uint64(1_000_003) ^ hashed[codes]
    for y in np.unique(year[year >= 0]):
        hashes_per_year.setdefault(int(y), []).append(np.unique(key[year == y]))


def _encoding(source: str) -> tuple:
    """(encoding, errors) as the reader decides for the whole file (engine.inputs.read._decode):
    strict UTF-8; UTF-8 keeping bad bytes when there is a BOM or any UTF-8 multi-byte sequence;
    else cp1252."""
    from examenbron.engine.inputs.read import _UTF8_MULTIBYTE
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with open(source, "rb") as fh:
            while block := fh.read(8 * 1024 * 1024):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        return "utf-8", "strict"
    except UnicodeDecodeError:
        pass
    with open(source, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
        if data[:3] == _BOM or _UTF8_MULTIBYTE.search(data):
            return "utf-8", "surrogateescape"
        try:
            codecs.decode(data, "cp1252")
        except UnicodeDecodeError:
            raise InputError(f"{source}: onbekende tekenset; sla het bestand op als UTF-8 (of Windows-1252)") from None
    return "cp1252", "strict"


def _check_widths(source, numbers, widths, lines, width, delimiter):
    """A row narrower or wider than the header is refused, as the reader refuses it (a blank one is no row)."""
    data, starts, stops = lines
    for i in np.flatnonzero(widths != width).tolist():
        text = data[starts[i]:stops[i]].decode("utf-8", "replace")
        if text.replace(delimiter, "").strip():
            from examenbron.engine.inputs.read import _ragged
            raise InputError(f"{source}: kan niet als CSV worden gelezen: {_ragged(int(numbers[i]), int(widths[i]), width)}")


def _key_positions(source, headers, mapping) -> dict:
    """Positions of the exam-key columns, with the same header resolution (and errors) as normalise."""
    from examenbron.engine.inputs.normalise import _resolve_columns
    from examenbron.engine.inputs.read import RawTable
    resolved = _resolve_columns(RawTable(source, headers, [], np.empty(0, np.int64)), mapping or {})
    return {c: resolved[c] for c in KEY_COLUMNS}


def _plain_blocks(source, skip, delimiter, encoding, wanted, first_row, block_bytes=_BLOCK_BYTES):
    """Blocks of (row numbers, key cells per wanted column as bytes, widths, raw lines) of a file
    without quotes, where one line is one row; blank lines are counted but are no row."""
    sep = ord(delimiter)
    number, rest = first_row, b""
    with open(source, "rb") as fh:
        fh.seek(skip)
        while True:
            chunk = fh.read(block_bytes)
            data = rest + chunk
            if not data:
                return
            cut = data.rfind(b"\n") + 1 if chunk else len(data)
            if cut == 0:
                rest = data
                continue
            data, rest = data[:cut], data[cut:]
            if not data.endswith(b"\n"):
                data += b"\n"
            arr = np.frombuffer(data, dtype=np.uint8)
            newline = np.flatnonzero(arr == 10)
            starts = np.concatenate([[0], newline[:-1] + 1])
            ends = newline - ((newline > starts) & (arr[newline - 1] == 13))
            numbers = np.arange(number, number + len(newline), dtype=np.int64)
            number += len(newline)
            rows = np.flatnonzero(ends > starts)
            starts, ends, newline, numbers = starts[rows], ends[rows], newline[rows], numbers[rows]
            seps = np.flatnonzero(arr == sep)
            padded = np.frombuffer(data + bytes(8), dtype=np.uint8)
            words = np.ndarray((len(data) + 1,), dtype="<u8", buffer=padded, strides=(1,))  # 8 bytes from each offset
            if not seps.size:  # no delimiter in the whole block: every row is one cell wide
                seps = np.array([len(arr)], dtype=np.int64)
            first, last = np.searchsorted(seps, starts), np.searchsorted(seps, ends)
            widths = last - first + 1
            cells = []
            for p in wanted:
                begin = np.where(widths > p, seps[np.minimum(first + p - 1, len(seps) - 1)] + 1 if p else starts, ends)
                end = np.where(widths > p + 1, seps[np.minimum(first + p, len(seps) - 1)], ends)
                cells.append(_field_texts(data, words, begin, end, encoding))
            lines = (data, starts, newline + 1)
            yield numbers, cells, widths, lines


def _quoted_blocks(source, skip, delimiter, encoding, wanted, first_row, block_rows=50_000):
    """The same blocks for a file with quotes, parsed by the csv module (rows re-written as UTF-8 CSV)."""
    with open(source, "rb") as raw:
        raw.seek(skip)
        text = io.TextIOWrapper(raw, encoding=encoding[0], errors=encoding[1], newline="")
        reader = csv.reader(text, delimiter=delimiter)
        block, line = [], 0
        try:
            for cells in reader:
                number, line = first_row + line, reader.line_num  # the line the row starts on
                if any(cells):  # a blank line is no row (the reader's blank row is dropped by normalise)
                    block.append((number, cells))
                if len(block) == block_rows:
                    yield _quoted_block(block, wanted, delimiter)
                    block = []
        except csv.Error as exc:
            raise InputError(f"{source}: kan niet als CSV worden gelezen: rij {first_row + line}: {exc}") from None
        if block:
            yield _quoted_block(block, wanted, delimiter)


def _quoted_block(block, wanted, delimiter):
    numbers = np.array([n for n, _ in block], dtype=np.int64)
    widths = np.array([len(c) for _, c in block], dtype=np.int64)
    columns = [_texts([c[p] if p < len(c) else "" for _, c in block]) for p in wanted]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    lines = []
    for _, c in block:
        writer.writerow(c)
        lines.append(out.getvalue().encode("utf-8", "surrogateescape"))
        out.seek(0)
        out.truncate()
    stops = np.cumsum([len(line) for line in lines], dtype=np.int64)
    data = b"".join(lines)
    return numbers, columns, widths, (data, np.concatenate([[0], stops[:-1]]), stops)


class _PartWriter:
    """Appends rows to the part files, a block at a time."""

    def __init__(self, directory: Path, header: bytes, transcode: str | None):
        self.directory, self.header = directory, header
        self.transcode = transcode  # the encoding of raw lines to re-encode as UTF-8, None to copy them
        self.names = {}

    def add(self, part, year, numbers, lines):
        """Append row i (bytes ``data[starts[i]:stops[i]]`` of ``lines``, file row ``numbers[i]``) to
        part ``part[i]`` (of examenjaar ``year[i]``); adjacent rows of one part are copied as one run."""
        data, starts, stops = lines
        key = part if year is None else (np.maximum(year, 0) << 20) + part
        n = len(key)
        if not n:
            return
        bounds = np.concatenate([[0], np.flatnonzero((key[1:] != key[:-1]) | (starts[1:] != stops[:-1])) + 1, [n]])
        run_start, run_end = bounds[:-1], bounds[1:]
        run_order = np.argsort(key[run_start], kind="stable")
        run_keys = key[run_start][run_order]
        groups = np.split(run_order, np.flatnonzero(np.diff(run_keys)) + 1)
        for runs in groups:
            first = run_start[runs[0]]
            name = self._name(None if year is None or year[first] < 0 else int(year[first]), int(part[first]))
            a, b = run_start[runs], run_end[runs]
            data_out = b"".join([data[s:e] for s, e in zip(starts[a].tolist(), stops[b - 1].tolist())])
            rows = np.concatenate([np.arange(x, y) for x, y in zip(a.tolist(), b.tolist())])
            if self.transcode:
                data_out = data_out.decode(self.transcode).encode("utf-8")
            with open(self.directory / f"{name}.csv", "ab") as out:
                out.write(data_out)
            with open(self.directory / f"{name}.rows", "ab") as out:
                out.write(numbers[rows].tobytes())

    def _name(self, year, index):
        key = (year, index)
        if key not in self.names:
            self.names[key] = f"deel-{'x' if year is None else year}-{index:04d}"
            (self.directory / f"{self.names[key]}.csv").write_bytes(self.header)
        return self.names[key]

    def close(self) -> list:
        return [Part(str(self.directory / f"{name}.csv"), str(self.directory / f"{name}.rows"), year)
                for (year, _), name in sorted(self.names.items(), key=lambda kv: (kv[0][0] is None, kv[0][0] or 0, kv[0][1]))]


def _merge_yearless(parts: list, year: int) -> list:
    """Parts of rows without a valid examenjaar are validated with the file's most frequent year."""
    return [replace(p, examenjaar=year) if p.examenjaar is None else p for p in parts]


def read_part(part: Part, source: str):
    """The part as the RawTable of its rows in the original file (source and row numbers of the original)."""
    from examenbron.engine.inputs.read import read_table
    raw = read_table(part.csv)
    rows = np.fromfile(part.rows, dtype=np.int64)
    if len(rows) != len(raw.bron_rij):
        raise InputError(f"{source}: deelbestand {part.csv} is onvolledig gelezen")
    return replace(raw, source=source, bron_rij=rows)
