"""Fixtures shared by the test files: the 2024-2025 rules and code tables, and a copy of the rule
folder to edit (helpers for editing it: tests/rulefiles.py)."""

import shutil

import pytest

from examenbron.engine.inputs import codetables
from examenbron.engine.rulesets import load as rules
from rulefiles import SOURCE


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
