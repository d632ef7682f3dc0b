"""The columns of the results file, declared once (docs/input-format.md, docs/datamodel.md §1).

``COLUMNS`` is the registry: name, niveau, how the text is parsed, required or not, personal data
or not, the element of the BRON message. The reader, the normaliser, the rule symbols, the export,
the example-data generator and the documentation (tests/test_columns.py) take their column facts
from it; the tuples below are views of it for the modules that only need names.
"""

import re
from dataclasses import dataclass

# How each parser kind (engine.inputs.normalise) appears in the rule language: (type, denominator).
# Grades are integer tenths, so their denominator is 10.
KIND_TYPES = {
    "brin": ("str", 1), "code": ("str", 1), "text": ("str", 1), "uitslag": ("str", 1),
    "beoordeling": ("str", 1), "jaar": ("num", 1), "datum": ("date", 1),
    "cijfer": ("num", 10), "heel_cijfer": ("num", 10), "ja_nee": ("bool", 1),
}


@dataclass(frozen=True)
class Column:
    """One canonical column of the results file."""

    naam: str
    niveau: str                     # 'kandidaat' (same on every row of an exam) or 'vak'
    kind: str                       # parser in engine.inputs.normalise, see KIND_TYPES
    verplicht: bool                 # the column must be in the file (a cell may still be empty)
    xml: str | None                 # element path in the BRON message (docs/export.md); None: not sent
    sleutel: bool = False           # part of the exam key
    waarde_verplicht: bool = False  # an empty cell is a bevinding (INV-009)
    persoonsgegeven: bool = False   # masked in every human-readable output
    breedte: int | None = None      # digit codes are zero-padded to this width
    standaard: object = None        # the value of an empty cell or absent column (None: NA)
    # The shape the BRON message accepts (regex, Dutch description), checked while normalising so
    # that validate already gives the afkeur the export would hit (bron.md §3.1; lengths from the XSD).
    bron_vorm: tuple | None = None

    @property
    def type(self) -> str:
        """The column's type in the rule language: str, num, date or bool."""
        return KIND_TYPES[self.kind][0]

    @property
    def den(self) -> int:
        """The denominator of its numbers in the rule language (10 for grades in tenths)."""
        return KIND_TYPES[self.kind][1]


_K, _V = "kandidaat", "vak"
COLUMNS = {c.naam: c for c in (
    # kandidaat level, required
    Column("brin", _K, "brin", True, "brin", sleutel=True, waarde_verplicht=True,
           bron_vorm=(re.compile(r"[0-9A-Z]{4}"), "4 tekens: cijfers of hoofdletters")),  # stdnum also accepts 6
    Column("vestiging", _K, "code", True, "vestiging", sleutel=True, waarde_verplicht=True, breedte=2),
    Column("leerlingnummer", _K, "text", True, "leerlingnummer", sleutel=True, waarde_verplicht=True,
           bron_vorm=(re.compile(r"[^\s]{1,10}"), "hoogstens 10 tekens, zonder spaties")),
    Column("bsn", _K, "code", True, "persoonsgebondenNummer/bsn", persoonsgegeven=True, breedte=9),
    Column("onderwijsnummer", _K, "code", True, "persoonsgebondenNummer/onderwijsnummer",
           persoonsgegeven=True, breedte=9),
    Column("opleidingscode", _K, "code", True, "opleidingscode", sleutel=True, waarde_verplicht=True,
           breedte=4),
    Column("examenjaar", _K, "jaar", True, "examenjaar", sleutel=True, waarde_verplicht=True),
    Column("uitslag", _K, "uitslag", True, "uitslag"),
    Column("datum_uitslag", _K, "datum", True, "datumUitslag"),
    # kandidaat level, optional. The RIO form of onderwijsaanbieder is the rule ID-RIO-VORM (EB106)
    # in the rule files, not repeated here.
    Column("onderwijsaanbieder", _K, "text", False, "onderwijsaanbieder"),
    Column("werkstuk_titel", _K, "text", False, "werkstuk/titel",
           bron_vorm=(re.compile(r"[^\x00-\x08\x0b\x0c\x0e-\x1f]{1,150}", re.S), "hoogstens 150 tekens")),
    Column("werkstuk_cijfer", _K, "heel_cijfer", False, "werkstuk/cijfer"),
    Column("werkstuk_beoordeling", _K, "beoordeling", False, "werkstuk/beoordeling"),
    Column("combinatiecijfer", _K, "heel_cijfer", False, "combinatiecijfer"),
    Column("geboortedatum", _K, "datum", False, None),
    # vak level, required
    Column("vakcode", _V, "code", True, "vak/vakcode", waarde_verplicht=True, breedte=4),
    Column("se_cijfer", _V, "cijfer", True, "vak/cijferSE"),
    Column("se_beoordeling", _V, "beoordeling", True, "vak/beoordelingSE"),
    Column("ce1", _V, "cijfer", True, "vak/cijferCE1"),
    Column("ce2", _V, "cijfer", True, "vak/cijferCE2"),
    Column("ce3", _V, "cijfer", True, "vak/cijferCE3"),
    Column("eindcijfer", _V, "heel_cijfer", True, "vak/cijferCijferlijst"),
    # vak level, optional
    Column("diplomavak", _V, "ja_nee", False, "vak/diplomavak", standaard=True),
    Column("combinatiecijfer_vak", _V, "ja_nee", False, "vak/indicatieCombinatiecijfer"),
    Column("examendeel", _V, "text", False, "vak/examendeel",
           bron_vorm=(re.compile(r"[0-9A-Za-z]"), "één letter of cijfer")),
    Column("certificaat", _V, "ja_nee", False, "vak/certificaat"),
)}


def _names(**wanted) -> tuple:
    return tuple(c.naam for c in COLUMNS.values() if all(getattr(c, k) == v for k, v in wanted.items()))


EXAM_KEY = _names(sleutel=True)   # brin, vestiging, leerlingnummer, opleidingscode, examenjaar
EXAM_REQUIRED = _names(niveau=_K, verplicht=True)
EXAM_OPTIONAL = _names(niveau=_K, verplicht=False)
VAK_REQUIRED = _names(niveau=_V, verplicht=True)
VAK_OPTIONAL = _names(niveau=_V, verplicht=False)

EXAM_COLUMNS = EXAM_REQUIRED + EXAM_OPTIONAL
VAK_COLUMNS = VAK_REQUIRED + VAK_OPTIONAL
REQUIRED_COLUMNS = EXAM_REQUIRED + VAK_REQUIRED
OPTIONAL_COLUMNS = EXAM_OPTIONAL + VAK_OPTIONAL
ALL_COLUMNS = EXAM_COLUMNS + VAK_COLUMNS

# Codes that are zero-padded to this width when they consist of digits only.
CODE_WIDTH = {c.naam: c.breedte for c in COLUMNS.values() if c.breedte}
# How each column's text is interpreted; see engine.inputs.normalise for the parsers.
KIND = {c.naam: c.kind for c in COLUMNS.values()}
# Personal numbers that must never appear in full in a human-readable output.
PERSONAL_COLUMNS = frozenset(_names(persoonsgegeven=True))
# Columns whose cells may not be empty: the exam key and the vakcode.
VALUE_REQUIRED = frozenset(_names(waarde_verplicht=True))
# Columns with a shape the BRON message demands: name -> (compiled regex, Dutch description).
BRON_SHAPE = {c.naam: c.bron_vorm for c in COLUMNS.values() if c.bron_vorm}

UITSLAG_CODES = ("G", "A", "T", "D", "S")
BEOORDELING_CODES = ("V", "G", "O")
JA_NEE_CODES = ("J", "N")


# The one way a personal number is shown to people (reports, messages, manifest, explain): the last
# four digits. mask_numbers applies it to free text that may quote one (an error message, a header).
def mask_bsn(value) -> str:
    """Mask a BSN (or onderwijsnummer) for messages: '123456789' -> '*****6789'; empty stays empty."""
    text = "" if value is None else str(value).strip()
    return "*****" + text[-4:] if text else ""


_LONG_NUMBER = re.compile(r"\d{8,}")


def mask_numbers(text: str) -> str:
    """Mask every run of 8 or more digits (a possible BSN or onderwijsnummer) in a message."""
    return _LONG_NUMBER.sub(lambda m: mask_bsn(m.group()), text)
