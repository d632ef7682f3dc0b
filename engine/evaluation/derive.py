"""Compute the named derivations (afleidingen) of a rule set, in dependency order."""

from __future__ import annotations

import numpy as np
import pandas as pd

from examenbron.engine.evaluation import samenstelling
from examenbron.engine.evaluation.evaluate import Context, Value, evaluate
from examenbron.engine.rulesets.load import Samenstelling


def derive(ctx: Context, derivations) -> None:
    """Evaluate every derivation (and the samenstelling step) in order and store it in the context.

    A derivation that reads a personal number (directly or through another derivation) is itself
    personal: its values are masked wherever they are shown (data lineage, not placeholder names).
    """
    personal = set(ctx.personal)
    for derivation in derivations:
        if isinstance(derivation, Samenstelling):
            samenstelling.match(ctx, derivation)
            continue
        if any(node.names() & personal for _, node, _ in derivation.variants):
            personal.add(derivation.naam)
        level = ctx.level(derivation.niveau)
        if len(derivation.variants) == 1 and derivation.variants[0][0] is None:
            value = evaluate(derivation.variants[0][1], ctx, derivation.niveau)
        else:
            value = _by_leerweg(ctx, derivation)
        level.values[derivation.naam] = _full(value, level.n)
    ctx.personal = frozenset(personal)


def leerweg_mask(ctx: Context, leerwegen, level: str) -> np.ndarray:
    """True for rows whose candidate follows one of `leerwegen` (cached per context)."""
    key = (tuple(leerwegen), level)
    if key not in ctx.masks:
        leerweg = ctx.kandidaat.values["leerweg"].val
        mask = pd.Series(leerweg, dtype=object).isin(list(leerwegen)).to_numpy(dtype=bool)
        ctx.masks[key] = mask[ctx.k] if level == "vak" else mask
    return ctx.masks[key]


def _by_leerweg(ctx: Context, derivation) -> Value:
    """One formula per group of leerwegen; rows of other leerwegen stay empty."""
    n = ctx.level(derivation.niveau).n
    result = None
    for leerwegen, node, _ in derivation.variants:
        value = _full(evaluate(node, ctx, derivation.niveau), n)
        mask = np.ones(n, dtype=bool) if leerwegen is None else leerweg_mask(ctx, leerwegen, derivation.niveau)
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
