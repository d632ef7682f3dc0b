"""The `pandas` evaluator: checked expression trees evaluated vectorised over all rows at once.

Values are numpy arrays plus a null mask (engine.language.values); functions run their vectorised
implementation from the registry (engine.language.functions). Implements the evaluator seam of
engine.evaluation.backends for afleidingen, checks, voorwaarden and weglaatregels.

Null semantics (documented for policy staff in docs/rule-language.md):
- arithmetic and comparisons with an empty operand are empty (unknown);
- `and`/`or`/`not` follow three-valued (Kleene) logic: `false and unknown` is false;
- `x is null` / `x is not null` are never unknown;
- aggregates skip empty values; sum/min/max/mean of no values are empty, count is 0; with
  `strict=true` sum/min/max/mean are empty when any row in `where` has an empty value;
- a condition that is unknown does not hold (a rule reports it; a voorwaarde is "onbepaald").
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd

from examenbron.engine.evaluation.backends import GEHAALD, NIET_GEHAALD, NVT, ONBEPAALD
from examenbron.engine.evaluation import samenstelling
from examenbron.engine.evaluation.frames import Context
from examenbron.engine.language.expr import Node
from examenbron.engine.language.functions import FUNCTIONS
from examenbron.engine.language.values import Value, constant, cross, either_null, fixed, known, per_category, text_codes
from examenbron.engine.rulesets.load import Samenstelling


def evaluate(node: Node, ctx: Context, level: str) -> Value:
    """Evaluate a checked tree for every row of `level`.

    A condition over candidate values only (`leerweg == "HAVO" and profiel == "CM"`) met in a vak
    expression is decided once per candidate and then spread over the candidate's vak rows: the
    same values, from ~10x fewer rows.
    """
    if level == "vak" and node.level == "kandidaat" and node.kind == "bool" and node.op != "name" \
            and not node.names() & ctx.vak.values.keys():
        return _EVALUATORS[node.op](node, ctx, "kandidaat").take(ctx.k)
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
    if known(a) and known(b):
        true = np.logical_and(a.val, b.val)
        return Value("bool", true, np.zeros(true.shape, dtype=bool))
    false = np.logical_or(a.false(), b.false())
    true = np.logical_and(a.true(), b.true())
    return Value("bool", true, np.logical_not(np.logical_or(true, false)))


def _or(node, ctx, level):
    a, b = (evaluate(x, ctx, level) for x in node.args)
    if known(a) and known(b):
        true = np.logical_or(a.val, b.val)
        return Value("bool", true, np.zeros(true.shape, dtype=bool))
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
        left, right = cross(a, b)
        result = op(left, right)
    elif a.kind == "str" and node.value in ("==", "!="):
        result = _text_equal(a, b)
        result = result if node.value == "==" else np.logical_not(result)
    else:
        result = op(a.val, b.val)
    return Value("bool", result, either_null(a.null, b.null))


def _text_equal(a: Value, b: Value):
    """Row-wise equality of text; a column against a constant is decided per distinct value."""
    if isinstance(b.val, np.ndarray) and not isinstance(a.val, np.ndarray):
        a, b = b, a
    if isinstance(a.val, np.ndarray) and not isinstance(b.val, np.ndarray):
        _, categories = text_codes(a)
        return per_category(a, np.asarray(categories, dtype=object) == b.val)
    if a.codes is not None and b.codes is not None:  # two factorized columns: compare codes, not texts
        position = pd.Index(b.categories, dtype=object).get_indexer(pd.Index(a.categories, dtype=object))
        position[position < 0] = -2   # a text b does not have; -1 (empty) stays equal to empty
        return np.append(position, -1)[a.codes] == b.codes
    return np.asarray(a.val == b.val, dtype=bool)


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
    null = either_null(a.null, b.null)
    op = node.value
    if op in ("+", "-"):
        if np.ndim(a.den) == 0 and np.ndim(b.den) == 0:
            den = np.lcm(a.den, b.den)
            x, y = _scaled(a.val, den // a.den), _scaled(b.val, den // b.den)
        else:
            den = np.multiply(a.den, b.den)
            x, y = _scaled(a.val, b.den), _scaled(b.val, a.den)
        return Value("num", np.add(x, y) if op == "+" else np.subtract(x, y), null, den)
    if op == "*":
        return Value("num", np.multiply(a.val, b.val), null, np.multiply(a.den, b.den))
    zero = np.equal(b.val, 0)
    sign = np.where(np.less(b.val, 0), -1, 1)
    num = _scaled(_scaled(a.val, b.den), sign)
    den = np.multiply(np.where(zero, 1, np.abs(b.val)), a.den)
    return Value("num", num, np.logical_or(null, zero), fixed(den))


def _scaled(val, factor):
    """val * factor; an int64 column times a scalar 1 is the column itself (Values are never changed)."""
    if isinstance(val, np.ndarray) and val.dtype == np.int64 and np.ndim(factor) == 0 and factor == 1:
        return val
    return np.multiply(val, factor)


def _call(node, ctx, level):
    function = FUNCTIONS[node.value]
    if function.aggregate:
        where = node.kwargs.get("where")
        included = np.ones(ctx.vak.n, dtype=bool) if where is None else _included(where, ctx)
        arg = evaluate(node.args[0], ctx, "vak") if node.args else None
        result = function.vectorised(arg, included, ctx.groups)
        strict = node.kwargs.get("strict")
        if strict is not None and strict.value:  # an empty value in `where` makes the result unknown
            unknown = np.bincount(ctx.k[included & np.broadcast_to(arg.null, ctx.vak.n)], minlength=ctx.kandidaat.n) > 0
            result = Value(result.kind, result.val, np.logical_or(result.null, unknown), result.den)
        return result
    return function.vectorised(*(evaluate(a, ctx, level) for a in node.args))


def _included(where: Node, ctx: Context) -> np.ndarray:
    """The vak rows an aggregate's `where` selects; afleidingen with the same condition over the same
    values (`in_uitslag and is_combi` in a count, a sum and a min) share one evaluation."""
    if ctx._memo is None:
        return np.broadcast_to(evaluate(where, ctx, "vak").true(), ctx.vak.n)
    key, names = _shape(where), sorted(where.names())
    read = [ctx.source(name, "vak") for name in names]
    seen = ctx._memo.get(key)
    if seen is not None and all(a is b for a, b in zip(seen[0], read)):
        return seen[1]
    included = np.broadcast_to(evaluate(where, ctx, "vak").true(), ctx.vak.n)
    ctx._memo[key] = (read, included)
    return included


def _shape(node: Node) -> tuple:
    """A key equal for two trees that compute the same thing (positions in the rule text aside)."""
    return (node.op, repr(node.value), tuple(_shape(a) for a in node.args),
            tuple((k, _shape(v)) for k, v in sorted(node.kwargs.items())))


_EVALUATORS = {
    "num": _literal, "str": _literal, "bool": _literal, "name": _name, "not": _not, "and": _and,
    "or": _or, "isnull": _isnull, "cmp": _cmp, "in": _in, "neg": _neg, "arith": _arith,
    "call": _call,
}


def applicable(ctx: Context, rule, level: str) -> np.ndarray:
    """Rows a rule applies to: its leerwegen, opleidingen and `wanneer` (unknown = not applicable)."""
    mask = ctx.in_scope(rule, level)
    if rule.wanneer is not None:
        mask &= np.broadcast_to(evaluate(rule.wanneer, ctx, level).true(), ctx.level(level).n)
    return mask


class PandasEvaluator:
    """The vectorised implementation of engine.evaluation.backends.Evaluator."""

    def derive(self, ctx: Context, afleidingen) -> tuple[dict, dict]:
        made = {"kandidaat": {}, "vak": {}}
        ctx = ctx.with_memo()
        for afleiding in afleidingen:
            if isinstance(afleiding, Samenstelling):
                kandidaat, vak = samenstelling.match(ctx, afleiding, evaluate)
                made["kandidaat"].update(kandidaat)
                made["vak"].update(vak)
                ctx = ctx.with_values(kandidaat, vak)
                continue
            n = ctx.level(afleiding.niveau).n
            if len(afleiding.variants) == 1 and afleiding.variants[0][0] is None:
                value = _full(evaluate(afleiding.variants[0][1], ctx, afleiding.niveau), n)
            else:
                value = _by_leerweg(ctx, afleiding)
            made[afleiding.niveau][afleiding.naam] = value
            ctx = ctx.with_values(**{afleiding.niveau: {afleiding.naam: value}})
        return made["kandidaat"], made["vak"]

    def failing(self, ctx: Context, rules) -> dict:
        rows = {}
        for rule in rules:
            holds = np.broadcast_to(evaluate(rule.voorwaarde, ctx, rule.niveau).true(), ctx.level(rule.niveau).n)
            rows[rule.id] = np.flatnonzero(applicable(ctx, rule, rule.niveau) & ~holds)
        return rows

    def statuses(self, ctx: Context, voorwaarden) -> dict:
        n, status = ctx.kandidaat.n, {}
        for rule in voorwaarden:
            scope = applicable(ctx, rule, "kandidaat")
            value = evaluate(rule.voorwaarde, ctx, "kandidaat")
            code = np.full(n, ONBEPAALD, dtype=np.int8)  # true and false never overlap
            code[np.broadcast_to(value.true(), n)] = GEHAALD
            code[np.broadcast_to(value.false(), n)] = NIET_GEHAALD
            code[~scope] = NVT
            status[rule.id] = code
        return status

    def selects(self, ctx: Context, condition, level: str) -> np.ndarray:
        return np.broadcast_to(evaluate(condition, ctx, level).true(), ctx.level(level).n)


def _by_leerweg(ctx: Context, afleiding) -> Value:
    """One formula per group of leerwegen; rows of other leerwegen stay empty."""
    n = ctx.level(afleiding.niveau).n
    result = None
    for leerwegen, node, _ in afleiding.variants:
        value = _full(evaluate(node, ctx, afleiding.niveau), n)
        mask = np.ones(n, dtype=bool) if leerwegen is None else ctx.leerweg_mask(leerwegen, afleiding.niveau)
        if result is None:
            result = Value(value.kind, value.val.copy(), np.logical_or(value.null, ~mask), value.den)
            continue
        den = value.den if np.ndim(value.den) == 0 and np.ndim(result.den) == 0 and value.den == result.den \
            else np.where(mask, value.den, result.den)
        result = Value(value.kind, np.where(mask, value.val, result.val),
                       np.where(mask, value.null, result.null), den)
    return result


def _full(value: Value, n: int) -> Value:
    """Materialise scalars to full-length arrays so later steps can index them."""
    val = value.val if np.ndim(value.val) else np.full(n, value.val)
    null = value.null if np.ndim(value.null) else np.full(n, bool(value.null))
    return Value(value.kind, val, null, value.den)


EVALUATOR = PandasEvaluator()
