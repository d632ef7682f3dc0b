"""Run the checks (controles) of a rule set and turn every failing row into a finding."""

from __future__ import annotations

import numpy as np

from examenbron.engine.evaluation.derive import leerweg_mask
from examenbron.engine.evaluation.evaluate import Context, evaluate
from examenbron.engine.outputs.findings import concat_findings, make_findings
from examenbron.engine.language.symbols import INPUT_COLUMNS
from examenbron.engine.outputs.texts import fill, name_values


def applicable(ctx: Context, rule, level: str, *, unknown_applies: bool = False) -> np.ndarray:
    """Rows a rule applies to: its leerwegen, opleidingen and `wanneer`.

    An unknown `wanneer` means not applicable, or applicable with `unknown_applies`.
    """
    n = ctx.level(level).n
    mask = np.ones(n, dtype=bool)
    if rule.leerwegen is not None:
        mask &= leerweg_mask(ctx, rule.leerwegen, level)
    if rule.opleidingen is not None:
        codes = np.isin(ctx.kandidaat.values["opleidingscode"].val.astype(str), list(rule.opleidingen))
        mask &= codes[ctx.k] if level == "vak" else codes
    if rule.wanneer is not None:
        when = evaluate(rule.wanneer, ctx, level)
        mask &= np.broadcast_to(~when.false() if unknown_applies else when.true(), n)
    return mask


def run_checks(ctx: Context, rules, *, schooljaar: str, examens, skip):
    """Findings of every rule in `rules` (a rule whose `skip(rule)` gives a reason is not run)."""
    frames = []
    for rule in rules:
        if skip(rule):
            continue
        level = rule.niveau
        holds = evaluate(rule.voorwaarde, ctx, level).true()
        failing = applicable(ctx, rule, level) & ~np.broadcast_to(holds, ctx.level(level).n)
        rows = np.flatnonzero(failing)
        if len(rows):
            frames.append(rule_findings(ctx, rule, rows, schooljaar, examens))
    return concat_findings(frames)


def read_names(rule) -> list[str]:
    """The values a rule shows in its findings: `waarden`, else the names its condition reads."""
    if rule.waarden:
        return list(rule.waarden)
    names = rule.voorwaarde.names() | (rule.wanneer.names() if rule.wanneer is not None else set())
    return sorted(names)


def rule_findings(ctx: Context, rule, rows: np.ndarray, schooljaar: str, examens):
    """The findings of `rule` for the failing `rows` of its level (shared by every backend)."""
    level = rule.niveau
    exam_ids = ctx.k[rows] if level == "vak" else rows
    lookup = lambda name: ctx.lookup(name, level)  # noqa: E731 - a tiny adapter
    names = [n for n in read_names(rule) if n not in ctx.constants]
    columns = [n for n in names if n in INPUT_COLUMNS]
    vakken = ctx.vakken_frame
    keys = examens.iloc[exam_ids] if len(exam_ids) else examens.iloc[:0]
    return make_findings(
        schooljaar=schooljaar, regel=rule.id, code=rule.code, ernst=rule.ernst,
        exam_id=exam_ids, brin=keys["brin"], vestiging=keys["vestiging"],
        leerlingnummer=keys["leerlingnummer"], opleidingscode=keys["opleidingscode"],
        vakcode=vakken["vakcode"].to_numpy(dtype=object)[rows] if level == "vak" else None,
        kolom=", ".join(columns) or None,
        waarde=name_values(names, lookup, rows, ctx.personal),
        melding=fill(rule.melding, lookup, rows, ctx.personal),
        grondslag=rule.grondslag,
        bron_rij=(vakken["bron_rij"].to_numpy()[rows] if level == "vak" else keys["bron_rij"].to_numpy()),
    )


