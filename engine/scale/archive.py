"""Validate an archive — results files or Parquet files spanning many school years — on dask.distributed.

Each input file is one task that partitions it on disk by examenjaar and school (engine.scale.partition);
each part is one task that validates it with the rules and code tables of its own school year, through
the pipeline's public ``run()``; the driver combines the parts of one (file, school year) into exactly
the tables a one-shot run of those rows gives (engine.scale.streaming.combine). So a file holding one
school year gives the report `examenbron validate FILE` gives.

A LocalCluster of ``werkers`` single-threaded worker processes runs by default; ``scheduler`` connects to
an existing cluster instead, whose workers must see the input files and ``werkmap`` at the same paths.
Needs the optional extra ``examenbron[archief]`` (dask, distributed).
"""

from __future__ import annotations

import datetime
import functools
import logging
import os
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from examenbron.engine.errors import InputError

SUFFIXES = (".csv", ".txt", ".parquet")
# The local cluster has no dashboard: its workers run without Dask's statistical profiler (it samples
# every task's stack every 10 ms), and its event loops check themselves less often (defaults: loop tick
# 20 ms, memory monitor 100 ms, system monitor 500 ms). Idle, that is ~0.15 instead of ~0.65 s of CPU
# per 15 s in this process (scheduler and nannies) and ~0.06 instead of ~0.5 s per worker.
LOCAL_CONFIG = {"distributed.worker.profile.enabled": False, "distributed.admin.tick.interval": "1s",
                "distributed.worker.memory.monitor-interval": "1s", "distributed.admin.system-monitor.interval": "2s"}


@dataclass
class Archive:
    """One Combined per (input file, school year), in input order, and how the run went."""

    reports: list
    seconds: float
    werkers: int
    parts: int
    peak_rss_per_worker: dict = field(default_factory=dict)   # worker address -> bytes
    output: object = None                                     # what validate_archive's ``finish`` returned


def input_files(paths) -> list:
    """The results files named, directories expanded (sorted, recursively) to their CSV and Parquet files."""
    files = []
    for path in map(Path, paths):
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES
                           and not p.name.startswith("."))
            if not found:
                raise InputError(f"{path}: geen CSV- of Parquet-bestanden in deze map")
            files += found
        elif path.is_file():
            files.append(path)
        else:
            raise InputError(f"{path}: bestand of map niet gevonden")
    return [str(f) for f in files]


def validate_archive(paths, *, werkers: int = 2, scheduler: str | None = None, peildatum: datetime.date,
                     mapping=None, backend: str = "pandas", werkmap=None, per_report=None, finish=None) -> Archive:
    """Validate every file of ``paths`` on Dask; see the module docstring.

    Each (file, school year) is combined in this process as soon as its last part is in, while the
    workers go on with other parts, so little is left to do after the last task. ``per_report``, if
    given, is applied to each Combined right after that (e.g. to render it); Archive.reports then
    holds what it returns instead of the Combined. ``finish``, if given, is called with those reports
    (in order) while the cluster shuts down (e.g. to write them); Archive.output is what it returns.
    """
    import dask
    from dask.distributed import Client, LocalCluster, as_completed
    from examenbron.engine.inputs.read import mapping_of
    from examenbron.engine.scale.streaming import combine
    mapping = mapping_of(mapping)
    files = input_files(paths)
    started = time.perf_counter()
    tmp = tempfile.TemporaryDirectory(prefix="examenbron-archief-", dir=werkmap)
    cluster = client = None
    try:
        if scheduler is None:
            with dask.config.set(LOCAL_CONFIG):
                cluster = LocalCluster(n_workers=werkers, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=logging.ERROR)
        client = Client(scheduler or cluster)
        done = as_completed(client.map(_plan, files, [os.path.join(tmp.name, f"bestand-{i:04d}")
                                                      for i in range(len(files))],
                                       mapping=mapping, pure=False), with_results=True)
        runs, units, finished = {}, {}, {}   # run key -> (unit, index); unit -> its parts; unit -> report
        for future, result in done:
            if future.key not in runs:   # a file's plan: validate its parts, earlier files first
                source, planned = result
                for part, schooljaar in planned:
                    parts = units.setdefault((source, schooljaar), [])
                    run = client.submit(_run, part, source, schooljaar, mapping=mapping, peildatum=peildatum,
                                        backend=backend, pure=False, priority=-len(runs))
                    runs[run.key] = ((source, schooljaar), len(parts))
                    parts.append(None)
                    done.add(run)
                continue
            unit, index = runs[future.key]
            parts = units[unit]
            parts[index] = result
            del future, result
            if all(p is not None for p in parts):
                source, schooljaar = unit
                report = combine(parts, source=source, schooljaar=schooljaar, ruleset=_rules(schooljaar)[0])
                finished[unit] = per_report(report) if per_report else report
                del units[unit], parts, report
        workers = len(client.scheduler_info()["workers"])
        peaks = client.run(_peak_rss)
    except BaseException:
        _shut_down(client, cluster, tmp)
        raise
    closing = threading.Thread(target=_shut_down, args=(client, cluster, tmp), name="archief-afsluiten")
    closing.start()
    try:
        order = {source: i for i, source in enumerate(files)}
        reports = [finished[unit] for unit in sorted(finished, key=lambda k: (order[k[0]], k[1]))]
        output = finish(reports) if finish else None
    finally:
        closing.join()
    return Archive(reports, time.perf_counter() - started, workers, len(runs), peaks, output)


def _shut_down(client, cluster, tmp):
    """Close the client and the local cluster (if any), then remove the parts on disk."""
    try:
        if client is not None:
            client.close()
    finally:
        try:
            if cluster is not None:
                cluster.close()
        finally:
            tmp.cleanup()


def _plan(source: str, directory: str, *, mapping=None):
    """Task: partition one file by examenjaar and school; return its parts with their school years."""
    from examenbron.engine.vocabulary import schooljaar_of
    from examenbron.engine.scale.partition import partition
    from examenbron.engine.scale.streaming import school_year
    os.makedirs(directory)
    csv_path = _parquet_as_csv(source, directory) if source.lower().endswith(".parquet") else source
    plan = partition(csv_path, directory, mapping=mapping, per_year=True)
    school_year(plan.exams_per_year, source)  # no valid examenjaar at all: the one-shot run's error
    return source, [(part, schooljaar_of(part.examenjaar)) for part in plan.parts]


def _run(part, source: str, schooljaar: str, *, mapping, peildatum, backend):
    """Task: validate one part with its school year's rules."""
    from examenbron.engine.scale.streaming import run_part
    ruleset, tables = _rules(schooljaar)
    return run_part(part, source, ruleset, tables, mapping=mapping, peildatum=peildatum, backend=backend)


@functools.lru_cache(maxsize=16)
def _rules(schooljaar: str):
    """The rule set and code tables of a school year, loaded once per worker process."""
    from examenbron.engine.inputs import codetables
    from examenbron.engine.rulesets import load as rulesets
    return rulesets.load(schooljaar), codetables.load(schooljaar)


def _peak_rss() -> int:
    """This worker process's peak resident set, in bytes (Linux reports kB)."""
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _parquet_as_csv(source: str, directory: str) -> str:
    """Write a Parquet file as a ;-separated UTF-8 CSV, a row group at a time, with each cell's text as
    engine.inputs.read.table_from_frame gives it (so row 2 is the first row, as for a DataFrame)."""
    import pandas as pd
    import pyarrow.parquet as pq
    from examenbron.engine.inputs.read import _cell_text
    target = os.path.join(directory, "invoer.csv")
    try:
        parquet = pq.ParquetFile(source)
    except (OSError, ValueError) as exc:
        raise InputError(f"{source}: geen leesbaar Parquet-bestand ({exc})") from None
    header = True
    for batch in parquet.iter_batches(batch_size=100_000):
        frame = batch.to_pandas()
        text = pd.DataFrame({name: frame[name].astype(object).where(frame[name].notna(), "").map(_cell_text)
                             for name in frame.columns})
        text.to_csv(target, sep=";", index=False, header=header, mode="w" if header else "a", lineterminator="\n")
        header = False
    if header:
        pd.DataFrame(columns=parquet.schema_arrow.names).to_csv(target, sep=";", index=False)
    return target


def bevindingen_rows(report):
    """One report's bevindingen (public columns plus ``bestand``), a piece of the archive's Parquet table."""
    from examenbron.engine.outputs.report import PUBLIC_BEVINDINGEN_COLUMNS
    return report.bevindingen[PUBLIC_BEVINDINGEN_COLUMNS].assign(bestand=report.results.source)


def kandidaten_rows(report):
    """One report's candidate rows (plus ``bestand`` and ``schooljaar``), a piece of the Parquet table."""
    return report.kandidaten.drop(columns=["exam_id"]).assign(bestand=report.results.source, schooljaar=report.schooljaar)


def table(pieces):
    """The pieces of the reports, in order, as one frame for Parquet (mixed object columns as text)."""
    import pandas as pd
    return _text_columns(pd.concat(pieces, ignore_index=True))


def _text_columns(frame):
    """Object columns with mixed Python types (a bevinding's waarde) as text, so Arrow can store them.
    A column of text (or missing values) only is left as it is; a column of tuples of text (a
    candidate's voorwaarden) is converted once per distinct tuple."""
    import pandas as pd
    for name in frame.columns:
        values = frame[name]
        if values.dtype != object or pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
            continue
        frame[name] = values.where(values.isna(), _texts(values))
    return frame


def _texts(values):
    """_as_text of every value of the Series ``values``."""
    import numpy as np
    import pandas as pd
    try:
        codes, uniques = pd.factorize(values.to_numpy())
    except TypeError:  # unhashable values (lists)
        return values.map(_as_text)
    if not all(type(u) is tuple and all(type(x) is str for x in u) for u in uniques):
        return values.map(_as_text)  # equal but differently typed values (1, 1.0, True) have other texts
    texts = np.array([_as_text(u) for u in uniques] + [None], dtype=object)
    return pd.Series(texts[codes], index=values.index, dtype=object)


def _as_text(value):
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value))
    return str(value)
