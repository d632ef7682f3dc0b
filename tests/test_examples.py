"""The bundled example reports exactly the planted errors examples/README.md lists: no more, no fewer."""

import datetime
from pathlib import Path

import pytest

import examenbron
from examenbron.engine.samples.generate import generate

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "resultaten-2024-2025.csv"
README = ROOT / "examples" / "README.md"


def planted_errors() -> dict:
    """leerlingnummer -> column, from the README's table of planted errors."""
    section = README.read_text(encoding="utf-8").split("## Planted errors", 1)[1].split("\n## ", 1)[0]
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in section.splitlines()
            if line.startswith("| ")]
    header = rows[0]
    return {row[header.index("leerlingnummer")]: row[header.index("column")] for row in rows[1:]}


@pytest.fixture(scope="module")
def outcome():
    return examenbron.validate(str(EXAMPLE), peildatum=datetime.date(2025, 6, 20))


def test_readme_table_is_the_generators_manifest():
    fouten = generate(300, "2024-2025", seed=2025, fouten=True).fouten
    assert len(planted_errors()) == 13
    assert {(f.leerlingnummer, f.kolom) for f in fouten} == set(planted_errors().items())


def test_every_planted_error_is_an_afkeur_and_nothing_else_is(outcome):
    bevindingen = outcome.bevindingen
    afkeur = set(bevindingen.loc[bevindingen["ernst"] == "afkeur", "leerlingnummer"])
    assert afkeur == set(planted_errors())
    # the other bevindingen (attenties) only concern the same candidates: a clean candidate raises none
    assert set(bevindingen["leerlingnummer"]) == set(planted_errors())
    assert outcome.overgeslagen_regels == []
