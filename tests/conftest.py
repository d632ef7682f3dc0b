"""Fixtures shared by the test files: the 2024-2025 rules and code tables, and a copy of the rule
folder to edit (helpers for editing it: tests/rulefiles.py)."""

import os
import shutil
import tempfile

import pytest

from examenbron.engine.inputs import codetables
from examenbron.engine.rulesets import load as rules
from rulefiles import SOURCE


def pytest_configure(config):
    """Loaded rule sets are cached in a folder of this test run (also for the CLI subprocesses), never
    in the user's own cache folder (engine/cache.py; tests/test_cache.py tests the cache itself)."""
    config.cache_folder = tempfile.mkdtemp(prefix="examenbron-cache-")
    os.environ["EXAMENBRON_CACHE"] = config.cache_folder


def pytest_unconfigure(config):
    shutil.rmtree(getattr(config, "cache_folder", ""), ignore_errors=True)


@pytest.fixture(scope="module")
def year():
    """The 2024-2025 rule set and code tables, loaded once per test module."""
    return rules.load("2024-2025"), codetables.load("2024-2025")


@pytest.fixture
def rule_root(tmp_path):
    """A writable copy of rules/2024-2025 under tmp_path/rules."""
    root = tmp_path / "rules"
    shutil.copytree(SOURCE, root / "2024-2025")
    return root
