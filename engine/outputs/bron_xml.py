"""Build examenresultaat messages and validate them against the project's XSD (lxml).

The element names are examenbron's mapping of the legal field list (bron.md §3.1); DUO's
webservice XSD is not public. See docs/export.md for the mapping.
"""

import copy
import re
import threading
from pathlib import Path

import numpy as np
import pandas as pd
from lxml import etree

from examenbron.engine.inputs.columns import COLUMNS

SCHEMA_VERSION = "1.0"
NAMESPACE = f"urn:examenbron:examenresultaat:{SCHEMA_VERSION}"
SCHEMA_FILE = Path(__file__).parent / "schemas" / f"examenresultaat-{SCHEMA_VERSION}.xsd"

# Order of the values build_message() expects (see engine.outputs.export for where they come from).
EXAM_FIELDS = (
    "bsn", "onderwijsnummer", "leerlingnummer", "brin", "vestiging", "onderwijsaanbieder",
    "opleidingscode", "examenjaar", "datum_uitslag", "uitslag", "werkstuk_titel",
    "werkstuk_cijfer", "werkstuk_beoordeling", "combinatiecijfer",
)
VAK_FIELDS = (
    "vakcode", "diplomavak", "combinatiecijfer_vak", "examendeel", "se_beoordeling", "se_cijfer",
    "ce1", "ce2", "ce3", "eindcijfer1", "eindcijfer2", "eindcijfer3", "eindcijfer", "certificaat",
)


class InvalidMessage(ValueError):
    """A message that the XSD (or XML itself) refuses; the text names the element and the reason."""


_PER_THREAD = threading.local()   # an XMLSchema keeps its error log: one per thread
_BUILDING = threading.Lock()      # libxml2 sets up its built-in XSD types lazily and not thread-safely:
                                  # writer threads starting together crashed or failed building theirs


def schema() -> etree.XMLSchema:
    """The versioned XSD, parsed once per thread."""
    if not hasattr(_PER_THREAD, "schema"):
        with _BUILDING:
            _PER_THREAD.schema = etree.XMLSchema(etree.parse(str(SCHEMA_FILE)))
    return _PER_THREAD.schema


def tienden(value):
    """A grade in tenths as 3 positions (65 -> '065'); out-of-range values stay visible to the XSD."""
    return None if value is None else f"{value:03d}"


def heel(value):
    """A grade in tenths as a whole grade of 2 positions (70 -> '07').

    A value that is not whole is rendered as e.g. '6,5', which the XSD refuses: nothing is rounded here.
    """
    if value is None:
        return None
    sign = "-" if value < 0 else ""
    whole, tenth = divmod(abs(value), 10)
    return f"{sign}{whole:02d}" + (f",{tenth}" if tenth else "")


def jn(value):
    """True/False/None as 'J'/'N'/absent."""
    return None if value is None else ("J" if value else "N")


_INVALID_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_NEEDS_CARE = re.compile("[^\t\n\x20-\x25\x27-\x3b\x3d\x3f-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")  # refused or escaped
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})


def _line(indent: str, name: str, text: str) -> str:
    """`<name>text</name>` on its own line, escaped as lxml writes it."""
    if _INVALID_CHAR.search(text):
        raise InvalidMessage(f"{name}: de waarde bevat een stuurteken of ander teken dat XML niet toestaat")
    return f"{indent}<{name}>{text.translate(_ESCAPES)}</{name}>\n"


class _Lines(dict):
    """value -> its element line ('' for None), formatted once per distinct value.

    Grades, codes and J/N flags have few distinct values, so almost every lookup is a dict hit;
    unique values (leerlingnummer, titel) are formatted every time and not kept.
    """

    def __init__(self, name: str, indent: str, fmt=None, keep: bool = True):
        super().__init__({None: ""})
        self.name, self.indent, self.fmt, self.keep = name, indent, fmt, keep
        self.open, self.close = f"{indent}<{name}>", f"</{name}>\n"

    def lines_of(self, values: list) -> list:
        """The line of each value, None for a value XML cannot hold (build_message raises for it).

        Unique texts without a character to escape or refuse (one search over all of them) are
        put between the tags directly; everything else goes through the cache."""
        if not self.keep and self.fmt is None:
            try:
                plain = not _NEEDS_CARE.search("\n".join(v for v in values if v is not None))
            except TypeError:  # not all text: the cache raises as build_message does
                plain = False
            if plain:
                return ["" if v is None else self.open + v + self.close for v in values]
        lines = []
        for value in values:
            try:
                lines.append(self[value])
            except InvalidMessage:
                lines.append(None)
        return lines

    def __missing__(self, value):
        text = value if self.fmt is None else self.fmt(value)
        line = "" if text is None else _line(self.indent, self.name, text)
        if self.keep and len(self) < 100_000:
            self[value] = line
        return line


def _whole(value):
    return f"{value:02d}"


def _element(field: str) -> str:
    """The element name of an EXAM_FIELDS/VAK_FIELDS field: the last step of its path in the column
    registry; eindcijfer1-3 (derived, not input columns) are elements of the same name."""
    return COLUMNS[field].xml.rsplit("/", 1)[-1] if field in COLUMNS else field


# How each field's value becomes element text (None: the text as it is); unique values are not kept.
_FORMAT = {"examenjaar": lambda v: f"{v:04d}", "werkstuk_cijfer": tienden, "combinatiecijfer": heel,
           "diplomavak": jn, "combinatiecijfer_vak": jn, "certificaat": jn, "se_cijfer": tienden,
           "ce1": tienden, "ce2": tienden, "ce3": tienden, "eindcijfer1": _whole, "eindcijfer2": _whole,
           "eindcijfer3": _whole, "eindcijfer": heel}
_UNIQUE = {"bsn", "onderwijsnummer", "leerlingnummer", "werkstuk_titel"}


def _lines(field: str, indent: str) -> _Lines:
    return _Lines(_element(field), indent, _FORMAT.get(field), keep=field not in _UNIQUE)


_LINES = {field: _lines(field, "    " if field.startswith("werkstuk_") or field in ("bsn", "onderwijsnummer") else "  ")
          for field in EXAM_FIELDS}
_VAK_LINES = tuple(_lines(field, "    ") for field in VAK_FIELDS)
_LINES.update(zip(VAK_FIELDS, _VAK_LINES))


def build_message(exam, vakken) -> bytes:
    """Serialise one candidate exam (a tuple in EXAM_FIELDS order, vakken tuples in VAK_FIELDS
    order) to UTF-8 XML bytes, laid out exactly as lxml's pretty printer does (build_messages for
    one exam). Raises InvalidMessage, naming the element, for a character XML cannot hold.
    """
    rows = [tuple(vak) for vak in vakken]
    columns = list(zip(*rows)) if rows else [()] * len(VAK_FIELDS)
    data = build_messages({f: _objects([value]) for f, value in zip(EXAM_FIELDS, exam)},
                          {f: _objects(values) for f, values in zip(VAK_FIELDS, columns)},
                          np.array([0]), np.array([len(rows)]))[0]
    if data is None:  # find the first refused value in document order: its line raises
        values = dict(zip(EXAM_FIELDS, exam))
        for field in ("bsn" if values["bsn"] is not None else "onderwijsnummer",) + EXAM_FIELDS[2:]:
            _LINES[field][values[field]]
        for vak in rows:
            for lines, value in zip(_VAK_LINES, vak):
                lines[value]
    return data


def _objects(values) -> np.ndarray:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


_HEAD = f"<?xml version='1.0' encoding='UTF-8'?>\n<examenresultaat xmlns=\"{NAMESPACE}\">\n"
_TAIL = "</examenresultaat>\n"


def element_lines(field: str, values) -> tuple[np.ndarray, np.ndarray | None]:
    """The line build_message writes for each value of `field` (an array, NA for absent; '' when
    absent) and a mask of the values XML cannot hold (None when there are none; their line is '').
    Each distinct value is formatted once (pandas.factorize)."""
    codes, table, bad = _distinct_lines(field, values)
    return table[codes], None if bad is None else bad[codes]


def _distinct_lines(field: str, values) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(codes, table, bad): the line of each distinct value of `field` (table; its last entry is ''
    for absent), the index of each value's line (NA: -1) and the mask of the table's values XML
    cannot hold (None when there are none; their line is '')."""
    codes, uniques = pd.factorize(values)   # NA -> -1, the last entry of the table
    table = np.empty(len(uniques) + 1, dtype=object)
    distinct = uniques.tolist() if isinstance(uniques, np.ndarray) else uniques.to_numpy(dtype=object).tolist()
    table[:-1] = _LINES[field].lines_of(distinct)
    table[-1] = ""
    bad = table == None  # noqa: E711 (element-wise)
    if not bad.any():
        return codes, table, None
    table[bad] = ""
    return codes, table, bad


def build_messages(exams: dict, vakken: dict, starts, ends) -> list:
    """build_message for many candidate exams at once, column by column.

    `exams` maps each EXAM_FIELDS field to an array with the exams' values, `vakken` each
    VAK_FIELDS field to an array of vak rows; exam j's vakken are rows starts[j]:ends[j], in
    message order. Returns each exam's message bytes (the same bytes as build_message), or None
    for an exam with a value XML cannot hold (build_message raises InvalidMessage naming it).
    """
    return _built(exams, vakken, starts, ends)[0]


def checked_messages(exams: dict, vakken: dict, starts, ends) -> tuple[list, list]:
    """build_messages, and for each message whether it is known to be valid against the XSD without
    validating it as a whole (see docs/export.md, "Validation"): every element line in it is valid
    on its own (_valid_lines) and a message of the same structure (_structure) was valid as a
    whole. A message not known valid must go through invalid_messages."""
    messages, exam_columns, vak_columns = _built(exams, vakken, starts, ends)
    return messages, _known_valid(messages, exam_columns, vak_columns, starts, ends)


def _built(exams, vakken, starts, ends):
    """(messages, {field: (codes, table)} of the exams, the same of the vak rows)."""
    bad = np.zeros(len(starts), dtype=bool)
    lines, exam_columns, vak_columns = {}, {}, {}
    for field in EXAM_FIELDS:
        codes, table, refused = exam_columns[field] = _distinct_lines(field, exams[field])
        lines[field] = table[codes]
        if refused is not None:
            bad |= refused[codes] & (lines["bsn"] == "") if field == "onderwijsnummer" else refused[codes]
    rows = len(vakken[VAK_FIELDS[0]])
    grid = np.empty((rows, len(VAK_FIELDS) + 2), dtype=object)
    grid[:, 0], grid[:, -1] = "  <vak>\n", "  </vak>\n"
    bad_rows = np.zeros(rows, dtype=bool)
    for k, field in enumerate(VAK_FIELDS, 1):
        codes, table, refused = vak_columns[field] = _distinct_lines(field, vakken[field])
        grid[:, k] = table[codes]
        if refused is not None:
            bad_rows |= refused[codes]
    if bad_rows.any():
        before = np.concatenate(([0], np.cumsum(bad_rows)))
        bad |= before[ends] > before[starts]
    # BSN wins when both are known: the school must switch to it (WVO art. 27b, bron.md §6).
    # A line is '' exactly when the value is absent.
    nummers = [f"  <persoonsgebondenNummer>\n{b or o}  </persoonsgebondenNummer>\n" if b or o
               else "  <persoonsgebondenNummer/>\n" for b, o in zip(lines["bsn"], lines["onderwijsnummer"])]
    werkstukken = [f"  <werkstuk>\n{t}{c}{b}  </werkstuk>\n" if t or c or b else ""
                   for t, c, b in zip(lines["werkstuk_titel"], lines["werkstuk_cijfer"], lines["werkstuk_beoordeling"])]
    exam_lines = map("".join, zip(*(lines[f] for f in EXAM_FIELDS[2:10])))   # leerlingnummer .. uitslag
    flat, width = grid.ravel().tolist(), grid.shape[1]
    messages = []
    for nummer, exam, werkstuk, combinatie, start, end, refused in zip(
            nummers, exam_lines, werkstukken, lines["combinatiecijfer"], (starts * width).tolist(),
            (ends * width).tolist(), bad.tolist()):
        messages.append(None if refused else
                        "".join((_HEAD, nummer, exam, werkstuk, combinatie, *flat[start:end], _TAIL)).encode("utf-8"))
    return messages, exam_columns, vak_columns


# --- validation per distinct line and structure ------------------------------------------------

def _known_valid(messages, exam_columns, vak_columns, starts, ends) -> list:
    """Per message: True when all its element lines are valid on their own and its structure is known
    valid (a message of that structure passed the XSD as a whole, now or earlier in the process)."""
    verdicts = _line_verdicts({**{("exam", f): c[1] for f, c in exam_columns.items()},
                               **{("vak", f): c[1] for f, c in vak_columns.items()}})

    def valid_and_present(columns, kind):
        """Per row, whether each field's line is valid, and whether it is present (written)."""
        return ({f: verdicts[kind, f][codes] for f, (codes, _, _) in columns.items()},
                {f: (table != "")[codes] for f, (codes, table, _) in columns.items()})

    exam_valid, exam_present = valid_and_present(exam_columns, "exam")
    vak_valid, vak_present = valid_and_present(vak_columns, "vak")
    ok = np.logical_and.reduce([exam_valid[f] | (exam_present["bsn"] if f == "onderwijsnummer" else False)
                                for f in EXAM_FIELDS])   # an onderwijsnummer beside a BSN is not written
    row_ok = np.logical_and.reduce([vak_valid[f] for f in VAK_FIELDS])
    before = np.concatenate(([0], np.cumsum(~row_ok)))
    ok &= before[ends] == before[starts]
    structures = _structure(exam_present, vak_present, starts, ends)
    known, tried = [], set()
    for data, fine, structure in zip(messages, ok.tolist(), structures):
        if data is None or not fine:
            known.append(False)
        elif structure in _VALID_STRUCTURES:
            known.append(True)
        elif structure in tried:
            known.append(False)
        else:   # the first message of this structure: validated as a whole
            tried.add(structure)
            valid = schema().validate(etree.fromstring(data))
            if valid and len(_VALID_STRUCTURES) < _MAX_KNOWN:
                _VALID_STRUCTURES.add(structure)
            known.append(valid)
    return known


def _structure(exam_present: dict, vak_present: dict, starts, ends) -> list:
    """Per message, a key that is equal for two messages exactly when they have the same elements in
    the same places (they differ only in element text): which exam fields are present, and per
    vak which vak fields are."""
    exam_bits = sum(exam_present[f].astype(np.uint32) << k for k, f in enumerate(EXAM_FIELDS))
    vak_bits = sum(vak_present[f].astype(np.uint32) << k for k, f in enumerate(VAK_FIELDS))
    exam_bytes, vak_bytes = np.asarray(exam_bits, dtype="<u4").tobytes(), np.asarray(vak_bits, dtype="<u4").tobytes()
    return [exam_bytes[4 * j:4 * j + 4] + vak_bytes[start:end]
            for j, (start, end) in enumerate(zip((starts * 4).tolist(), (ends * 4).tolist()))]


def _line_verdicts(tables: dict) -> dict:
    """{key: bool array}: whether each line of each table is valid on its own; '' (absent) is.

    Lines already found valid are remembered (unique values, such as a BSN, are not); all others
    are validated together in one probe document (_valid_lines)."""
    verdicts, unknown = {}, []
    for key, table in tables.items():
        verdict = verdicts[key] = np.zeros(len(table), dtype=bool)
        remember = _LINES[key[1]].keep   # exam and vak fields have distinct names
        for k, line in enumerate(table.tolist()):
            if line == "" or line in _VALID_LINES:
                verdict[k] = True
            else:
                unknown.append((verdict, k, line, remember))
    for (verdict, k, line, remember), valid in zip(unknown, _valid_lines([u[2] for u in unknown])):
        verdict[k] = valid
        if valid and remember and len(_VALID_LINES) < _MAX_KNOWN:
            _VALID_LINES.add(line)
    return verdicts


def _valid_lines(lines: list) -> list:
    """Whether each element line (as build_messages writes it) is valid against its declaration in
    the XSD. All lines are validated together in one probe document; when that fails, each half is
    tried again, down to single lines. All False when the XSD allows no probe (_make_probe_schema)."""
    verdicts = [False] * len(lines)
    probe = _probe_schema()
    pending = [(0, len(lines))] if probe is not None and lines else []
    while pending:
        low, high = pending.pop()
        document = _PROBE_HEAD + "".join(lines[low:high]) + _PROBE_TAIL
        try:
            valid = probe.validate(etree.fromstring(document.encode("utf-8")))
        except etree.XMLSyntaxError:
            valid = False
        if valid:
            verdicts[low:high] = [True] * (high - low)
        elif high - low > 1:
            middle = (low + high) // 2
            pending += [(low, middle), (middle, high)]
    return verdicts


_XS = "http://www.w3.org/2001/XMLSchema"
_PROBE = "examenbronProbe"
_PROBE_HEAD = f'<{_PROBE} xmlns="{NAMESPACE}">\n'
_PROBE_TAIL = f"</{_PROBE}>\n"
_MAX_KNOWN = 100_000                # lines and structures remembered as valid, at most
_VALID_LINES: set = set()           # lines of repeated values found valid (see _line_verdicts)
_VALID_STRUCTURES: set = set()      # _structure keys of messages found valid as a whole


def _probe_schema() -> etree.XMLSchema | None:
    """The probe schema (one per thread; see _make_probe_schema)."""
    if not hasattr(_PER_THREAD, "probe"):
        with _BUILDING:
            _PER_THREAD.probe = _make_probe_schema()
    return _PER_THREAD.probe


def _make_probe_schema() -> etree.XMLSchema | None:
    """The bundled XSD plus one element, examenbronProbe, that holds any number of copies of its text
    elements (those declared without child elements), in any order. A line is valid there exactly
    when it is valid in a message: the copy is the same declaration in the same schema document.

    None (every message is then validated as a whole) when the XSD has something that makes an
    element's validity depend on more than its own name and text: identity constraints, a text
    element declared twice under one name, a declaration by reference or other schema documents.
    """
    tree = etree.parse(str(SCHEMA_FILE))
    root = tree.getroot()
    refused = ("key", "keyref", "unique", "include", "import", "redefine")
    if any(True for _ in root.iter(*(f"{{{_XS}}}{name}" for name in refused))) or any(
            e.get("name") == _PROBE for e in root.iter(f"{{{_XS}}}element")):
        return None
    copies = {}
    for declaration in root.iter(f"{{{_XS}}}element"):
        if declaration.find(f"{{{_XS}}}complexType") is not None:
            continue
        name = declaration.get("name")
        if name is None or name in copies or declaration.getparent() is root:
            return None
        duplicate = copies[name] = copy.deepcopy(declaration)
        for occurs in ("minOccurs", "maxOccurs"):
            duplicate.attrib.pop(occurs, None)
    probe = etree.SubElement(root, f"{{{_XS}}}element", name=_PROBE)
    choice = etree.SubElement(etree.SubElement(probe, f"{{{_XS}}}complexType"), f"{{{_XS}}}choice",
                              minOccurs="0", maxOccurs="unbounded")
    choice.extend(copies.values())
    try:
        return etree.XMLSchema(tree)
    except etree.XMLSchemaParseError:
        return None


def _batch_schema() -> etree.XMLSchema:
    """A wrapper schema (one per thread): one `batch` element holding any number of messages."""
    if hasattr(_PER_THREAD, "batch"):
        return _PER_THREAD.batch
    wrapper = f"""<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:m="{NAMESPACE}"
        targetNamespace="{_BATCH_NAMESPACE}" elementFormDefault="qualified">
      <xs:import namespace="{NAMESPACE}" schemaLocation="{SCHEMA_FILE.as_uri()}"/>
      <xs:element name="batch"><xs:complexType><xs:sequence>
        <xs:element ref="m:examenresultaat" minOccurs="0" maxOccurs="unbounded"/>
      </xs:sequence></xs:complexType></xs:element>
    </xs:schema>"""
    with _BUILDING:
        _PER_THREAD.batch = etree.XMLSchema(etree.fromstring(wrapper.encode()))
    return _PER_THREAD.batch


_BATCH_NAMESPACE = "urn:examenbron:batch"
_DECLARATION = b"<?xml version='1.0' encoding='UTF-8'?>\n"


def invalid_messages(messages: list) -> dict:
    """{index: reason} for the messages (bytes from build_message) the XSD refuses.

    The messages are validated together inside one wrapper document (one parse, one validation);
    only when that fails is each message validated on its own, to name the culprit and the reason.
    """
    if not messages:
        return {}
    body = b"".join(m[len(_DECLARATION):] if m.startswith(_DECLARATION) else m for m in messages)
    batch = b'<batch xmlns="' + _BATCH_NAMESPACE.encode() + b'">' + body + b"</batch>"
    try:
        if _batch_schema().validate(etree.fromstring(batch)):
            return {}
    except etree.XMLSyntaxError:
        pass
    return {i: reason for i, data in enumerate(messages) if (reason := _invalid(data)) is not None}


def _invalid(data: bytes) -> str | None:
    """Why the XSD refuses one message, or None."""
    try:
        root = etree.fromstring(data)
    except etree.XMLSyntaxError as exc:
        return f"geen geldige XML: {exc}"
    xsd = schema()
    if xsd.validate(root):
        return None
    return "; ".join(e.message.replace(f"{{{NAMESPACE}}}", "") for e in xsd.error_log)
