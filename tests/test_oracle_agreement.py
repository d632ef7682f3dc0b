"""Acceptance (issue 12 §5): the example generator's oracle and the rules decide alike.

The generator decides every candidate with its own compact reading of the slaag-zakregeling
(engine/samples/generate.py, `_Oracle`); the product decides with the YAML rules. A difference is a
bug in one of them: fix that side, never loosen this test. Every school year with a rule folder is
checked, so a new year is covered without editing this file.
"""

import datetime
import json

import pytest
from click.testing import CliRunner

import examenbron
from examenbron.cli import main
from examenbron.engine.rulesets.load import available_years
from examenbron.engine.samples.generate import generate

YEARS = available_years()
KANDIDATEN = 20_000
SEED = 12
UITSLAG = {"G": "geslaagd", "A": "afgewezen"}


def peildatum(schooljaar: str) -> datetime.date:
    """A day in June of the examenjaar: after the uitslag, before the exchange deadlines."""
    return datetime.date(int(schooljaar[-4:]), 6, 20)


@pytest.mark.slow
@pytest.mark.parametrize("schooljaar", YEARS)
def test_rules_and_oracle_agree_on_every_generated_candidate(schooljaar):
    frame = generate(KANDIDATEN, schooljaar, seed=SEED).frame
    outcome = examenbron.validate(frame, schooljaar=schooljaar, peildatum=peildatum(schooljaar))
    kandidaten = outcome.kandidaten
    assert len(kandidaten) == KANDIDATEN
    decided = kandidaten[kandidaten["uitslag_school"].isin(list(UITSLAG))]
    assert len(decided) > 0.95 * KANDIDATEN       # the rest is T, S, D or not yet determined
    oracle = decided["uitslag_school"].map(UITSLAG)
    differ = decided[decided["uitslag_berekend"] != oracle]
    assert differ.empty, (f"{len(differ)} of {len(decided)} candidates decided differently:\n"
                          + differ[["leerlingnummer", "opleidingscode", "uitslag_school", "uitslag_berekend",
                                    "voorwaarden_niet_gehaald", "weglaten_vak"]].head(20).to_string())
    assert (oracle == "afgewezen").sum() > 0.01 * len(decided)   # the comparison covers both outcomes
    afkeur = outcome.bevindingen[outcome.bevindingen["ernst"] == "afkeur"]
    assert afkeur.empty, afkeur[["leerlingnummer", "code", "melding"]].head(20).to_string()


@pytest.mark.parametrize("schooljaar", YEARS)
def test_voorbeeld_zonder_fouten_gives_no_afkeur(schooljaar, tmp_path):
    runner = CliRunner()
    path = tmp_path / "voorbeeld.csv"
    made = runner.invoke(main, ["voorbeeld", "--zonder-fouten", "-n", "300", "-j", schooljaar, "-o", str(path)])
    assert made.exit_code == 0, made.output
    result = runner.invoke(main, ["validate", str(path), "-j", schooljaar, "--format", "json", "--stil",
                                  "--peildatum", peildatum(schooljaar).isoformat()])
    doc = json.loads(result.stdout)
    afkeur = [f for f in doc["bevindingen"] if f["ernst"] == "afkeur"]
    assert afkeur == []
    assert result.exit_code == 0
    assert len(doc["kandidaten"]) == 300
