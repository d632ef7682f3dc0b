"""Acceptance: the example generator's oracle and the rules agree on every candidate (issue 12 §5).

For each school year with rules, a generated 20 000-candidate file (no planted errors) is validated;
every candidate the oracle decided (uitslag G or A) must get the same computed uitslag, and the file
gives no afkeur. A difference is a bug in the oracle (engine/samples/generate.py) or in the rules:
fix the one that misreads the law, never this test. Slow (about a minute per year on an idle
machine); deselect with `-m "not slow"`.
"""

import datetime

import pytest

import examenbron
from examenbron.engine.rulesets.load import available_years
from examenbron.engine.samples.generate import generate

KANDIDATEN = 20_000


@pytest.mark.slow
@pytest.mark.parametrize("year", available_years())
def test_oracle_and_rules_agree_on_every_candidate(year):
    frame = generate(KANDIDATEN, year, seed=12).frame
    outcome = examenbron.validate(frame, schooljaar=year, peildatum=datetime.date(int(year[-4:]), 6, 20))
    k = outcome.kandidaten
    decided = k[k.uitslag_school.isin(["G", "A"])]
    oracle = decided.uitslag_school.map({"G": "geslaagd", "A": "afgewezen"})
    differ = decided[oracle != decided.uitslag_berekend]
    assert len(decided) > 0.9 * KANDIDATEN
    assert differ.empty, (
        f"{len(differ)} of {len(decided)} candidates differ:\n"
        + differ[["leerlingnummer", "opleidingscode", "uitslag_school", "uitslag_berekend",
                  "voorwaarden_niet_gehaald", "voorwaarden_onbepaald", "weglaten_vak"]].head(20).to_string())
    afkeur = outcome.findings[outcome.findings.ernst == "afkeur"]
    assert afkeur.empty, afkeur[["regel", "melding"]].head(20).to_string()
