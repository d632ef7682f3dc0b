"""Fuzzing the bundled example (issue 13): mutated bytes, cells and rows through validate (all four
report formats) and export. Whatever the file, the run ends with exit 0, 1 or 2, never a traceback;
no full BSN or onderwijsnummer appears outside the XML messages; nothing is exported for a candidate
with an afkeur. Bounded to about a minute (marked slow: skip with -m "not slow")."""

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from examenbron.cli import main

EXAMPLE = Path(__file__).parent.parent / "examples" / "resultaten-2024-2025.csv"
LINES = EXAMPLE.read_bytes().splitlines(keepends=True)[:41]   # header + 40 vak rows (a few candidates)
HEADER = LINES[0].decode().strip().split(";")
PERSONAL = {cells[HEADER.index(c)] for line in LINES[1:] for cells in [line.decode().strip().split(";")]
            for c in ("bsn", "onderwijsnummer") if cells[HEADER.index(c)]}
NS = {"e": "urn:examenbron:examenresultaat:1.0"}

SPECIAL = st.sampled_from(["", "\x00", "=1+1", "-", "@x", "\x1b[2J", "\udcff", "ſ", "9" * 12, "2609-01-01",
                           "0001-01-01", ";", '"', "a;b", "x" * 200, "10,55", "-1", "G", "J", " ",
                           "\ufeff", "\r", "\n"])
CELL_TEXT = st.one_of(SPECIAL, st.text(max_size=12))


@st.composite
def mutated(draw):
    lines = [line for line in LINES]
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["byte", "delete", "cell", "row", "dup", "truncate"]))
        i = draw(st.integers(0, len(lines) - 1))
        line = lines[i]
        if kind == "byte" and line:
            pos = draw(st.integers(0, len(line) - 1))
            lines[i] = line[:pos] + bytes([draw(st.integers(0, 255))]) + line[pos + 1:]
        elif kind == "delete" and len(line) > 1:
            pos = draw(st.integers(0, len(line) - 1))
            lines[i] = line[:pos] + line[pos + draw(st.integers(1, 8)):]
        elif kind == "cell" and i > 0:
            cells = line.rstrip(b"\r\n").split(b";")
            j = draw(st.integers(0, len(cells) - 1))
            cells[j] = draw(CELL_TEXT).encode("utf-8", "surrogateescape")
            lines[i] = b";".join(cells) + b"\n"
        elif kind == "row" and len(lines) > 2 and i > 0:
            del lines[i]
        elif kind == "dup":
            lines.insert(draw(st.integers(1, len(lines))), line)
        elif kind == "truncate":
            lines = lines[: max(1, i)]
    return b"".join(lines)


def _no_leak(text: str, where: str):
    for number in PERSONAL:
        assert number not in text, f"full persoonsgebonden nummer in {where}"


@pytest.mark.slow
@settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(data=mutated())
def test_mutated_example_never_crashes_leaks_or_passes_the_gate(tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / "resultaten.csv"
    path.write_bytes(data)
    runner = CliRunner()
    args = [str(path), "--peildatum", "2025-06-20", "-j", "2024-2025"]
    afkeur = None
    for fmt in ("json", "text", "csv", "html"):
        result = runner.invoke(main, ["validate", *args, "--format", fmt])
        assert result.exit_code in (0, 1, 2), (fmt, result.output[-500:])
        assert "Traceback" not in result.output, fmt
        assert result.exception is None or isinstance(result.exception, SystemExit), (fmt, repr(result.exception))
        _no_leak(result.output, f"validate --format {fmt}")
        if fmt == "json" and result.exit_code in (0, 1):
            bevindingen = json.loads(result.stdout)["bevindingen"]
            afkeur = {(f["brin"], f["vestiging"], f["leerlingnummer"]) for f in bevindingen if f["ernst"] == "afkeur"}
    out = folder / "export"
    result = runner.invoke(main, ["export", *args, "--out", str(out)])
    assert result.exit_code in (0, 1, 2), result.output[-500:]
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    _no_leak(result.output, "export")
    if not out.exists():
        return
    for name in ("manifest.json", "export-log.jsonl"):
        if (out / name).exists():
            _no_leak((out / name).read_text(encoding="utf-8"), name)
    for message in out.glob("*.xml"):
        tree = etree.parse(str(message))
        key = tuple(tree.findtext(f"e:{c}", namespaces=NS) for c in ("brin", "vestiging", "leerlingnummer"))
        assert afkeur is None or key not in afkeur, f"{message.name} exported despite an afkeur"
