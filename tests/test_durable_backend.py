"""Differential tests: the durable-rules backend must report exactly the bevindingen of the pandas engine.

A difference is a bug in one of the two compilers. Cases: every school year's rule test cases (all
cases of a year and peildatum in one table, so a year costs one run per backend), generated files
with planted errors, a hypothesis strategy over seeds and sizes, and the CLI's `--engine durable`.
"""

import datetime
import functools
import json
from collections import defaultdict

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from examenbron.engine.errors import BackendUnavailable

try:
    from examenbron.engine.evaluation import durable as durable_backend
except BackendUnavailable as exc:   # Python >= 3.13 or no compiler: durable-rules cannot be imported
    pytest.skip(str(exc), allow_module_level=True)

from examenbron.engine.inputs import codetables
from examenbron.engine import pipeline
from examenbron.engine.rulesets import load as rules
from examenbron.engine.samples.generate import generate, write_csv
from examenbron.engine.inputs.normalise import load_results, normalise
from examenbron.engine.inputs.read import RawTable
from examenbron.engine.rulesets.ruletests import case_table

COLUMNS = ["regel", "code", "exam_id", "vakcode", "bron_rij", "melding"]
YEARS = rules.available_years()


def _generator_supports(year):
    from examenbron.engine.samples.generate import jaar
    try:
        jaar(year)
        return True
    except ValueError:
        return False


GEN_YEARS = [y for y in YEARS if _generator_supports(y)]


@functools.lru_cache(maxsize=None)
def _rules(year):
    return rules.load(year, tests=True), codetables.load(year)


def _sorted(bevindingen: pd.DataFrame) -> pd.DataFrame:
    frame = bevindingen[COLUMNS].astype(str)
    return frame.sort_values(COLUMNS, kind="stable").reset_index(drop=True)


def assert_same_bevindingen(results, ruleset, tables, peildatum):
    outcomes = {b: pipeline.run(results, ruleset, tables, peildatum=peildatum, backend=b)
                for b in ("pandas", "durable")}
    uitslag = {b: outcomes[b].kandidaten[["uitslag_berekend", "weglaten_vak", "voorwaarden_niet_gehaald",
                                          "voorwaarden_onbepaald"]] for b in outcomes}
    assert uitslag["pandas"].equals(uitslag["durable"]), "the engines decide a different uitslag"
    expected, got = (_sorted(outcomes[b].bevindingen) for b in ("pandas", "durable"))
    if not expected.equals(got):
        diff = expected.merge(got, how="outer", indicator=True)
        diff = diff[diff["_merge"] != "both"].replace({"left_only": "pandas only", "right_only": "durable only"})
        pytest.fail(f"{len(diff)} bevindingen differ between the engines:\n{diff.to_string(max_rows=40)}")
    return outcomes["pandas"]


def _combined_table(cases, examenjaar) -> RawTable:
    """All cases in one table (each its own candidate), like ruletests.case_table does for one."""
    tables = [case_table(case, examenjaar, f"T{i:04d}") for i, case in cases]
    headers = sorted({h for t in tables for h in t.headers})
    columns = []
    for h in headers:
        cells = []
        for t in tables:
            n = len(t.bron_rij)
            cells += list(np.asarray(t.columns[t.headers.index(h)], dtype=object)) if h in t.headers else [""] * n
        columns.append(pd.Categorical(cells))
    n = sum(len(t.bron_rij) for t in tables)
    return RawTable("rule test cases", headers, columns, np.arange(2, n + 2, dtype="int64"))


@pytest.mark.parametrize("year", YEARS)
def test_rule_cases_same_bevindingen(year):
    ruleset, tables = _rules(year)
    if not ruleset.testgevallen:
        pytest.skip(f"{year} has no rule test cases")
    examenjaar = int(year[-4:])
    by_day = defaultdict(list)
    for i, case in enumerate(ruleset.testgevallen, start=1):
        by_day[case.get("peildatum") or datetime.date(examenjaar, 6, 20)].append((i, case))
    for day, cases in by_day.items():
        outcome = assert_same_bevindingen(normalise(_combined_table(cases, examenjaar)), ruleset, tables, day)
        assert len(outcome.kandidaten) == len(cases)


def _generated(tmp_path, kandidaten, year, seed):
    path = tmp_path / f"gen_{year}_{kandidaten}_{seed}.csv"
    write_csv(generate(kandidaten, year, seed=seed, fouten=True).frame, path)
    return load_results(path)


@pytest.mark.parametrize("year", GEN_YEARS)
def test_generated_file_same_bevindingen(tmp_path, year):
    examenjaar = int(year[-4:])
    results = _generated(tmp_path, 120, year, seed=7)
    outcome = assert_same_bevindingen(results, *_rules(year), datetime.date(examenjaar, 6, 20))
    assert len(outcome.bevindingen) > 0      # the planted errors are found


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6), kandidaten=st.integers(1, 40), year=st.sampled_from(GEN_YEARS),
       days=st.integers(-60, 60))
def test_generated_files_same_bevindingen_property(tmp_path, seed, kandidaten, year, days):
    examenjaar = int(year[-4:])
    results = _generated(tmp_path, kandidaten, year, seed)
    assert_same_bevindingen(results, *_rules(year), datetime.date(examenjaar, 6, 20) + datetime.timedelta(days=days))


def test_cli_engine_durable_same_exit_code_and_count(tmp_path):
    from examenbron.cli import main
    path = tmp_path / "resultaten.csv"
    write_csv(generate(80, "2024-2025", seed=3, fouten=True).frame, path)
    runner = CliRunner()
    outputs = {}
    for engine in ("pandas", "durable"):
        result = runner.invoke(main, ["validate", str(path), "--peildatum", "2025-06-20", "--format", "json",
                                      "--engine", engine])
        assert result.exit_code in (0, 1), result.output
        outputs[engine] = (result.exit_code, result.output)
    assert outputs["pandas"][0] == outputs["durable"][0]
    counts = {e: _bevindingen_count(out) for e, (_, out) in outputs.items()}
    assert counts["pandas"] == counts["durable"] and counts["pandas"] > 0


def _bevindingen_count(text):
    data = json.loads(text)
    assert "bevindingen" in data, f"no bevindingen list in the JSON report: {sorted(data)}"
    return len(data["bevindingen"])


def test_unavailable_engine_is_a_backend_error(monkeypatch):
    import builtins
    import importlib
    import sys
    real_import = builtins.__import__

    def no_durable(name, *args, **kwargs):
        if name.startswith("durable"):
            raise ImportError("No module named 'durable_rules_engine'")
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", no_durable)
    monkeypatch.delitem(sys.modules, "examenbron.engine.evaluation.durable")
    from examenbron.engine.evaluation.backends import evaluator
    with pytest.raises(BackendUnavailable, match="durable"):
        evaluator("durable")
    monkeypatch.undo()
    importlib.import_module("examenbron.engine.evaluation.durable")


def test_identical_rows_are_not_merged_and_memory_is_released(tmp_path):
    """Two byte-identical candidates each get their own bevinding; rulesets are deleted after a run."""
    frame = generate(1, "2024-2025", seed=5, fouten=False).frame
    frame = pd.concat([frame, frame], ignore_index=True)
    frame["bsn"] = "123456780"              # fails the 11-proef: one ID-BSN bevinding per candidate
    path = tmp_path / "dubbel.csv"
    write_csv(frame, path)
    results = load_results(path)
    outcome = assert_same_bevindingen(results, *_rules("2024-2025"), datetime.date(2025, 6, 20))
    assert (outcome.bevindingen["regel"] == "ID-BSN").sum() == len(results.examens)


def test_throughput_hook(tmp_path):
    results = _generated(tmp_path, 60, "2024-2025", seed=9)
    ruleset, tables = _rules("2024-2025")
    outcome = pipeline.run(results, ruleset, tables, peildatum=datetime.date(2025, 6, 20))
    skip = {s["regel"] for s in outcome.overgeslagen_regels}
    controles = [r for r in ruleset.controles if r.fase == "invoer" and r.id not in skip]
    stats = durable_backend.throughput(outcome.context, controles, 300, schooljaar=ruleset.schooljaar,
                                       examens=results.examens)
    assert stats["bevindingen_agree"]
    assert stats["durable_rows_per_s"] > 0 and stats["pandas_rows_per_s"] > 0


# --- compiler-level differential: every node type over values with nulls in every position --------

EXPRESSIONS = [
    "a < b", "a <= 5.5", "5.5 > a", "a == c", "a != c", "c >= 7", "d == e", "d != \"x\"", "f", "not f",
    "f == false", "f != g", "a is null", "not (d is not null)", "f and g", "f or g", "not (f and a < b)",
    "a in [5, 5.5, 7]", "d not in [\"x\", \"y\"]", "d in [\"y\", \"x\", \"xx\"]", "(a < b or d == \"x\") and not g",
    "valid_bsn(d)", "matches(d, \"[xy]\")", "not matches(e, \"x+\")", "m >= a", "m == 6", "t > peil",
    "(f is null) == g", "true and f", "false or not g", "k in [1, 2] and (a is not null or f)",
]


def _context():
    from examenbron.engine.evaluation.frames import Context, Level
    from examenbron.engine.language.values import Value
    rng = np.random.default_rng(4)
    n = 400
    null = lambda p=0.25: rng.random(n) < p  # noqa: E731
    words = np.array(["x", "y", "xx", "111222333", "123456782", ""], dtype=object)
    mean_den = rng.integers(1, 7, n) * 10
    values = {
        "a": Value("num", rng.integers(40, 80, n), null(), 10),
        "b": Value("num", rng.integers(4, 8, n), null(), 1),
        "c": Value("num", rng.integers(50, 90, n), null(), 10),
        "d": Value("str", words[rng.integers(0, len(words), n)], null()),
        "e": Value("str", words[rng.integers(0, len(words), n)], null()),
        "f": Value("bool", rng.random(n) < 0.5, null()),
        "g": Value("bool", rng.random(n) < 0.5, null()),
        "k": Value("num", rng.integers(0, 4, n), null(), 1),
        "m": Value("num", rng.integers(5, 9, n) * mean_den // 10 + rng.integers(-1, 2, n), null(), mean_den),
        "t": Value("date", rng.integers(20000, 20010, n), null()),
    }
    ctx = Context(Level("kandidaat", n, values), Level("vak", 0, {}), np.zeros(0, dtype="int64"),
                  {"lijst": ["x", "xx"], "peil": datetime.date(2024, 10, 2)})
    return ctx


def test_compiler_matches_vectorised_evaluator_on_nulls():
    from types import SimpleNamespace
    from examenbron.engine.evaluation.evaluate import applicable, evaluate
    from examenbron.engine.language.expr import Symbol, check, parse
    ctx = _context()
    kinds = {"a": ("num", 10), "b": ("num", 1), "c": ("num", 10), "d": ("str", 1), "e": ("str", 1),
             "f": ("bool", 1), "g": ("bool", 1), "k": ("num", 1), "m": ("num", None), "t": ("date", 1)}
    symbols = {name: Symbol(name, kind, "kandidaat", den) for name, (kind, den) in kinds.items()}
    symbols["lijst"] = Symbol("lijst", "list", None, 1, ["x", "xx"])
    symbols["peil"] = Symbol("peil", "date", None, 1, datetime.date(2024, 10, 2))
    rules_ = []
    for i, text in enumerate(EXPRESSIONS):
        for wanneer in (None, "f or a > 6"):
            rules_.append(SimpleNamespace(
                id=f"R{i}{'w' if wanneer else ''}", niveau="kandidaat", leerwegen=None, opleidingen=None,
                voorwaarde=check(parse(text), symbols, level="kandidaat", condition=True),
                wanneer=check(parse(wanneer), symbols, level="kandidaat", condition=True) if wanneer else None))
    fired = durable_backend.EVALUATOR.failing(ctx, rules_)
    for i, rule in enumerate(rules_):
        holds = np.broadcast_to(evaluate(rule.voorwaarde, ctx, "kandidaat").true(), ctx.kandidaat.n)
        expected = np.flatnonzero(applicable(ctx, rule, "kandidaat") & ~holds).tolist()
        assert fired[rule.id].tolist() == expected, f"{rule.id}: {EXPRESSIONS[i // 2]}"


def test_list_parameter_inside_list_literal():
    from examenbron.engine.evaluation.evaluate import evaluate
    from examenbron.engine.language.expr import Symbol, check, parse
    ctx = _context()
    symbols = {"d": Symbol("d", "str", "kandidaat", 1), "lijst": Symbol("lijst", "list", None, 1, ["x", "xx"])}
    nested = evaluate(check(parse('d in ["y", lijst]'), symbols, level="kandidaat", condition=True), ctx, "kandidaat")
    flat = evaluate(check(parse('d in ["y", "x", "xx"]'), symbols, level="kandidaat", condition=True), ctx, "kandidaat")
    assert np.array_equal(nested.true(), flat.true())
