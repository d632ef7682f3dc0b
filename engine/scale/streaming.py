"""Validate a large results file part by part (whole schools per part) in bounded memory.

The file is partitioned on disk (engine.scale.partition); each part is read, normalised and run
through the pipeline's public ``run()`` with the rule set of the file's school year, and only its
bevindingen and candidate rows are kept. ``combine`` then gives the exact tables of the one-shot run:
exam ids are renumbered in order of first appearance in the original file (as normalise numbers
them), bevindingen and candidates are sorted as the pipeline sorts them.

Exams never span parts (a part holds whole BRINs, the exam key starts with the BRIN) and no rule
compares different exams, so per-part results are the one-shot results restricted to that part.
"""

from __future__ import annotations

import datetime
import tempfile
import time
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import pandas as pd

from examenbron.engine.errors import InputError
from examenbron.engine.evaluation.evaluate import Value
from examenbron.engine.inputs.columns import EXAM_KEY
from examenbron.engine.vocabulary import schooljaar_of


@dataclass
class PartResult:
    """What one part leaves behind: enough to rebuild the one-shot tables."""

    first_rows: np.ndarray      # bron_rij of each exam's first row, by local exam_id
    bevindingen: pd.DataFrame
    kandidaten: pd.DataFrame
    vakrijen: int
    overgeslagen_regels: list
    timings: dict
    columns_present: frozenset
    extras: dict                # candidate-level Values of the rule set's `rapporteer` columns (for reports)
    kandidaat_json: np.ndarray | None = None   # each candidate's JSON object (report.kandidaat_rows), if asked


@dataclass
class Combined:
    """The one-shot Outcome's tables for the reports. Its context holds only the candidate-level values
    of the rule set's `rapporteer` columns: no `explain`, no HTML charts (they need every vak row)."""

    schooljaar: str
    ruleset: object
    results: object             # source, examens (key columns only), vakken (exam_id only), columns_present
    bevindingen: pd.DataFrame
    kandidaten: pd.DataFrame
    overgeslagen_regels: list
    timings: dict
    context: object = None      # only the candidate-level Values of the `rapporteer` columns
    kandidaat_json: tuple | None = None   # (kandidaten, each one's JSON object) when the parts wrote them


def school_year(exams_per_year, source: str) -> str:
    """The school year of the most frequent examenjaar over the file's exams (as schooljaar_from)."""
    if not exams_per_year:
        raise InputError(f"{source}: geen geldig examenjaar in het bestand; "
                         "geef --schooljaar op, bijvoorbeeld --schooljaar 2024-2025")
    best = max(exams_per_year.values())
    return schooljaar_of(min(y for y, n in exams_per_year.items() if n == best))


def run_part(part, source, ruleset, tables, *, mapping, peildatum, backend) -> PartResult:
    """Read, normalise and validate one part; keep only what `combine` needs."""
    from examenbron.engine import pipeline
    from examenbron.engine.inputs.normalise import normalise
    from examenbron.engine.scale.partition import read_part
    started = time.perf_counter()
    results = normalise(read_part(part, source), mapping)
    read_s = time.perf_counter() - started
    outcome = pipeline.run(results, ruleset, tables, peildatum=peildatum, backend=backend)
    return part_result(results, outcome, ruleset, read_s)


def part_result(results, outcome, ruleset, read_s: float, json_rows: bool = False) -> PartResult:
    """What `combine` needs of one part's Results and Outcome (``read_s``: its reading time;
    ``json_rows``: also each candidate's object of the JSON report, written in this process)."""
    from examenbron.engine.outputs.report import kandidaat_rows
    timings = {"inlezen+normaliseren": read_s, **outcome.timings}
    n = len(outcome.kandidaten)
    values = outcome.context.kandidaat.values
    extras = {name: Value(values[name].kind, *(np.broadcast_to(np.asarray(getattr(values[name], a)), n)
                                              for a in ("val", "null", "den")))
              for name in ruleset.metadata.get("rapporteer", []) or []}
    return PartResult(results.examens["bron_rij"].to_numpy(), outcome.bevindingen, outcome.kandidaten,
                      len(results.vakken), outcome.overgeslagen_regels, timings, results.columns_present, extras,
                      kandidaat_rows(outcome) if json_rows else None)


def combine(parts: list, *, source, schooljaar, ruleset) -> Combined:
    """The one-shot tables from the parts' results (see the module docstring); ``parts`` not empty."""
    from examenbron.engine.inputs.normalise import Results
    from examenbron.engine.outputs.bevindingen import concat_bevindingen
    sizes = [len(p.first_rows) for p in parts]
    offsets = np.cumsum([0] + sizes)
    rank = np.empty(offsets[-1], dtype=np.int64)
    rank[np.argsort(np.concatenate([p.first_rows for p in parts]), kind="stable")] = np.arange(offsets[-1])
    bevindingen, kandidaten = [], []
    for part, offset, size in zip(parts, offsets, sizes):
        ids = rank[offset:offset + size]
        bevindingen.append(part.bevindingen.assign(exam_id=_renumber(part.bevindingen["exam_id"], ids)))
        kandidaten.append(part.kandidaten.assign(exam_id=_renumber(part.kandidaten["exam_id"], ids)))
    bevindingen = concat_bevindingen(bevindingen)
    bevindingen = bevindingen.sort_values(["exam_id", "bron_rij", "regel"], kind="stable", na_position="first")
    kandidaten = pd.concat(kandidaten, ignore_index=True)
    order = np.argsort(kandidaten["exam_id"].to_numpy(), kind="stable")
    kandidaten = kandidaten.iloc[order].reset_index(drop=True)
    extras = {name: Value(parts[0].extras[name].kind,
                          *(np.concatenate([getattr(p.extras[name], a) for p in parts])[order]
                            for a in ("val", "null", "den")))
              for name in parts[0].extras}
    vakken = pd.DataFrame(index=pd.RangeIndex(sum(p.vakrijen for p in parts)))  # reports only count them
    examens = kandidaten[["exam_id", *EXAM_KEY]]
    results = Results(source, examens, vakken, bevindingen.iloc[:0], parts[0].columns_present)
    timings = {}
    for part in parts:
        for name, seconds in part.timings.items():
            timings[name] = timings.get(name, 0.0) + seconds
    context = SimpleNamespace(kandidaat=SimpleNamespace(n=len(kandidaten), values=extras))
    written = None
    if all(p.kandidaat_json is not None for p in parts):
        written = (kandidaten, np.concatenate([p.kandidaat_json for p in parts])[order])
    return Combined(schooljaar, ruleset, results, bevindingen.reset_index(drop=True), kandidaten,
                    parts[0].overgeslagen_regels, timings, context, written)


def _renumber(column: pd.Series, ids: np.ndarray) -> pd.Series:
    """Local exam ids -> ids of the whole file, keeping the column's dtype and its missing values."""
    if column.dtype.kind in "iu":
        return pd.Series(ids[column.to_numpy()], index=column.index, dtype=column.dtype)
    values = column.to_numpy(dtype=object, copy=True)
    known = pd.notna(values)
    values[known] = ids[values[known].astype(np.int64)]
    return pd.Series(values, index=column.index, dtype=column.dtype)


def validate_per_school(path, *, schooljaar=None, mapping=None, peildatum: datetime.date | None = None,
                        backend: str = "pandas", part_bytes: int | None = None, werkers: int = 1):
    """Validate the CSV ``path`` part by part; return the one-shot run's tables (a Combined).

    ``mapping`` as for load_results (YAML path or dict). A file without data rows is validated in one
    go (there is nothing to stream). With ``werkers`` > 1 the parts are validated on that many worker
    processes at once (engine.scale.parallel.run_parts): faster, and memory grows with ``werkers``.
    """
    from examenbron.engine import pipeline
    from examenbron.engine.inputs import codetables
    from examenbron.engine.inputs.read import mapping_of
    from examenbron.engine.rulesets import load as rulesets
    from examenbron.engine.scale.partition import PART_BYTES, partition
    mapping = mapping_of(mapping)
    peildatum = peildatum or datetime.date.today()
    with tempfile.TemporaryDirectory(prefix="examenbron-delen-") as tmp:
        started = time.perf_counter()
        plan = partition(path, tmp, mapping=mapping, part_bytes=part_bytes or PART_BYTES)
        split_s = time.perf_counter() - started
        schooljaar = schooljaar or school_year(plan.exams_per_year, plan.source)
        ruleset, tables = rulesets.load(schooljaar), codetables.load(schooljaar)
        if not plan.parts:
            from examenbron.engine.inputs.normalise import load_results
            return pipeline.run(load_results(path, mapping=mapping), ruleset, tables, peildatum=peildatum,
                                backend=backend)
        if werkers > 1 and len(plan.parts) > 1:
            from examenbron.engine.scale.parallel import run_parts
            parts = run_parts(plan.parts, plan.source, schooljaar, werkers, mapping=mapping, peildatum=peildatum,
                              backend=backend)
        else:
            parts = [run_part(part, plan.source, ruleset, tables, mapping=mapping, peildatum=peildatum,
                              backend=backend) for part in plan.parts]
    combined = combine(parts, source=plan.source, schooljaar=schooljaar, ruleset=ruleset)
    combined.timings = {"opdelen": split_s, **combined.timings}
    return combined
