"""Validation at scale gives exactly the one-shot results: per school (streaming) and on Dask (archive)."""

import datetime
import io
import json
import subprocess
import sys

import pandas as pd
import pytest
from click.testing import CliRunner

import examenbron
from examenbron.cli import main
from examenbron.engine.errors import InputError
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
    pd.testing.assert_frame_equal(one.bevindingen, per.bevindingen)
    pd.testing.assert_frame_equal(one.kandidaten, per.kandidaten)
    assert one.overgeslagen_regels == per.overgeslagen_regels
    assert report.to_json(one, peildatum=PEILDATUM) == report.to_json(per, peildatum=PEILDATUM)


def test_per_school_gives_the_one_shot_bevindingen_and_candidates_on_an_unsorted_file(shuffled):
    one = examenbron.validate(shuffled, peildatum=PEILDATUM)
    per = validate_per_school(shuffled, peildatum=PEILDATUM, part_bytes=60_000)  # ~10 parts
    assert len(one.bevindingen) > 10 and (one.bevindingen["ernst"] == "afkeur").any()
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
    assert (one.bevindingen["bron_rij"] > 41).any()
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


@pytest.fixture(scope="module")
def archief(tmp_path_factory):
    """Three small files, one school year each (2022-2023 has no central exam rules of 2019-2020 etc.)."""
    folder = tmp_path_factory.mktemp("archief")
    for i, jaar in enumerate(("2022-2023", "2023-2024", "2024-2025")):
        frame = generate(150, jaar, seed=20 + i, fouten=True).frame
        write_csv(frame.sample(frac=1, random_state=i), folder / f"resultaten-{jaar}.csv")
    return folder


@pytest.mark.timeout(300)
def test_archive_on_a_local_dask_cluster_reports_each_file_as_validate_does(archief, tmp_path):
    """LocalCluster with 2 worker processes; each file's report equals `examenbron validate FILE`."""
    runner = CliRunner()
    out = tmp_path / "archief.json"
    result = runner.invoke(main, ["validate-archief", str(archief), "--werkers", "2", "-o", str(out),
                                  "--peildatum", "2025-06-20"])
    assert result.exit_code == 1, result.output
    assert "op 2 werkers" in result.output
    rapporten = json.loads(out.read_text(encoding="utf-8"))["rapporten"]
    files = sorted(archief.glob("*.csv"))
    assert [r["schooljaar"] for r in rapporten] == ["2022-2023", "2023-2024", "2024-2025"]
    for path, rapport in zip(files, rapporten):
        single = runner.invoke(main, ["validate", str(path), "--format", "json", "--peildatum", "2025-06-20"])
        assert rapport == json.loads(single.output)


@pytest.mark.timeout(300)
def test_archive_runs_from_python_dash_m(archief, tmp_path):
    """`python -m examenbron.cli validate-archief`: the spawned Dask workers re-run the CLI module
    under another name; that must not break the import of the rules group (it did: interne fout)."""
    out = tmp_path / "archief.json"
    done = subprocess.run([sys.executable, "-m", "examenbron.cli", "validate-archief",
                           str(archief / "resultaten-2024-2025.csv"), "--werkers", "1", "-o", str(out),
                           "--peildatum", "2025-06-20"], capture_output=True, text=True, timeout=280)
    assert done.returncode == 1, done.stderr
    assert "interne fout" not in done.stderr
    assert json.loads(out.read_text(encoding="utf-8"))["rapporten"][0]["schooljaar"] == "2024-2025"


@pytest.mark.timeout(300)
def test_archive_reads_and_writes_parquet(archief, tmp_path):
    """A Parquet input gives the bevindingen of the same rows validated as a DataFrame; output as Parquet."""
    source = sorted(archief.glob("*.csv"))[2]
    frame = pd.read_csv(source, sep=";", dtype=str, keep_default_na=False)
    frame.to_parquet(tmp_path / "resultaten.parquet", index=False)
    out = tmp_path / "uit"
    result = CliRunner().invoke(main, ["validate-archief", str(tmp_path / "resultaten.parquet"), "--werkers", "2",
                                       "--format", "parquet", "-o", str(out), "--peildatum", "2025-06-20"])
    assert result.exit_code == 1, result.output
    expected = examenbron.validate(frame, peildatum=PEILDATUM)
    bevindingen = pd.read_parquet(out / "bevindingen.parquet")
    kandidaten = pd.read_parquet(out / "kandidaten.parquet")
    assert len(kandidaten) == len(expected.kandidaten)
    assert (kandidaten["uitslag_berekend"].tolist() == expected.kandidaten["uitslag_berekend"].tolist())
    assert sorted(zip(bevindingen["regel"], bevindingen["bron_rij"].astype(int))) == \
        sorted(zip(expected.bevindingen["regel"], expected.bevindingen["bron_rij"].astype(int)))


def test_archive_parquet_table_writes_each_value_as_its_own_text():
    """Values that compare equal but print differently (1, 1.0, True; (1,), (1.0,)) keep their own text;
    tuples and lists of voorwaarden become "a, b"; text and missing values stay as they are."""
    from examenbron.engine.scale.archive import table
    pieces = [pd.DataFrame({"waarde": [1, 1.0, True, None], "voorwaarden": [("a", "b"), (), ("a", "b"), ("c",)],
                            "lijst": [["a"], None, ("b", "c"), ()], "getallen": [(1,), (1.0,), (True,), ("x",)],
                            "vak": ["ne", None, "en", "wi"]}),
              pd.DataFrame({"waarde": ["1", float("nan")], "voorwaarden": [("a", "b"), ("a",)], "lijst": [(), ["d"]],
                            "getallen": [(1, 2), ()], "vak": ["fa", "du"]})]
    frame = table(pieces)
    assert frame["waarde"].tolist()[:3] == ["1", "1.0", "True"] and frame["waarde"].iloc[4] == "1"
    assert frame["waarde"].iloc[[3, 5]].isna().all()
    assert frame["voorwaarden"].tolist() == ["a, b", "", "a, b", "c", "a, b", "a"]
    assert frame["lijst"].tolist() == ["a", None, "b, c", "", "", "d"]
    assert frame["getallen"].tolist() == ["1", "1.0", "True", "x", "1, 2", ""]
    assert frame["vak"].tolist() == ["ne", None, "en", "wi", "fa", "du"]
    frame.to_parquet(io.BytesIO(), index=False)  # Arrow can store every column


def test_per_school_keeps_bad_utf8_bytes_as_the_reader_does(tmp_path):
    """A UTF-8 file with one bad byte: the same per-cell bevinding, not a cp1252 re-reading."""
    frame = generate(150, "2024-2025", seed=13).frame.sample(frac=1, random_state=5)
    frame["werkstuk_titel"] = "Zeeën"
    data = frame.to_csv(sep=";", index=False, lineterminator="\n").encode("utf-8")
    cut = data.index(b"\n", len(data) // 2) + 1
    row = data[cut:data.index(b"\n", cut)]
    data = data[:cut] + row.replace("Zeeën".encode(), b"Zee\xebn", 1) + data[cut + len(row):]
    path = tmp_path / "bijna-utf8.csv"
    path.write_bytes(data)
    one = examenbron.validate(path, peildatum=PEILDATUM)
    per = validate_per_school(path, peildatum=PEILDATUM, part_bytes=8_000)
    assert (one.bevindingen["kolom"] == "werkstuk_titel").any()
    assert_same(one, per)


def test_per_school_names_the_original_row_of_a_ragged_row(tmp_path):
    frame = generate(100, "2024-2025", seed=14).frame
    lines = frame.to_csv(sep=";", index=False, lineterminator="\n").splitlines()
    lines[500] += ";te veel"
    path = tmp_path / "rafelig.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as one:
        examenbron.validate(path)
    with pytest.raises(InputError) as per:
        validate_per_school(path, part_bytes=8_000)
    assert "rij 501 " in str(one.value)
    assert str(per.value) == str(one.value)
