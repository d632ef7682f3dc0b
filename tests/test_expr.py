"""The rule expression language: parsing, type checking and exact vectorised evaluation."""

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from examenbron.engine.language import expr
from examenbron.engine.evaluation.evaluate import evaluate
from examenbron.engine.evaluation.frames import Context, Level
from examenbron.engine.language.values import Value, from_series
from examenbron.engine.language.symbols import base_symbols

SYMBOLS = base_symbols()


def check(text, level="vak", condition=True):
    return expr.check(expr.parse(text), SYMBOLS, level=level, condition=condition)


def error(text, level="vak", condition=True):
    with pytest.raises(expr.ExpressionError) as info:
        check(text, level, condition)
    return info.value


def grades(*tenths):
    """A vak-level context with one candidate and the given se_cijfer values (None = empty)."""
    val = np.array([t or 0 for t in tenths], dtype="int64")
    null = np.array([t is None for t in tenths])
    vak = {"se_cijfer": Value("num", val, null, 10)}
    return Context(Level("kandidaat", 1, {}), Level("vak", len(tenths), vak), np.zeros(len(tenths), "int64"), {})


def test_decimal_comma_gets_a_hint():
    err = error("se_cijfer >= 5,5")
    assert err.message == "',' hoort hier niet; schrijf decimalen met een punt (5.5), niet met een komma"
    assert err.position == 14


def test_unknown_column_suggests_the_close_name():
    assert error("se_cijfr >= 5.5").message == "onbekende naam 'se_cijfr'; bedoelde u 'se_cijfer'?"


def test_unknown_function_is_named():
    assert "onbekende functie 'avg'" in error("avg(se_cijfer) > 1", condition=False).message


def test_arithmetic_is_refused_in_a_condition():
    assert "rekenen mag niet in een voorwaarde" in error("se_cijfer + ce1 > 11").message


def test_aggregate_needs_candidate_level():
    assert "count() rekent over de vakken van een kandidaat; gebruik de functie in een afleiding met niveau " \
        "kandidaat" in error("count(where=diplomavak)", condition=False).message


def test_vak_value_at_candidate_level_needs_an_aggregate():
    assert "'se_cijfer' is een waarde per vak" in error("se_cijfer > 5", level="kandidaat").message


def test_comparing_text_with_number_is_a_type_error():
    assert error('vakcode > 5').message == "'vakcode' is tekst en 5 is een getal; die zijn niet met elkaar te vergelijken"


def test_assignment_typo_gets_a_hint():
    assert error("uitslag = \"G\"").message.endswith("vergelijk met '=='")


@pytest.mark.parametrize("text", [
    "(" * 200 + "se_cijfer > 1" + ")" * 200,
    "se_cijfer > 1 and " * 1000 + "se_cijfer > 1",
    "se_cijfer > 1 ; import os",
    "__import__('os')",
    "se_cijfer > 1 \u200b",
    "vakcode == “1001”",
])
def test_hostile_input_is_refused_with_an_expression_error(text):
    with pytest.raises(expr.ExpressionError):
        check(text)


def test_unicode_text_literals_are_fine():
    node = check('vaknaam == "Fries — ë"')
    assert node.kind == "bool"


def test_null_never_satisfies_a_comparison():
    ctx = grades(55, None)
    value = evaluate(check("se_cijfer >= 5.5"), ctx, "vak")
    assert value.true().tolist() == [True, False]
    assert value.null.tolist() == [False, True]


def test_kleene_false_and_unknown_is_false():
    ctx = grades(None)
    value = evaluate(check("se_cijfer >= 5.5 and false"), ctx, "vak")
    assert value.false().tolist() == [True]


def test_half_up_rounding_on_exact_tenths():
    ctx = grades(54, 55, 545 // 10)
    value = evaluate(check("round(se_cijfer)", condition=False), ctx, "vak")
    assert value.val.tolist() == [5, 6, 5]
    mean = evaluate(check("round((se_cijfer + 5.5) / 2)", condition=False), grades(54, 55), "vak")
    assert mean.val.tolist() == [5, 6]  # (5.4 + 5.5) / 2 = 5.45 -> 5 ; 5.5 -> 6


def test_mean_is_exact_and_unrounded():
    ctx = grades(55, 55, 54)  # 16.4 / 3 = 5.4666...
    value = evaluate(check("mean(se_cijfer)", level="kandidaat", condition=False), ctx, "kandidaat")
    assert Fraction(int(value.val[0]), int(np.asarray(value.den).flat[0])) == Fraction(164, 30)
    ctx.kandidaat.values["m"] = value
    symbols = dict(SYMBOLS, m=expr.Symbol("m", "num", "kandidaat", None))
    node = expr.check(expr.parse("m >= 5.5"), symbols, level="kandidaat", condition=True)
    assert evaluate(node, ctx, "kandidaat").false().tolist() == [True]


def test_aggregates_skip_empty_values_and_count_filters():
    ctx = grades(70, None, 40)
    count = evaluate(check("count(where=se_cijfer < 5.5)", level="kandidaat", condition=False), ctx, "kandidaat")
    low = evaluate(check("min(se_cijfer)", level="kandidaat", condition=False), ctx, "kandidaat")
    assert count.val.tolist() == [1]
    assert low.val.tolist() == [40]


def test_every_registered_function_is_documented_for_policy_staff():
    from pathlib import Path
    from examenbron.engine.language.functions import FUNCTIONS
    doc = (Path(__file__).resolve().parents[1] / "docs" / "rule-language.md").read_text(encoding="utf-8")
    assert [name for name in FUNCTIONS if f"`{name}(" not in doc] == []


def test_condition_functions_have_a_durable_mapping():
    from examenbron.engine.language.functions import FUNCTIONS
    assert [f.name for f in FUNCTIONS.values() if f.in_condition and f.durable is None] == []
    assert [f.name for f in FUNCTIONS.values() if f.aggregate and f.durable is not None] == []


def test_strict_aggregate_is_empty_when_a_filtered_row_is_empty():
    two = Context(Level("kandidaat", 2, {}), Level("vak", 4, {"se_cijfer": Value(
        "num", np.array([70, 0, 40, 60]), np.array([False, True, False, False]), 10)}),
        np.array([0, 0, 1, 1]), {})
    for function in ("sum", "min", "max", "mean"):
        strict = evaluate(check(f"{function}(se_cijfer, strict=true)", level="kandidaat", condition=False),
                          two, "kandidaat")
        assert np.asarray(strict.null).tolist() == [True, False], function
    # the filter decides which rows must be known: the empty row outside `where` does not matter
    known = evaluate(check("min(se_cijfer, where=se_cijfer is not null, strict=true)", level="kandidaat",
                           condition=False), two, "kandidaat")
    assert known.val.tolist() == [70, 40] and not np.asarray(known.null).any()


def test_strict_takes_only_true_or_false_and_only_on_sum_min_max_mean():
    assert "'strict' moet true of false zijn" in error("min(se_cijfer, strict=1)", level="kandidaat", condition=False).message
    assert "'where'" in error("count(where=se_cijfer > 5, strict=true)", level="kandidaat", condition=False).message


def test_if_without_else_is_empty_unless_the_condition_holds():
    ctx = grades(70, None, 40)
    value = evaluate(check("if(se_cijfer > 5, se_cijfer)", condition=False), ctx, "vak")
    assert np.asarray(value.null).tolist() == [False, True, True]
    assert value.val[0] == 70


def text(values):
    """A vak text column, factorized as the input columns are."""
    return from_series(pd.Series(values, dtype=object), "str", factorize=True)


def two_candidates():
    """Candidate 0 (HAVO) with two vak rows, candidate 1 (VMBO-TL, no leerweg known for 2) with one."""
    kand = {"leerweg": Value("str", np.array(["HAVO", None], dtype=object), np.array([False, True]))}
    vak = {"se_cijfer": Value("num", np.array([70, 50, 60]), np.array([False, False, False]), 10),
           "examendeel": text(["G", None, "P"]), "beoordelingswijze": text([None, "VGO", "cijfer"])}
    return Context(Level("kandidaat", 2, kand), Level("vak", 3, vak), np.array([0, 0, 1]), {})


def test_candidate_condition_in_a_vak_expression_holds_per_vak_row():
    ctx = two_candidates()
    value = evaluate(check('leerweg == "HAVO" and se_cijfer >= 6'), ctx, "vak")
    assert value.true().tolist() == [True, False, False]
    assert value.false().tolist() == [False, True, False]  # the unknown leerweg leaves row 3 unknown


def test_text_choices_and_text_columns_compare_by_value():
    ctx = two_candidates()
    chosen = evaluate(check('coalesce(beoordelingswijze, "cijfer") == "cijfer"', condition=False), ctx, "vak")
    assert chosen.true().tolist() == [True, False, True]
    symbols = dict(SYMBOLS, deel=expr.Symbol("deel", "str", "vak", None))
    ctx.vak.values["deel"] = text(["G", None, "V"])
    node = expr.check(expr.parse("examendeel == deel"), symbols, level="vak", condition=True)
    value = evaluate(node, ctx, "vak")
    assert value.true().tolist() == [True, False, False] and value.false().tolist() == [False, False, True]


def test_a_shared_condition_is_evaluated_again_when_a_value_it_reads_changes():
    ctx = grades(70, 40, 60).with_memo()
    node = check("count(where=se_cijfer >= 5.5)", level="kandidaat", condition=False)
    assert evaluate(node, ctx, "kandidaat").val.tolist() == [2]
    lower = Value("num", np.array([70, 40, 50]), np.array([False, False, False]), 10)
    assert evaluate(node, ctx.with_values(vak={"se_cijfer": lower}), "kandidaat").val.tolist() == [1]
