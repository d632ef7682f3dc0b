"""The evaluator seam: what an evaluator does, and the registry of evaluators (`--engine`).

An evaluator is given compiled rules (checked expression trees) and a `Context` (the frames) and
returns values: derived Values, the rows where a check fails, the status of each voorwaarde, the
rows a condition selects. The steps (derive, check, decide) and the bevindingen built from rows are
shared, so evaluators differ only in how they evaluate.

- `pandas` (engine.evaluation.evaluate): vectorised numpy/pandas over all rows at once; evaluates
  everything.
- `durable` (engine.evaluation.durable): the conditions of checks, voorwaarden and weglaatregels
  compiled to durable-rules (Rete) and matched fact by fact. durable-rules cannot compute (no
  arithmetic, no aggregates over a candidate's vak rows), so it does NOT evaluate afleidingen: its
  `derive` is the vectorised one. It is an independent check of the condition evaluation only;
  derived values are the same in both engines by construction.

Adding an evaluator: one module (or sub-package) with an object implementing `Evaluator`, plus one
line in `EVALUATORS`.
"""

from __future__ import annotations

import importlib
from typing import Protocol

from examenbron.engine.errors import BackendUnavailable

# name -> module exposing EVALUATOR
EVALUATORS = {
    "pandas": "examenbron.engine.evaluation.evaluate",
    "durable": "examenbron.engine.evaluation.durable",
}


class Evaluator(Protocol):
    """What every evaluator implements (all arrays are per row of the given level)."""

    def derive(self, ctx, afleidingen) -> tuple[dict, dict]:
        """(kandidaat values, vak values) of `afleidingen` (in dependency order) by name."""

    def failing(self, ctx, rules) -> dict:
        """{rule id: row numbers} where a check is in scope (leerwegen, opleidingen, `wanneer` true)
        and its voorwaarde does not hold (false or unknown); rules without failing rows may be absent."""

    def statuses(self, ctx, voorwaarden) -> dict:
        """{rule id: int8 array} per candidate: NVT, GEHAALD, NIET_GEHAALD or ONBEPAALD (below)."""

    def selects(self, ctx, condition, level: str):
        """Boolean array: the rows of `level` where `condition` is true (unknown is not true)."""


# Status of a voorwaarde per candidate, as small integers (index into STATUS_NAMES).
NVT, GEHAALD, NIET_GEHAALD, ONBEPAALD = 0, 1, 2, 3
STATUS_NAMES = ("", "gehaald", "niet gehaald", "onbepaald")


def evaluator(name: str) -> Evaluator:
    """The evaluator registered as `name`; BackendUnavailable when unknown or not installed."""
    if name not in EVALUATORS:
        raise BackendUnavailable(f"onbekende engine {name!r}; kies uit {', '.join(EVALUATORS)}")
    return importlib.import_module(EVALUATORS[name]).EVALUATOR
