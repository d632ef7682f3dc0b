"""The one atomic-write helper: a crash never leaves a half-written file, and nothing but a regular
file in an existing folder is ever written or replaced."""

import os
import stat

import pytest

from examenbron.engine.outputs.files import OutputError, atomic_write, replacing


def test_replaces_the_file_in_one_step_owner_only(tmp_path):
    target = tmp_path / "rapport.json"
    target.write_text("oud", encoding="utf-8")
    atomic_write(target, "nieuw – ü")
    assert target.read_text(encoding="utf-8") == "nieuw – ü"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert os.listdir(tmp_path) == ["rapport.json"]


def test_a_failing_writer_leaves_the_old_file_and_no_temp_file(tmp_path):
    target = tmp_path / "voorbeeld.csv"
    target.write_bytes(b"oud")
    with pytest.raises(RuntimeError), replacing(target) as out:
        out.write(b"half")
        raise RuntimeError("schijf vol")
    assert target.read_bytes() == b"oud"
    assert os.listdir(tmp_path) == ["voorbeeld.csv"]


def test_a_missing_folder_is_not_created(tmp_path):
    with pytest.raises(OutputError, match="bestaat niet"):
        atomic_write(tmp_path / "nieuw" / "rapport.txt", "x")
    assert not (tmp_path / "nieuw").exists()


@pytest.mark.parametrize("make", [os.mkfifo, os.mkdir, lambda p: os.symlink("/dev/null", p)])
def test_a_fifo_folder_or_link_is_never_written_or_replaced(tmp_path, make):
    target = tmp_path / "uit"
    make(target)
    before = os.lstat(target)
    with pytest.raises(OutputError, match="geen gewoon bestand"):
        atomic_write(target, b"x")
    after = os.lstat(target)
    assert (after.st_mode, after.st_ino) == (before.st_mode, before.st_ino)
    assert os.listdir(tmp_path) == ["uit"]
