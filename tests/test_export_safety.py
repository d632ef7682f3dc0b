"""Export safety (issue 13): whole candidates, clean failures that keep the last good export,
no writes through planted links, no waiting on FIFOs, message files readable only by the owner."""

import json
import os
import shutil
import stat
import subprocess
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from examenbron.cli import main
from examenbron.engine.outputs.export import LOG, MANIFEST, ExportError
from examenbron.engine.outputs.bevindingen import empty_bevindingen
from test_export import export, bevindingen_for, leerlingnummers, make_results, snapshot, xml_files

EXAMPLE = Path(__file__).parent.parent / "examples" / "resultaten-2024-2025.csv"
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


# --- the gate covers whole candidates --------------------------------------------------------

def test_afkeur_on_one_exam_blocks_the_candidates_other_exam_with_the_same_leerlingnummer(tmp_path):
    res = make_results(4)
    # exam 2 is the same pupil as exam 0 (a typo in opleidingscode split the rows into two exams)
    res.examens.loc[2, ["brin", "vestiging", "leerlingnummer", "opleidingscode"]] = ["01OE", "01", "L100000", "0370"]
    res.examens.loc[2, "bsn"] = None
    res.examens.loc[2, "onderwijsnummer"] = "101234560"
    summary = export(res, bevindingen_for([0]), tmp_path)
    assert leerlingnummers(tmp_path) == {"L100001", "L100003"}
    assert summary.blocked == 2
    codes = {k["bestand"] or k["opleidingscode"]: k["codes"] for k in
             json.loads((tmp_path / MANIFEST).read_text())["kandidaten"] if k["status"] == "geblokkeerd"}
    assert ["KANDIDAAT"] in codes.values()


def test_afkeur_blocks_an_exam_of_the_same_bsn_under_another_leerlingnummer(tmp_path):
    res = make_results(4)
    res.examens.loc[2, "bsn"] = res.examens.loc[0, "bsn"]   # typo in leerlingnummer, same BSN
    export(res, bevindingen_for([2]), tmp_path)
    assert leerlingnummers(tmp_path) == {"L100001", "L100003"}


def test_key_typo_in_the_file_never_exports_half_a_candidate(tmp_path):
    """End to end: one row of a candidate has examenjaar '2O25'; nothing of that candidate is exported."""
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(";")
    first = lines[1].split(";")
    leerling = first[header.index("leerlingnummer")]
    typo = lines[2].split(";")
    assert typo[header.index("leerlingnummer")] == leerling
    typo[header.index("examenjaar")] = "2O25"
    lines[2] = ";".join(typo)
    path = tmp_path / "typo.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["export", str(path), "--out", str(out), "--peildatum", "2025-06-20"])
    assert result.exit_code == 1, result.output
    assert not [n for n in xml_files(out) if f"_{leerling}_" in n]


# --- clean failures, last good state kept ----------------------------------------------------

def test_out_path_whose_parent_is_a_file_exits_2_with_path(tmp_path):
    (tmp_path / "bestand").write_text("x")
    result = CliRunner().invoke(main, ["export", str(EXAMPLE), "--out", str(tmp_path / "bestand" / "out")])
    assert result.exit_code == 2 and "bestand" in result.output and "Traceback" not in result.output


def test_directory_where_a_message_file_goes_exits_2_and_keeps_the_previous_export(tmp_path):
    export(make_results(4), empty_bevindingen(), tmp_path)
    before = snapshot(tmp_path)
    name = xml_files(tmp_path)[0]
    (tmp_path / name).unlink()
    (tmp_path / name).mkdir()
    with pytest.raises(ExportError, match=f"{name}: is geen gewoon bestand"):
        export(make_results(4, variant=2), empty_bevindingen(), tmp_path)
    assert (tmp_path / name).is_dir()
    (tmp_path / name).rmdir()
    del before[name]
    assert snapshot(tmp_path) == before
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.skipif(IS_ROOT, reason="root writes into read-only folders")
def test_read_only_folder_exits_with_path_and_reason(tmp_path):
    export(make_results(3), empty_bevindingen(), tmp_path)
    before = snapshot(tmp_path)
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(ExportError, match="kan niet schrijven"):
            export(make_results(3, variant=2), empty_bevindingen(), tmp_path)
    finally:
        tmp_path.chmod(0o700)
    assert snapshot(tmp_path) == before


@pytest.fixture
def small_disk(tmp_path):
    """A 96 KiB tmpfs (root only): room for a small export, not for a large one."""
    if not IS_ROOT or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    mount = tmp_path / "klein"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=96k", "tmpfs", str(mount)], capture_output=True)
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs: {done.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", str(mount)], check=True)


def test_disk_full_exits_2_and_keeps_the_previous_export(small_disk):
    out = small_disk / "out"
    export(make_results(4), empty_bevindingen(), out)
    before = snapshot(out)
    log = (out / LOG).read_bytes()
    with pytest.raises(ExportError, match=r"kan niet schrijven \(de schijf is vol\)"):
        export(make_results(300, variant=2), empty_bevindingen(), out)
    assert snapshot(out) == before and (out / LOG).read_bytes() == log
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]
    result = CliRunner().invoke(main, ["export", str(EXAMPLE), "--out", str(small_disk / "cli")])
    assert result.exit_code == 2 and "Traceback" not in result.output


# --- no writes through planted names ---------------------------------------------------------

def test_symlink_planted_under_a_temp_name_cannot_redirect_the_export(tmp_path):
    out, outside = tmp_path / "out", tmp_path / "buiten.txt"
    export(make_results(2), empty_bevindingen(), out)
    outside.write_text("onaangetast")
    for name in xml_files(out) + [MANIFEST, LOG]:
        (out / f".{name}.tmp").symlink_to(outside)
    export(make_results(2, variant=2), empty_bevindingen(), out)
    assert outside.read_text() == "onaangetast"
    assert not [p for p in out.iterdir() if p.is_symlink()]


def test_symlinked_lock_file_is_refused(tmp_path):
    out, outside = tmp_path / "out", tmp_path / "elders"
    out.mkdir()
    (out / ".examenbron-export").symlink_to(outside)
    with pytest.raises(ExportError, match="exportslot"):
        export(make_results(2), empty_bevindingen(), out)
    assert not outside.exists()


def test_message_files_are_readable_by_the_owner_only(tmp_path):
    export(make_results(3), empty_bevindingen(), tmp_path)
    for name in xml_files(tmp_path) + [MANIFEST]:
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600, name


# --- outputs that are not files --------------------------------------------------------------

def test_report_into_a_missing_folder_exits_2_with_the_path(tmp_path):
    target = tmp_path / "bestaat-niet" / "rapport.html"
    result = CliRunner().invoke(main, ["validate", str(EXAMPLE), "-f", "html", "-o", str(target)])
    assert result.exit_code == 2 and "bestaat-niet" in result.output and "bestaat niet" in result.output
    assert not target.parent.exists()


def test_json_report_into_a_missing_folder_writes_a_file_error_object(tmp_path):
    target = tmp_path / "bestaat-niet" / "rapport.json"
    result = CliRunner().invoke(main, ["validate", str(EXAMPLE), "-f", "json", "-o", str(target)])
    assert result.exit_code == 2
    error = json.loads(result.stdout.splitlines()[0])["fout"]
    assert error["soort"] == "bestand" and "bestaat-niet" in error["melding"] and error["exitcode"] == 2
    assert not target.parent.exists()


def test_report_to_a_fifo_is_refused_without_waiting(tmp_path):
    fifo = tmp_path / "pijp"
    os.mkfifo(fifo)
    timer = threading.Timer(20, lambda: os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
    timer.start()
    try:
        start = time.monotonic()
        result = CliRunner().invoke(main, ["validate", str(EXAMPLE), "-o", str(fifo)])
    finally:
        timer.cancel()
    assert result.exit_code == 2 and "geen gewoon bestand" in result.output
    assert time.monotonic() - start < 15 and stat.S_ISFIFO(fifo.stat().st_mode)


def test_example_generator_never_replaces_a_device(tmp_path):
    before = os.stat("/dev/null")
    result = CliRunner().invoke(main, ["voorbeeld", "-n", "3", "-o", "/dev/null"])
    assert result.exit_code == 2 and "geen gewoon bestand" in result.output
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev and after.st_ino == before.st_ino
