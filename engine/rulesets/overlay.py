"""Resolve a school year's rule folder and its `basis` chain into one set of sections.

A year folder may say `basis: <schooljaar>` in regelset.yaml; it then inherits every section of
that year (recursively) and states only what differs. Inheritance is generic, so a section added
to the schema later inherits without a change here:
- a list section (controles, voorwaarden, afleidingen, testgevallen, …) is keyed by each item's
  `id` or `naam`: an item with a key of the basis replaces the basis' item(s) with that key whole,
  in its place; a new key is added;
- a mapping section (parameters, regelset, …) is keyed by its keys: a key replaces the basis' value
  whole (regelset's schooljaar, examenjaar, geldig_van, geldig_tot and basis are never inherited:
  they follow from the folder name unless stated);
- `vervallen: [ID of naam, …]` removes inherited entries; an unknown key is an error with a
  did-you-mean;
- `testgevallen_aanvullen: {vakken: […]}` in tests/<naam>.yaml adds vakken to every test case
  inherited from the basis' tests/<naam>.yaml (a year in which every candidate takes an extra vak,
  such as the rekentoets in 2018-2019).

`{schooljaar}` and `{examenjaar}` (also `{examenjaar-1}`, `{examenjaar+1}`) are filled in for the
year being resolved, also in inherited files; in a melding `{examenjaar}` stays the candidate's
examenjaar column (the rule set's own is the parameter `examenjaar_regelset`).
"""

from __future__ import annotations

import datetime
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from examenbron.engine.errors import RuleError, suggestion
from examenbron.engine.rulesets import schema as rule_schema
from examenbron.engine.rulesets import yamlsource

YEAR_NAME = re.compile(r"^(\d{4})-(\d{4})$")
PLACEHOLDER = re.compile(r"\{(schooljaar|examenjaar)([+-]\d+)?\}")
NOT_INHERITED = ("basis", "schooljaar", "examenjaar", "geldig_van", "geldig_tot")
REMOVAL, EXTRA_VAKKEN = "vervallen", "testgevallen_aanvullen"


def check_year_name(name: str) -> tuple[int, int]:
    """The two calendar years of a school-year name such as 2024-2025; a path is refused."""
    match = YEAR_NAME.match(str(name))
    if not match or int(match[2]) != int(match[1]) + 1:
        raise RuleError(f"{name!r} is geen schooljaar; schrijf twee opeenvolgende jaren, bijvoorbeeld 2024-2025 "
                        "(een map geef je op met --regels)")
    return int(match[1]), int(match[2])


@dataclass
class Entry:
    """One inheritable entry: a list item, or one key of a mapping section."""

    section: str
    key: str | None
    value: object
    where: yamlsource.Where          # of the item, or of the mapping key
    relpath: str                     # path inside its year folder (orders additions)
    year: str
    end_line: int
    overrides: Entry | None = None

    @property
    def location(self) -> str:
        return f"{self.where.file}:{self.where.line}"


@dataclass
class Resolved:
    """The merged sections of a year: `lists[section]` in order, `mappings[section][key]`."""

    schooljaar: str
    chain: list                      # the year itself first, then its basis, …
    lists: dict = field(default_factory=dict)
    mappings: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)
    failed: set = field(default_factory=set)   # keys whose entry has a schema error
    digest: str = ""

    def all_entries(self):
        for entries in self.lists.values():
            yield from entries
        for entries in self.mappings.values():
            yield from entries.values()


_PARSED: dict = {}


def _parse(path: Path, name: str):
    """Parse a rule file once per content (a basis is read for every year that inherits it)."""
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size, name)
    if key not in _PARSED:
        _PARSED[key] = yamlsource.load(path, name)
    return _PARSED[key]


def basis_of(folder: Path) -> str | None:
    """The `basis` a year folder names in its regelset.yaml (None when absent or unreadable)."""
    try:
        data = _parse(folder / "regelset.yaml", str(folder / "regelset.yaml"))
    except (RuleError, OSError):
        return None
    regelset = data.get("regelset") if isinstance(data, dict) else None
    value = regelset.get("basis") if isinstance(regelset, dict) else None
    return str(value) if value is not None else None


def resolve(schooljaar: str, root: Path, *, tests: bool, display_root: Path | None = None,
            as_year: str | None = None) -> Resolved:
    """Merge the folders of `schooljaar`'s basis chain, filling in the year's placeholders (those of
    `as_year` when given: the rules of one year applied to another, as if it were its basis)."""
    _, examenjaar = check_year_name(as_year or schooljaar)
    resolved = Resolved(schooljaar, [])
    chain, year = [], schooljaar
    while year is not None:
        if year in chain:
            cycle = " -> ".join(chain[chain.index(year):] + [year])
            resolved.errors.append(RuleError(f"basis vormt een kring: {cycle}",
                                             file=_display(root / chain[-1] / "regelset.yaml", display_root)))
            break
        folder = root / year
        if not (folder / "regelset.yaml").exists():
            if chain:
                years = ", ".join(sorted(p.name for p in root.iterdir() if (p / "regelset.yaml").exists()))
                resolved.errors.append(RuleError(
                    f"basis {year!r} bestaat niet in {root}; beschikbaar: {years}",
                    file=_display(root / chain[-1] / "regelset.yaml", display_root)))
            break
        chain.append(year)
        year = basis_of(folder)
        if year is not None:
            try:
                check_year_name(year)
            except RuleError as exc:
                resolved.errors.append(RuleError(f"basis: {exc}", file=_display(folder / "regelset.yaml", display_root)))
                break
    resolved.chain = chain
    digest = hashlib.sha256()
    fill = _Filler(as_year or schooljaar, examenjaar)
    for year in reversed(chain):
        _apply_year(resolved, root / year, year, fill, tests, digest, display_root)
    if as_year and as_year != schooljaar:
        for key in NOT_INHERITED:
            resolved.mappings.get("regelset", {}).pop(key, None)
    resolved.digest = digest.hexdigest()[:16]
    return resolved


def _display(path: Path, display_root: Path | None) -> str:
    if display_root is not None and path.is_relative_to(display_root):
        return str(path.relative_to(display_root))
    return str(path)


def _apply_year(resolved: Resolved, folder: Path, year: str, fill, tests: bool, digest, display_root) -> None:
    """Read one folder of the chain and lay its entries over what the basis gave."""
    own: dict = {}            # section -> [Entry] stated in this folder
    removals, extra_vakken = [], {}
    for path in sorted(folder.rglob("*.yaml")):
        relpath = path.relative_to(folder)
        in_tests = "tests" in relpath.parts[:-1]
        if in_tests and not tests:
            continue
        if not in_tests:
            digest.update(f"{year}/{relpath}".encode() + b"\0" + path.read_bytes())
        name = _display(path, display_root)
        try:
            data = fill(_parse(path, name))
        except RuleError as exc:
            resolved.errors.append(exc)
            continue
        is_regelset = path.name == "regelset.yaml" and path.parent == folder
        resolved.errors.extend(rule_schema.check_file(data, in_tests=in_tests, is_regelset=is_regelset))
        if not isinstance(data, dict):
            continue
        for section, value in data.items():
            if section == "omschrijving" or section not in rule_schema.SECTIONS:
                continue
            if section == REMOVAL:
                if isinstance(value, list):
                    removals.extend((str(v), w) for v, w in zip(value, value.item_where))
                continue
            if section == EXTRA_VAKKEN:
                if isinstance(value, dict) and isinstance(value.get("vakken"), list):
                    extra_vakken.setdefault(str(relpath), []).extend(value["vakken"])
                continue
            for entry in _entries(section, value, str(relpath), year):
                if rule_schema.entry_errors(section, entry.value, entry.where):
                    if entry.key is not None:
                        resolved.failed.add(entry.key)
                    continue
                own.setdefault(section, []).append(entry)
    _remove(resolved, removals)
    if extra_vakken:
        _extend_cases(resolved, extra_vakken)
    for section, entries in sorted(own.items(), key=lambda item: item[0] == "testgevallen"):
        if section == "testgevallen":
            fixtures = resolved.mappings.get("kandidaten", {})
            for entry in entries:
                _expand_case(entry, fixtures, resolved)
        if _is_list_section(section):
            _lay_list(resolved, section, entries)
        else:
            _lay_mapping(resolved, section, entries)


def _is_list_section(section: str) -> bool:
    return rule_schema.SECTIONS[section][0] == "list"


def _entries(section, value, relpath, year):
    """The inheritable entries of one section of one file."""
    if _is_list_section(section):
        if not isinstance(value, list):
            return []
        return [Entry(section, _key(item), item, where, relpath, year, _end(item, where))
                for item, where in zip(value, value.item_where)]
    if not isinstance(value, dict):
        return []
    return [Entry(section, name, item, value.key_where[name], relpath, year,
                  _end(item, value.value_where[name]))
            for name, item in value.items()]


def _key(item):
    if isinstance(item, dict):
        for name in ("id", "naam"):
            if name in item:
                return str(item[name])
    return None


def _end(item, where) -> int:
    return getattr(item, "end_line", where.line)


def _lay_list(resolved: Resolved, section: str, entries: list) -> None:
    """Replace the basis' items with a key in place (all of them, e.g. every formula of a
    afleiding), by this year's items with that key; add new keys after the last item of a file
    that sorts before theirs, so the order is that of a folder without a basis."""
    current = resolved.lists.setdefault(section, [])
    groups: dict = {}
    for entry in entries:
        groups.setdefault(entry.key if entry.key is not None else id(entry), []).append(entry)
    for key, group in groups.items():
        positions = [i for i, e in enumerate(current) if e.key == key and e.key is not None]
        if positions:
            for entry in group:
                entry.overrides = current[positions[0]]
            current[positions[0]:positions[0] + 1] = group
            for i in reversed(positions[1:]):
                del current[i + len(group) - 1]
            continue
        at = 0
        for i in range(len(current) - 1, -1, -1):
            if current[i].relpath <= group[0].relpath:
                at = i + 1
                break
        current[at:at] = group


def _lay_mapping(resolved: Resolved, section: str, entries: list) -> None:
    current = resolved.mappings.setdefault(section, {})
    year = entries[0].year
    if section == "regelset":
        for key in NOT_INHERITED:
            if key in current and current[key].year != year:
                del current[key]
    for entry in entries:
        if entry.key in current and current[entry.key].year != year:
            entry.overrides = current[entry.key]
        current[entry.key] = entry


def _remove(resolved: Resolved, removals: list) -> None:
    """Drop inherited entries named under `vervallen`; an unknown name is an error."""
    known = {e.key for e in resolved.all_entries() if e.key is not None}
    for key, where in removals:
        if key not in known:
            resolved.errors.append(where.error(f"vervallen: {key!r} komt niet voor in de basis"
                                               f"{suggestion(key, sorted(known))}"))
            continue
        for section, entries in resolved.lists.items():
            resolved.lists[section] = [e for e in entries if e.key != key]
        for entries in resolved.mappings.values():
            entries.pop(key, None)


def _extend_cases(resolved: Resolved, extra: dict) -> None:
    """Give every test case inherited from a tests file the extra vakken that the year's file
    with the same name lists under `testgevallen_aanvullen`."""
    for entry in resolved.lists.get("testgevallen", []):
        vakken = extra.get(entry.relpath)
        if not vakken:
            continue
        case = yamlsource.Mapping(entry.value)
        case.where, case.key_where, case.value_where = entry.value.where, entry.value.key_where, entry.value.value_where
        extended = yamlsource.Sequence(list(case["vakken"]) + list(vakken))
        extended.where = case["vakken"].where
        extended.item_where = list(case["vakken"].item_where) + [v.where for v in vakken]
        case["vakken"] = extended
        entry.value = case


def _expand_case(entry: Entry, fixtures: dict, resolved: Resolved) -> None:
    """A case with `zoals: NAAM` starts from the shared candidate NAAM (section `kandidaten`): its own
    opleidingscode replaces the candidate's, its `kandidaat` keys are laid over the candidate's,
    `vakken_wijzig: {vakcode: {kolom: waarde}}` changes rows, `vakken_weg` removes rows and
    `vakken_erbij` adds them. The result is a plain case, as if written out in full."""
    case = entry.value
    if not isinstance(case, dict) or "zoals" not in case:
        return
    name = str(case["zoals"])
    if name not in fixtures:
        resolved.errors.append(case.value_where["zoals"].error(
            f"zoals: kandidaat {name!r} bestaat niet{suggestion(name, sorted(fixtures))}"))
        resolved.failed.add(entry.key)
        return
    base = fixtures[name].value
    out = _mapping([(k, v, case.value_where[k]) for k, v in case.items()
                    if k not in ("zoals", "vakken_wijzig", "vakken_weg", "vakken_erbij", "kandidaat")], case)
    out.setdefault("opleidingscode", base["opleidingscode"])
    out.value_where.setdefault("opleidingscode", base.value_where["opleidingscode"])
    if "kandidaat" in base or "kandidaat" in case:
        merged = [(k, v, m.value_where[k]) for m in (base.get("kandidaat"), case.get("kandidaat")) if m
                  for k, v in m.items()]
        out["kandidaat"] = _mapping(merged, case.get("kandidaat") or base["kandidaat"])
        out.value_where["kandidaat"] = (case if "kandidaat" in case else base).value_where["kandidaat"]
    if "vakken" not in case:
        rows, wheres = _changed_rows(case, base, resolved)
        out["vakken"] = yamlsource.Sequence(rows)
        out["vakken"].where, out["vakken"].item_where = base["vakken"].where, wheres
        out.value_where["vakken"] = base.value_where["vakken"]
    entry.value = out


def _mapping(items, like) -> yamlsource.Mapping:
    """A Mapping of (key, value, where) triples; later keys win. Positions come from `like`."""
    out = yamlsource.Mapping()
    out.where, out.key_where, out.value_where = like.where, {}, {}
    out.end_line = getattr(like, "end_line", like.where.line)
    for key, value, where in items:
        out[key] = value
        out.key_where[key] = out.value_where[key] = where
    return out


def _changed_rows(case, base, resolved):
    wijzig = case.get("vakken_wijzig") or {}
    weg = {str(code) for code in case.get("vakken_weg") or ()}
    rows, wheres, seen = [], [], set()
    for row, where in zip(base["vakken"], base["vakken"].item_where):
        code = str(row.get("vakcode"))
        if code in weg:
            seen.add(code)
            continue
        if code in wijzig:
            seen.add(code)
            change = wijzig[code]
            row = _mapping([(k, v, row.value_where[k]) for k, v in row.items()]
                           + [(k, v, change.value_where[k]) for k, v in change.items()], row)
        rows.append(row)
        wheres.append(where)
    for code in (set(map(str, wijzig)) | weg) - seen:
        where = case.value_where.get("vakken_wijzig" if code in map(str, wijzig) else "vakken_weg", case.where)
        resolved.errors.append(where.error(f"vakcode {code} staat niet bij kandidaat {case['zoals']!r}"))
    extra = case.get("vakken_erbij") or []
    rows.extend(extra)
    wheres.extend(getattr(extra, "item_where", [case.where] * len(extra)))
    return rows, wheres


class _Filler:
    """Fill {schooljaar}/{examenjaar} into every text of a parsed file (positions kept)."""

    def __init__(self, schooljaar: str, examenjaar: int):
        self.schooljaar, self.examenjaar = schooljaar, examenjaar

    def __call__(self, node, key=None):
        if isinstance(node, yamlsource.Mapping):
            out = yamlsource.Mapping((k, self(v, k)) for k, v in node.items())
            out.where, out.key_where, out.value_where = node.where, node.key_where, node.value_where
            out.end_line = getattr(node, "end_line", node.where.line)
            return out
        if isinstance(node, yamlsource.Sequence):
            out = yamlsource.Sequence(self(v, key) for v in node)
            out.where, out.item_where = node.where, node.item_where
            return out
        if isinstance(node, str) and "{" in node:
            return self.text(node, melding=key == "melding")
        return node

    def text(self, value: str, *, melding: bool):
        def replace(match):
            if match[1] == "schooljaar":
                return self.schooljaar if not match[2] else match[0]
            if melding and not match[2]:
                return match[0]   # the candidate's examenjaar column
            return str(self.examenjaar + int(match[2] or 0))
        filled = PLACEHOLDER.sub(replace, value)
        if filled != value and re.fullmatch(r"\{examenjaar([+-]\d+)?\}(-\d\d-\d\d)?", value):
            return _scalar(filled)
        return filled


def _scalar(text: str):
    """A filled-in value that is a whole year or a date becomes a number or a date."""
    if re.fullmatch(r"\d{4}", text):
        return int(text)
    if re.fullmatch(r"\d{4}-\d\d-\d\d", text):
        try:
            return datetime.date.fromisoformat(text)
        except ValueError:
            return text
    return text
