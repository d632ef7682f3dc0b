"""Smoke test of the benchmark script (bench/run.py): it runs end to end on a tiny file.

No timing assertions: this only checks that every measurement runs and the summary is printed.
"""

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "bench" / "run.py"


def test_bench_runs_on_a_tiny_file(tmp_path):
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--kandidaten", "300", "--herhalingen", "1",
         "--school-kandidaten", "30", "--school-herhalingen", "1", "--cache-dir", str(tmp_path / "cache"),
         "--archief-jaren", "2", "--archief-kandidaten", "40", "--json", str(tmp_path / "bench.json")],
        capture_output=True, text=True, timeout=900,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "ratio validate ÷ read:" in out
    assert "(a) pandas read_csv" in out and "(b) examenbron validate" in out
    assert "the same in one process (--werkers 1)" in out and "ratio validate one process ÷ per core:" in out
    assert "controleren" in out and "rapport (json)" in out
    assert ("durable: not available" in out) or ("pandas-engine ÷ durable-engine" in out)
    assert "ratio validate ÷ pyarrow read:" in out and "ratio archive 1 worker ÷ 2 workers:" in out
    assert "(i) validate --per-school, 1x file" in out and "(j) export, first run" in out
    assert "the same, 1x file, --werkers 2 (summed RSS)" in out
    assert "growth (in-process, median of 1 run per size;" in out and "growth per phase (µs/candidate" in out
    assert out.count(" met") >= 8  # the eight targets, each "met" or "NOT met"
    assert "FAILED" not in out
    assert list((tmp_path / "cache").glob("resultaten-*.csv"))
    growth = json.loads((tmp_path / "bench.json").read_text())["growth"]
    assert sorted(map(int, growth)) == [37, 75, 150, 300, 600]  # 1/8 .. 2 times the file
    for entry in growth.values():  # the fields of before, plus every run and the phases
        assert entry["seconds"] == entry["fastest"] == entry["slowest"] == entry["runs"][0] > 0
        assert entry["kandidaten"] > 0 and "controleren" in entry["phases"]
