"""Validation at scale gives exactly the one-shot results: per school (streaming) and on Dask (archive)."""

import datetime
import json

import pandas as pd
import pytest
from click.testing import CliRunner

import examenbron
from examenbron.cli import main
from examenbron.engine.outputs import report
from examenbron.engine.samples.generate import generate, write_csv
from examenbron.engine.scale.streaming import validate_per_school

PEILDATUM = datetime.date(2025, 6, 20)


@pytest.fixture(scope="module")
def shuffled(tmp_path_factory):
    """A generated file (planted errors) whose rows are in random order: schools are not together."""
    path = tmp_path_factory.mktemp("scale") / "door-elkaar.csv"
    frame = generate(1200, "2024-2025", seed=11, fouten=True).frame
    write_csv(frame.sample(frac=1, random_state=3), path)
    return path


def assert_same(one, per):
    pd.testing.assert_frame_equal(one.findings, per.findings)
    pd.testing.assert_frame_equal(one.kandidaten, per.kandidaten)
    assert one.skipped == per.skipped
    assert report.to_json(one, peildatum=PEILDATUM) == report.to_json(per, peildatum=PEILDATUM)


def test_per_school_gives_the_one_shot_findings_and_candidates_on_an_unsorted_file(shuffled):
    one = examenbron.validate(shuffled, peildatum=PEILDATUM)
    per = validate_per_school(shuffled, peildatum=PEILDATUM, part_bytes=60_000)  # ~10 parts
    assert len(one.findings) > 10 and (one.findings["ernst"] == "afkeur").any()
    assert_same(one, per)


def test_per_school_keeps_row_numbers_of_quoted_cp1252_files_with_blank_lines(tmp_path):
    """The csv-module path: quoted delimiters, a Windows-1252 title, CRLF and blank lines."""
    frame = generate(200, "2024-2025", seed=12, fouten=True).frame.sample(frac=1, random_state=4)
    frame["werkstuk_titel"] = "Zeeën; dijken en \"water\""
    text = frame.to_csv(sep=";", index=False, lineterminator="\r\n")
    lines = text.split("\r\n")
    text = "\r\n".join(lines[:40] + [""] + lines[40:])  # a blank line: row numbers after it shift
    path = tmp_path / "school.csv"
    path.write_bytes(text.encode("cp1252"))
    one = examenbron.validate(path, peildatum=PEILDATUM)
    per = validate_per_school(path, peildatum=PEILDATUM, part_bytes=20_000)
    assert (one.findings["bron_rij"] > 41).any()
    assert_same(one, per)


def test_cli_per_school_prints_the_same_json_report(shuffled):
    runner = CliRunner()
    args = ["validate", str(shuffled), "--format", "json", "--peildatum", "2025-06-20"]
    one = runner.invoke(main, args)
    per = runner.invoke(main, [*args, "--per-school"])
    assert one.exit_code == per.exit_code == 1, per.output
    assert json.loads(one.output) == json.loads(per.output)


def test_per_school_refuses_xlsx_with_a_dutch_message(tmp_path):
    path = tmp_path / "r.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a workbook")
    result = CliRunner().invoke(main, ["validate", str(path), "--per-school"])
    assert result.exit_code == 2
    assert "alleen voor CSV" in result.output
