"""The column registry, the documentation a school or vendor reads and the BRON message say the same thing."""

import re
from pathlib import Path

from lxml import etree

from examenbron.engine.inputs.columns import COLUMNS, EXAM_KEY, PERSONAL_COLUMNS
from examenbron.engine.inputs.normalise import load_results
from examenbron.engine.language.symbols import INPUT_COLUMNS, SKIPPABLE_COLUMNS
from examenbron.engine.outputs.bron_xml import EXAM_FIELDS, NAMESPACE, VAK_FIELDS, build_message

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _table(path: Path, heading: str) -> list[list[str]]:
    """The cells of the first Markdown table under `heading`."""
    text = path.read_text(encoding="utf-8").split(heading, 1)[1]
    block = []
    for line in text.splitlines():
        if line.startswith("|"):
            block.append(line)
        elif block:
            break
    assert block, f"no table under {heading!r} in {path.name}"
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in block[2:]]


def _expand(cell: str) -> list[str]:
    """The names in a cell: `a`, `b` and ranges such as ce1, ce2, ce3 or `x1`…`x3`."""
    names = re.findall(r"`([^`]+)`", cell) or [n.strip() for n in cell.split(",")]
    if "…" in cell and len(names) == 2:
        first, last = names
        stem = re.sub(r"\d+$", "", first)
        low, high = int(re.search(r"\d+$", first)[0]), int(re.search(r"\d+$", last)[0])
        return [f"{stem}{i}" for i in range(low, high + 1)]
    return names


def test_input_format_table_matches_the_registry():
    documented = {}
    for kolom, niveau, verplicht, _ in _table(DOCS / "input-format.md", "## Kolommen"):
        for name in _expand(kolom):
            documented[name] = ("kandidaat" if niveau == "examen" else niveau, verplicht)
    registry = {c.naam: (c.niveau, "ja" if c.waarde_verplicht else "ja (kolom)" if c.verplicht else "nee")
                for c in COLUMNS.values()}
    assert documented == registry
    assert list(documented) == list(registry)  # same order as well


def test_export_element_table_matches_the_registry():
    documented = {}
    for element, _, source, _ in _table(DOCS / "export.md", "These element names are examenbron's own"):
        if "derived" in source:
            continue
        elements, sources = _expand(element), _expand(source)
        if len(elements) == 2 and elements[1].startswith("/"):  # `a/b` or `/c`
            elements[1] = elements[0].rsplit("/", 1)[0] + elements[1]
        assert len(elements) == len(sources), (element, source)
        documented.update(zip(sources, elements))
    assert documented == {c.naam: c.xml for c in COLUMNS.values() if c.xml}


_EXAM = {"bsn": "123456782", "onderwijsnummer": None, "leerlingnummer": "L1", "brin": "01AB", "vestiging": "00",
         "onderwijsaanbieder": "123A456", "opleidingscode": "0353", "examenjaar": 2025,
         "datum_uitslag": "2025-07-01", "uitslag": "G", "werkstuk_titel": "Titel", "werkstuk_cijfer": 70,
         "werkstuk_beoordeling": "G", "combinatiecijfer": 70}
_VAK = {"vakcode": "0010", "diplomavak": True, "combinatiecijfer_vak": False, "examendeel": "A",
        "se_beoordeling": "V", "se_cijfer": 65, "ce1": 66, "ce2": 67, "ce3": 68, "eindcijfer1": 7,
        "eindcijfer2": 7, "eindcijfer3": 7, "eindcijfer": 70, "certificaat": True}


def _message(**exam) -> etree._Element:
    values = {**_EXAM, **exam}
    data = build_message(tuple(values[f] for f in EXAM_FIELDS), [tuple(_VAK[f] for f in VAK_FIELDS)])
    return etree.fromstring(data)


def test_every_sent_column_lands_in_its_registry_element():
    """A value in each column shows up at the element path the registry (and docs/export.md) names."""
    sent = _message(), _message(bsn=None, onderwijsnummer="101234561")
    for column in COLUMNS.values():
        if column.xml is None:
            continue
        path = "/".join(f"{{{NAMESPACE}}}{step}" for step in column.xml.split("/"))
        found = [m.find(path) for m in sent]
        assert any(e is not None and e.text for e in found), f"{column.naam}: no element {column.xml}"


def test_exam_key_personal_data_and_symbols_come_from_the_registry():
    assert EXAM_KEY == ("brin", "vestiging", "leerlingnummer", "opleidingscode", "examenjaar")
    assert PERSONAL_COLUMNS == {"bsn", "onderwijsnummer"}
    assert INPUT_COLUMNS["se_cijfer"] == ("num", "vak", 10)          # grades in tenths
    assert INPUT_COLUMNS["examenjaar"] == ("num", "kandidaat", 1)
    assert INPUT_COLUMNS["diplomavak"] == ("bool", "vak", 1)
    assert set(INPUT_COLUMNS) == set(COLUMNS)
    assert "diplomavak" not in SKIPPABLE_COLUMNS and "certificaat" in SKIPPABLE_COLUMNS  # a default, no skip


def test_datamodel_frame_tables_match_the_registry_and_the_normalised_frames():
    """docs/datamodel.md §1 lists every registry column under its niveau with the dtype normalise gives it."""
    results = load_results(Path(__file__).resolve().parent.parent / "examples" / "resultaten-2024-2025.csv")
    for heading, frame, niveau in (("`examens` columns", results.examens, "kandidaat"),
                                   ("`vakken` columns", results.vakken, "vak")):
        documented = {}
        for kolom, dtype, _ in _table(DOCS / "datamodel.md", heading):
            for name in _expand(kolom):
                documented[name] = dtype.split()[0]
        assert set(documented) - {"exam_id", "bron_rij"} == {c.naam for c in COLUMNS.values() if c.niveau == niveau}
        assert documented == {name: str(dtype) for name, dtype in frame.dtypes.items()}
