"""Benchmark examenbron on a national-scale results file (issue 6).

    python bench/run.py                         # 200 000 candidates, 3 repetitions
    python bench/run.py --kandidaten 2000 --herhalingen 1

Generates (once, cached under bench/.cache/) a file with the project's own generator and measures,
each figure the median of --herhalingen runs:

  (a) pandas reading the CSV alone (the floor);
  (b) `examenbron validate FILE --format json` end to end, as a subprocess (start-up included);
  (c) the phases in-process: load_results, loading rules + code tables, the pipeline phases from
      Outcome.timings, and rendering the json report;
  (d) peak RSS of every child process, from os.wait4() on that child alone;
  (e) one school (--school-kandidaten, generated separately): CLI wall time from process start;
  (f) the durable backend against the pandas backend on the school file, when it exists.

Every measurement runs in a fresh child process. This parent never imports pandas or the engine,
so it stays small: a child's ru_maxrss can include the parent's resident set at fork time.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_CACHE = HERE / ".cache"

TARGET_RATIO = 2.0            # validate <= 2 x read
TARGET_RSS = 2.5e9            # bytes (decimal GB)
TARGET_SCHOOL = 1.0           # seconds


# --- child processes ---------------------------------------------------------------------------

class ChildFailed(RuntimeError):
    pass


def spawn(cmd: list[str], *, timeout: float | None = None, capture: bool = True) -> dict:
    """Run `cmd`; return wall seconds, exit code, its own peak RSS (bytes) and its stdout/stderr.

    The peak RSS comes from os.wait4() on this one child, so children never mix.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out if capture else subprocess.DEVNULL,
                                stderr=err)
        deadline = None if timeout is None else start + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG if deadline else 0)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                os.wait4(proc.pid, 0)
                proc.returncode = -9
                raise ChildFailed(f"timeout after {timeout:.0f} s: {' '.join(cmd)}")
            time.sleep(0.02)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return {"seconds": seconds, "returncode": proc.returncode, "maxrss": usage.ru_maxrss * 1024,
                "stdout": out.read().decode("utf-8", "replace"), "stderr": err.read().decode("utf-8", "replace")}


def worker(kind: str, *args: str, timeout: float | None = None) -> dict:
    """Run one measurement of this script in a fresh interpreter; return its JSON plus the child's RSS."""
    done = spawn([sys.executable, str(Path(__file__).resolve()), "_worker", kind, *args], timeout=timeout)
    if done["returncode"] != 0:
        raise ChildFailed(f"worker {kind} failed (exit {done['returncode']}):\n{done['stderr'][-3000:]}")
    result = json.loads(done["stdout"].strip().splitlines()[-1])
    result["maxrss"] = done["maxrss"]
    result["wall"] = done["seconds"]
    return result


def examenbron_command() -> list[str]:
    """The installed console script (next to this interpreter if possible)."""
    beside = Path(sys.executable).with_name("examenbron")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("examenbron")
    if found:
        return [found]
    return [sys.executable, "-c", "import sys, cli; sys.argv[0] = 'examenbron'; cli.main()"]


def cli(*args: str) -> dict:
    """`examenbron ARGS` with stdout to /dev/null (never `-o /dev/null`: the report is written
    atomically by rename, which would replace /dev/null itself when run as root)."""
    done = spawn([*examenbron_command(), *args], capture=False)
    if done["returncode"] not in (0, 1):
        raise ChildFailed(f"examenbron {' '.join(args)} failed (exit {done['returncode']}):\n{done['stderr'][-3000:]}")
    return done


# --- the measurements inside a child (python bench/run.py _worker KIND ...) --------------------

def _emit(**values) -> None:
    import resource
    values["self_maxrss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps(values))


def w_generate(kandidaten: str, schooljaar: str, seed: str, path: str) -> None:
    from examenbron.engine.samples.generate import generate, write_csv
    start = time.perf_counter()
    generated = generate(int(kandidaten), schooljaar, seed=int(seed), fouten=True)
    write_csv(generated.frame, path)
    _emit(seconds=time.perf_counter() - start, rows=len(generated.frame))


def w_read(path: str) -> None:
    import pandas as pd
    start = time.perf_counter()
    frame = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False)
    _emit(seconds=time.perf_counter() - start, rows=len(frame))


def w_phases(path: str, schooljaar: str, peildatum: str) -> None:
    import datetime
    from examenbron.engine.inputs import codetables
    from examenbron.engine import pipeline
    from examenbron.engine.outputs import report
    from examenbron.engine.rulesets import load as rules
    from examenbron.engine.inputs.normalise import load_results
    day = datetime.date.fromisoformat(peildatum)
    phases = {}
    start = time.perf_counter()
    results = load_results(path)
    phases["inlezen+normaliseren"] = time.perf_counter() - start
    clock = time.perf_counter()
    ruleset, tables = rules.load(schooljaar), codetables.load(schooljaar)
    phases["regels+codetabellen laden"] = time.perf_counter() - clock
    outcome = pipeline.run(results, ruleset, tables, peildatum=day)
    phases.update(outcome.timings)
    clock = time.perf_counter()
    text = report.to_json(outcome, peildatum=day)
    phases["rapport (json)"] = time.perf_counter() - clock
    total = time.perf_counter() - start
    _emit(phases=phases, total=total, rows=len(results.vakken), kandidaten=len(results.examens),
          bevindingen=len(outcome.findings), report_bytes=len(text.encode("utf-8")))


def w_durable(path: str, schooljaar: str, peildatum: str) -> None:
    import datetime
    import importlib
    import importlib.util
    try:
        available = importlib.util.find_spec("examenbron.engine.evaluation.durable") is not None
    except (ImportError, ValueError):
        available = False
    if not available:
        return _emit(available=False, reason="engine.evaluation.durable does not exist")
    try:
        module = importlib.import_module("examenbron.engine.evaluation.durable")
    except Exception as exc:  # noqa: BLE001 - any import failure means: not available
        return _emit(available=False, reason=f"import failed: {type(exc).__name__}: {exc}")
    if getattr(module, "EVALUATOR", None) is None:
        return _emit(available=False, reason="engine.evaluation.durable has no EVALUATOR")
    from examenbron.engine.inputs import codetables
    from examenbron.engine import pipeline
    from examenbron.engine.rulesets import load as rules
    from examenbron.engine.inputs.normalise import load_results
    day = datetime.date.fromisoformat(peildatum)
    results = load_results(path)
    ruleset, tables = rules.load(schooljaar), codetables.load(schooljaar)
    out = {"available": True, "rows": len(results.vakken)}
    keys = {}
    for backend in ("pandas", "durable"):
        pipeline.run(results, ruleset, tables, peildatum=day, backend=backend)  # warm-up
        start = time.perf_counter()
        outcome = pipeline.run(results, ruleset, tables, peildatum=day, backend=backend)
        out[backend] = {"pipeline": time.perf_counter() - start,
                        "controleren": outcome.timings.get("controleren"),
                        "bevindingen": len(outcome.findings)}
        f = outcome.findings
        keys[backend] = sorted(zip(f["regel"].astype(str), f["exam_id"].astype(str), f["vakcode"].astype(str)))
    out["same_findings"] = keys["pandas"] == keys["durable"]
    _emit(**out)


WORKERS = {"generate": w_generate, "read": w_read, "phases": w_phases, "durable": w_durable}


# --- orchestration ------------------------------------------------------------------------------

def generator_version() -> str:
    """Short hash of the generator source: a changed generator means a new cache file."""
    return hashlib.sha256((REPO / "engine" / "samples" / "generate.py").read_bytes()).hexdigest()[:10]


def ensure_file(cache: Path, kandidaten: int, schooljaar: str, seed: int, fresh: bool) -> tuple[Path, int, bool]:
    """The cached generated file for these parameters (generated in a child when absent)."""
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"resultaten-{schooljaar}-n{kandidaten}-s{seed}-g{generator_version()}.csv"
    meta = path.with_suffix(".json")
    if path.exists() and meta.exists() and not fresh:
        return path, json.loads(meta.read_text())["rows"], False
    print(f"generating {kandidaten} candidates ({schooljaar}, seed {seed}) -> {path} ...", file=sys.stderr, flush=True)
    done = worker("generate", str(kandidaten), schooljaar, str(seed), str(path))
    meta.write_text(json.dumps({"rows": done["rows"], "kandidaten": kandidaten, "seed": seed,
                                "schooljaar": schooljaar, "seconds": done["seconds"]}))
    print(f"  {done['rows']} rows in {done['seconds']:.1f} s", file=sys.stderr, flush=True)
    return path, done["rows"], True


def median(values) -> float:
    return statistics.median(values)


def thousands(number) -> str:
    return f"{number:,.0f}".replace(",", " ")


def fmt_s(seconds) -> str:
    return "-" if seconds is None else f"{seconds:8.3f}"


def fmt_rate(rows, seconds) -> str:
    return "-" if not seconds else f"{rows / seconds:12,.0f}".replace(",", " ")


def fmt_mem(nbytes) -> str:
    return "-" if nbytes is None else f"{nbytes / 1e9:6.2f} GB" if nbytes >= 1e8 else f"{nbytes / 1e6:6.0f} MB"


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kandidaten", "-n", type=int, default=200_000, help="candidates in the big file (default 200000)")
    parser.add_argument("--herhalingen", "-r", type=int, default=3, help="repetitions per figure, median reported (default 3)")
    parser.add_argument("--school-kandidaten", type=int, default=300, help="candidates in the one-school file (default 300)")
    parser.add_argument("--school-herhalingen", type=int, default=5, help="repetitions of the one-school run (default 5)")
    parser.add_argument("--schooljaar", default="2024-2025")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--peildatum", help="fixed reference date, YYYY-MM-DD (default: 20 June of the examenjaar, a week after the uitslag, when schools validate)")
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE, help="where generated files are kept (default bench/.cache)")
    parser.add_argument("--opnieuw", action="store_true", help="regenerate the files even when cached")
    parser.add_argument("--zonder-durable", action="store_true", help="skip the durable comparison")
    parser.add_argument("--durable-timeout", type=float, default=900, help="seconds before the durable run is abandoned")
    parser.add_argument("--json", type=Path, help="also write all raw measurements to this JSON file")
    args = parser.parse_args(argv)
    if args.kandidaten < 1 or args.herhalingen < 1 or args.school_kandidaten < 1 or args.school_herhalingen < 1:
        parser.error("--kandidaten, --herhalingen, --school-kandidaten and --school-herhalingen must be >= 1")
    examenjaar = int(args.schooljaar.split("-")[1])
    peildatum = args.peildatum or f"{examenjaar}-06-20"
    reps = args.herhalingen
    args.cache_dir = args.cache_dir.resolve()

    big, rows, _ = ensure_file(args.cache_dir, args.kandidaten, args.schooljaar, args.seed, args.opnieuw)
    school, school_rows, _ = ensure_file(args.cache_dir, args.school_kandidaten, args.schooljaar, args.seed + 1,
                                         args.opnieuw)
    size = big.stat().st_size
    raw = {"kandidaten": args.kandidaten, "rows": rows, "bytes": size, "herhalingen": reps, "peildatum": peildatum}

    failures = {}

    def measure(label, count, run):
        """`count` runs of `run()`; on a failing child record why and go on with the next measurement."""
        progress(f"{label} x{count}")
        try:
            return [run() for _ in range(count)]
        except ChildFailed as exc:
            failures[label] = str(exc)
            progress(f"  FAILED: {exc}")
            return None

    reads = measure("(a) read_csv", reps, lambda: worker("read", str(big)))
    validates = measure("(b) examenbron validate --format json", reps,
                        lambda: cli("validate", str(big), "--format", "json", "--peildatum", peildatum))
    phases = measure("(c) phases in-process", reps, lambda: worker("phases", str(big), args.schooljaar, peildatum))
    cli("--help")  # warm the page cache for the interpreter and packages
    starts = measure("(e) start-up, examenbron --help", args.school_herhalingen, lambda: cli("--help"))
    schools = measure("(e) one school", args.school_herhalingen,
                      lambda: cli("validate", str(school), "--peildatum", peildatum))
    if args.zonder_durable:
        durable = {"available": False, "reason": "skipped (--zonder-durable)"}
    else:
        progress("(f) durable vs pandas")
        try:
            durable = worker("durable", str(school), args.schooljaar, peildatum, timeout=args.durable_timeout)
        except ChildFailed as exc:
            durable = {"available": False, "reason": str(exc).splitlines()[0]}

    def med(runs, key="seconds"):
        return None if not runs else median(r[key] for r in runs)

    def peak(runs):
        return None if not runs else max(r["maxrss"] for r in runs)

    read_s, validate_s, school_s, start_s = med(reads), med(validates), med(schools), med(starts)
    validate_rss = peak(validates)
    ratio = validate_s / read_s if read_s and validate_s else None

    print()
    print(f"examenbron benchmark: {thousands(args.kandidaten)} candidates, {thousands(rows)} rows, "
          f"{thousands(size / 1e6)} MB ({args.schooljaar}, seed {args.seed}, peildatum {peildatum}); "
          f"median of {reps} (one school: {args.school_herhalingen})")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    print()
    line = "{:<46} {:>9} {:>13} {:>10}"
    print(line.format("measurement", "seconds", "rows/s", "peak RSS"))
    print(line.format("-" * 46, "-" * 9, "-" * 13, "-" * 10))
    print(line.format("(a) pandas read_csv, dtype=str (floor)", fmt_s(read_s), fmt_rate(rows, read_s), fmt_mem(peak(reads))))
    print(line.format("(b) examenbron validate --format json (CLI)", fmt_s(validate_s), fmt_rate(rows, validate_s),
                      fmt_mem(validate_rss)))
    print(line.format("(c) in-process, per phase:", "", "", fmt_mem(peak(phases))))
    for name in (phases[0]["phases"] if phases else []):
        phase_s = median(p["phases"][name] for p in phases)
        rate = "" if name.startswith("regels") else fmt_rate(rows, phase_s)  # loading rules is not per row
        print(line.format(f"      {name}", fmt_s(phase_s), rate, ""))
    if phases:
        print(line.format("      total in-process", fmt_s(med(phases, "total")), "", ""))
    print(line.format(f"(e) one school ({args.school_kandidaten} cand., {school_rows} rows), CLI",
                      fmt_s(school_s), "", fmt_mem(peak(schools))))
    print(line.format("    start-up alone (examenbron --help)", fmt_s(start_s), "", ""))
    if durable.get("available"):
        d_rows = durable["rows"]
        for backend in ("pandas", "durable"):
            d = durable[backend]
            print(line.format(f"(f) {backend} engine, pipeline on {d_rows} rows", fmt_s(d["pipeline"]),
                              fmt_rate(d_rows, d["pipeline"]), ""))
    print()
    if phases:
        print(f"findings: {thousands(phases[0]['bevindingen'])} for {thousands(phases[0]['kandidaten'])} candidates; "
              f"json report {phases[0]['report_bytes'] / 1e6:.1f} MB")
    for label, reason in failures.items():
        print(f"FAILED {label}: {reason}")
    print()
    print("ratio validate ÷ read: " + (f"{ratio:.1f}x  ({validate_s:.2f} s / {read_s:.2f} s)" if ratio else "-"))
    if durable.get("available"):
        p, d = durable["pandas"]["pipeline"], durable["durable"]["pipeline"]
        print(f"ratio pandas-engine ÷ durable-engine throughput: {d / p:.1f}x  "
              f"(pipeline {p:.3f} s vs {d:.3f} s on {durable['rows']} rows; "
              f"checks only {durable['pandas']['controleren']:.3f} s vs {durable['durable']['controleren']:.3f} s; "
              f"same findings: {'yes' if durable['same_findings'] else 'NO'})")
    else:
        print(f"durable: not available ({durable.get('reason')})")
    print()
    targets = [
        ("validate <= 2 x read", None if ratio is None else f"{ratio:.1f}x", ratio is not None and ratio <= TARGET_RATIO),
        ("peak RSS of validate <= 2.5 GB", None if validate_rss is None else fmt_mem(validate_rss).strip(),
         validate_rss is not None and validate_rss <= TARGET_RSS),
        ("one school <= 1.0 s", None if school_s is None else f"{school_s:.2f} s",
         school_s is not None and school_s <= TARGET_SCHOOL),
    ]
    print("targets:")
    for name, value, met in targets:
        verdict = "not measured" if value is None else "met" if met else "NOT met"
        print(f"  {name:<34} {value or '-':>10}   {verdict}")
    sys.stdout.flush()
    if args.json:
        raw.update(reads=reads, phases=phases, startup=starts and [s["seconds"] for s in starts], durable=durable,
                   validates=validates and [{k: v[k] for k in ("seconds", "maxrss", "returncode")} for v in validates],
                   school=schools and [{k: s[k] for k in ("seconds", "maxrss")} for s in schools],
                   failures=failures, targets={n: {"value": v, "met": m} for n, v, m in targets})
        args.json.write_text(json.dumps(raw, indent=2, default=str))
    return 2 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_worker":
        sys.path.insert(0, str(REPO))
        WORKERS[sys.argv[2]](*sys.argv[3:])
        sys.exit(0)
    try:
        sys.exit(main())
    except ChildFailed as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        sys.exit(2)
