"""Decide each candidate's uitslag from the slaag-zak voorwaarden of the rule set.

A candidate is geslaagd when every applicable voorwaarde holds for the reported vakken, or — the
law's "could have passed" rule and, in 2020-2021/2021-2022, the wegstreepregeling — when they hold
after leaving out one vak that a weglaatregel allows. Leaving out is tried only for candidates
who fail otherwise, and each scenario is evaluated by the same evaluator as the base case. Exams
whose school uitslag is in the rule set's parameter `uitslag_niet_bepalen` (T, D, S) are not
decided. Unknown voorwaarden (missing grades) give `onvolledig`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from examenbron.engine.evaluation.backends import NIET_GEHAALD, ONBEPAALD, STATUS_NAMES
from examenbron.engine.evaluation.frames import Context, Level
from examenbron.engine.language.values import Value
from examenbron.engine.rulesets.roles import UITSLAG_NIET_BEPALEN


@dataclass
class Decision:
    """Per candidate: the computed uitslag and the status of every voorwaarde (base scenario)."""

    uitslag: np.ndarray                 # 'geslaagd' | 'afgewezen' | 'onvolledig' | 'niet_bepaald'
    status: dict                        # voorwaarde id -> int8 array, an index into STATUS_NAMES
    weglaten_rij: np.ndarray            # vak row left out to pass, -1 if none
    weglaatregel: np.ndarray            # id of the weglaatregel used, '' if none
    niet_gehaald: list                  # per candidate: ids of the voorwaarden not met
    onbepaald: list                     # per candidate: ids of the voorwaarden that could not be decided
    scenario_status: dict               # voorwaarde id -> statuses seen while leaving vakken out (coverage)


def _statuses(evaluator, ctx: Context, voorwaarden):
    """(failed, unknown, status per voorwaarde) of every candidate of `ctx`."""
    n = ctx.kandidaat.n
    failed, unknown = np.zeros(n, bool), np.zeros(n, bool)
    status = evaluator.statuses(ctx, voorwaarden)
    for values in status.values():
        failed |= values == NIET_GEHAALD
        unknown |= values == ONBEPAALD
    return failed, unknown, status


def decide(evaluator, ctx: Context, ruleset) -> Decision:
    """Compute the uitslag of every candidate with the voorwaarden of `ruleset`."""
    n = ctx.kandidaat.n
    failed, unknown, status = _statuses(evaluator, ctx, ruleset.voorwaarden)
    uitslag_school = ctx.kandidaat.values["uitslag"].val
    decided = ~np.isin(uitslag_school.astype(str), list(ruleset.parameters[UITSLAG_NIET_BEPALEN]))
    passed = ~failed & ~unknown
    scenario_status = {}
    rescue_row, rescue_rule = _try_leaving_out(evaluator, ctx, ruleset, decided & failed, scenario_status)
    rescued = rescue_row >= 0
    uitslag = np.select(
        [~decided, passed | rescued, failed], ["niet_bepaald", "geslaagd", "afgewezen"], "onvolledig"
    ).astype(object)
    return Decision(uitslag, status, rescue_row, rescue_rule,
                    _ids_per_candidate(status, NIET_GEHAALD, n), _ids_per_candidate(status, ONBEPAALD, n),
                    scenario_status)


def _try_leaving_out(evaluator, ctx: Context, ruleset, candidates: np.ndarray, seen: dict):
    """For failing candidates: a vak whose leaving out makes every voorwaarde hold (statuses into `seen`)."""
    n = ctx.kandidaat.n
    best_row, best_rule = np.full(n, -1, dtype="int64"), np.full(n, "", dtype=object)
    for regel in ruleset.weglaten:
        todo = candidates & (best_row < 0)
        if regel.leerwegen is not None:
            todo &= ctx.leerweg_mask(regel.leerwegen, "kandidaat")
        may = evaluator.selects(ctx, regel.vak_mag_vervallen, "vak")
        drop_rows = np.flatnonzero(may & todo[ctx.k])
        if not len(drop_rows):
            continue
        affected = _affected(ruleset.derivations)
        scenario = _scenario_context(ctx, drop_rows, regel.id, affected)
        kandidaat, vak = evaluator.derive(scenario, [d for d in ruleset.derivations if d.naam in affected])
        failed, unknown, status = _statuses(evaluator, scenario.with_values(kandidaat, vak), ruleset.voorwaarden)
        for rule_id, values in status.items():
            seen.setdefault(rule_id, set()).update(STATUS_NAMES[v] for v in np.unique(values).tolist())
        passing = drop_rows[~failed & ~unknown]
        owners = ctx.k[passing]
        # Of several vakken that would each let the candidate pass, name the one with the lowest
        # eindcijfer (then the first in the file): the one a school would leave out.
        grade = _grade_key(ctx.vak.values[ruleset.rollen["uitslagcijfer"]], passing)
        order = np.lexsort((passing, grade, owners))
        first = order[np.unique(owners[order], return_index=True)[1]]
        best_row[owners[first]] = passing[first]
        best_rule[owners[first]] = regel.id
    return best_row, best_rule


def _grade_key(value: Value, rows: np.ndarray) -> np.ndarray:
    """The eindcijfer (role `uitslagcijfer`) of each vak row as an exact sortable number (empty sorts last)."""
    den = np.broadcast_to(value.den, len(value.val))[rows]
    scaled = np.asarray(value.val)[rows] * (1000 // np.maximum(den, 1))
    return np.where(np.asarray(value.null)[rows], np.iinfo("int64").max, scaled)


def _affected(derivations) -> set:
    """Derivations that read (through others) which vak is left out; the rest are copied, not recomputed."""
    affected = {"weggelaten", "weglaatregel"}
    for derivation in derivations:  # in dependency order
        if any(node.names() & affected for _, node, _ in derivation.variants):
            affected.add(derivation.naam)
    return affected


def _scenario_context(ctx: Context, drop_rows: np.ndarray, regel_id: str, derived: set) -> Context:
    """One candidate row per dropped vak, with that candidate's vak rows copied and one left out.

    Values in `derived` are recomputed for the scenario; every other value is copied.
    """
    owners = ctx.k[drop_rows]
    lengths = ctx.counts[owners]
    scenario_of_row = np.repeat(np.arange(len(drop_rows)), lengths)
    first_row = np.repeat(ctx.starts[owners], lengths)
    offset = np.arange(len(scenario_of_row)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    source = first_row + offset
    vak = {name: v.take(source) for name, v in ctx.vak.values.items() if name not in derived}
    vak["weggelaten"] = Value("bool", source == np.repeat(drop_rows, lengths), False)
    kand = {name: v.take(owners) for name, v in ctx.kandidaat.values.items() if name not in derived}
    kand["weglaatregel"] = Value("str", np.full(len(drop_rows), regel_id, dtype=object), False)
    return Context(Level("kandidaat", len(drop_rows), kand), Level("vak", len(source), vak),
                   scenario_of_row, ctx.constants)


def uitslag_values(ctx: Context, decision: Decision) -> dict:
    """The uitslag as candidate values for the uitslag-phase checks (uitslag_berekend, …)."""
    n = ctx.kandidaat.n
    not_met = _joined(decision.niet_gehaald, decision.status, NIET_GEHAALD)
    unsure = _joined(decision.onbepaald, decision.status, ONBEPAALD)
    rows = decision.weglaten_rij
    vakcode, vaknaam = ctx.vak.values["vakcode"].val, ctx.vak.values["vaknaam"].val
    weglaten_vak = np.full(n, None, dtype=object)
    for exam in np.flatnonzero(rows >= 0):
        weglaten_vak[exam] = f"{vakcode[rows[exam]]} {vaknaam[rows[exam]] or ''}".strip()
    return {
        "uitslag_berekend": Value("str", decision.uitslag, np.zeros(n, bool)),
        "voorwaarden_niet_gehaald": Value("str", not_met, not_met == ""),
        "voorwaarden_onbepaald": Value("str", unsure, unsure == ""),
        "geslaagd_door_weglaten": Value("bool", rows >= 0, np.zeros(n, bool)),
        "weglaten_vak": Value("str", weglaten_vak, rows < 0),
        "weglaten_regel": Value("str", decision.weglaatregel, rows < 0),
    }


def _ids_per_candidate(status: dict, wanted: int, n: int) -> list:
    """Per candidate, the ids (a tuple) of the voorwaarden with status `wanted`."""
    ids = [()] * n
    for rule_id, values in status.items():
        for i in np.flatnonzero(values == wanted).tolist():
            ids[i] = ids[i] + (rule_id,)
    return ids


def _joined(ids: list, status: dict, wanted: int) -> np.ndarray:
    """The ids per candidate joined by ', ' ('' when none); only candidates with a hit are visited."""
    out = np.full(len(ids), "", dtype=object)
    hit = np.zeros(len(ids), dtype=bool)
    for values in status.values():
        hit |= values == wanted
    for i in np.flatnonzero(hit).tolist():
        out[i] = ", ".join(ids[i])
    return out
