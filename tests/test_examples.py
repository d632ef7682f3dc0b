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


# The planted unknown vakcode 8888. An unknown code is an afkeur only under DUO's official code table of
# the year; the bundled 2024-2025 table is derived (issue 11 §3), so there it is attentie EB206.
UNKNOWN_VAKCODE = "337144"


def test_every_planted_error_is_an_afkeur_and_nothing_else_is(outcome):
    bevindingen = outcome.bevindingen
    afkeur = set(bevindingen.loc[bevindingen["ernst"] == "afkeur", "leerlingnummer"])
    assert afkeur == set(planted_errors()) - {UNKNOWN_VAKCODE}
    unknown = bevindingen[bevindingen["leerlingnummer"] == UNKNOWN_VAKCODE]
    assert "EB206" in set(unknown["code"]) and set(unknown["ernst"]) == {"attentie"}
    assert "Vakcode 8888 staat niet in de afgeleide codetabel 2024-2025" in \
        unknown.loc[unknown["code"] == "EB206", "melding"].iloc[0]
    # the other bevindingen (attenties) only concern the same candidates: a clean candidate raises none
    assert set(bevindingen["leerlingnummer"]) == set(planted_errors())
    assert outcome.overgeslagen_regels == []


def test_the_unknown_vakcode_is_an_afkeur_under_an_official_code_table(tmp_path):
    import shutil

    from examenbron.engine import pipeline
    from examenbron.engine.inputs import codetables
    from examenbron.engine.inputs.normalise import load_results
    from examenbron.engine.rulesets import load as rulesets
    shutil.copytree(ROOT / "codetables" / "2024-2025", tmp_path / "2024-2025")
    meta = tmp_path / "2024-2025" / "metadata.yaml"
    meta.write_text(meta.read_text(encoding="utf-8").replace("officieel: false", "officieel: true"), encoding="utf-8")
    tables = codetables.load("2024-2025", tmp_path)
    assert tables.officieel
    results = load_results(str(EXAMPLE))
    bevindingen = pipeline.run(results, rulesets.load("2024-2025"), tables,
                               peildatum=datetime.date(2025, 6, 20)).bevindingen
    unknown = bevindingen[bevindingen["leerlingnummer"] == UNKNOWN_VAKCODE]
    assert list(unknown.loc[unknown["ernst"] == "afkeur", "code"]) == ["EB203"]
    assert "EB206" not in set(bevindingen["code"])
