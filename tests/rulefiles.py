"""Editing a copy of the 2024-2025 rule folder (the rule_root fixture) and collecting its lint errors."""

import pytest

from examenbron.engine.errors import RuleErrors
from examenbron.engine.rulesets import load as rules

SOURCE = rules.rules_root() / "2024-2025"


def edit(root, relative, old, new):
    """Replace the first `old` by `new` in rule file `relative` (which must contain it); return its path."""
    path = root / "2024-2025" / relative
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def append(root, relative, text):
    """Add `text` at the end of rule file `relative`."""
    path = root / "2024-2025" / relative
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def lint_errors(root, *change):
    """The lint errors of the rule folder under `root` (after edit(root, *change) when given)."""
    if change:
        edit(root, *change)
    with pytest.raises(RuleErrors) as info:
        rules.load("2024-2025", root)
    return [str(e) for e in info.value.errors]
