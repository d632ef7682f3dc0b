"""Run the rule test cases of a school year (rules/<jaar>/tests/*.yaml) through the real pipeline.

Each case is one candidate: it is written as canonical text columns, read by the normaliser and
validated by the same pipeline as a results file, so a test exercises reading, afleidingen,
checks and the uitslag together. Used by `examenbron rules test` and by pytest.

A vak without `eindcijfer` gets the one the rule set computes (role `eindcijfer`), so cases stay
short: only the afleidingen that role needs are evaluated before the one pipeline run.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field, replace
from fractions import Fraction

import numpy as np
import pandas as pd

from examenbron.engine.inputs import codetables
from examenbron.engine import pipeline
from examenbron.engine.inputs.columns import REQUIRED_COLUMNS
from examenbron.engine.evaluation.backends import STATUS_NAMES
from examenbron.engine.inputs.normalise import normalise
from examenbron.engine.inputs.read import RawTable
from examenbron.engine.language.expr import rule_number
from examenbron.engine.outputs.texts import number_text

DEFAULTS = {"brin": "12AB", "vestiging": "00", "bsn": "111222333", "onderwijsaanbieder": "123A456"}


@dataclass
class CaseResult:
    """The outcome of one test case: the differences found (empty when it passes)."""

    naam: str
    file: str
    line: int
    problems: list = field(default_factory=list)
    outcome: object = None

    @property
    def passed(self) -> bool:
        return not self.problems


@dataclass
class YearResult:
    """All cases of a year, plus the rules that no case exercises."""

    schooljaar: str
    cases: list
    not_covered: list

    @property
    def failed(self) -> list:
        return [c for c in self.cases if not c.passed]


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "J" if value else "N"
    if isinstance(value, (int, Fraction)):
        return number_text(Fraction(value).numerator, Fraction(value).denominator)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def case_table(case: dict, examenjaar: int, leerlingnummer: str) -> RawTable:
    """The canonical results table of one test case."""
    kandidaat = {**DEFAULTS, "leerlingnummer": leerlingnummer, "opleidingscode": case["opleidingscode"],
                 "examenjaar": examenjaar, **(case.get("kandidaat") or {})}
    if kandidaat.get("uitslag") in ("G", "A", "D") and "datum_uitslag" not in kandidaat:
        kandidaat["datum_uitslag"] = datetime.date(examenjaar, 6, 15)
    rows = [{**kandidaat, **vak} for vak in case["vakken"]]
    columns = sorted({c for row in rows for c in row} | set(REQUIRED_COLUMNS))
    data = [pd.Categorical([_text(row.get(c)) for row in rows]) for c in columns]
    return RawTable(f"test {case['naam']!r}", columns, data, np.arange(2, len(rows) + 2, dtype="int64"))


def with_computed_eindcijfers(results, ruleset, tables, peildatum, bron_rijen):
    """`results` with the eindcijfer of the vak rows `bron_rijen` set to the one the rule set
    computes (role `eindcijfer`, a whole number by UB WVO 2020 art. 3.37; stored in tenths)."""
    computed = pipeline.derive_vak_roles(results, ruleset, tables, ["eindcijfer"], peildatum=peildatum, scale=10)
    vakken = results.vakken.copy()
    fill = vakken["bron_rij"].isin(list(bron_rijen)).to_numpy()
    vakken.loc[fill, "eindcijfer"] = computed["eindcijfer"].reindex(vakken.index[fill]).to_numpy()
    return replace(results, vakken=vakken)


def run_case(case: dict, ruleset, tables, index: int) -> CaseResult:
    """Validate one case (one pipeline run) and compare with its `verwacht`.

    `codetabel_officieel: true|false` runs the case as if the year's code tables were (not) DUO's
    official ones, so both the afkeur and the attentie for an unknown code can be tested in any year.
    """
    if "codetabel_officieel" in case:
        tables = replace(tables, metadata={**tables.metadata, "officieel": case["codetabel_officieel"]})
    examenjaar = int(ruleset.schooljaar[-4:])
    peildatum = case.get("peildatum") or datetime.date(examenjaar, 6, 20)
    results = normalise(case_table(case, examenjaar, f"T{index:04d}"))
    without = [row for row, vak in enumerate(case["vakken"], start=2) if "eindcijfer" not in vak]
    if without:
        results = with_computed_eindcijfers(results, ruleset, tables, peildatum, without)
    outcome = pipeline.run(results, ruleset, tables, peildatum=peildatum)
    where = getattr(case, "where", None)
    result = CaseResult(case["naam"], where.file if where else "", where.line if where else 0, outcome=outcome)
    _compare(case["verwacht"], outcome, result)
    return result


def _compare(expected: dict, outcome, result: CaseResult) -> None:
    kandidaat = outcome.kandidaten.iloc[0]
    codes = set(outcome.bevindingen["code"].astype(str))
    if "uitslag" in expected and kandidaat["uitslag_berekend"] != expected["uitslag"]:
        result.problems.append(f"uitslag: verwacht {expected['uitslag']}, berekend {kandidaat['uitslag_berekend']}"
                               + _why(kandidaat))
    if "niet_gehaald" in expected:
        want, got = sorted(map(str, expected["niet_gehaald"])), sorted(kandidaat["voorwaarden_niet_gehaald"])
        if want != got:
            result.problems.append(f"niet_gehaald: verwacht {_listed(want)}, berekend {_listed(got)}")
    for code in expected.get("signalen", []):
        if str(code) not in codes:
            result.problems.append(f"signalen: verwacht {code}, gemeld {_listed(sorted(codes))}")
    for code in expected.get("geen_signalen", []):
        if str(code) in codes:
            melding = outcome.bevindingen.loc[outcome.bevindingen["code"].astype(str) == str(code), "melding"].iloc[0]
            result.problems.append(f"geen_signalen: {code} is toch gemeld: {melding}")
    if "weglaten_vak" in expected:
        got = kandidaat["weglaten_vak"] or ""
        if not got.startswith(str(expected["weglaten_vak"])):
            result.problems.append(f"weglaten_vak: verwacht {expected['weglaten_vak']}, berekend {got or 'geen'}")
    for name, want in (expected.get("waarden") or {}).items():
        got = _value(outcome, name)
        if got != _normal(want):
            result.problems.append(f"waarden.{name}: verwacht {_shown(_normal(want))}, berekend {_shown(got)}")


def _why(kandidaat) -> str:
    parts = []
    if kandidaat["voorwaarden_niet_gehaald"]:
        parts.append("niet gehaald: " + ", ".join(kandidaat["voorwaarden_niet_gehaald"]))
    if kandidaat["voorwaarden_onbepaald"]:
        parts.append("onbepaald: " + ", ".join(kandidaat["voorwaarden_onbepaald"]))
    return f" ({'; '.join(parts)})" if parts else ""


def _listed(names) -> str:
    return ", ".join(map(str, names)) or "geen"


def _shown(value) -> str:
    """A value as a policy officer writes it in a test case: 5.5, true, leeg; an exact fraction such as
    457/70 (ongeveer 6.5286) when it has no short decimal form."""
    if value is None:
        return "leeg"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Fraction):
        exact = rule_number(value)
        return exact if "/" not in exact else f"{exact} (ongeveer {rule_number(round(value, 4))})"
    return str(value)


def _normal(value):
    if isinstance(value, (int, Fraction)) and not isinstance(value, bool):
        return Fraction(value)
    return value


def _value(outcome, name):
    values = outcome.context.kandidaat.values
    if name not in values:
        return f"<{name} is geen afleiding>"
    v = values[name]
    if np.asarray(v.null).flat[0]:
        return None
    val = np.asarray(v.val).flat[0]
    if v.kind == "num":
        den = np.asarray(v.den).flat[0]
        return Fraction(int(val), int(den))
    return bool(val) if v.kind == "bool" else val


def run_year(schooljaar: str, root=None, codetables_root=None) -> YearResult:
    """Run every test case of a school year and report coverage."""
    from examenbron.engine.rulesets import load as rules
    ruleset = rules.load(schooljaar, root, tests=True)
    tables = codetables.load(schooljaar, codetables_root)
    cases = [run_case(case, ruleset, tables, i) for i, case in enumerate(ruleset.testgevallen, start=1)]
    return YearResult(schooljaar, cases, _not_covered(ruleset, cases))


def _not_covered(ruleset, cases) -> list[str]:
    """Voorwaarden not seen both gehaald and niet gehaald; controles that never fired."""
    seen = {}
    fired = set()
    for case in cases:
        outcome = case.outcome
        for rule_id, status in outcome.decision.status.items():
            seen.setdefault(rule_id, set()).update(STATUS_NAMES[v] for v in np.unique(status).tolist())
        for rule_id, statuses in outcome.decision.scenario_status.items():
            seen.setdefault(rule_id, set()).update(statuses)
        fired |= set(outcome.bevindingen["regel"])
    missing = []
    for rule in ruleset.voorwaarden:
        ways = seen.get(rule.id, set())
        lacking = [w for w in ("gehaald", "niet gehaald") if w not in ways]
        if lacking:
            missing.append(f"{rule.id} (nooit {' / '.join(lacking)})")
    missing += [f"{rule.id} (nooit gemeld)" for rule in ruleset.controles if rule.id not in fired]
    return missing
