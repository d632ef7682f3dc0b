"""The disk cache of loaded rule sets and code tables (engine/cache.py): a cached load is the same
rule set, a changed file is read again, and a bad cache file is ignored, never a traceback."""

import dataclasses
import os
import shutil

import pytest
from click.testing import CliRunner

from examenbron.cli import main
from examenbron.engine import cache
from examenbron.engine.errors import RuleErrors
from examenbron.engine.inputs import codetables
from examenbron.engine.rulesets import load as rules
from examenbron.engine.samples.generate import generate, write_csv
from rulefiles import edit

YEAR = "2024-2025"


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """An empty cache folder of this test."""
    path = tmp_path / "cache"
    monkeypatch.setenv("EXAMENBRON_CACHE", str(path))
    return path


@pytest.fixture
def builds(monkeypatch):
    """Counts how often a rule set is really built (not taken from the cache)."""
    count = {"n": 0}
    real = rules._Builder.build

    def counting(self):
        count["n"] += 1
        return real(self)
    monkeypatch.setattr(rules._Builder, "build", counting)
    return count


def plain(value, seen=None):
    """Everything an object holds, attributes of dict and list subclasses (file:line) included, as
    nested plain values: two loads are the same rule set exactly when their plain forms are equal."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__, tuple((f.name, plain(getattr(value, f.name))) for f in dataclasses.fields(value)))
    if isinstance(value, dict):
        items = tuple((plain(k), plain(v)) for k, v in value.items())
        return (type(value).__name__, items, plain(getattr(value, "__dict__", {})) if type(value) is not dict else ())
    if isinstance(value, (list, tuple)):
        extra = plain(vars(value)) if type(value) not in (list, tuple) and hasattr(value, "__dict__") else ()
        return (type(value).__name__, tuple(plain(v) for v in value), extra)
    if isinstance(value, (set, frozenset)):
        return (type(value).__name__, tuple(sorted(map(repr, value))))
    return value


def test_a_cached_rule_set_is_the_rule_set_loaded_from_the_files(folder, builds, monkeypatch):
    first = rules.load(YEAR)
    assert len(list(folder.glob(f"regels-{YEAR}-*.pickle"))) == 1 and builds["n"] == 1
    again = rules.load(YEAR)
    assert builds["n"] == 1, "the second load must come from the cache"
    monkeypatch.setenv("EXAMENBRON_CACHE", "uit")
    uncached = rules.load(YEAR)
    assert builds["n"] == 2
    assert plain(again) == plain(uncached) == plain(first)
    assert again.samenstelling.onderdelen[0].file == uncached.samenstelling.onderdelen[0].file


@pytest.mark.parametrize("schooljaar", rules.available_years())
def test_every_year_loads_the_same_from_the_cache(schooljaar, folder, monkeypatch):
    built = rules.load(schooljaar)
    cached = rules.load(schooljaar)
    monkeypatch.setenv("EXAMENBRON_CACHE", "uit")
    assert plain(cached) == plain(built) == plain(rules.load(schooljaar))


def test_cached_code_tables_are_the_tables_read_from_the_files(folder, monkeypatch):
    codetables.clear_cache()
    built = codetables.load(YEAR)
    assert len(list(folder.glob(f"codetabellen-{YEAR}-*.pickle"))) == 1
    codetables.clear_cache()
    cached = codetables.load(YEAR)
    for name in ("opleidingen", "vakken", "vakken_per_leerweg"):
        assert getattr(cached, name).equals(getattr(built, name))
        assert list(getattr(cached, name).dtypes) == list(getattr(built, name).dtypes)
    assert cached.metadata == built.metadata
    codetables.clear_cache()


def test_a_changed_rule_file_is_read_again(folder, rule_root, builds):
    rules.load(YEAR, rule_root)
    [entry] = folder.glob(f"regels-{YEAR}-*.pickle")
    edit(rule_root, "controles/cijfers.yaml", "Minimaal 1 examenvak is verplicht", "Ten minste 1 examenvak is verplicht")
    changed = rules.load(YEAR, rule_root)
    assert builds["n"] == 2
    assert next(r for r in changed.controles if r.id == "BRON-153").melding.startswith("Ten minste 1")
    assert rules.load(YEAR, rule_root).versie == changed.versie and builds["n"] == 2
    assert list(folder.glob(f"regels-{YEAR}-*.pickle")) == [entry], "the edited folder's entry is replaced"


def test_rule_folders_keep_their_own_entries_and_old_ones_are_pruned(folder, tmp_path, builds):
    roots = []
    for n in range(cache.KEEP + 2):
        root = tmp_path / f"regels{n}"
        shutil.copytree(rules.rules_root() / YEAR, root / YEAR)
        roots.append(root)
        rules.load(YEAR, root)
    assert len(list(folder.glob(f"regels-{YEAR}-*.pickle"))) == cache.KEEP
    built = builds["n"]
    rules.load(YEAR, roots[-1])
    assert builds["n"] == built, "the newest folder's entry is kept"


def test_an_error_in_a_changed_rule_file_is_reported_not_hidden_by_the_cache(folder, rule_root):
    rules.load(YEAR, rule_root)
    edit(rule_root, "controles/cijfers.yaml", "ernst: afkeur", "ernst: afkuer")
    for _ in range(2):  # a failed load is never cached
        with pytest.raises(RuleErrors, match="afkuer"):
            rules.load(YEAR, rule_root)


def test_a_changed_code_table_is_read_again(folder, tmp_path):
    root = tmp_path / "codetabellen"
    shutil.copytree(codetables.source_files(YEAR)[0].parent, root / YEAR)
    codetables.clear_cache()
    first = codetables.load(YEAR, root)
    path = root / YEAR / "vakken.csv"
    name = first.vakken["naam"].iloc[0]
    path.write_text(path.read_text(encoding="utf-8").replace(name, "Gewijzigde naam", 1), encoding="utf-8")
    codetables.clear_cache()
    assert codetables.load(YEAR, root).vakken["naam"].iloc[0] == "Gewijzigde naam"
    codetables.clear_cache()


@pytest.mark.parametrize("damage", ["garbage", "truncated", "flipped", "empty", "directory", "writable by others"])
def test_a_damaged_cache_file_is_ignored_and_replaced(folder, builds, damage):
    expected = plain(rules.load(YEAR))
    [entry] = folder.glob(f"regels-{YEAR}-*.pickle")
    data = entry.read_bytes()
    if damage == "garbage":
        entry.write_bytes(b"\x80\x05 dit is geen pickle")
    elif damage == "truncated":
        entry.write_bytes(data[: len(data) // 2])
    elif damage == "flipped":
        entry.write_bytes(data[:-100] + bytes([data[-100] ^ 0xFF]) + data[-99:])
    elif damage == "empty":
        entry.write_bytes(b"")
    elif damage == "directory":
        entry.unlink()
        entry.mkdir()
    else:
        os.chmod(entry, 0o666)
    assert plain(rules.load(YEAR)) == expected
    assert builds["n"] == 2
    if damage != "directory":  # a folder in its place is left alone, and the cache unused
        assert rules.load(YEAR) is not None and builds["n"] == 2


def test_an_unwritable_cache_folder_only_costs_time(tmp_path, monkeypatch, builds):
    blocker = tmp_path / "een-bestand"
    blocker.write_text("geen map")
    monkeypatch.setenv("EXAMENBRON_CACHE", str(blocker / "cache"))
    assert plain(rules.load(YEAR)) == plain(rules.load(YEAR))
    assert builds["n"] == 2


def test_the_cache_can_be_switched_off(tmp_path, monkeypatch, builds):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("EXAMENBRON_CACHE", "uit")
    rules.load(YEAR)
    rules.load(YEAR)
    assert builds["n"] == 2 and not any(tmp_path.iterdir())
    monkeypatch.delenv("EXAMENBRON_CACHE")
    assert cache.folder() == tmp_path / "examenbron"


def test_validate_reports_the_same_with_a_cold_a_warm_and_no_cache(folder, tmp_path, monkeypatch):
    results = tmp_path / "resultaten.csv"
    write_csv(generate(40, YEAR, seed=7, fouten=True).frame, results)
    args = ["validate", str(results), "--format", "json", "--peildatum", "2025-06-20", "--stil"]
    codetables.clear_cache()
    cold = CliRunner().invoke(main, args)
    warm = CliRunner().invoke(main, args)
    monkeypatch.setenv("EXAMENBRON_CACHE", "uit")
    off = CliRunner().invoke(main, args)
    assert cold.exit_code == warm.exit_code == off.exit_code and cold.exit_code in (0, 1)
    assert cold.output == warm.output == off.output
    assert sorted(p.name.rsplit("-", 1)[0] for p in folder.iterdir()) == [f"codetabellen-{YEAR}", f"regels-{YEAR}"]
