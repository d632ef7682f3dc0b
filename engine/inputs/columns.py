"""Canonical columns of the results file (docs/datamodel.md §1, docs/input-format.md)."""

EXAM_KEY = ("brin", "vestiging", "leerlingnummer", "opleidingscode", "examenjaar")

EXAM_REQUIRED = (
    "brin", "vestiging", "leerlingnummer", "bsn", "onderwijsnummer", "opleidingscode",
    "examenjaar", "uitslag", "datum_uitslag",
)
EXAM_OPTIONAL = (
    "onderwijsaanbieder", "werkstuk_titel", "werkstuk_cijfer", "werkstuk_beoordeling",
    "combinatiecijfer", "geboortedatum",
)
VAK_REQUIRED = ("vakcode", "se_cijfer", "se_beoordeling", "ce1", "ce2", "ce3", "eindcijfer")
VAK_OPTIONAL = ("diplomavak", "combinatiecijfer_vak", "examendeel", "certificaat")

EXAM_COLUMNS = EXAM_REQUIRED + EXAM_OPTIONAL
VAK_COLUMNS = VAK_REQUIRED + VAK_OPTIONAL
REQUIRED_COLUMNS = EXAM_REQUIRED + VAK_REQUIRED
OPTIONAL_COLUMNS = EXAM_OPTIONAL + VAK_OPTIONAL
ALL_COLUMNS = EXAM_COLUMNS + VAK_COLUMNS

# Codes that are zero-padded to this width when they consist of digits only.
CODE_WIDTH = {"vestiging": 2, "opleidingscode": 4, "vakcode": 4, "bsn": 9, "onderwijsnummer": 9}

UITSLAG_CODES = ("G", "A", "T", "D", "S")
BEOORDELING_CODES = ("V", "G", "O")
JA_NEE_CODES = ("J", "N")

# How each column's text is interpreted; see engine.inputs.normalise for the parsers.
KIND = {
    "brin": "brin",
    "vestiging": "code", "opleidingscode": "code", "vakcode": "code",
    "bsn": "code", "onderwijsnummer": "code",
    "leerlingnummer": "text", "onderwijsaanbieder": "text", "werkstuk_titel": "text",
    "examendeel": "text",
    "examenjaar": "jaar",
    "uitslag": "uitslag",
    "se_beoordeling": "beoordeling", "werkstuk_beoordeling": "beoordeling",
    "datum_uitslag": "datum", "geboortedatum": "datum",
    "se_cijfer": "cijfer", "ce1": "cijfer", "ce2": "cijfer", "ce3": "cijfer",
    "eindcijfer": "heel_cijfer", "werkstuk_cijfer": "heel_cijfer", "combinatiecijfer": "heel_cijfer",
    "diplomavak": "ja_nee", "combinatiecijfer_vak": "ja_nee", "certificaat": "ja_nee",
}

# Personal numbers that must never appear in full in a bevinding.
PERSONAL_COLUMNS = frozenset({"bsn", "onderwijsnummer"})


def mask_bsn(value) -> str:
    """Mask a BSN (or onderwijsnummer) for messages: '123456789' -> '*****6789'; empty stays empty."""
    text = "" if value is None else str(value).strip()
    return "*****" + text[-4:] if text else ""
