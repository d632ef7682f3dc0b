"""Validate one results file on several processes, whole schools per process.

`validate` on a large CSV has each process read a byte range of the file at once (a UTF-8 file without
quotes: read.csv_layout), then the processes exchange rows so that all rows of a BRIN end up in one
process (the one whose range held most of them: a file sorted by school moves only the schools a
boundary cuts through), and each process normalises its rows and runs them through the pipeline:
this process and worker processes started first, so that their start-up overlaps the reading. Any
other CSV is read whole in this process (pyarrow's reader already uses every core) and divided by
BRIN into one part per process of about equal size, sent to the workers (engine.scale.division).
``streaming.combine`` then gives the exact tables of the one-shot run, by the argument of per-school
streaming: the rows of one BRIN stay together (grouped by the identity normalise gives a BRIN), so an
exam never spans parts, and no rule compares different exams.

The school year, when not given, is decided from every part's exams before any part runs its rules,
as ``pipeline.schooljaar_from`` decides it on the whole file (the most frequent examenjaar, the
earliest on a tie). Only the candidate-level tables come back (a ``streaming.Combined``), so the HTML
report, which charts every vak row, is made from a one-shot run.

The same worker processes validate the parts on disk of per-school streaming (``run_parts``) when
more than one is asked for.
"""

from __future__ import annotations

import os
import pickle
import sys
import time
from collections import Counter
from pathlib import Path

from examenbron.engine.errors import ExamenbronError

# A part below this many input bytes (~6 000 candidates) gains less from its own process than the
# process, the transfer of its rows and the merge cost.
MIN_PART_BYTES = 8 * 1024 * 1024


def usable_cores() -> int:
    """The processor cores this process may run on: its CPU affinity, capped by a cgroup v2 CPU quota
    (a container limited to 2 CPUs on a 64-core host can use 2)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
    try:
        with open("/sys/fs/cgroup/cpu.max") as fh:
            quota, period = fh.read().split()[:2]
        if quota != "max":
            cores = min(cores, max(1, -(-int(quota) // int(period))))
    except (OSError, ValueError):
        pass  # no cgroup v2 quota: the affinity is the limit
    return cores


def werkers_for(path) -> int:
    """How many processes `validate` uses for ``path`` by itself: one per usable core, but no more
    than one per MIN_PART_BYTES of the file (a school's file runs in one)."""
    try:
        size = Path(path).stat().st_size if Path(path).is_file() else 0
    except OSError:
        size = 0  # the reader says why it cannot read the file
    return max(1, min(usable_cores(), size // MIN_PART_BYTES))


def start_workers(count: int) -> list:
    """``count`` worker processes for `validate_parallel`, started now: a command starts them before it
    loads the engine, so that their start-up overlaps its own. A worker whose command ends without
    using it reads the end of its input and stops."""
    workers = []
    try:
        for _ in range(count):
            workers.append(_Worker())
    except BaseException:
        for worker in workers:
            worker.stop()
        raise
    return workers


def validate_parallel(path, werkers: int, *, schooljaar=None, mapping=None, peildatum, backend: str = "pandas",
                      regels=None, codetabellen=None, workers: list | None = None, json_rows: bool = False):
    """Validate the file ``path`` on ``werkers`` processes; return the one-shot run's tables (a Combined).

    ``mapping`` as for load_results (YAML path or dict); ``regels`` and ``codetabellen`` as for the
    loaders (None: the installed ones); ``workers``: the ``werkers - 1`` processes of `start_workers`
    (default: started here). The workers are stopped when it returns. ``json_rows``: each process also
    writes its candidates' objects of the JSON report (streaming.part_result).
    """
    workers = start_workers(werkers - 1) if workers is None else workers
    try:
        from examenbron.engine.inputs import codetables
        from examenbron.engine.inputs.normalise import _resolve_columns, normalise
        from examenbron.engine.inputs.read import mapping_of, read_table
        from examenbron.engine.rulesets import load as rulesets
        from examenbron.engine.scale import division
        from examenbron.engine.scale.streaming import combine, part_result, school_year
        mapping = mapping_of(mapping)
        started = time.perf_counter()
        spread = _read_spread(path, workers, mapping)
        if spread is not None:
            source, own, busy = spread
        else:  # the whole file in this process, its parts sent to the workers
            raw = read_table(path)
            source = raw.source
            positions = _resolve_columns(raw, mapping or {})  # a missing column: the one-shot message, once
            parts = division.split_by_brin(raw, positions["brin"], werkers)
            del raw
            busy = workers[:len(parts) - 1]
            for worker, part in zip(busy, parts[1:]):
                worker.ask("normalise", part, mapping)
            own = parts[0]
            del parts
        results = None if own is None else normalise(own, mapping)  # None: all its schools went elsewhere
        del own
        read_s = time.perf_counter() - started
        years = Counter() if results is None else _exams_per_year(results)
        for worker in busy:
            years.update(worker.answer())
        schooljaar = schooljaar or school_year(years, source)
        ruleset, tables = rulesets.load(schooljaar, regels), codetables.load(schooljaar, codetabellen)
        for worker in busy:
            worker.ask("run", schooljaar, regels, codetabellen, peildatum, backend, json_rows)
        done = []
        if results is not None:
            from examenbron.engine import pipeline
            outcome = pipeline.run(results, ruleset, tables, peildatum=peildatum, backend=backend)
            done.append(part_result(results, outcome, ruleset, read_s, json_rows))
            del results, outcome
        done += [worker.answer() for worker in busy]
    finally:
        for worker in workers:
            worker.stop()
    return combine(done, source=source, schooljaar=schooljaar, ruleset=ruleset)


def _read_spread(path, workers: list, mapping):
    """Read the file in byte ranges, one per process at once, and exchange rows so that every BRIN's
    rows end up in one process: (source, this process's RawTable, the workers holding the others),
    each worker asked to normalise its rows. None when the file must be read whole (see
    read.csv_layout and read.read_csv_range); the workers then hold nothing.

    A file sorted by school exchanges only the rows of the schools a range boundary cuts through.
    A BRIN (grouped by the identity normalise gives it) goes to the range holding most of its rows.
    """
    from examenbron.engine.inputs.normalise import _resolve_columns
    from examenbron.engine.inputs.read import MAX_ROWS, RawTable, csv_layout, csv_ranges, read_csv_range
    from examenbron.engine.scale import division
    layout = csv_layout(path)
    if layout is None:
        return None
    header = RawTable(layout.source, layout.headers, [], [])
    brin = _resolve_columns(header, mapping or {})["brin"]  # a missing column: the one-shot message
    ranges = csv_ranges(path, layout, len(workers) + 1)
    if len(ranges) < 2:
        return None
    busy = workers[:len(ranges) - 1]
    for worker, (start, end) in zip(busy, ranges[1:]):
        worker.ask("lees", path, layout, start, end, brin)
    own = read_csv_range(path, layout, *ranges[0])
    mine = None if own is None else division.schools(own, brin)
    found = [None if own is None else division.counts(*mine)] + [worker.answer() for worker in busy]
    if any(counts is None for counts in found):
        return None
    rows = [sum(counts.values()) for counts in found]
    if sum(rows) > MAX_ROWS:
        return None  # read_table says so
    owner = division.owners(found)
    offsets = [2 + sum(rows[:i]) for i in range(len(rows))]   # the header is row 1
    for number, (worker, offset) in enumerate(zip(busy, offsets[1:]), start=1):
        worker.ask("ruil", offset, owner, number)
    kept, leaving = division.exchange(own, *mine, offsets[0], owner, 0)
    arriving = [[] for _ in ranges]
    for destination, part in leaving.items():
        arriving[destination].append(part)
    for worker in busy:
        for destination, part in worker.answer().items():
            arriving[destination].append(part)
    owned = [0] * len(ranges)
    for counts in found:
        for school, count in counts.items():
            owned[owner[school]] += count
    for number, worker in enumerate(busy, start=1):
        if owned[number]:
            worker.ask("ontvang", arriving[number], mapping)
    busy = [worker for number, worker in enumerate(busy, start=1) if owned[number]]
    return layout.source, division.merged([kept, *arriving[0]]) if owned[0] else None, busy


def run_parts(parts: list, source: str, schooljaar: str, werkers: int, *, mapping, peildatum, backend) -> list:
    """`streaming.run_part` for every part on disk, on ``werkers`` worker processes; results in the
    order of ``parts``. Each worker holds one part at a time, so memory grows with ``werkers``."""
    from multiprocessing.connection import wait
    workers, results, todo = [], [None] * len(parts), list(enumerate(parts))
    try:
        for _ in range(min(werkers, len(parts))):
            workers.append(_Worker())
        waiting = {}
        for worker in workers:
            number, part = todo.pop(0)
            worker.ask("deel", part, source, schooljaar, mapping, peildatum, backend)
            waiting[worker.process.stdout] = (worker, number)
        while waiting:
            for stream in wait(list(waiting)):
                worker, number = waiting.pop(stream)
                results[number] = worker.answer()
                if todo:
                    number, part = todo.pop(0)
                    worker.ask("deel", part, source, schooljaar, mapping, peildatum, backend)
                    waiting[stream] = (worker, number)
    finally:
        for worker in workers:
            worker.stop()
    return results


def _exams_per_year(results) -> Counter:
    """Valid examenjaar -> number of exams with it, as schooljaar_from counts them."""
    counts = results.examens["examenjaar"].dropna().value_counts()
    return Counter({int(year): int(n) for year, n in counts.items()})


class _Worker:
    """One worker process, asked one thing at a time: to normalise its part and then run the pipeline
    on it (validate_parallel), or to validate a part on disk (run_parts). Requests and answers are
    pickles over its standard input and output; an error comes back as the exception raised there.

    A plain ``python -c`` child with this process's ``sys.path``, not multiprocessing: spawn would
    re-run the caller's main script in the child (an embedding script without a ``__main__`` guard
    would fail), and fork is unsafe while the CSV reader's threads exist.
    """

    def __init__(self):
        import json
        import subprocess
        import tempfile
        self.errors = tempfile.TemporaryFile()
        bootstrap = ("import json, sys; sys.path[:0] = json.loads(sys.argv[1]); "
                     "from examenbron.engine.scale.parallel import _serve; _serve()")
        try:
            self.process = subprocess.Popen([sys.executable, "-c", bootstrap, json.dumps(sys.path)],
                                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.errors)
        except OSError as exc:
            self.errors.close()
            raise ExamenbronError(f"kan geen werkproces starten ({exc.strerror or exc}); "
                                  "probeer het opnieuw met --werkers 1") from None

    def ask(self, kind: str, *args) -> None:
        try:
            pickle.dump((kind, args), self.process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self.process.stdin.flush()
            return
        except (BrokenPipeError, ConnectionResetError):
            pass
        raise self._gone()

    def answer(self):
        try:
            status, value = pickle.load(self.process.stdout)
        except (EOFError, pickle.UnpicklingError):
            status, value = "weg", None
        if status == "weg":
            raise self._gone()
        if status == "fout":
            raise value
        return value

    def stop(self) -> None:
        """End the process (also when it is still working after a failure elsewhere)."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout, self.errors):
            try:
                stream.close()
            except OSError:
                pass

    def _gone(self) -> ExamenbronError:
        """The error for a worker that stopped: Dutch, with what the worker wrote to standard error
        as its cause (shown with --debug)."""
        try:
            code = self.process.wait(timeout=5)
        except Exception:  # noqa: BLE001 - still running: it stopped listening, which is as bad
            code = None
        self.errors.seek(0)
        written = self.errors.read().decode("utf-8", "replace").strip()
        error = ExamenbronError("een werkproces is onverwacht gestopt"
                                + (f" (afsluitcode {code})" if code is not None else "")
                                + (", bijvoorbeeld door geheugengebrek" if not written else
                                   "; de oorzaak staat in de uitvoer met --debug")
                                + "; probeer het opnieuw met --werkers 1")
        if written:
            error.__cause__ = RuntimeError(f"uitvoer van het werkproces:\n{written[-4000:]}")
        return error


def _serve() -> None:
    """The worker's loop on its standard input and output (see _Worker). Anything else that writes to
    standard output goes to standard error; Ctrl-C is left to the caller, which stops its workers."""
    import signal
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    channel_in = os.fdopen(os.dup(0), "rb")
    channel_out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    from examenbron.engine import pipeline
    from examenbron.engine.inputs import codetables
    from examenbron.engine.inputs.normalise import normalise
    from examenbron.engine.rulesets import load as rulesets
    from examenbron.engine.inputs.read import read_csv_range
    from examenbron.engine.scale import division
    from examenbron.engine.scale.streaming import part_result, run_part
    results, read_s, loaded, own = None, 0.0, {}, None
    try:
        while True:
            try:
                kind, args = pickle.load(channel_in)
            except EOFError:
                return
            try:
                started = time.perf_counter()
                if kind == "lees":
                    path, layout, start, end, brin = args
                    own = read_csv_range(path, layout, start, end)
                    own = None if own is None else (own, *division.schools(own, brin))
                    reply = None if own is None else division.counts(*own[1:])
                    read_s = time.perf_counter() - started
                elif kind == "ruil":
                    own, reply = division.exchange(*own, *args)
                    read_s += time.perf_counter() - started
                elif kind in ("normalise", "ontvang"):
                    raw = args[0] if kind == "normalise" else division.merged([own, *args[0]])
                    own, results = None, normalise(raw, args[-1])
                    read_s = (0.0 if kind == "normalise" else read_s) + time.perf_counter() - started
                    reply = _exams_per_year(results)
                elif kind == "deel":
                    part, source, schooljaar, mapping, peildatum, backend = args
                    if schooljaar not in loaded:
                        loaded[schooljaar] = rulesets.load(schooljaar), codetables.load(schooljaar)
                    reply = run_part(part, source, *loaded[schooljaar], mapping=mapping, peildatum=peildatum,
                                     backend=backend)
                else:
                    schooljaar, regels, codetabellen, peildatum, backend, json_rows = args
                    ruleset = rulesets.load(schooljaar, regels)
                    outcome = pipeline.run(results, ruleset, codetables.load(schooljaar, codetabellen),
                                           peildatum=peildatum, backend=backend)
                    reply = part_result(results, outcome, ruleset, read_s, json_rows)
                answer = ("ok", reply)
            except Exception as exc:  # noqa: BLE001 - every failure goes back to the caller, which raises it
                answer = ("fout", _sendable(exc))
            pickle.dump(answer, channel_out, protocol=pickle.HIGHEST_PROTOCOL)
            channel_out.flush()
    except BrokenPipeError:
        return


def _sendable(exc: Exception) -> Exception:
    """``exc`` when it survives pickling, else a RuntimeError naming it (the caller reports it as internal)."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # noqa: BLE001 - any pickling failure
        return RuntimeError(f"{type(exc).__name__}: {exc}")
