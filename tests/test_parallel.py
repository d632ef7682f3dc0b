"""`validate` on several processes (whole schools per process) gives exactly the one-shot results."""

import datetime
import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import examenbron
from examenbron.cli import main
from examenbron.engine.errors import ExamenbronError
from examenbron.engine.inputs.read import read_table
from examenbron.engine.outputs import report
from examenbron.engine.samples.generate import generate, write_csv
from examenbron.engine.scale import division, parallel
from examenbron.engine.scale.division import split_by_brin
from examenbron.engine.scale.parallel import validate_parallel
from examenbron.engine.scale.streaming import validate_per_school

PEILDATUM = datetime.date(2025, 6, 20)
pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def shuffled(tmp_path_factory):
    """A generated file (planted errors) whose rows are in random order: schools are not together."""
    path = tmp_path_factory.mktemp("parallel") / "door-elkaar.csv"
    write_csv(generate(1400, "2024-2025", seed=31, fouten=True).frame.sample(frac=1, random_state=7), path)
    return path


def assert_same(one, par):
    pd.testing.assert_frame_equal(one.bevindingen, par.bevindingen)
    pd.testing.assert_frame_equal(one.kandidaten, par.kandidaten)
    assert one.overgeslagen_regels == par.overgeslagen_regels
    assert one.schooljaar == par.schooljaar
    assert report.to_json(one, peildatum=PEILDATUM) == report.to_json(par, peildatum=PEILDATUM)


def test_three_processes_give_the_one_shot_bevindingen_and_candidates(shuffled):
    one = examenbron.validate(shuffled, peildatum=PEILDATUM)
    par = validate_parallel(shuffled, 3, peildatum=PEILDATUM)
    assert len(one.bevindingen) > 10 and (one.bevindingen["ernst"] == "afkeur").any()
    assert_same(one, par)


def test_parts_hold_whole_schools_of_about_equal_size(shuffled):
    raw = read_table(shuffled)
    brin = raw.headers.index("brin")
    parts = split_by_brin(raw, brin, 3)
    assert len(parts) == 3
    sizes = [len(p.bron_rij) for p in parts]
    assert sum(sizes) == len(raw.bron_rij) and max(sizes) < 0.6 * len(raw.bron_rij)
    schools = [set(np.asarray(p.columns[brin])) for p in parts]
    assert not (schools[0] & schools[1]) and not (schools[1] & schools[2]) and not (schools[0] & schools[2])
    for part in parts:  # each part keeps file order and the file's row numbers
        assert (np.diff(part.bron_rij) > 0).all()


def test_two_spellings_of_one_brin_stay_in_one_part_and_one_exam(tmp_path):
    """normalise takes ' 12ab' and '12AB' as one school, so they must not be split across processes."""
    frame = generate(120, "2024-2025", seed=32).frame
    first = frame["brin"].iloc[0]
    rows = frame.index[frame["brin"] == first]
    frame.loc[rows[::2], "brin"] = " " + first.lower()
    path = tmp_path / "spelling.csv"
    write_csv(frame, path)
    raw = read_table(path)
    brin = raw.headers.index("brin")
    parts = split_by_brin(raw, brin, 4)
    holding = [i for i, p in enumerate(parts) if {first, " " + first.lower()} & set(np.asarray(p.columns[brin]))]
    assert len(holding) == 1
    assert_same(examenbron.validate(path, peildatum=PEILDATUM), validate_parallel(path, 4, peildatum=PEILDATUM))


def test_the_school_year_is_decided_over_all_parts(tmp_path):
    """The second part alone holds mostly 2023-2024 exams; over the whole file 2024-2025 is the most frequent."""
    early = generate(150, "2024-2025", seed=33).frame
    late = generate(100, "2023-2024", seed=34).frame
    late["brin"] = "99" + late["brin"].str[2:]  # other schools than in the first file
    extra = generate(40, "2024-2025", seed=35).frame
    extra["brin"] = "98" + extra["brin"].str[2:]
    path = tmp_path / "twee-jaren.csv"
    write_csv(pd.concat([early, late, extra], ignore_index=True), path)
    raw = read_table(path)
    second = split_by_brin(raw, raw.headers.index("brin"), 2)[1]
    assert pd.Series(np.asarray(second.columns[raw.headers.index("examenjaar")])).mode()[0] == "2024"
    one = examenbron.validate(path, peildatum=PEILDATUM)
    assert one.schooljaar == "2024-2025"
    assert_same(one, validate_parallel(path, 2, peildatum=PEILDATUM))


def test_cli_with_two_processes_prints_the_same_json_report(shuffled):
    runner = CliRunner()
    args = ["validate", str(shuffled), "--format", "json", "--peildatum", "2025-06-20"]
    one = runner.invoke(main, [*args, "--werkers", "1"])
    par = runner.invoke(main, [*args, "--werkers", "2"])
    assert one.exit_code == par.exit_code == 1, par.output
    assert json.loads(one.output) == json.loads(par.output)


def test_a_missing_column_gives_the_one_shot_message(tmp_path):
    frame = generate(50, "2024-2025", seed=36).frame.drop(columns=["vakcode"])
    path = tmp_path / "zonder-vakcode.csv"
    write_csv(frame, path)
    runner = CliRunner()
    one = runner.invoke(main, ["validate", str(path), "--werkers", "1"])
    par = runner.invoke(main, ["validate", str(path), "--werkers", "2"])
    assert par.exit_code == one.exit_code == 2
    assert "vakcode" in par.output and "Traceback" not in par.output
    assert par.output == one.output


def test_cli_refuses_two_processes_for_the_html_report(shuffled, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["validate", str(shuffled), "--werkers", "2", "--format", "html",
                                       "-o", "r.html"])
    assert result.exit_code == 2
    assert "--format html heeft alle vakrijen" in result.output
    assert not (tmp_path / "r.html").exists()


def test_per_school_parts_on_two_processes_give_the_one_shot_tables(shuffled, tmp_path):
    from examenbron.engine.scale.partition import partition
    assert len(partition(shuffled, tmp_path, part_bytes=60_000).parts) == 3  # one per school: 3 parts, 2 workers
    one = examenbron.validate(shuffled, peildatum=PEILDATUM)
    assert_same(one, validate_per_school(shuffled, peildatum=PEILDATUM, part_bytes=60_000, werkers=2))


def test_cli_per_school_with_two_processes_prints_the_same_json_report(shuffled):
    runner = CliRunner()
    args = ["validate", str(shuffled), "--format", "json", "--peildatum", "2025-06-20"]
    one = runner.invoke(main, [*args, "--werkers", "1"])
    per = runner.invoke(main, [*args, "--per-school", "--werkers", "2"])
    assert one.exit_code == per.exit_code == 1, per.output
    assert json.loads(one.output) == json.loads(per.output)


def test_a_worker_that_dies_gives_a_dutch_message_not_a_hang():
    worker = parallel._Worker()
    try:
        worker.process.kill()
        with pytest.raises(ExamenbronError, match="werkproces is onverwacht gestopt"):
            worker.answer()
    finally:
        worker.stop()


def test_a_worker_crash_is_explained_in_dutch_with_its_output_behind_debug():
    worker = parallel._Worker()
    try:
        worker.process.stdin.write(b"geen pickle\n")  # the worker cannot read its request and stops
        worker.process.stdin.close()
        with pytest.raises(ExamenbronError) as failure:
            worker.answer()
    finally:
        worker.stop()
    assert "werkproces is onverwacht gestopt (afsluitcode 1)" in str(failure.value)
    assert "--debug" in str(failure.value) and "Error" not in str(failure.value)
    assert "Traceback" in str(failure.value.__cause__)  # what the worker wrote, for --debug


def test_an_error_in_a_worker_is_raised_in_the_caller():
    worker = parallel._Worker()
    try:
        worker.ask("normalise", "geen tabel", None)
        with pytest.raises(AttributeError):
            worker.answer()
    finally:
        worker.stop()


def test_automatic_choice_uses_one_process_for_a_school_file(shuffled, tmp_path):
    assert parallel.werkers_for(shuffled) == 1  # ~1 MB: one school's file runs in one process
    big = tmp_path / "groot.csv"
    with open(big, "wb") as fh:
        fh.truncate(3 * parallel.MIN_PART_BYTES)
    assert parallel.werkers_for(big) == min(3, parallel.usable_cores())


def test_quoted_cp1252_file_with_blank_lines_keeps_its_row_numbers(tmp_path):
    """The general reader's path (quotes, Windows-1252, CRLF, a blank line): same rows, same numbers."""
    frame = generate(1000, "2024-2025", seed=37, fouten=True).frame.sample(frac=1, random_state=8)
    frame["werkstuk_titel"] = "Zeeën; dijken en \"water\""
    lines = frame.to_csv(sep=";", index=False, lineterminator="\r\n").split("\r\n")
    path = tmp_path / "school.csv"
    path.write_bytes("\r\n".join(lines[:40] + [""] + lines[40:]).encode("cp1252"))
    one = examenbron.validate(path, peildatum=PEILDATUM)
    assert (one.bevindingen["bron_rij"] > 41).any()
    assert_same(one, validate_parallel(path, 2, peildatum=PEILDATUM))


@pytest.mark.parametrize("ranges", [False, True])
def test_a_ragged_row_gives_the_one_shot_message(tmp_path, ranges, request):
    """Read whole, or in ranges with the ragged row in the second range (the whole file is then read)."""
    if ranges:
        request.getfixturevalue("in_ranges")
    lines = generate(300, "2024-2025", seed=45).frame.to_csv(sep=";", index=False, lineterminator="\n").splitlines()
    lines[-5] += ";te veel"
    path = tmp_path / "rafelig.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    runner = CliRunner()
    one = runner.invoke(main, ["validate", str(path), "--werkers", "1"])
    par = runner.invoke(main, ["validate", str(path), "--werkers", "2"])
    assert par.exit_code == one.exit_code == 2
    assert f"rij {len(lines) - 4} " in par.output and par.output == one.output


@pytest.mark.parametrize("cpu_max, expected", [("200000 100000\n", 2), ("150000 100000\n", 2), ("max 100000\n", 64)])
def test_a_container_cpu_quota_limits_the_automatic_processes(monkeypatch, cpu_max, expected):
    """A container limited to 2 CPUs on a 64-core host must not start 64 processes."""
    import builtins
    import io
    real_open = builtins.open
    monkeypatch.setattr(parallel.os, "sched_getaffinity", lambda pid: set(range(64)), raising=False)
    monkeypatch.setattr(builtins, "open", lambda path, *a, **k: io.StringIO(cpu_max)
                        if str(path) == "/sys/fs/cgroup/cpu.max" else real_open(path, *a, **k))
    assert parallel.usable_cores() == expected


@pytest.mark.parametrize("fmt", ["text", "csv", "xlsx"])
def test_every_other_report_format_is_the_same_on_two_processes(shuffled, fmt, tmp_path):
    import openpyxl
    runner = CliRunner()
    outputs = []
    for werkers in ("1", "2"):
        out = tmp_path / f"rapport-{werkers}.{fmt}"
        result = runner.invoke(main, ["validate", str(shuffled), "--format", fmt, "-o", str(out),
                                      "--peildatum", "2025-06-20", "--werkers", werkers])
        assert result.exit_code == 1, result.output
        if fmt == "xlsx":
            book = openpyxl.load_workbook(out)
            outputs.append({name: [[c.value for c in row] for row in book[name].iter_rows()] for name in book.sheetnames})
        else:
            outputs.append(out.read_text(encoding="utf-8"))
    assert outputs[0] == outputs[1]


@pytest.mark.parametrize("ranges", [False, True])
def test_a_column_mapping_applies_in_every_process(tmp_path, ranges, request):
    forbid_whole_file = request.getfixturevalue("in_ranges") if ranges else (lambda: None)
    frame = generate(1000, "2024-2025", seed=39, fouten=True).frame.rename(columns={"vakcode": "Vak", "brin": "School"})
    path = tmp_path / "eigen-koppen.csv"
    write_csv(frame, path)
    mapping = tmp_path / "kolommen.yaml"
    mapping.write_text("Vak: vakcode\nSchool: brin\n", encoding="utf-8")
    one = examenbron.validate(path, peildatum=PEILDATUM, mapping=mapping)
    assert len(one.kandidaten) == 1000
    forbid_whole_file()
    assert_same(one, validate_parallel(path, 2, peildatum=PEILDATUM, mapping=mapping))


# --- every process reads its own byte range of the file (a large UTF-8 CSV without quotes) ---

@pytest.fixture
def in_ranges(monkeypatch):
    """Small test files take the path of a large file: read in byte ranges by every process at once.
    Returns a function that makes reading the whole file in this process fail (call it after the
    one-shot run), to prove the ranges were read."""
    from examenbron.engine.inputs import read
    monkeypatch.setattr(read, "_ARROW_MIN_BYTES", 1)

    def forbid_whole_file():
        def whole(*_, **__):
            raise AssertionError("the whole file was read in one process")
        monkeypatch.setattr(read, "read_table", whole)
    return forbid_whole_file


@pytest.fixture(scope="module")
def together(tmp_path_factory):
    """A generated file (planted errors) with each school's rows together, as schools export them."""
    path = tmp_path_factory.mktemp("parallel") / "per-school.csv"
    write_csv(generate(1400, "2024-2025", seed=41, fouten=True).frame, path)
    return path


@pytest.mark.parametrize("werkers", [2, 3])
@pytest.mark.parametrize("file", ["together", "shuffled"])
def test_ranges_read_by_every_process_give_the_one_shot_results(file, werkers, in_ranges, request):
    """Sorted by school only the schools a range boundary cuts through move; shuffled, every school does."""
    path = request.getfixturevalue(file)
    one = examenbron.validate(path, peildatum=PEILDATUM)
    assert len(one.bevindingen) > 10 and one.bevindingen["bron_rij"].max() > 1000
    in_ranges()
    assert_same(one, validate_parallel(path, werkers, peildatum=PEILDATUM))


@pytest.mark.parametrize("policy", ["all to the last range", "all to this process", "alternating"])
def test_any_school_to_range_assignment_gives_the_one_shot_results(policy, shuffled, in_ranges, monkeypatch):
    """Also when this process or a worker is left without rows (a file of one big school)."""
    one = examenbron.validate(shuffled, peildatum=PEILDATUM)
    in_ranges()

    def owners(counts):
        schools = sorted({school for per_range in counts for school in per_range})
        if policy == "alternating":
            return {school: i % len(counts) for i, school in enumerate(schools)}
        return {school: len(counts) - 1 if policy == "all to the last range" else 0 for school in schools}
    monkeypatch.setattr(division, "owners", owners)
    assert_same(one, validate_parallel(shuffled, 3, peildatum=PEILDATUM))


def test_two_spellings_of_one_brin_across_a_range_boundary_stay_one_school(tmp_path, in_ranges):
    """The school the boundary cuts through is written '12AB' before it and '12ab' after it: one
    school for normalise, so its rows must all go to one process."""
    from examenbron.engine.inputs import read
    frame = generate(300, "2024-2025", seed=42).frame
    path = tmp_path / "spelling.csv"
    write_csv(frame, path)
    data = path.read_bytes()
    (_, cut), _ = read.csv_ranges(path, read.csv_layout(path), 2)
    cut_row = data.count(b"\n", 0, cut) - 1                    # data rows before the boundary
    school = frame["brin"].iloc[cut_row]
    after = frame.index[(frame["brin"] == school) & (np.arange(len(frame)) >= cut_row)]
    assert 0 < len(after) < (frame["brin"] == school).sum()     # the boundary cuts through the school
    frame.loc[after, "brin"] = school.lower()                   # same length: the boundary stays
    write_csv(frame, path)
    one = examenbron.validate(path, peildatum=PEILDATUM)
    in_ranges()
    assert_same(one, validate_parallel(path, 2, peildatum=PEILDATUM))


def test_crlf_and_a_byte_order_mark_keep_their_row_numbers(tmp_path, in_ranges):
    frame = generate(1000, "2024-2025", seed=43, fouten=True).frame
    path = tmp_path / "windows.csv"
    path.write_bytes(b"\xef\xbb\xbf" + frame.to_csv(sep=";", index=False, lineterminator="\r\n").encode("utf-8"))
    one = examenbron.validate(path, peildatum=PEILDATUM)
    assert one.bevindingen["bron_rij"].max() > 1000
    in_ranges()
    assert_same(one, validate_parallel(path, 2, peildatum=PEILDATUM))


@pytest.mark.parametrize("odd", ["a quote", "Windows-1252"])
def test_a_quote_or_another_encoding_in_the_last_range_reads_the_whole_file_as_one_shot(odd, tmp_path, in_ranges):
    frame = generate(1000, "2024-2025", seed=44, fouten=True).frame
    path = tmp_path / "anders.csv"
    if odd == "a quote":
        frame.loc[frame.index[-3:], "werkstuk_titel"] = 'Dijken; "water"'
        write_csv(frame, path)
    else:  # pyarrow refuses the range (not UTF-8); the whole file is read as Windows-1252
        frame.loc[frame.index[-3:], "werkstuk_titel"] = "Zeeën en dijken"
        path.write_bytes(frame.to_csv(sep=";", index=False).encode("cp1252"))
    one = examenbron.validate(path, peildatum=PEILDATUM)
    assert_same(one, validate_parallel(path, 2, peildatum=PEILDATUM))


def test_workers_start_before_the_engine_is_loaded():
    """`validate` decides on and starts its worker processes before it imports pandas, so that their
    start-up overlaps its own: the modules it needs for that stay light."""
    import subprocess
    import sys
    code = (f"import sys; sys.path[:0] = {sys.path!r}; from examenbron.engine.scale import streamable, AUTO_BYTES; "
            "from examenbron.engine.scale.parallel import start_workers, werkers_for; "
            "print(sorted(m for m in ('pandas', 'numpy', 'pyarrow') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_candidates_written_by_every_process_give_the_one_shot_json(shuffled, in_ranges):
    """For --format json each process writes its candidates' objects; the report is byte for byte the
    one-shot report, and a changed candidate table is written anew (never the stale rows)."""
    from dataclasses import replace
    one = examenbron.validate(shuffled, peildatum=PEILDATUM)
    par = validate_parallel(shuffled, 3, peildatum=PEILDATUM, json_rows=True)
    assert par.kandidaat_json is not None and len(par.kandidaat_json[1]) == len(one.kandidaten)
    assert report.to_json(par, peildatum=PEILDATUM) == report.to_json(one, peildatum=PEILDATUM)
    fewer = replace(par, kandidaten=par.kandidaten.iloc[[4, 0, 2]])
    written = json.loads(report.to_json(fewer, peildatum=PEILDATUM))["kandidaten"]
    assert written == [json.loads(report.to_json(one, peildatum=PEILDATUM))["kandidaten"][i] for i in (4, 0, 2)]
