"""The HTML report in a real browser (headless Chromium): charts drawn, no console messages, opens fast.

`.ci/run` installs Debian's chromium when it is missing. The report is rendered for 300 and for
20 000 candidates; every candidate and bevinding must be in the page (no silent limit).
"""

import datetime
import json
import re
import shutil
import subprocess
import time

import pytest

from examenbron.engine import pipeline
from examenbron.engine.inputs import codetables
from examenbron.engine.inputs.normalise import load_results
from examenbron.engine.outputs import html, report
from examenbron.engine.rulesets import load as rulesets
from examenbron.engine.samples.generate import generate, write_csv

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars"]
CHARTS = ("uitslag", "per_school", "bevindingen", "eindcijfers", "ce_gemiddelde", "se_ce")


def chromium(page, tmp_path, *args, timeout=180):
    """Run headless Chromium on `page`; return (stdout, console lines, wall seconds)."""
    assert CHROMIUM, "chromium ontbreekt: .ci/run installeert het (apt-get install chromium)"
    profile = tmp_path / f"profiel-{time.monotonic_ns()}"
    start = time.perf_counter()
    done = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
                           "--virtual-time-budget=60000", *args, page.as_uri()],
                          capture_output=True, text=True, timeout=timeout)
    seconds = time.perf_counter() - start
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    return done.stdout, console, seconds


def _report(tmp_path, n):
    generated = generate(n, "2024-2025", seed=2025, fouten=True)
    source = tmp_path / f"resultaten-{n}.csv"
    write_csv(generated.frame, source)
    day = datetime.date(2025, 6, 20)
    outcome = pipeline.run(load_results(source), rulesets.load("2024-2025"), codetables.load("2024-2025"),
                           peildatum=day)
    page = tmp_path / f"rapport-{n}.html"
    page.write_text(report.to_html(outcome, peildatum=day), encoding="utf-8")
    return outcome, page


def _page_data(page) -> dict:
    text = page.read_text(encoding="utf-8")
    return json.loads(re.search(r'<script id="rapport-data" type="application/json">(.*?)</script>', text, re.S)[1])


@pytest.mark.parametrize("n", [300, 20000])
def test_report_renders_charts_in_chromium_without_console_messages(tmp_path, n):
    outcome, page = _report(tmp_path, n)
    data = _page_data(page)
    assert len(data["kandidaten"]["rijen"]) == len(outcome.kandidaten) == n
    assert len(data["bevindingen"]["rijen"]) == len(outcome.bevindingen)
    assert len(data["uitleg"]) == min(html.UITLEG_LIMIET, int(html._needs_attention(outcome).sum()))
    dom, console, seconds = chromium(page, tmp_path, "--dump-dom")
    assert not console, console[:5]
    assert 'data-grafieken="klaar"' in dom
    for name in CHARTS:
        chart = re.search(rf'<div id="grafiek-{name}" class="vega[^"]*"[^>]*>(.*?)</div>', dom, re.S)
        assert chart and "<svg" in chart[1] and "<path" in chart[1], name
    ready_ms = int(re.search(r'data-klaar-ms="(\d+)"', dom)[1])
    assert ready_ms < 8000, ready_ms  # charts drawn within a few seconds of opening
    assert seconds < 90, seconds
    rows = re.search(r'<div class="tabel" id="tabel-kandidaten".*?<tbody>(.*?)</tbody>', dom, re.S)[1]
    assert rows.count("<tr") == min(50, n)  # the first page of the candidate table is drawn
    assert f"van {n:,}".replace(",", ".") in dom  # "... van 20.000 kandidaten"
    schools = re.findall(r'<tr data-school="([^"]+)"', dom)
    assert len(schools) == outcome.kandidaten.groupby(["brin", "vestiging"]).ngroups
    shot = tmp_path / f"rapport-{n}.png"
    chromium(page, tmp_path, "--window-size=1400,3000", f"--screenshot={shot}")
    assert shot.stat().st_size > 50_000
