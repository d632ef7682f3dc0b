"""The evaluator seam (engine.evaluation.backends): a third evaluator is one module plus one registry line."""

import datetime
import gc
import sys
import types

import pytest

from examenbron.engine import pipeline
from examenbron.engine.errors import BackendUnavailable
from examenbron.engine.evaluation import backends
from examenbron.engine.evaluation.evaluate import EVALUATOR as VECTORISED
from examenbron.engine.inputs import codetables
from examenbron.engine.inputs.normalise import load_results
from examenbron.engine.rulesets import load as rules

EXAMPLE = "examples/resultaten-2024-2025.csv"


class Recording:
    """A third evaluator: the vectorised one, recording what it is asked."""

    def __init__(self):
        self.asked = set()

    def derive(self, ctx, afleidingen):
        self.asked.add("derive")
        return VECTORISED.derive(ctx, afleidingen)

    def failing(self, ctx, rules_):
        self.asked.add("failing")
        return VECTORISED.failing(ctx, rules_)

    def statuses(self, ctx, voorwaarden):
        self.asked.add("statuses")
        return VECTORISED.statuses(ctx, voorwaarden)

    def selects(self, ctx, condition, level):
        self.asked.add("selects")
        return VECTORISED.selects(ctx, condition, level)


def test_a_registered_evaluator_evaluates_every_kind_of_rule(monkeypatch):
    module = types.ModuleType("recording_evaluator")
    module.EVALUATOR = Recording()
    monkeypatch.setitem(sys.modules, "recording_evaluator", module)
    monkeypatch.setitem(backends.EVALUATORS, "recording", "recording_evaluator")
    results = load_results(EXAMPLE)
    ruleset, tables = rules.load("2024-2025"), codetables.load("2024-2025")
    day = datetime.date(2025, 6, 20)
    recorded = pipeline.run(results, ruleset, tables, peildatum=day, backend="recording")
    plain = pipeline.run(results, ruleset, tables, peildatum=day)
    # afleidingen, checks, voorwaarden and the weglaatregels (leave-out search) all went through it
    assert module.EVALUATOR.asked == {"derive", "failing", "statuses", "selects"}
    assert recorded.bevindingen.equals(plain.bevindingen)
    assert recorded.kandidaten.equals(plain.kandidaten)


def test_the_steps_do_not_change_the_context_they_are_given():
    results = load_results(EXAMPLE)
    ruleset, tables = rules.load("2024-2025"), codetables.load("2024-2025")
    outcome = pipeline.run(results, ruleset, tables, peildatum=datetime.date(2025, 6, 20))
    from examenbron.engine.evaluation.prepare import prepare
    context = prepare(results, tables, datetime.date(2025, 6, 20), ruleset.parameters)
    before = set(context.kandidaat.values) | set(context.vak.values)
    kandidaat, vak = VECTORISED.derive(context, ruleset.afleidingen)
    assert set(context.kandidaat.values) | set(context.vak.values) == before
    made = set()
    for afleiding in ruleset.afleidingen:  # a step (samenstelling) makes its declared outputs
        made |= set(getattr(afleiding, "outputs", None) or {afleiding.naam})
    assert made == set(kandidaat) | set(vak)
    assert "uitslag_berekend" in outcome.context.kandidaat.values


def test_a_run_leaves_the_garbage_collector_of_the_host_process_as_it_was():
    """The run freezes the older objects for its own full collections only: afterwards a process
    that froze nothing has nothing frozen, also when the run fails, and one that froze its objects
    (before forking workers) still has them frozen."""
    results = load_results(EXAMPLE)
    ruleset, tables = rules.load("2024-2025"), codetables.load("2024-2025")
    day = datetime.date(2025, 6, 20)
    assert gc.get_freeze_count() == 0
    plain = pipeline.run(results, ruleset, tables, peildatum=day)
    assert gc.get_freeze_count() == 0
    with pytest.raises(BackendUnavailable):
        pipeline.run(results, ruleset, tables, peildatum=day, backend="bestaat-niet")
    assert gc.get_freeze_count() == 0
    gc.freeze()
    try:
        again = pipeline.run(results, ruleset, tables, peildatum=day)
        assert gc.get_freeze_count() > 0  # not unfrozen (objects freed meanwhile leave the count)
    finally:
        gc.unfreeze()
    assert again.kandidaten.equals(plain.kandidaten) and again.bevindingen.equals(plain.bevindingen)
