"""Build one examenresultaat message with lxml and validate it against the project's XSD.

The element names are examenbron's mapping of the legal field list (bron.md §3.1); DUO's
webservice XSD is not public. See docs/export.md for the mapping.
"""

from functools import lru_cache
from pathlib import Path

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


@lru_cache(maxsize=None)
def schema() -> etree.XMLSchema:
    """The versioned XSD, parsed once."""
    return etree.XMLSchema(etree.parse(str(SCHEMA_FILE)))


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


# The element of each input column (the last step of its path in the column registry), plus the
# elements that hold no input column of their own.
_Q = {name: f"{{{NAMESPACE}}}{name}" for name in (
    "examenresultaat", "persoonsgebondenNummer", "werkstuk", "vak", "eindcijfer1", "eindcijfer2", "eindcijfer3",
    *(column.xml.rsplit("/", 1)[-1] for column in COLUMNS.values() if column.xml),
)}


def _add(parent, name, text):
    if text is None:
        return
    try:
        etree.SubElement(parent, _Q[name]).text = text
    except ValueError as exc:  # control characters and the like
        raise InvalidMessage(f"{name}: {exc}") from None


def build_message(exam, vakken) -> bytes:
    """Serialise one candidate exam (a tuple in EXAM_FIELDS order, vakken tuples in VAK_FIELDS
    order) to UTF-8 XML bytes; raise InvalidMessage when the result does not validate."""
    (bsn, onderwijsnummer, leerlingnummer, brin, vestiging, onderwijsaanbieder, opleidingscode,
     examenjaar, datum_uitslag, uitslag, ws_titel, ws_cijfer, ws_beoordeling, combinatiecijfer) = exam
    root = etree.Element(_Q["examenresultaat"], nsmap={None: NAMESPACE})
    persoon = etree.SubElement(root, _Q["persoonsgebondenNummer"])
    # BSN wins when both are known: the school must switch to it (WVO art. 27b, bron.md §6).
    if bsn is not None:
        _add(persoon, "bsn", bsn)
    else:
        _add(persoon, "onderwijsnummer", onderwijsnummer)
    _add(root, "leerlingnummer", leerlingnummer)
    _add(root, "brin", brin)
    _add(root, "vestiging", vestiging)
    _add(root, "onderwijsaanbieder", onderwijsaanbieder)
    _add(root, "opleidingscode", opleidingscode)
    _add(root, "examenjaar", None if examenjaar is None else f"{examenjaar:04d}")
    _add(root, "datumUitslag", datum_uitslag)
    _add(root, "uitslag", uitslag)
    if ws_titel is not None or ws_cijfer is not None or ws_beoordeling is not None:
        werkstuk = etree.SubElement(root, _Q["werkstuk"])
        _add(werkstuk, "titel", ws_titel)
        _add(werkstuk, "cijfer", tienden(ws_cijfer))
        _add(werkstuk, "beoordeling", ws_beoordeling)
    _add(root, "combinatiecijfer", heel(combinatiecijfer))
    for (vakcode, diplomavak, combi, examendeel, se_beoordeling, se, ce1, ce2, ce3,
         ec1, ec2, ec3, cijferlijst, certificaat) in vakken:
        vak = etree.SubElement(root, _Q["vak"])
        _add(vak, "vakcode", vakcode)
        _add(vak, "diplomavak", jn(diplomavak))
        _add(vak, "indicatieCombinatiecijfer", jn(combi))
        _add(vak, "examendeel", examendeel)
        _add(vak, "beoordelingSE", se_beoordeling)
        _add(vak, "cijferSE", tienden(se))
        _add(vak, "cijferCE1", tienden(ce1))
        _add(vak, "cijferCE2", tienden(ce2))
        _add(vak, "cijferCE3", tienden(ce3))
        _add(vak, "eindcijfer1", None if ec1 is None else f"{ec1:02d}")
        _add(vak, "eindcijfer2", None if ec2 is None else f"{ec2:02d}")
        _add(vak, "eindcijfer3", None if ec3 is None else f"{ec3:02d}")
        _add(vak, "cijferCijferlijst", heel(cijferlijst))
        _add(vak, "certificaat", jn(certificaat))
    xsd = schema()
    if not xsd.validate(root):
        errors = "; ".join(e.message.replace(f"{{{NAMESPACE}}}", "") for e in xsd.error_log)
        raise InvalidMessage(errors)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
