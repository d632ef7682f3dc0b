"""Decide each candidate's uitslag from the slaag-zak voorwaarden of the rule set.

A candidate is geslaagd when every applicable voorwaarde holds for the reported vakken, or — the
law's "could have passed" rule (UB WVO 2020 art. 3.33 lid 3: one or more extra vakken, a
weglaatregel with `meerdere`) and, in 2020-2021/2021-2022, the wegstreepregeling (one vak) — when
they hold after leaving out vakken that a weglaatregel allows. Leaving out is tried only for
candidates who fail otherwise, and each scenario is evaluated by the same evaluator as the base
case. Exams whose school uitslag is in the rule set's parameter `uitslag_niet_bepalen` (T, D, S)
are not decided. Unknown voorwaarden (missing grades) give `onvolledig`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from examenbron.engine.evaluation.backends import NIET_GEHAALD, NVT, ONBEPAALD, STATUS_NAMES
from examenbron.engine.evaluation.frames import Context, Level
from examenbron.engine.language.values import Value
from examenbron.engine.rulesets.roles import UITSLAG_NIET_BEPALEN
from examenbron.engine.vocabulary import AFGEWEZEN, GESLAAGD, NIET_BEPAALD, ONVOLLEDIG

MAX_WEGLATEN = 5   # allowed vakken per candidate combined when a weglaatregel allows several


@dataclass
class Decision:
    """Per candidate: the computed uitslag and the status of every voorwaarde (base scenario)."""

    uitslag: np.ndarray                 # 'geslaagd' | 'afgewezen' | 'onvolledig' | 'niet_bepaald'
    status: dict                        # voorwaarde id -> int8 array, an index into STATUS_NAMES
    weglaten_rij: np.ndarray            # (first) vak row left out to pass, -1 if none
    weglaatregel: np.ndarray            # id of the weglaatregel used, '' if none
    niet_gehaald: list                  # per candidate: ids of the voorwaarden not met
    onbepaald: list                     # per candidate: ids of the voorwaarden that could not be decided
    scenario_status: dict               # voorwaarde id -> statuses seen while leaving vakken out (coverage)
    weglaten_rijen: list = None         # per candidate: every vak row left out to pass (a tuple)


def _statuses(evaluator, ctx: Context, voorwaarden, onbepaalbaar=frozenset()):
    """(failed, unknown, status per voorwaarde) of every candidate of `ctx`.

    A voorwaarde in `onbepaalbaar` (it reads an optional column the file lacks) is onbepaald wherever
    it applies; a `wanneer` that cannot be evaluated counts as applying.
    """
    n = ctx.kandidaat.n
    failed, unknown = np.zeros(n, bool), np.zeros(n, bool)
    evaluated = evaluator.statuses(ctx, [rule for rule in voorwaarden if rule.id not in onbepaalbaar])
    status = {}
    for rule in voorwaarden:
        if rule.id in onbepaalbaar:
            scope = ctx.in_scope(rule, "kandidaat")
            if rule.wanneer is not None:  # only where the wanneer is certainly false does it not apply
                when = evaluator.statuses(ctx, [replace(rule, voorwaarde=rule.wanneer, wanneer=None)])[rule.id]
                scope &= when != NIET_GEHAALD
            status[rule.id] = np.where(scope, ONBEPAALD, NVT).astype(np.int8)
        else:
            status[rule.id] = evaluated[rule.id]
    for values in status.values():
        failed |= values == NIET_GEHAALD
        unknown |= values == ONBEPAALD
    return failed, unknown, status


def decide(evaluator, ctx: Context, ruleset, onbepaalbaar=frozenset()) -> Decision:
    """Compute the uitslag of every candidate with the voorwaarden of `ruleset`."""
    n = ctx.kandidaat.n
    failed, unknown, status = _statuses(evaluator, ctx, ruleset.voorwaarden, onbepaalbaar)
    uitslag_school = ctx.kandidaat.values["uitslag"].val
    decided = ~np.isin(uitslag_school.astype(str), list(ruleset.parameters[UITSLAG_NIET_BEPALEN]))
    passed = ~failed & ~unknown
    scenario_status = {}
    rescue_rows, rescue_rule, maybe = _try_leaving_out(evaluator, ctx, ruleset, decided & failed,
                                                       scenario_status, status, onbepaalbaar)
    rescued = rescue_rule != ""
    uitslag = np.select(
        [~decided, passed | rescued, failed & ~maybe], [NIET_BEPAALD, GESLAAGD, AFGEWEZEN], ONVOLLEDIG
    ).astype(object)
    first = np.full(n, -1, dtype="int64")
    for exam in np.flatnonzero(rescued).tolist():
        first[exam] = rescue_rows[exam][0]
    return Decision(uitslag, status, first, rescue_rule,
                    _ids_per_candidate(status, NIET_GEHAALD, n), _ids_per_candidate(status, ONBEPAALD, n),
                    scenario_status, rescue_rows)


def _try_leaving_out(evaluator, ctx: Context, ruleset, candidates: np.ndarray, seen: dict, base: dict,
                     onbepaalbaar):
    """For failing candidates: vak rows whose leaving out makes every voorwaarde hold.

    Returns per candidate the rows (a tuple, empty if none), the weglaatregel used ('' if none), and whether a
    scenario could only not be decided: no voorwaarde failed and the onbepaalde ones apply only
    when vakken are left out (HV/VM-VOLLEDIG for an unknown composition), not ones that lost their
    vak. Then the uitslag is onvolledig rather than afgewezen. Statuses seen go into `seen`.
    """
    n = ctx.kandidaat.n
    best_rows, best_rule = [()] * n, np.full(n, "", dtype=object)
    maybe = np.zeros(n, dtype=bool)
    grade = ctx.vak.values[ruleset.rollen["uitslagcijfer"]]
    affected = _affected(ruleset.afleidingen)
    recompute = _recomputed(ruleset.afleidingen, affected, ruleset.voorwaarden)
    for regel in ruleset.weglaten:
        todo = candidates & (best_rule == "")
        if regel.leerwegen is not None:
            todo &= ctx.leerweg_mask(regel.leerwegen, "kandidaat")
        may = evaluator.selects(ctx, regel.vak_mag_vervallen, "vak")
        allowed = np.flatnonzero(may & todo[ctx.k])
        if not len(allowed):
            continue
        owners, dropped = _subsets(ctx, allowed, grade) if regel.meerdere else \
            (ctx.k[allowed], (np.arange(len(allowed)), allowed))
        scenario = _scenario_context(ctx, owners, dropped, regel.id, affected)
        kandidaat, vak = evaluator.derive(scenario, recompute)
        failed, unknown, status = _statuses(evaluator, scenario.with_values(kandidaat, vak), ruleset.voorwaarden,
                                            onbepaalbaar)
        for rule_id, values in status.items():
            seen.setdefault(rule_id, set()).update(STATUS_NAMES[v] for v in np.unique(values).tolist())
        only_scenario = np.ones(len(owners), dtype=bool)
        for rule_id, values in status.items():
            only_scenario &= (values != ONBEPAALD) | (base[rule_id][owners] == NVT)
        maybe[owners[~failed & unknown & only_scenario]] = True
        passing = np.flatnonzero(~failed & ~unknown)
        if not len(passing):
            continue
        # Of several ways to pass, name the one that leaves out the fewest vakken, then the lowest
        # eindcijfers (then the first in the file): the one a school would choose.
        size = np.bincount(dropped[0], minlength=len(owners))[passing]
        grades = np.zeros(len(owners), dtype="int64")   # exact integer sums; an empty grade counts as 10**12
        np.add.at(grades, dropped[0], np.minimum(_grade_key(grade, dropped[1]), 10 ** 12))
        grades = grades[passing]
        first_row = np.full(len(owners), np.iinfo("int64").max)
        np.minimum.at(first_row, dropped[0], dropped[1])
        order = np.lexsort((first_row[passing], grades, size, owners[passing]))
        chosen = passing[order[np.unique(owners[passing][order], return_index=True)[1]]]
        starts = np.searchsorted(dropped[0], chosen)           # dropped is ordered by scenario
        ends = np.searchsorted(dropped[0], chosen, side="right")
        for s, start, end in zip(chosen.tolist(), starts.tolist(), ends.tolist()):
            best_rows[owners[s]] = tuple(sorted(dropped[1][start:end].tolist()))
            best_rule[owners[s]] = regel.id
    return best_rows, best_rule, maybe & (best_rule == "")


def _subsets(ctx: Context, allowed: np.ndarray, grade: Value):
    """Every non-empty set of allowed vak rows per candidate, as (owner per scenario, (scenario, row)),
    the pairs ordered by scenario.

    Bound: per candidate the MAX_WEGLATEN allowed rows with the lowest eindcijfers (`grade`) are
    combined (at most 2**MAX_WEGLATEN - 1 scenarios); leaving out a higher grade never helps more
    than a lower one of the same kind, and exams rarely have more than a few extra vakken.
    """
    owners = ctx.k[allowed]
    order = np.lexsort((allowed, _grade_key(grade, allowed), owners))
    allowed, owners = allowed[order], owners[order]
    cands, start, count = np.unique(owners, return_index=True, return_counts=True)
    rank = np.arange(len(allowed)) - np.repeat(start, count)
    keep = rank < MAX_WEGLATEN
    table = np.full((len(cands), MAX_WEGLATEN), -1, dtype="int64")
    table[np.repeat(np.arange(len(cands)), count)[keep], rank[keep]] = allowed[keep]
    r = np.minimum(count, MAX_WEGLATEN)
    per = (1 << r) - 1
    scen_cand = np.repeat(np.arange(len(cands)), per)
    mask = np.arange(len(scen_cand)) - np.repeat(np.cumsum(per) - per, per) + 1
    pairs_s, pairs_r = [], []
    for bit in range(MAX_WEGLATEN):
        on = np.flatnonzero((mask >> bit) & 1)
        pairs_s.append(on)
        pairs_r.append(table[scen_cand[on], bit])
    scen, rows = np.concatenate(pairs_s), np.concatenate(pairs_r)
    order = np.argsort(scen, kind="stable")
    return cands[scen_cand], (scen[order], rows[order])


def _grade_key(value: Value, rows: np.ndarray) -> np.ndarray:
    """The eindcijfer (role `uitslagcijfer`) of each vak row as an exact sortable number (empty sorts last)."""
    den = np.broadcast_to(value.den, len(value.val))[rows]
    scaled = np.asarray(value.val)[rows] * (1000 // np.maximum(den, 1))
    return np.where(np.asarray(value.null)[rows], np.iinfo("int64").max, scaled)


def _affected(afleidingen) -> set:
    """Afleidingen that read (through others) which vak is left out; the rest are copied, not recomputed."""
    affected = {"weggelaten", "weglaatregel"}
    for afleiding in afleidingen:  # in dependency order
        if any(node.names() & affected for _, node, _ in afleiding.variants):
            affected.add(afleiding.naam)
            affected |= getattr(afleiding, "outputs", set())
    return affected


def _recomputed(afleidingen, affected: set, voorwaarden) -> list:
    """The `affected` afleidingen a voorwaarde reads (through others): the ones a scenario recomputes.

    The others (cum laude) do not decide the uitslag; a scenario leaves them out rather than copying
    values that leaving out a vak would change.
    """
    read = set()
    for rule in voorwaarden:
        read |= rule.voorwaarde.names() | (rule.wanneer.names() if rule.wanneer is not None else set())
    for afleiding in reversed(afleidingen):  # in reverse dependency order
        if {afleiding.naam, *getattr(afleiding, "outputs", ())} & read:
            for _, node, _ in afleiding.variants:
                read |= node.names()
    return [a for a in afleidingen if a.naam in affected and {a.naam, *getattr(a, "outputs", ())} & read]


def _scenario_context(ctx: Context, owners: np.ndarray, dropped, regel_id: str, derived: set) -> Context:
    """One candidate row per scenario, with its candidate's vak rows copied and `dropped` left out.

    `dropped` = (scenario index, vak row) pairs. Values in `derived` are recomputed for the
    scenario; every other value is copied.
    """
    lengths = ctx.counts[owners]
    scenario_of_row = np.repeat(np.arange(len(owners)), lengths)
    first_row = np.repeat(ctx.starts[owners], lengths)
    offset = np.arange(len(scenario_of_row)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    source = first_row + offset
    width = max(ctx.vak.n, 1)
    left_out = np.isin(scenario_of_row * width + source, dropped[0] * width + dropped[1])
    vak = {name: v.take(source) for name, v in ctx.vak.values.items() if name not in derived}
    vak["weggelaten"] = Value("bool", left_out, False)
    kand = {name: v.take(owners) for name, v in ctx.kandidaat.values.items() if name not in derived}
    kand["weglaatregel"] = Value("str", np.full(len(owners), regel_id, dtype=object), False)
    return Context(Level("kandidaat", len(owners), kand), Level("vak", len(source), vak),
                   scenario_of_row, ctx.constants)


def uitslag_values(ctx: Context, decision: Decision) -> dict:
    """The uitslag as candidate values for the uitslag-phase controles (uitslag_berekend, …)."""
    n = ctx.kandidaat.n
    not_met = _joined(decision.niet_gehaald, decision.status, NIET_GEHAALD)
    unsure = _joined(decision.onbepaald, decision.status, ONBEPAALD)
    rows = decision.weglaten_rij
    vakcode, vaknaam = ctx.vak.values["vakcode"].val, ctx.vak.values["vaknaam"].val
    weglaten_vak = np.full(n, None, dtype=object)
    for exam in np.flatnonzero(rows >= 0):
        weglaten_vak[exam] = ", ".join(f"{vakcode[r]} {vaknaam[r] or ''}".strip()
                                       for r in decision.weglaten_rijen[exam])
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
