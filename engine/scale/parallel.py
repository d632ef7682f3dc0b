"""Validate one results file on several processes, whole schools per process.

`validate` on a large CSV reads the file once (pyarrow's reader already uses every core), divides its
rows by BRIN into one part per process, of about equal size, and has each part normalised and run
through the pipeline in its own process: the first part in this one, the others in worker processes
started (spawn) before the file is read, so that their start-up overlaps the reading.
``streaming.combine`` then gives the exact tables of the one-shot run, by the argument of per-school
streaming: the rows of one BRIN stay together (grouped by the identity normalise gives a BRIN), so an
exam never spans parts, and no rule compares different exams.

The school year, when not given, is decided from every part's exams before any part runs its rules,
as ``pipeline.schooljaar_from`` decides it on the whole file (the most frequent examenjaar, the
earliest on a tie). Only the candidate-level tables come back (a ``streaming.Combined``), so the HTML
report, which charts every vak row, is made from a one-shot run.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

from examenbron.engine.errors import ExamenbronError

# A part below this many input bytes (~6 000 candidates) gains less from its own process than the
# process, the transfer of its rows and the merge cost.
MIN_PART_BYTES = 8 * 1024 * 1024


def usable_cores() -> int:
    """The processor cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def werkers_for(path, requested: int | None = None) -> int:
    """How many processes `validate` uses for ``path``: ``requested`` when given, otherwise one per
    usable core but no more than one per MIN_PART_BYTES of the file (a school's file runs in one)."""
    if requested:
        return requested
    try:
        size = Path(path).stat().st_size if Path(path).is_file() else 0
    except OSError:
        size = 0  # the reader says why it cannot read the file
    return max(1, min(usable_cores(), size // MIN_PART_BYTES))


def validate_parallel(path, werkers: int, *, schooljaar=None, mapping=None, peildatum, backend: str = "pandas",
                      regels=None, codetabellen=None, voortgang=None):
    """Validate the file ``path`` on ``werkers`` processes; return the one-shot run's tables (a Combined).

    ``mapping`` as for load_results (YAML path or dict); ``regels`` and ``codetabellen`` as for the
    loaders (None: the installed ones). ``voortgang(text)`` is called before each step when given.
    """
    from examenbron.engine.inputs import codetables
    from examenbron.engine.inputs.normalise import _resolve_columns, normalise
    from examenbron.engine.inputs.read import check_mapping, load_mapping, read_table
    from examenbron.engine.rulesets import load as rulesets
    from examenbron.engine.scale.streaming import combine, part_result, school_year
    step = voortgang or (lambda text: None)
    if isinstance(mapping, dict):
        mapping = check_mapping(mapping, "kolomkoppeling")
    elif mapping is not None:
        mapping = load_mapping(mapping)
    workers = [_Worker() for _ in range(werkers - 1)]
    try:
        step(f"{path} inlezen...")
        started = time.perf_counter()
        raw = read_table(path)
        positions = _resolve_columns(raw, mapping or {})  # a missing column: the one-shot message, once
        parts = split_by_brin(raw, positions["brin"], werkers)
        for worker, part in zip(workers, parts[1:]):
            worker.ask("normalise", part, mapping)
        results = normalise(parts[0], mapping)
        read_s = time.perf_counter() - started
        years = _exams_per_year(results)
        for worker in workers[:len(parts) - 1]:
            years.update(worker.answer())
        schooljaar = schooljaar or school_year(years, raw.source)
        ruleset, tables = rulesets.load(schooljaar, regels), codetables.load(schooljaar, codetabellen)
        step(f"{sum(years.values())} kandidaten controleren met de regels van {schooljaar} "
             f"in {len(parts)} processen...")
        for worker in workers[:len(parts) - 1]:
            worker.ask("run", schooljaar, regels, codetabellen, peildatum, backend)
        from examenbron.engine import pipeline
        outcome = pipeline.run(results, ruleset, tables, peildatum=peildatum, backend=backend)
        done = [part_result(results, outcome, ruleset, read_s)]
        done += [worker.answer() for worker in workers[:len(parts) - 1]]
    finally:
        for worker in workers:
            worker.stop()
    return combine(done, source=raw.source, schooljaar=schooljaar, ruleset=ruleset)


def split_by_brin(raw, brin_position: int, parts: int) -> list:
    """``raw`` as at most ``parts`` RawTables of whole BRINs with about equal numbers of rows, each in
    file order with its original row numbers; BRINs go to parts in order of first appearance.

    BRINs are grouped by the identity normalise gives them (stripped, upper case), so two spellings
    of one BRIN, which normalise takes as one school, never end up in different parts.
    """
    import numpy as np
    import pandas as pd
    from examenbron.engine.inputs.normalise import _identity, _parse
    cells = raw.columns[brin_position]
    parsed = _parse("brin", cells.categories)
    school = pd.factorize(_identity(parsed, np.arange(len(cells.categories))))[0][np.asarray(cells.codes)]
    school = pd.factorize(school)[0]  # numbered in order of first appearance
    rows = np.bincount(school)
    middle = np.cumsum(rows) - rows / 2  # a school goes to the part its middle row falls in
    part_of_row = np.minimum(middle * parts // len(school), parts - 1).astype(np.int64)[school]
    tables = []
    for number in np.unique(part_of_row):
        index = np.flatnonzero(part_of_row == number)
        tables.append(replace(raw, bron_rij=raw.bron_rij[index],
                              columns=[pd.Categorical.from_codes(np.asarray(c.codes)[index], c.categories,
                                                                 validate=False) for c in raw.columns]))
    return tables or [raw]


def _exams_per_year(results) -> Counter:
    """Valid examenjaar -> number of exams with it, as schooljaar_from counts them."""
    counts = results.examens["examenjaar"].dropna().value_counts()
    return Counter({int(year): int(n) for year, n in counts.items()})


class _Worker:
    """One worker process, asked one thing at a time over a pipe: first to normalise its part, then to
    run the pipeline on it. Errors come back as the exception raised there."""

    def __init__(self):
        context = multiprocessing.get_context("spawn")  # never fork: the reader's threads are running
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child,), daemon=True)
        self.process.start()
        child.close()

    def ask(self, kind: str, *args) -> None:
        try:
            self.conn.send((kind, args))
        except (BrokenPipeError, ConnectionResetError, EOFError):
            raise self._gone() from None

    def answer(self):
        try:
            status, value = self.conn.recv()
        except (EOFError, ConnectionResetError):
            raise self._gone() from None
        if status == "fout":
            raise value
        return value

    def stop(self) -> None:
        """End the process (also when it is still working after a failure elsewhere)."""
        self.conn.close()
        if self.process.is_alive():
            self.process.terminate()
        self.process.join()

    def _gone(self) -> ExamenbronError:
        self.process.join(timeout=5)
        return ExamenbronError(f"een werkproces is onverwacht gestopt (afsluitcode {self.process.exitcode}), "
                               "bijvoorbeeld door geheugengebrek; probeer het opnieuw met --werkers 1")


def _serve(conn) -> None:
    """The worker's loop: normalise the part it is sent, then run the pipeline on it."""
    from examenbron.engine import pipeline
    from examenbron.engine.inputs import codetables
    from examenbron.engine.inputs.normalise import normalise
    from examenbron.engine.rulesets import load as rulesets
    from examenbron.engine.scale.streaming import part_result
    results, read_s = None, 0.0
    try:
        while True:
            try:
                kind, args = conn.recv()
            except EOFError:
                return
            try:
                if kind == "normalise":
                    started = time.perf_counter()
                    results = normalise(*args)
                    read_s = time.perf_counter() - started
                    reply = _exams_per_year(results)
                else:
                    schooljaar, regels, codetabellen, peildatum, backend = args
                    ruleset = rulesets.load(schooljaar, regels)
                    outcome = pipeline.run(results, ruleset, codetables.load(schooljaar, codetabellen),
                                           peildatum=peildatum, backend=backend)
                    reply = part_result(results, outcome, ruleset, read_s)
                conn.send(("ok", reply))
            except Exception as exc:  # noqa: BLE001 - every failure goes back to the caller, which raises it
                conn.send(("fout", _sendable(exc)))
    except KeyboardInterrupt:
        return


def _sendable(exc: Exception) -> Exception:
    """``exc`` when it survives pickling, else a RuntimeError naming it (the caller reports it as internal)."""
    import pickle
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # noqa: BLE001 - any pickling failure
        return RuntimeError(f"{type(exc).__name__}: {exc}")
