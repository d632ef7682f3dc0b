"""Normalise a raw results table into typed exam and vak frames plus bevindingen (docs/datamodel.md §1).

A bad value becomes NA plus a bevinding (ernst ``afkeur``); the other candidates are unaffected.
The rules (RULES: INV-001… with codes EB001…) are a public contract for vendors, documented in
docs/input-format.md; tests/test_normalise.py keeps that table and RULES in step.

Parsing works on the unique texts of a column (a grade column has ~100), never row by row,
and never through float.
"""

import datetime as dt
import re
from dataclasses import dataclass
from itertools import chain

import numpy as np
import pandas as pd

from examenbron.engine.inputs.columns import (
    ALL_COLUMNS, BEOORDELING_CODES, BRON_SHAPE, CODE_WIDTH, COLUMNS, EXAM_COLUMNS, EXAM_KEY, JA_NEE_CODES,
    KIND, OPTIONAL_COLUMNS, PERSONAL_COLUMNS, REQUIRED_COLUMNS, UITSLAG_CODES, VAK_COLUMNS, VALUE_REQUIRED,
    mask_bsn, mask_numbers,
)
from examenbron.engine.errors import InputError
from examenbron.engine.outputs.bevindingen import empty_bevindingen, make_bevindingen
from examenbron.engine.inputs.read import (
    UNREADABLE, RawTable, did_you_mean, mapping_of, normalise_header,
    read_table, table_from_frame,
)
from examenbron.engine.vocabulary import AFKEUR, schooljaar_of

# Rule INV-0nn has signal code EB0nn; its description as docs/input-format.md lists it.
RULES = {f"INV-{n:03d}": (f"EB{n:03d}", omschrijving) for n, omschrijving in enumerate((
    "cijfer is geen getal",                                                      # INV-001
    "cijfer heeft meer dan één decimaal",                                        # INV-002
    "cijfer buiten bereik (1,0–10,0; hele cijfers 1–10)",                        # INV-003
    "cijfer moet een heel getal zijn (eindcijfer, werkstuk_cijfer, combinatiecijfer)",  # INV-004
    "onbekende code (uitslag, beoordeling, J/N-kolom)",                          # INV-005
    "ongeldige datum",                                                           # INV-006
    "examenjaar is geen jaartal",                                                # INV-007
    "examenwaarde verschilt tussen rijen van één examen",                        # INV-008
    "verplichte waarde ontbreekt (examensleutel of vakcode)",                    # INV-009
    "ongeldige code (te veel cijfers of geen cijfers)",                          # INV-010
    "waarde past niet in het BRON-bericht (te lang, spatie of verkeerde vorm)",  # INV-011
    "onleesbare cel (NUL-teken, ongeldige tekens, stuurteken, formule zonder uitkomst)",  # INV-012
), start=1)}
GRONDSLAG = "Invoerformaat examenbron (docs/input-format.md)"

_GRADE = re.compile(r"([0-9]+)(?:[.,]([0-9]+))?")
_YEAR = re.compile(r"[1-9][0-9]{3}")
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_NL_DATE = re.compile(r"([0-9]{1,2})-([0-9]{1,2})-([0-9]{4})")
# Characters no school system writes on purpose: C0/C1 controls except tab/LF/CR, DEL, lone
# surrogates (bytes that were not valid UTF-8) and the noncharacters U+FFFE/U+FFFF.
_UNREADABLE_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_MIN_DATE, _MAX_DATE = dt.date(1900, 1, 1), dt.date(2100, 12, 31)  # datetime64[ns] holds 1677–2262
_BAD = "\x00"  # prefix of the identity of an invalid value, so it never equals a valid one


@dataclass(frozen=True)
class Results:
    """A normalised results file (docs/datamodel.md §1)."""

    source: str
    examens: pd.DataFrame
    vakken: pd.DataFrame
    bevindingen: pd.DataFrame
    columns_present: frozenset
    sha256: str | None = None  # of the file's bytes as read (None for a DataFrame)


def load_results(path, *, sheet=None, mapping=None) -> Results:
    """Read and normalise a results file or a pandas DataFrame in the canonical format.

    ``mapping`` is a YAML file path or a dict {their header: canonical}.

    Raises InputError for an unreadable file, a bad mapping or missing required columns.
    """
    mapping = mapping_of(mapping)
    raw = table_from_frame(path) if isinstance(path, pd.DataFrame) else read_table(path, sheet=sheet)
    return normalise(raw, mapping)


def normalise(raw: RawTable, mapping=None) -> Results:
    """Turn raw text columns into Results; ``mapping`` as returned by engine.inputs.read.load_mapping."""
    positions = _resolve_columns(raw, mapping or {})
    n = len(raw.bron_rij)
    columns = {col: _encode(col, raw.columns[positions[col]] if col in positions else None, n)
               for col in ALL_COLUMNS}
    bron_rij = raw.bron_rij
    keep = _non_blank_rows([columns[col] for col in positions])
    if keep is not None:
        columns = {col: (codes[keep], parsed) for col, (codes, parsed) in columns.items()}
        bron_rij = bron_rij[keep]
    exam_id, first = _group_exams([columns[col] for col in EXAM_KEY])
    found = _Bevindingen()

    exam_values = {}
    for col in EXAM_COLUMNS:
        codes, parsed = columns[col]
        first_codes = codes[first]
        exam_values[col] = parsed.values.take(first_codes)
        bad = parsed.bad[first_codes]
        found.add_bad(col, first[bad], parsed, first_codes[bad])
        if col not in EXAM_KEY:
            _check_consistency(col, codes, first_codes, exam_id, bron_rij[first], parsed, found)

    vak_values = {}
    for col in VAK_COLUMNS:
        codes, parsed = columns[col]
        vak_values[col] = parsed.values.take(codes)
        if parsed.bad.any():
            rows = np.flatnonzero(parsed.bad[codes])
            found.add_bad(col, rows, parsed, codes[rows])

    examens = _frame({"exam_id": np.arange(len(first), dtype=np.int64), "bron_rij": bron_rij[first], **exam_values})
    vakken = _frame({"exam_id": exam_id, "bron_rij": bron_rij, **vak_values})
    return Results(raw.source, examens, vakken, found.frame(examens, vakken), frozenset(positions), raw.sha256)


def _frame(columns: dict) -> pd.DataFrame:
    """DataFrame from finished arrays, without copying them or guessing types of object columns."""
    return pd.DataFrame({name: pd.Series(values, dtype=getattr(values, "dtype", None), copy=False)
                         for name, values in columns.items()}, copy=False)


def _resolve_columns(raw: RawTable, mapping: dict) -> dict:
    """Map canonical column name -> position; InputError for duplicates or missing required columns."""
    positions, unknown = {}, []
    for i, header in enumerate(raw.headers):
        key = normalise_header(header)
        name = mapping.get(key, key)
        if name in ALL_COLUMNS:
            if name in positions:
                raise InputError(f"{raw.source}: kolom {name} komt meer dan eens voor "
                                 f"(kolomkoppen {raw.headers[positions[name]]!r} en {header!r})")
            positions[name] = i
        elif key:
            unknown.append(header)
    missing = [c for c in REQUIRED_COLUMNS if c not in positions]
    if missing:
        absent = [c for c in ALL_COLUMNS if c not in positions]
        listed = ", ".join(f"{mask_numbers(h)!r}{did_you_mean(h, absent)}" for h in unknown[:40]) or "geen"
        if len(unknown) > 40:
            listed += f" en nog {len(unknown) - 40}"
        looks_like_data = not positions and any(h.strip().isdigit() for h in raw.headers)
        raise InputError(
            (f"{raw.source}: de eerste regel lijkt geen kopregel maar een rij met gegevens; zet de kolomnamen "
             "op de eerste regel.\n" if looks_like_data else "") +
            f"{raw.source}: verplichte kolommen ontbreken: {', '.join(missing)}.\n"
            f"Niet herkende kolommen: {listed}.\n"
            f"Verwachte kolommen (verplicht): {', '.join(REQUIRED_COLUMNS)}.\n"
            f"Verwachte kolommen (optioneel): {', '.join(OPTIONAL_COLUMNS)}.\n"
            "Gebruikt uw schoolsysteem andere kolomkoppen, geef dan een koppelbestand mee "
            "(YAML met regels 'kolomkop: canonieke naam')."
        )
    return positions


@dataclass(frozen=True)
class _Parsed:
    """Parse result per unique text of a column."""

    text: np.ndarray      # stripped text
    values: object        # normalised values (ndarray or ExtensionArray), NA for empty or bad
    bad: np.ndarray       # bool: this text is a bevinding
    regel: np.ndarray     # rule id or None
    melding: np.ndarray   # Dutch message or None


def _encode(col: str, cells, n: int):
    """Return (codes per row, _Parsed per unique text); an absent column reads as n empty cells."""
    if cells is None:
        return np.zeros(n, dtype=np.int8), _parse(col, pd.Index([""]))
    if not isinstance(cells, pd.Categorical):
        cells = pd.Categorical(cells)
    if cells.isna().any():  # a missing cell (from a hand-built table) is an empty cell
        cells = (cells if "" in cells.categories else cells.add_categories("")).fillna("")
    return np.asarray(cells.codes), _parse(col, cells.categories)


def _parse(col: str, uniques) -> _Parsed:
    """Parse the unique texts of one column according to its KIND."""
    kind = KIND[col]
    raw = uniques.tolist()
    texts = [u.strip() for u in raw]
    values, errors = _PARSERS[kind](texts, col)
    for i in [i for i, text in enumerate(texts) if not text]:
        values[i], error = _empty(col)
        errors.pop(i, None)
        if error:
            errors[i] = error
    if col in BRON_SHAPE:
        shape, description = BRON_SHAPE[col]
        for i in [i for i, (text, value) in enumerate(zip(texts, values))
                  if text and i not in errors and not shape.fullmatch(value)]:
            values[i], errors[i] = None, ("INV-011", f"Kolom {col}: '{_shown(col, texts[i])}' past niet in het "
                                                     f"BRON-bericht (verwacht {description})")
    if _UNREADABLE_CHARS.search("\n".join(raw)):  # one scan; UNREADABLE itself is one of these characters
        for i in [i for i, cell in enumerate(raw) if _UNREADABLE_CHARS.search(cell)]:
            values[i], errors[i] = None, ("INV-012", _unreadable(col, raw[i]))
            texts[i] = _escaped(texts[i])
    bad = np.zeros(len(texts), dtype=bool)
    regel, melding = np.full(len(texts), None, dtype=object), np.full(len(texts), None, dtype=object)
    for i, (rule, message) in errors.items():
        bad[i], regel[i], melding[i] = True, rule, message
    return _Parsed(text=_objects(texts), values=_typed(kind, values), bad=bad, regel=regel, melding=melding)


def _unreadable(col: str, cell: str) -> str:
    """The message for a cell that could not be read faithfully."""
    if cell.startswith(UNREADABLE):
        return f"Cel in kolom {col}: {cell[len(UNREADABLE):]}"
    char = _UNREADABLE_CHARS.search(cell).group()
    what = ("een NUL-teken" if char == "\x00" else "een ongeldige byte (het bestand is geen geldige UTF-8)"
            if "\ud800" <= char <= "\udfff" else f"het stuurteken U+{ord(char):04X}")
    return f"Kolom {col} bevat {what}; de waarde wordt niet gebruikt. Controleer de export van het schoolsysteem"


def _escaped(text: str) -> str:
    """Text with unreadable characters written as escapes, safe to show in a report."""
    if text.startswith(UNREADABLE):
        return ""
    return _UNREADABLE_CHARS.sub(lambda m: m.group().encode("unicode_escape", "backslashreplace").decode("ascii"),
                                 text)


def _identity(parsed: _Parsed, idx) -> np.ndarray:
    """Comparable identity of the unique texts idx: equal for equal values, the raw text for bad ones."""
    return _objects([_BAD + t if b else str(v)
                     for t, v, b in zip(parsed.text[idx], parsed.values.take(idx), parsed.bad[idx])])


def _objects(items) -> np.ndarray:
    """A 1-d object array (np.array could make a 2-d array out of a list of sequences)."""
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


def _typed(kind: str, values):
    """Typed array of per-unique values: Int64 for grades/years, boolean, datetime64[ns] or object."""
    if kind in ("cijfer", "heel_cijfer", "jaar"):
        return pd.array(values, dtype="Int64")
    if kind == "ja_nee":
        return pd.array(values, dtype="boolean")
    if kind == "datum":
        return np.array([np.datetime64(v, "ns") if v else np.datetime64("NaT", "ns") for v in values],
                        dtype="datetime64[ns]")
    return _objects(values)


def _shown(col: str, text: str) -> str:
    """Text as it may appear in a bevinding: personal numbers masked, also inside other text (a cell
    that swallowed later rows through an unclosed quote), and cut after SHOWN_LENGTH characters."""
    if col in PERSONAL_COLUMNS:
        return mask_bsn(text)
    text = mask_numbers(text)
    return text if len(text) <= SHOWN_LENGTH else text[:SHOWN_LENGTH - 1] + "…"


SHOWN_LENGTH = 80


def _described(text: str) -> str:
    """'x' as "de waarde 'x'", empty as "geen waarde"."""
    return f"de waarde '{text}'" if text else "geen waarde"


def _empty(col: str):
    """Value of an empty cell: the column's standaard (True for diplomavak, else NA), or a bevinding
    where a value is required."""
    if col in VALUE_REQUIRED:
        return None, ("INV-009", f"Kolom {col} is leeg; deze waarde is verplicht")
    return COLUMNS[col].standaard, None


def _each(parse_one):
    """Lift a parser of one text to (values list, {index: error}) over the unique texts."""
    def parse(texts, col):
        values, errors = [], {}
        for i, text in enumerate(texts):
            value, error = parse_one(text, col)
            values.append(value)
            if error:
                errors[i] = error
        return values, errors
    return parse


def _parse_cijfer(text: str, col: str, whole: bool = False):
    match = _GRADE.fullmatch(text)
    if not match:
        return None, ("INV-001", f"Cijfer '{_shown(col, text)}' in kolom {col} is geen getal")
    units, decimals = match.group(1), (match.group(2) or "").rstrip("0")
    if whole and decimals:
        return None, ("INV-004", f"Cijfer '{_shown(col, text)}' in kolom {col} moet een heel getal zijn")
    if len(decimals) > 1:
        return None, ("INV-002", f"Cijfer '{_shown(col, text)}' in kolom {col} heeft meer dan één decimaal")
    tenths = int(units[-4:]) * 10 + int(decimals or 0) if len(units.lstrip("0")) <= 3 else None
    if tenths is None or not 10 <= tenths <= 100:
        bereik = "1 en 10" if whole else "1,0 en 10,0"
        return None, ("INV-003", f"Cijfer '{_shown(col, text)}' in kolom {col} ligt niet tussen {bereik}")
    return tenths, None


def _parse_heel_cijfer(text: str, col: str):
    return _parse_cijfer(text, col, whole=True)


def _parse_codes(texts, col):
    """Digit codes zero-padded to their width (Excel strips leading zeros); anything else is INV-010."""
    width = CODE_WIDTH[col]
    values = [t if len(t) == width and t.isdigit() and t.isascii() else _pad(t, width) for t in texts]
    errors = {i: ("INV-010", f"Code '{_shown(col, texts[i])}' in kolom {col} is geen geldige code "
                             f"(verwacht hoogstens {width} cijfers)")
              for i, v in enumerate(values) if v is None}
    return values, errors


def _pad(text: str, width: int):
    """'353' -> '0353' for width 4; None when text is not a code of at most width significant digits."""
    significant = text.lstrip("0")
    return significant.zfill(width) if text.isascii() and text.isdigit() and len(significant) <= width else None


def _parse_texts(texts, col):
    return list(texts), {}


def _parse_brins(texts, col):
    return [_upper(t) for t in texts], {}


def _upper(text: str) -> str:
    """ASCII letters in upper case; other text as written (no Unicode folding: 'ſ' must not become 'S')."""
    return text.upper() if text.isascii() else text


def _parse_jaar(text: str, col: str):
    if _YEAR.fullmatch(text):
        return int(text), None
    return None, ("INV-007", f"Examenjaar '{_shown(col, text)}' in kolom {col} is geen jaartal van vier cijfers")


def _code_parser(allowed):
    def parse(text: str, col: str):
        code = _upper(text)
        if code in allowed:
            return code, None
        return None, ("INV-005", f"Onbekende code '{_shown(col, text)}' in kolom {col}; toegestaan: {', '.join(allowed)} of leeg")
    return parse


def _parse_ja_nee(text: str, col: str):
    code = _upper(text)
    if code in JA_NEE_CODES:
        return code == "J", None
    return None, ("INV-005", f"Onbekende code '{_shown(col, text)}' in kolom {col}; toegestaan: J, N of leeg")


def _parse_datum(text: str, col: str):
    iso, nl = _ISO_DATE.fullmatch(text), _NL_DATE.fullmatch(text)
    try:
        day = (dt.date(int(iso[1]), int(iso[2]), int(iso[3])) if iso
               else dt.date(int(nl[3]), int(nl[2]), int(nl[1])) if nl else None)
    except ValueError:
        day = None
    if day is not None and not _MIN_DATE <= day <= _MAX_DATE:
        return None, ("INV-006", f"Datum '{_shown(col, text)}' in kolom {col} ligt niet tussen {_MIN_DATE.year} en {_MAX_DATE.year}")
    if day is not None:
        return day, None
    return None, ("INV-006", f"Datum '{_shown(col, text)}' in kolom {col} is geen geldige datum (verwacht JJJJ-MM-DD of DD-MM-JJJJ)")


_PARSERS = {
    "text": _parse_texts, "brin": _parse_brins, "code": _parse_codes, "jaar": _each(_parse_jaar),
    "uitslag": _each(_code_parser(UITSLAG_CODES)), "beoordeling": _each(_code_parser(BEOORDELING_CODES)),
    "ja_nee": _each(_parse_ja_nee), "datum": _each(_parse_datum),
    "cijfer": _each(_parse_cijfer), "heel_cijfer": _each(_parse_heel_cijfer),
}


def _non_blank_rows(columns):
    """Boolean mask of rows with a value in some column, or None when no row is blank."""
    candidates = None
    for codes, parsed in columns:
        blank = (parsed.text == "")[codes if candidates is None else codes[candidates]]
        candidates = np.flatnonzero(blank) if candidates is None else candidates[blank]
        if not candidates.size:
            return None
    keep = np.ones(len(columns[0][0]), dtype=bool)
    keep[candidates] = False
    return keep


def _group_exams(key_columns):
    """Return (exam_id per row in order of first appearance, row index of each exam's first row)."""
    combined = np.zeros(len(key_columns[0][0]), dtype=np.int64)
    radix = 1
    for codes, parsed in key_columns:
        identity, uniques = pd.factorize(_identity(parsed, np.arange(len(parsed.text))))
        if radix * len(uniques) >= 2**62:  # keep the mixed-radix number within int64
            combined = pd.factorize(combined)[0]
            radix = int(combined.max(initial=0)) + 1
        combined = combined * len(uniques) + identity[codes]
        radix *= len(uniques)
    exam_id = pd.factorize(combined)[0].astype(np.int64)
    is_first = np.ones(len(exam_id), dtype=bool)
    is_first[1:] = exam_id[1:] > np.maximum.accumulate(exam_id)[:-1]
    return exam_id, np.flatnonzero(is_first)


def _check_consistency(col, codes, first_codes, exam_id, first_bron_rij, parsed, found):
    """Report rows whose exam-level value differs from the value on the exam's first row (INV-008)."""
    rows = np.flatnonzero(codes != first_codes[exam_id])
    if not rows.size:
        return
    own, theirs = codes[rows], first_codes[exam_id[rows]]
    involved = np.unique(np.concatenate([own, theirs]))
    identity = pd.factorize(_identity(parsed, involved))[0]
    differs = identity[np.searchsorted(involved, own)] != identity[np.searchsorted(involved, theirs)]
    rows, own, theirs = rows[differs], own[differs], theirs[differs]
    if rows.size:
        found.add_inconsistent(col, rows, first_bron_rij[exam_id[rows]], parsed.text[own], parsed.text[theirs])


class _Bevindingen:
    """Collects bevindingen as row positions plus per-row texts; frame() materialises them."""

    def __init__(self):
        self.parts = []

    def add_bad(self, col, rows, parsed: _Parsed, codes):
        if rows.size:
            waarde = [_shown(col, t) for t in parsed.text[codes]]
            self.parts.append((col, rows, parsed.regel[codes], parsed.melding[codes], waarde))

    def add_inconsistent(self, col, rows, first_rows, texts, first_texts):
        waarde = [_shown(col, t) for t in texts]
        melding = [f"Kolom {col} heeft op deze rij {_described(shown)}, maar op rij {first_row} (eerste rij van "
                   f"dit examen) {_described(_shown(col, first_text))}; de waarde van rij {first_row} wordt gebruikt"
                   for shown, first_row, first_text in zip(waarde, first_rows, first_texts)]
        self.parts.append((col, rows, np.full(len(rows), "INV-008", dtype=object), _objects(melding), waarde))

    def frame(self, examens: pd.DataFrame, vakken: pd.DataFrame) -> pd.DataFrame:
        if not self.parts:
            return empty_bevindingen()
        rows = np.concatenate([p[1] for p in self.parts])
        order = np.concatenate([np.full(len(p[1]), ALL_COLUMNS.index(p[0])) for p in self.parts])
        sort = np.lexsort((order, rows))
        rows = rows[sort]
        kolom = np.concatenate([np.full(len(p[1]), p[0], dtype=object) for p in self.parts])[sort]
        regel = np.concatenate([p[2] for p in self.parts])[sort]
        exam_id = vakken["exam_id"].to_numpy()[rows]
        exam = examens.iloc[exam_id]
        jaar = exam["examenjaar"]
        is_vak = np.isin(kolom, VAK_COLUMNS)
        return make_bevindingen(
            schooljaar=[schooljaar_of(j) if j is not pd.NA else None for j in jaar],
            regel=regel,
            code=[RULES[r][0] for r in regel],
            ernst=AFKEUR,
            exam_id=exam_id,
            brin=exam["brin"].to_numpy(),
            vestiging=exam["vestiging"].to_numpy(),
            leerlingnummer=exam["leerlingnummer"].to_numpy(),
            opleidingscode=exam["opleidingscode"].to_numpy(),
            vakcode=np.where(is_vak, vakken["vakcode"].to_numpy()[rows], None),
            kolom=kolom,
            waarde=_objects(list(chain.from_iterable(p[4] for p in self.parts)))[sort],
            melding=np.concatenate([p[3] for p in self.parts])[sort],
            grondslag=GRONDSLAG,
            bron_rij=vakken["bron_rij"].to_numpy()[rows],
        )
