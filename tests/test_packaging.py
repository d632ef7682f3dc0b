"""What `pip install examenbron` puts in site-packages: one `examenbron` package with its data files."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOT_SHIPPED = ("tests", "docs", "examples", "bench", "tools")
BUILD_OUTPUT = ("build", "dist", ".git")  # left by a local `pip install .`; not part of the source


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """Build the wheel from a copy of the tree (the build writes build/ and egg-info beside its source)."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "src"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", "__pycache__", "build", "dist", "*.egg-info", ".hypothesis", ".pytest_cache"))
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp / "out"),
                           str(source)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    [path] = (tmp / "out").glob("examenbron-*.whl")
    with zipfile.ZipFile(path) as archive:
        return archive.namelist(), archive.read(next(n for n in archive.namelist()
                                                     if n.endswith(".dist-info/entry_points.txt"))).decode()


def _source_files(pattern: str) -> set:
    """Files below the repository root matching `pattern`, as they appear in the wheel."""
    return {"examenbron/" + p.relative_to(ROOT).as_posix() for p in ROOT.glob(pattern)
            if p.relative_to(ROOT).parts[0] not in NOT_SHIPPED + BUILD_OUTPUT and "__pycache__" not in p.parts}


@pytest.mark.slow
def test_wheel_holds_only_the_examenbron_package(wheel):
    names, entry_points = wheel
    top = {name.split("/")[0] for name in names}
    dist_info = {t for t in top if t.endswith(".dist-info")}
    assert top - dist_info == {"examenbron"}, "no engine, rules, codetables or cli at the top level"
    assert len(dist_info) == 1
    assert "examenbron = examenbron.cli:main" in entry_points
    assert not any(name.split("/")[1] in NOT_SHIPPED for name in names if name.startswith("examenbron/"))


@pytest.mark.slow
def test_wheel_holds_every_module_and_data_file(wheel):
    names = set(wheel[0])
    modules = _source_files("**/*.py")
    assert modules <= names, sorted(modules - names)   # a sub-package missing from pyproject's list
    data = (_source_files("rules/**/*.yaml") | _source_files("codetables/*/*.csv")
            | _source_files("codetables/*/metadata.yaml") | _source_files("engine/outputs/schemas/*")
            | _source_files("engine/outputs/templates/*"))
    assert {"examenbron/rules/2024-2025/regelset.yaml", "examenbron/codetables/2024-2025/vakken.csv",
            "examenbron/engine/outputs/schemas/examenresultaat-1.0.xsd",
            "examenbron/engine/outputs/templates/rapport.html"} <= data
    assert data <= names, sorted(data - names)
