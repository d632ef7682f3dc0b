"""The one registry of rule-language functions.

Each function is declared once: its name, argument kinds, result kind and denominator, where it
may be used, the (Dutch) help line policy staff see in errors, its vectorised implementation over
`Value`s, and its durable-rules mapping. The type checker (engine.language.expr), the vectorised
evaluator (engine.evaluation.evaluate) and the durable evaluator (engine.evaluation.durable) all
read this table; adding a function means adding one entry here.

The durable mapping is a per-value test that the durable evaluator precomputes as a fact property.
Only condition functions have one: durable-rules matches facts against comparisons and cannot
compute (no arithmetic, no aggregates over vak rows), so the other functions are "not supported"
there (`durable=None`); they only appear in afleidingen, which every evaluator leaves to the
vectorised one (see engine.evaluation.backends).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, NamedTuple

import numpy as np
from stdnum.nl import brin as stdnum_brin
from stdnum.nl import bsn as stdnum_bsn
from stdnum.nl import onderwijsnummer as stdnum_onderwijsnummer

from examenbron.engine.inputs import identifiers
from examenbron.engine.language.values import Value, cross, fixed, half_up, per_category, pick, text_codes


@dataclass(frozen=True)
class Function:
    """One function of the rule language.

    `arguments`: kinds 'num', 'bool', 'str', 'date', 'any', 'text' (a quoted literal); a trailing '*'
    repeats the last kind. `result`: a kind, or 'same' (the kind of its values). `den`: the
    denominator of a numeric result: an int, 'arg' (that of the first argument), 'common' (the
    least common multiple of its values' denominators) or None (varies per row).
    `vectorised(*values) -> Value`; for an aggregate `vectorised(value, included, groups) -> Value`.
    `durable(value, *literals) -> bool`: the per-value test durable-rules uses; None = not supported.
    """

    name: str
    arguments: tuple
    result: str
    help: str
    vectorised: Callable
    den: object = None
    in_condition: bool = False
    aggregate: bool = False
    durable: Callable | None = None
    strict: bool = False        # aggregate takes `strict=true`: empty when a row in `where` is empty


class Groups(NamedTuple):
    """The vak rows of each candidate: `k` candidate per row (sorted), `starts`/`counts` per candidate."""

    k: np.ndarray
    starts: np.ndarray
    counts: np.ndarray
    n: int


# --- scalar functions ---------------------------------------------------------------------------

def _round(a):
    return Value("num", half_up(a.val, a.den, 1), a.null, 1)


def _round1(a):
    return Value("num", half_up(a.val, a.den, 10), a.null, 10)


def _extreme(pick_greater):
    def function(*args):
        result = args[0]
        for other in args[1:]:
            left, right = cross(result, other)
            better = np.greater(left, right) if pick_greater else np.less(left, right)
            keep = np.logical_or(np.logical_and(np.logical_not(result.null), better), other.null)
            keep = np.logical_or(keep, np.logical_and(np.logical_not(result.null), left == right))
            result = pick(keep, result, other)
        return result
    return function


def _coalesce(*args):
    result = args[0]
    for other in args[1:]:
        result = pick(np.logical_not(result.null), result, other)
    return result


def _if(cond, a, b=None):
    if b is None:  # if(condition, then): empty where the condition is not true
        b = Value(a.kind, a.val, True, a.den, a.codes, a.categories)
    chosen = pick(cond.true(), a, b)
    return Value(chosen.kind, chosen.val, np.logical_or(chosen.null, cond.null), chosen.den,
                 chosen.codes, chosen.categories)


def _year(a):
    years = np.asarray(a.val, dtype="int64").astype("datetime64[D]").astype("datetime64[Y]").astype("int64")
    return Value("num", years + 1970, a.null, 1)


def _days_between(a, b):
    return Value("num", np.subtract(b.val, a.val), np.logical_or(a.null, b.null), 1)


def _column_test(test):
    """A whole-column test (engine.inputs.identifiers); empty values stay unknown."""
    def function(values):
        if not isinstance(values.val, np.ndarray):
            return Value("bool", bool(test(np.array([values.val], dtype=object))[0]), values.null)
        return Value("bool", test(values.val), values.null)
    return function


def _full_match(value, pattern) -> bool:
    return re.fullmatch(pattern, str(value)) is not None


def _matches(a, pattern):
    compiled = re.compile(pattern.val)
    if not isinstance(a.val, np.ndarray):
        return Value("bool", not a.null and compiled.fullmatch(str(a.val)) is not None, a.null)
    _, categories = text_codes(a)  # test each distinct value once
    return Value("bool", per_category(a, [compiled.fullmatch(str(c)) is not None for c in categories]), a.null)


# --- aggregates over the vak rows of each candidate ---------------------------------------------

def _reduce(ufunc, values: np.ndarray, groups: Groups) -> np.ndarray:
    """ufunc.reduceat per candidate; candidates without vak rows get 0 (callers mask them)."""
    if len(values) == 0:
        return np.zeros(groups.n, dtype=values.dtype)
    result = ufunc.reduceat(values, np.minimum(groups.starts, len(values) - 1))
    result[groups.counts == 0] = 0
    return result


def _count(arg, included, groups):
    return Value("num", np.bincount(groups.k[included], minlength=groups.n).astype("int64"), False, 1)


def _truth(name):
    def function(arg, included, groups):
        val, null = np.broadcast_to(arg.val, len(included)), np.broadcast_to(arg.null, len(included))
        true = _reduce(np.add, (included & val & ~null).astype("int64"), groups)
        false = _reduce(np.add, (included & ~val & ~null).astype("int64"), groups)
        unknown = _reduce(np.add, (included & null).astype("int64"), groups)
        if name == "all":
            return Value("bool", false == 0, (false == 0) & (unknown > 0))
        return Value("bool", true > 0, (true == 0) & (unknown > 0))
    return function


def _present(arg, included, groups):
    val, null = np.broadcast_to(arg.val, len(included)), np.broadcast_to(arg.null, len(included))
    present = included & ~null
    count = _reduce(np.add, present.astype("int64"), groups)
    return val, present, count, count == 0


def _sum(arg, included, groups):
    val, present, _, empty = _present(arg, included, groups)
    return Value("num", _reduce(np.add, np.where(present, val, 0).astype("int64", copy=False), groups), empty, arg.den)


def _mean(arg, included, groups):
    val, present, count, empty = _present(arg, included, groups)
    total = _reduce(np.add, np.where(present, val, 0).astype("int64", copy=False), groups)
    return Value("num", total, empty, fixed(np.where(empty, 1, count) * arg.den))


def _extreme_of(name):
    def function(arg, included, groups):
        val, present, _, empty = _present(arg, included, groups)
        sentinel = np.iinfo("int64").max if name == "min" else np.iinfo("int64").min
        masked = np.where(present, val, sentinel).astype("int64", copy=False)
        extreme = _reduce(np.minimum if name == "min" else np.maximum, masked, groups)
        return Value("num", np.where(empty, 0, extreme), empty, arg.den)
    return function


_ALL = [
    Function("round", ("num",), "num",
             "round(x): afgerond op een heel getal, een half naar boven (5.45 -> 5, 5.5 -> 6)", _round, den=1),
    Function("round1", ("num",), "num", "round1(x): afgerond op één decimaal, een half naar boven", _round1, den=10),
    Function("greatest", ("num", "num", "*"), "num", "greatest(a, b, ...): de hoogste niet-lege waarde",
             _extreme(True), den="common"),
    Function("least", ("num", "num", "*"), "num", "least(a, b, ...): de laagste niet-lege waarde",
             _extreme(False), den="common"),
    Function("coalesce", ("any", "any", "*"), "same", "coalesce(a, b, ...): de eerste niet-lege waarde",
             _coalesce, den="common"),
    Function("if", ("bool", "any", "any"), "same",
             "if(voorwaarde, dan, anders) of if(voorwaarde, dan): leeg als de voorwaarde niet waar is",
             _if, den="common"),
    Function("year", ("date",), "num", "year(datum): het jaartal", _year, den=1),
    Function("days_between", ("date", "date"), "num",
             "days_between(van, tot): het aantal hele dagen van 'van' tot 'tot'", _days_between, den=1),
    Function("valid_bsn", ("str",), "bool", "valid_bsn(x): het BSN voldoet aan de elfproef",
             _column_test(identifiers.valid_bsn), in_condition=True, durable=stdnum_bsn.is_valid),
    Function("valid_onderwijsnummer", ("str",), "bool",
             "valid_onderwijsnummer(x): het onderwijsnummer voldoet aan de controle",
             _column_test(identifiers.valid_onderwijsnummer), in_condition=True,
             durable=stdnum_onderwijsnummer.is_valid),
    Function("valid_brin", ("str",), "bool", "valid_brin(x): de BRIN-code heeft de juiste vorm",
             _column_test(identifiers.valid_brin), in_condition=True, durable=stdnum_brin.is_valid),
    Function("matches", ("str", "text"), "bool",
             "matches(x, \"patroon\"): de hele waarde past op het patroon (een reguliere expressie)",
             _matches, in_condition=True, durable=_full_match),
    Function("count", (), "num",
             "count(where=voorwaarde): het aantal vakken van de kandidaat dat aan de voorwaarde voldoet",
             _count, den=1, aggregate=True),
    Function("sum", ("num",), "num", "sum(x, where=voorwaarde): de som over de vakken van de kandidaat",
             _sum, den="arg", aggregate=True, strict=True),
    Function("min", ("num",), "num", "min(x, where=voorwaarde): de laagste waarde over de vakken van de kandidaat",
             _extreme_of("min"), den="arg", aggregate=True, strict=True),
    Function("max", ("num",), "num", "max(x, where=voorwaarde): de hoogste waarde over de vakken van de kandidaat",
             _extreme_of("max"), den="arg", aggregate=True, strict=True),
    Function("mean", ("num",), "num",
             "mean(x, where=voorwaarde): het exacte, onafgeronde gemiddelde; met strict=true (ook bij sum, min "
             "en max) leeg zodra een vak dat aan de voorwaarde voldoet een lege x heeft",
             _mean, aggregate=True, strict=True),
    Function("all", ("bool",), "bool", "all(voorwaarde, where=...): waar als de voorwaarde voor alle vakken geldt",
             _truth("all"), aggregate=True),
    Function("any", ("bool",), "bool",
             "any(voorwaarde, where=...): waar als de voorwaarde voor minstens één vak geldt",
             _truth("any"), aggregate=True),
]
FUNCTIONS = {function.name: function for function in _ALL}
