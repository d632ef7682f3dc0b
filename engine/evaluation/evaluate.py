"""Vectorised evaluation of checked expression trees over all candidates at once.

Values are numpy arrays plus a null mask. Numbers are exact rationals (numerator array over a
denominator): grades are tenths, so `5.5` is 55/10 and `ce_gemiddelde >= 5.5` compares
`sum * 10 >= 55 * count` in integers. No grade ever passes through a float.

Null semantics (documented for policy staff in docs/rule-language.md):
- arithmetic and comparisons with an empty operand are empty (unknown);
- `and`/`or`/`not` follow three-valued (Kleene) logic: `false and unknown` is false;
- `x is null` / `x is not null` are never unknown;
- aggregates skip empty values; sum/min/max/mean of no values are empty, count is 0; with
  `strict=true` sum/min/max/mean are empty when any row in `where` has an empty value;
- a condition that is unknown does not hold (a rule reports it; a voorwaarde is "onbepaald").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pandas as pd
from examenbron.engine.inputs import identifiers
from examenbron.engine.language.expr import Node
from examenbron.engine.language.symbols import PERSONAL


@dataclass
class Value:
    """A column of values: `val` (array or scalar) with a `null` mask; numbers are val / den."""

    kind: str
    val: object
    null: object
    den: object = 1
    codes: object = None        # text only: per-row position in `categories` (-1 = empty), made on demand
    categories: object = None

    def take(self, index: np.ndarray) -> "Value":
        """Broadcast candidate-level values to vak rows (index = candidate position per row)."""
        pick = (lambda a: a[index] if isinstance(a, np.ndarray) and a.ndim else a)
        if self.kind == "str" and isinstance(self.val, np.ndarray):
            codes, categories = text_codes(self)
            row_codes = codes[index]
            return Value("str", categories_values(categories)[row_codes], pick(self.null), 1, row_codes, categories)
        return Value(self.kind, pick(self.val), pick(self.null), pick(self.den))

    def true(self):
        return np.logical_and(self.val, np.logical_not(self.null))

    def false(self):
        return np.logical_and(np.logical_not(self.val), np.logical_not(self.null))


def text_codes(value: Value):
    """(codes, categories) of a text column, factorized once: text tests then run per distinct value."""
    if value.codes is None:
        value.codes, value.categories = pd.factorize(value.val, use_na_sentinel=True)
    return value.codes, value.categories


def categories_values(categories) -> np.ndarray:
    """The categories as an object array with a trailing None, so code -1 picks None."""
    return np.append(np.asarray(categories, dtype=object), None)


def per_category(value: Value, verdicts: np.ndarray) -> np.ndarray:
    """Spread a boolean per category over the rows (empty rows get False)."""
    codes, _ = text_codes(value)
    return np.append(np.asarray(verdicts, dtype=bool), False)[codes]


def from_series(series: pd.Series, kind: str, den: int = 1, *, factorize: bool = False) -> Value:
    """Turn a normalised frame column into a Value (tenths stay integers).

    Text is factorized when first compared, or here with `factorize` (vak-level codes that rules
    always compare: the factorization then also gives the null mask).
    """
    if kind == "str" and factorize:
        codes, categories = pd.factorize(series.to_numpy(dtype=object), use_na_sentinel=True)
        return Value("str", series.to_numpy(dtype=object), codes < 0, 1, codes, categories)
    null = series.isna().to_numpy()
    if kind == "str":
        return Value("str", series.to_numpy(dtype=object), null)
    if kind == "num":
        return Value("num", series.to_numpy(dtype="int64", na_value=0), null, den)
    if kind == "bool":
        return Value("bool", series.to_numpy(dtype=bool, na_value=False), null)
    if kind == "date":
        days = series.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]").astype("int64")
        return Value("date", np.where(null, 0, days), null)
    raise ValueError(f"unknown kind {kind!r}")


def to_series(value: Value, n: int) -> pd.Series:
    """Turn a Value back into a pandas column (numbers: Int64 numerators when den is fixed)."""
    val, null = np.broadcast_to(value.val, n), np.broadcast_to(value.null, n)
    if value.kind == "num":
        den = np.broadcast_to(value.den, n)
        if np.ndim(value.den) == 0:
            return pd.Series(pd.arrays.IntegerArray(np.array(val, dtype="int64"), np.array(null)))
        return pd.Series([None if z else Fraction(int(a), int(d)) for a, d, z in zip(val, den, null)],
                         dtype=object)
    if value.kind == "bool":
        return pd.Series(pd.arrays.BooleanArray(np.array(val, dtype=bool), np.array(null)))
    if value.kind == "date":
        dates = np.array(val, dtype="int64").astype("datetime64[D]").astype("datetime64[ns]")
        return pd.Series(np.where(null, np.datetime64("NaT"), dates))
    out = np.array(val, dtype=object)
    out[np.array(null)] = None
    return pd.Series(out)


class Level:
    """The rows of one level (vak or kandidaat) with their named Values."""

    def __init__(self, name: str, n: int, values: dict[str, Value]):
        self.name, self.n, self.values = name, n, values


class Context:
    """Candidate level + vak level; vak rows must be sorted by candidate (`k`)."""

    def __init__(self, kandidaat: Level, vak: Level, k: np.ndarray, constants: dict, vakken_frame=None):
        self.kandidaat, self.vak, self.k, self.constants = kandidaat, vak, k, constants
        self.vakken_frame = vakken_frame  # the sorted vak rows (source rows, vakcodes) for findings
        self.masks = {}
        self.personal = PERSONAL  # names whose values are personal numbers (masked in every text)
        self.counts = np.bincount(k, minlength=kandidaat.n).astype("int64")
        self.starts = np.concatenate(([0], np.cumsum(self.counts)[:-1])).astype("int64")
        if len(k) > 1 and np.any(k[1:] < k[:-1]):
            raise ValueError("vak rows must be sorted by candidate")

    def level(self, name: str) -> Level:
        return self.vak if name == "vak" else self.kandidaat

    def lookup(self, name: str, level: str) -> Value:
        if name in self.constants:
            return constant(self.constants[name])
        if name in self.level(level).values:
            return self.level(level).values[name]
        if level == "vak" and name in self.kandidaat.values:
            return self.kandidaat.values[name].take(self.k)
        raise KeyError(name)


def constant(value) -> Value:
    """A parameter or literal as a scalar Value."""
    if isinstance(value, bool):
        return Value("bool", value, False)
    if isinstance(value, (int, Fraction)):
        value = Fraction(value)
        return Value("num", value.numerator, False, value.denominator)
    if isinstance(value, (list, tuple)):
        return Value("list", list(value), False)
    if hasattr(value, "toordinal"):
        return Value("date", int(np.datetime64(value, "D").astype("int64")), False)
    return Value("str", value, False)


def evaluate(node: Node, ctx: Context, level: str) -> Value:
    """Evaluate a checked tree for every row of `level`."""
    return _EVALUATORS[node.op](node, ctx, level)


def _literal(node, ctx, level):
    return constant(node.value)


def _name(node, ctx, level):
    return ctx.lookup(node.value, level)


def _not(node, ctx, level):
    a = evaluate(node.args[0], ctx, level)
    return Value("bool", np.logical_not(a.val), a.null)


def _and(node, ctx, level):
    a, b = (evaluate(x, ctx, level) for x in node.args)
    false = np.logical_or(a.false(), b.false())
    true = np.logical_and(a.true(), b.true())
    return Value("bool", true, np.logical_not(np.logical_or(true, false)))


def _or(node, ctx, level):
    a, b = (evaluate(x, ctx, level) for x in node.args)
    true = np.logical_or(a.true(), b.true())
    false = np.logical_and(a.false(), b.false())
    return Value("bool", true, np.logical_not(np.logical_or(true, false)))


def _isnull(node, ctx, level):
    a = evaluate(node.args[0], ctx, level)
    return Value("bool", np.asarray(a.null), False)


_COMPARE = {"==": np.equal, "!=": np.not_equal, "<": np.less, "<=": np.less_equal,
            ">": np.greater, ">=": np.greater_equal}


def _cmp(node, ctx, level):
    a, b = (evaluate(x, ctx, level) for x in node.args)
    op = _COMPARE[node.value]
    if a.kind == "num":
        left, right = _cross(a, b)
        result = op(left, right)
    elif a.kind == "str" and node.value in ("==", "!="):
        result = _text_equal(a, b)
        result = result if node.value == "==" else np.logical_not(result)
    else:
        result = op(a.val, b.val)
    return Value("bool", result, np.logical_or(a.null, b.null))


def _text_equal(a: Value, b: Value):
    """Row-wise equality of text; a column against a constant is decided per distinct value."""
    if isinstance(b.val, np.ndarray) and not isinstance(a.val, np.ndarray):
        a, b = b, a
    if isinstance(a.val, np.ndarray) and not isinstance(b.val, np.ndarray):
        _, categories = text_codes(a)
        return per_category(a, np.asarray(categories, dtype=object) == b.val)
    return np.asarray(a.val == b.val, dtype=bool)


def _cross(a: Value, b: Value):
    """Numerators scaled to a common denominator, for exact comparison."""
    if np.ndim(a.den) == 0 and np.ndim(b.den) == 0 and a.den == b.den:
        return a.val, b.val
    return np.multiply(a.val, b.den), np.multiply(b.val, a.den)


def _in(node, ctx, level):
    a = evaluate(node.args[0], ctx, level)
    items_node = node.args[1]
    items = list(ctx.constants[items_node.value]) if items_node.op == "name" else []
    for item in items_node.args:  # a list parameter inside a list literal stands for its elements
        value = ctx.constants[item.value] if item.op == "name" else item.value
        items.extend(value if isinstance(value, (list, tuple)) else [value])
    if a.kind == "num":
        result = np.zeros(np.shape(a.val), dtype=bool)
        for item in items:
            item = Fraction(item)
            result = result | (np.multiply(a.val, item.denominator) == np.multiply(item.numerator, a.den))
    elif isinstance(a.val, np.ndarray):
        _, categories = text_codes(a)
        result = per_category(a, pd.Index(categories).isin(list(items)))
    else:
        result = a.val in items
    return Value("bool", result, a.null)


def _neg(node, ctx, level):
    a = evaluate(node.args[0], ctx, level)
    return Value("num", np.negative(a.val), a.null, a.den)


def _arith(node, ctx, level):
    a, b = (evaluate(x, ctx, level) for x in node.args)
    null = np.logical_or(a.null, b.null)
    op = node.value
    if op in ("+", "-"):
        if np.ndim(a.den) == 0 and np.ndim(b.den) == 0:
            den = np.lcm(a.den, b.den)
            x, y = np.multiply(a.val, den // a.den), np.multiply(b.val, den // b.den)
        else:
            den = np.multiply(a.den, b.den)
            x, y = np.multiply(a.val, b.den), np.multiply(b.val, a.den)
        return Value("num", np.add(x, y) if op == "+" else np.subtract(x, y), null, den)
    if op == "*":
        return Value("num", np.multiply(a.val, b.val), null, np.multiply(a.den, b.den))
    zero = np.equal(b.val, 0)
    sign = np.where(np.less(b.val, 0), -1, 1)
    num = np.multiply(np.multiply(a.val, b.den), sign)
    den = np.multiply(np.where(zero, 1, np.abs(b.val)), a.den)
    return Value("num", num, np.logical_or(null, zero), _fixed(den))


def _fixed(den):
    """Collapse a denominator array that is the same everywhere into a scalar."""
    if np.ndim(den) and den.size and np.all(den == den.flat[0]):
        return int(den.flat[0])
    return den


def _half_up(num, den, scale):
    """round(num/den) half up to multiples of 1/scale, as numerator over `scale`."""
    return np.floor_divide(np.multiply(num, 2 * scale) + den, np.multiply(den, 2))


def _call(node, ctx, level):
    name = node.value
    if name in _AGGREGATES:
        return _aggregate(node, ctx)
    args = [evaluate(a, ctx, level) for a in node.args]
    return _FUNCTIONS[name](node, *args)


def _round(node, a):
    return Value("num", _half_up(a.val, a.den, 1), a.null, 1)


def _round1(node, a):
    return Value("num", _half_up(a.val, a.den, 10), a.null, 10)


def _pick(choose_first, a: Value, b: Value) -> Value:
    """Row-wise choice between two Values of the same kind (numbers on a common denominator)."""
    if np.ndim(choose_first) and len(choose_first) and (np.ndim(a.den) == 0 and np.ndim(b.den) == 0
                                                        and a.den == b.den or a.kind != "num"):
        if choose_first.all():
            return a
        if not choose_first.any():
            return b
    if a.kind == "num" and np.ndim(a.den) == 0 and np.ndim(b.den) == 0 and a.den != b.den:
        common = int(np.lcm(a.den, b.den))
        a = Value("num", np.multiply(a.val, common // a.den), a.null, common)
        b = Value("num", np.multiply(b.val, common // b.den), b.null, common)
    den = a.den if (np.ndim(a.den) == 0 and np.ndim(b.den) == 0 and a.den == b.den) \
        else np.where(choose_first, a.den, b.den)
    return Value(a.kind, np.where(choose_first, a.val, b.val), np.where(choose_first, a.null, b.null),
                 _fixed(den) if np.ndim(den) else den)


def _extreme(pick_greater):
    def function(node, *args):
        result = args[0]
        for other in args[1:]:
            left, right = _cross(result, other)
            better = np.greater(left, right) if pick_greater else np.less(left, right)
            keep = np.logical_or(np.logical_and(np.logical_not(result.null), better), other.null)
            keep = np.logical_or(keep, np.logical_and(np.logical_not(result.null), left == right))
            result = _pick(keep, result, other)
        return result
    return function


def _coalesce(node, *args):
    result = args[0]
    for other in args[1:]:
        result = _pick(np.logical_not(result.null), result, other)
    return result


def _if(node, cond, a, b=None):
    if b is None:  # if(condition, then): empty where the condition is not true
        b = Value(a.kind, a.val, True, a.den, a.codes, a.categories)
    chosen = _pick(cond.true(), a, b)
    return Value(chosen.kind, chosen.val, np.logical_or(chosen.null, cond.null), chosen.den,
                 chosen.codes, chosen.categories)


def _year(node, a):
    years = np.asarray(a.val, dtype="int64").astype("datetime64[D]").astype("datetime64[Y]").astype("int64")
    return Value("num", years + 1970, a.null, 1)


def _days_between(node, a, b):
    return Value("num", np.subtract(b.val, a.val), np.logical_or(a.null, b.null), 1)


def _column_test(values: Value, test) -> Value:
    """Apply a whole-column test (engine.inputs.identifiers); empty values stay unknown."""
    if not isinstance(values.val, np.ndarray):
        return Value("bool", bool(test(np.array([values.val], dtype=object))[0]), values.null)
    return Value("bool", test(values.val), values.null)


def _matches(node, a, pattern):
    compiled = re.compile(pattern.val)
    if not isinstance(a.val, np.ndarray):
        return Value("bool", not a.null and compiled.fullmatch(str(a.val)) is not None, a.null)
    _, categories = text_codes(a)  # test each distinct value once
    return Value("bool", per_category(a, [compiled.fullmatch(str(c)) is not None for c in categories]), a.null)


_FUNCTIONS = {
    "round": _round, "round1": _round1, "greatest": _extreme(True), "least": _extreme(False),
    "coalesce": _coalesce, "if": _if, "year": _year, "days_between": _days_between,
    "valid_bsn": lambda node, a: _column_test(a, identifiers.valid_bsn),
    "valid_onderwijsnummer": lambda node, a: _column_test(a, identifiers.valid_onderwijsnummer),
    "valid_brin": lambda node, a: _column_test(a, identifiers.valid_brin),
    "matches": _matches,
}


# ---------------------------------------------------------------------------------------------
# Aggregates over the vak rows of each candidate (rows sorted by candidate).

_AGGREGATES = {"count", "sum", "min", "max", "mean", "all", "any"}


def _reduce(ufunc, values: np.ndarray, ctx: Context) -> np.ndarray:
    """ufunc.reduceat per candidate; candidates without vak rows get 0 (callers mask them)."""
    n = ctx.kandidaat.n
    if len(values) == 0:
        return np.zeros(n, dtype=values.dtype)
    result = ufunc.reduceat(values, np.minimum(ctx.starts, len(values) - 1))
    result[ctx.counts == 0] = 0
    return result


def _aggregate(node, ctx: Context) -> Value:
    n_vak = ctx.vak.n
    where = node.kwargs.get("where")
    included = np.ones(n_vak, dtype=bool) if where is None else \
        np.broadcast_to(evaluate(where, ctx, "vak").true(), n_vak)
    name = node.value
    if name == "count":
        return Value("num", np.bincount(ctx.k[included], minlength=ctx.kandidaat.n).astype("int64"), False, 1)
    arg = evaluate(node.args[0], ctx, "vak")
    val, null = np.broadcast_to(arg.val, n_vak), np.broadcast_to(arg.null, n_vak)
    if name in ("all", "any"):
        true = _reduce(np.add, (included & val & ~null).astype("int64"), ctx)
        false = _reduce(np.add, (included & ~val & ~null).astype("int64"), ctx)
        unknown = _reduce(np.add, (included & null).astype("int64"), ctx)
        if name == "all":
            return Value("bool", false == 0, (false == 0) & (unknown > 0))
        return Value("bool", true > 0, (true == 0) & (unknown > 0))
    present = included & ~null
    count = _reduce(np.add, present.astype("int64"), ctx)
    empty = count == 0
    strict = node.kwargs.get("strict")
    if strict is not None and strict.value:  # an empty value in `where` makes the result unknown
        empty = empty | (_reduce(np.add, (included & null).astype("int64"), ctx) > 0)
    if name in ("sum", "mean"):
        total = _reduce(np.add, np.where(present, val, 0).astype("int64"), ctx)
        if name == "sum":
            return Value("num", total, empty, arg.den)
        return Value("num", total, empty, _fixed(np.where(empty, 1, count) * arg.den))
    sentinel = np.iinfo("int64").max if name == "min" else np.iinfo("int64").min
    masked = np.where(present, val, sentinel).astype("int64")
    extreme = _reduce(np.minimum if name == "min" else np.maximum, masked, ctx)
    return Value("num", np.where(empty, 0, extreme), empty, arg.den)


_EVALUATORS = {
    "num": _literal, "str": _literal, "bool": _literal, "name": _name, "not": _not, "and": _and,
    "or": _or, "isnull": _isnull, "cmp": _cmp, "in": _in, "neg": _neg, "arith": _arith,
    "call": _call,
}
