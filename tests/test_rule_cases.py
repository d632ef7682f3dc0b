"""Every rule test case in rules/<jaar>/tests/*.yaml as a pytest item (same runner as `rules test`)."""

import pytest

from examenbron.engine.inputs import codetables
from examenbron.engine.rulesets import load as rules
from examenbron.engine.rulesets.ruletests import run_case

RULESETS = {year: rules.load(year, tests=True) for year in rules.available_years()}
CASES = [(year, i, case) for year in rules.available_years()
         for i, case in enumerate(RULESETS[year].testgevallen, start=1)]


@pytest.mark.parametrize("year,index,case", CASES, ids=[f"{y}:{c['naam']}" for y, _, c in CASES])
def test_rule_case(year, index, case):
    result = run_case(case, RULESETS[year], codetables.load(year), index)
    assert result.passed, f"{result.file}:{result.line} {result.naam}\n  " + "\n  ".join(result.problems)


def test_every_year_has_cases_for_every_leerweg():
    for year in rules.available_years():
        leerweg = codetables.load(year).opleidingen.set_index("opleidingscode")["leerweg"].to_dict()
        leerwegen = {leerweg.get(c["opleidingscode"]) for y, _, c in CASES if y == year}
        assert leerwegen >= {"VWO", "HAVO", "VMBO-TL", "VMBO-GL", "VMBO-KB", "VMBO-BB"}, year
