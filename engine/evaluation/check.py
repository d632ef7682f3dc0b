"""The check step: run the controles of a rule set and turn every failing row into a bevinding.

The evaluator says which rows fail; the bevindingen are built here, the same for every evaluator.
"""

from __future__ import annotations

import numpy as np

from examenbron.engine.evaluation.frames import Context
from examenbron.engine.outputs.bevindingen import concat_bevindingen, make_bevindingen
from examenbron.engine.language.symbols import INPUT_COLUMNS
from examenbron.engine.outputs.texts import fill, name_values


def check(evaluator, ctx: Context, rules, *, schooljaar: str, examens):
    """The bevindingen of every rule in `rules`, in rule order."""
    failing = evaluator.failing(ctx, rules)
    frames = [rule_bevindingen(ctx, rule, np.asarray(failing[rule.id], dtype="int64"), schooljaar, examens)
              for rule in rules if len(failing.get(rule.id, ()))]
    return concat_bevindingen(frames)


def read_names(rule) -> list[str]:
    """The values a rule shows in its bevindingen: `waarden`, else the names its condition reads."""
    if rule.waarden:
        return list(rule.waarden)
    names = rule.voorwaarde.names() | (rule.wanneer.names() if rule.wanneer is not None else set())
    return sorted(names)


def rule_bevindingen(ctx: Context, rule, rows: np.ndarray, schooljaar: str, examens):
    """The bevindingen of `rule` for the failing `rows` of its level."""
    level = rule.niveau
    exam_ids = ctx.k[rows] if level == "vak" else rows
    lookup, at = _lookup_at(ctx, level, rows), np.arange(len(rows))
    names = [n for n in read_names(rule) if n not in ctx.constants]
    columns = [n for n in names if n in INPUT_COLUMNS]
    vakken = ctx.vakken_frame
    keys = examens.iloc[exam_ids] if len(exam_ids) else examens.iloc[:0]
    return make_bevindingen(
        schooljaar=schooljaar, regel=rule.id, code=rule.code, ernst=rule.ernst,
        exam_id=exam_ids, brin=keys["brin"], vestiging=keys["vestiging"],
        leerlingnummer=keys["leerlingnummer"], opleidingscode=keys["opleidingscode"],
        vakcode=vakken["vakcode"].to_numpy(dtype=object)[rows] if level == "vak" else None,
        kolom=", ".join(columns) or None,
        waarde=name_values(names, lookup, at, ctx.personal),
        melding=fill(rule.melding, lookup, at, ctx.personal),
        grondslag=rule.grondslag,
        bron_rij=(vakken["bron_rij"].to_numpy()[rows] if level == "vak" else keys["bron_rij"].to_numpy()),
    )


def _lookup_at(ctx: Context, level: str, rows: np.ndarray):
    """`lookup(name)`: the Value of `name` at `rows` of `level` only (row i of the result is rows[i]).

    A candidate value in a vak rule is picked at the failing rows' candidates, never spread over every
    vak row of the file first.
    """
    def lookup(name):
        if name in ctx.constants:
            return ctx.lookup(name, level)
        if level == "vak" and name not in ctx.vak.values and name in ctx.kandidaat.values:
            return ctx.kandidaat.values[name].take(ctx.k[rows])
        return ctx.lookup(name, level).take(rows)
    return lookup
