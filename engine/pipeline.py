"""The whole run for one results file: prepare → derive → check → decide → check the uitslag.

Each step returns what it made; `run` reads as that one line. Returns an `Outcome`: the bevindingen
table, one row per candidate exam (`kandidaten`), the rules that were skipped and why, the
decision and the final evaluation context (every input, derived and uitslag value; used by
explain, the rule tests and export through the rule set's roles).
"""

from __future__ import annotations

import datetime
import gc
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from examenbron.engine.errors import InputError
from examenbron.engine.evaluation.backends import evaluator
from examenbron.engine.evaluation.check import check
from examenbron.engine.evaluation.decide import Decision, decide, uitslag_values
from examenbron.engine.evaluation.frames import Context
from examenbron.engine.evaluation.prepare import prepare
from examenbron.engine.language.values import to_series
from examenbron.engine.outputs.bevindingen import concat_bevindingen
from examenbron.engine.outputs.texts import template_fields
from examenbron.engine.vocabulary import schooljaar_of


@dataclass
class Outcome:
    """Everything a report, an explanation or the export needs."""

    schooljaar: str
    ruleset: object
    results: object
    bevindingen: pd.DataFrame
    kandidaten: pd.DataFrame
    overgeslagen_regels: list
    context: Context
    decision: Decision
    timings: dict = field(default_factory=dict)


def schooljaar_from(results) -> str:
    """The school year of the most frequent valid examenjaar in `results`."""
    years = results.examens["examenjaar"].dropna()
    if not len(years):
        raise InputError(f"{results.source}: geen geldig examenjaar in het bestand; "
                         "geef --schooljaar op, bijvoorbeeld --schooljaar 2024-2025")
    return schooljaar_of(int(years.mode().iloc[0]))


def missing_columns(rule, ruleset, columns_present) -> list:
    """The optional input columns a rule reads that the file does not have."""
    names = rule.voorwaarde.names() | (rule.wanneer.names() if rule.wanneer is not None else set())
    names |= set(rule.waarden) | set(template_fields(rule.melding))
    return ruleset.missing_optional(names, columns_present)


def skip_reason(rule, ruleset, columns_present, peildatum) -> str | None:
    """Why a rule cannot run on this file (an optional column is absent, or not in force)."""
    missing = missing_columns(rule, ruleset, columns_present)
    if missing:
        return f"kolom ontbreekt in het bestand: {', '.join(missing)}"
    return _not_in_force(rule, peildatum)


def _not_in_force(rule, peildatum) -> str | None:
    if rule.geldig_van and peildatum < rule.geldig_van:
        return f"nog niet van kracht op de peildatum (geldig vanaf {rule.geldig_van})"
    if rule.geldig_tot and peildatum > rule.geldig_tot:
        return f"niet meer van kracht op de peildatum (geldig tot {rule.geldig_tot})"
    return None


def run(results, ruleset, tables, *, peildatum: datetime.date | None = None, backend: str = "pandas") -> Outcome:
    """Validate `results` with `ruleset` and the year's code `tables` (evaluated by `backend`)."""
    with _older_objects_frozen():
        return _run(results, ruleset, tables, peildatum, backend)


@contextmanager
def _older_objects_frozen():
    """Python's full garbage collections during the run skip the objects made before it.

    The matching makes many small objects, which sets off a full collection; that scans every object
    of the process (the imported modules, pandas, the rule set: ~40 ms), whatever the file's size, so
    a small file paid more per candidate. Objects of the run itself are collected as before. A process
    that froze objects itself (before forking workers) keeps its own freeze.
    """
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _run(results, ruleset, tables, peildatum, backend) -> Outcome:
    peildatum = peildatum or datetime.date.today()
    engine = evaluator(backend)
    timings = {}
    clock = time.perf_counter()

    def lap(name):
        nonlocal clock
        now = time.perf_counter()
        timings[name] = now - clock
        clock = now

    skipped = [{"regel": rule.id, "reden": reason} for rule in [*ruleset.controles, *ruleset.voorwaarden]
               if (reason := skip_reason(rule, ruleset, results.columns_present, peildatum))]
    skipped_ids = {item["regel"] for item in skipped}
    runs = _runnable(ruleset, skipped_ids)
    context = prepare(results, tables, peildatum, ruleset.parameters)
    lap("voorbereiden")
    context = context.with_values(*engine.derive(context, ruleset.afleidingen)).with_personal(ruleset.afleidingen)
    lap("afleiden")
    bevindingen = check(engine, context, runs.invoer, schooljaar=ruleset.schooljaar, examens=results.examens)
    lap("controleren")
    # A voorwaarde that reads an absent optional column is neither met nor unmet: it is onbepaald
    # (uitslag onvolledig), never silently left out.
    onbepaalbaar = {r.id for r in ruleset.voorwaarden if r.id in skipped_ids and not _not_in_force(r, peildatum)}
    for entry in skipped:
        if entry["regel"] in onbepaalbaar:
            entry["reden"] += "; de voorwaarde is daarom onbepaald (uitslag onvolledig)"
    voorwaarden = [r for r in ruleset.voorwaarden if r.id not in skipped_ids or r.id in onbepaalbaar]
    decision = decide(engine, context, replace(ruleset, voorwaarden=voorwaarden), onbepaalbaar=onbepaalbaar)
    context = context.with_values(uitslag_values(context, decision))
    lap("uitslag")
    uitslag_bevindingen = check(engine, context, runs.uitslag, schooljaar=ruleset.schooljaar, examens=results.examens)
    bevindingen = _all_bevindingen(results, ruleset, bevindingen, uitslag_bevindingen)
    kandidaten = _kandidaten(context, results, decision, ruleset)
    lap("bevindingen")
    return Outcome(ruleset.schooljaar, ruleset, results, bevindingen, kandidaten, skipped, context, decision, timings)


@dataclass
class _Runnable:
    """The rules that can run on this file, by phase."""

    invoer: list
    uitslag: list


def _runnable(ruleset, skipped: set) -> _Runnable:
    return _Runnable([r for r in ruleset.controles if r.fase == "invoer" and r.id not in skipped],
                     [r for r in ruleset.controles if r.fase == "uitslag" and r.id not in skipped])


def _all_bevindingen(results, ruleset, *steps) -> pd.DataFrame:
    """The reader's bevindingen and those of the check steps, sorted by exam, source row and rule."""
    parse_bevindingen = results.bevindingen.assign(schooljaar=ruleset.schooljaar)
    bevindingen = concat_bevindingen([parse_bevindingen, *steps])
    bevindingen = bevindingen.sort_values(["exam_id", "bron_rij", "regel"], kind="stable", na_position="first")
    return bevindingen.reset_index(drop=True)


def vak_roles(context: Context, ruleset, roles, *, scale: int = 1) -> pd.DataFrame:
    """The values of the vak-level `roles` (engine.rulesets.roles), one column per role, indexed like
    `results.vakken`; numbers as Int64 multiples of 1/`scale` (1: whole grades, 10: tenths)."""
    columns = {}
    for role in roles:
        value = context.vak.values[ruleset.rollen[role]]
        columns[role] = (_scaled(value, context.vak.n, scale) if value.kind == "num"
                         else to_series(value, context.vak.n).array)
    return pd.DataFrame(columns, index=context.vakken_frame.index)


def derive_vak_roles(results, ruleset, tables, roles, *, peildatum: datetime.date, scale: int = 1) -> pd.DataFrame:
    """`vak_roles` computed without a full run: only the afleidingen behind `roles` and those they read."""
    context = prepare(results, tables, peildatum, ruleset.parameters)
    needed = {ruleset.rollen[role] for role in roles}
    for afleiding in reversed(ruleset.afleidingen):        # dependency order, so walk back once
        if afleiding.naam in needed:
            for _, node, _ in afleiding.variants:
                needed |= node.names()
    _, vak = evaluator("pandas").derive(context, [d for d in ruleset.afleidingen if d.naam in needed])
    return vak_roles(context.with_values(vak=vak), ruleset, roles, scale=scale)


def _scaled(value, n: int, scale: int):
    """A number Value as Int64 multiples of 1/scale (it must be exact: a bug otherwise)."""
    val, null = np.broadcast_to(value.val, n).astype("int64"), np.broadcast_to(value.null, n)
    den = np.broadcast_to(value.den, n).astype("int64")
    scaled, rest = np.divmod(val * scale, den)
    if np.any(rest[~null]):
        raise ValueError(f"value is not a multiple of 1/{scale}")
    return pd.arrays.IntegerArray(scaled, np.array(null, dtype=bool))


def _kandidaten(ctx: Context, results, decision: Decision, ruleset) -> pd.DataFrame:
    """One row per candidate exam with the school's and the computed uitslag."""
    examens = results.examens
    n = len(examens)
    values = ctx.kandidaat.values
    frame = pd.DataFrame({
        "exam_id": examens["exam_id"].to_numpy(),
        "brin": examens["brin"].to_numpy(), "vestiging": examens["vestiging"].to_numpy(),
        "leerlingnummer": examens["leerlingnummer"].to_numpy(),
        "opleidingscode": examens["opleidingscode"].to_numpy(),
        "examenjaar": examens["examenjaar"].to_numpy(),
        "leerweg": to_series(values["leerweg"], n).to_numpy(),
        "uitslag_school": examens["uitslag"].to_numpy(),
        "uitslag_berekend": decision.uitslag,
        "voorwaarden_niet_gehaald": decision.niet_gehaald,
        "voorwaarden_onbepaald": decision.onbepaald,
        "weglaten_vak": to_series(values["weglaten_vak"], n).to_numpy(),
        "weglaten_regel": to_series(values["weglaten_regel"], n).to_numpy(),
    })
    for name in ruleset.metadata.get("rapporteer", []) or []:
        frame[name] = to_series(values[name], n).to_numpy()
    return frame
