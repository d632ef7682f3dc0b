"""Strict YAML reading that remembers where every value stands (file, line, column).

Safe loading only (libyaml's C loader when present). Duplicate keys, anchors/aliases and any
tag outside YAML's plain types are errors, because PyYAML would otherwise silently keep the last
duplicate or build shared structures that policy staff cannot see.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from fractions import Fraction

from examenbron.engine.errors import RuleError, os_reason

_PLAIN_TAGS = {
    "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null", "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq",
}


@functools.cache
def _pyyaml():
    """PyYAML, its loader (libyaml's C loader when present) and a scalar constructor, imported at
    the first parse: a rule set from the cache (engine/cache.py) needs no YAML parser at all."""
    import yaml
    return yaml, getattr(yaml, "CSafeLoader", yaml.SafeLoader), yaml.constructor.SafeConstructor()


# PyYAML's (English) problem texts, libyaml's and the pure-Python parser's, in the words a policy
# officer reads: the first entry whose fragment occurs in the problem wins.
_YAML_PROBLEMS = (
    ("mapping values are not allowed", "hier mag geen ':' staan; zet een tekst met een dubbele punt tussen "
                                       "aanhalingstekens, of controleer de inspringing"),
    ("could not find expected ':'", "na een sleutel ontbreekt ':' (of een aanhalingsteken wordt niet gesloten)"),
    ("tab character", "een tab is geen inspringing; spring in met spaties"),
    ("cannot start any token", "dit teken mag niet aan het begin van een waarde staan; zet de waarde tussen "
                               "aanhalingstekens"),
    ("expected ',' or ']'", "een lijst tussen [ en ] wordt niet goed gesloten: er ontbreekt ',' of ']'"),
    ("expected ',' or '}'", "een opsomming tussen { en } wordt niet goed gesloten: er ontbreekt ',' of '}'"),
    ("expected '-' indicator", "de inspringing klopt niet: een lijst gaat hier verder zonder '- '"),
    ("expected key", "de inspringing klopt niet: deze regel springt anders in dan de sleutels erboven"),
    ("expected <block end>", "de inspringing klopt niet: deze regel springt anders in dan de regels erboven"),
    ("unexpected end of stream", "het bestand houdt op midden in een tekst: een aanhalingsteken wordt niet gesloten"),
    ("unknown escape character", "onbekende code na een \\ in een tekst tussen dubbele aanhalingstekens; "
                                 "gebruik enkele aanhalingstekens of schrijf \\\\"),
    ("undefined alias", "ankers en verwijzingen (&naam / *naam) zijn niet toegestaan in regelbestanden; "
                        "schrijf de waarde uit"),
    ("another document", "een regelbestand bevat één YAML-document; haal de tweede '---' weg"),
    ("characters are not allowed", "het bestand bevat een teken dat niet is toegestaan (een stuurteken)"),
)


@dataclass(frozen=True)
class Where:
    """A position in a rule file; `column` is 1-based, `style` the scalar's quoting."""

    file: str
    line: int
    column: int
    style: str | None = None

    def error(self, message: str, offset: int = 0) -> RuleError:
        """An error at this position, `offset` characters into a single-line scalar."""
        line, column = self.line, self.column + offset
        if self.style in ('"', "'"):
            column += 1
        elif self.style in ("|", ">"):
            line, column = line + 1, offset + 1
        return RuleError(message, file=self.file, line=line, column=column)


class Mapping(dict):
    """A dict that knows the position of itself and of each key and value."""

    where: Where
    key_where: dict
    value_where: dict
    end_line: int            # the last line the mapping spans


class Sequence(list):
    """A list that knows the position of itself and of each item."""

    where: Where
    item_where: list


def load(path, display_name: str | None = None):
    """Read one YAML file into Mapping/Sequence/scalars with positions; raise RuleError."""
    name = display_name or str(path)
    try:
        text = open(path, encoding="utf-8").read()
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleError(f"het bestand kan niet worden gelezen ({os_reason(exc)})", file=name) from None
    yaml, loader, _ = _pyyaml()
    try:
        node = yaml.compose(text, Loader=loader)
    except yaml.YAMLError as exc:
        line, column = _yaml_position(exc, text)
        raise RuleError(f"geen geldige YAML: {_yaml_problem(exc, text)}", file=name, line=line, column=column) from None
    if node is None:
        raise RuleError("het bestand is leeg", file=name, line=1, column=1)
    return _convert(node, name, set())


def _yaml_problem(exc, text: str) -> str:
    """PyYAML's problem in Dutch (a general hint for a problem not in the table)."""
    problem = getattr(exc, "problem", None) or getattr(exc, "reason", None) or str(exc)
    mark = getattr(exc, "problem_mark", None)
    if mark is not None and text[mark.index:mark.index + 1] == "\t":
        problem = "tab character"
    for fragment, dutch in _YAML_PROBLEMS:
        if fragment in problem:
            return dutch
    return "de opbouw klopt hier niet; controleer de inspringing, de dubbele punten en de aanhalingstekens"


def _yaml_position(exc, text: str) -> tuple:
    """(line, column), 1-based, of a YAML error; a reader error gives only an offset into the text."""
    mark = getattr(exc, "problem_mark", None)
    if mark is not None:
        return mark.line + 1, mark.column + 1
    position = getattr(exc, "position", None)
    if isinstance(position, int):
        before = text[:position]
        return before.count("\n") + 1, position - (before.rfind("\n") + 1) + 1
    return None, None


def _where(node, name) -> Where:
    style = getattr(node, "style", None)
    return Where(name, node.start_mark.line + 1, node.start_mark.column + 1, style)


def _convert(node, name, seen):
    yaml, _, scalars = _pyyaml()
    where = _where(node, name)
    if id(node) in seen:
        raise where.error("ankers en verwijzingen (&naam / *naam) zijn niet toegestaan in regelbestanden; "
                          "schrijf de waarde uit")
    seen.add(id(node))
    if node.tag not in _PLAIN_TAGS:
        raise where.error(f"de YAML-tag {node.tag!r} is niet toegestaan in regelbestanden")
    if isinstance(node, yaml.MappingNode):
        result = Mapping()
        result.where, result.key_where, result.value_where = where, {}, {}
        end = node.end_mark
        result.end_line = end.line if end.column == 0 else end.line + 1
        for key_node, value_node in node.value:
            key = _convert(key_node, name, seen)
            if not isinstance(key, str):
                raise _where(key_node, name).error(f"een sleutel moet tekst zijn, niet {key!r}")
            if key in result:
                first = result.key_where[key]
                raise _where(key_node, name).error(
                    f"de sleutel {key!r} staat er twee keer (eerst op regel {first.line}); YAML zou stilzwijgend "
                    "alleen de laatste houden")
            result[key] = _convert(value_node, name, seen)
            result.key_where[key] = _where(key_node, name)
            result.value_where[key] = _where(value_node, name)
        return result
    if isinstance(node, yaml.SequenceNode):
        result = Sequence(_convert(item, name, seen) for item in node.value)
        result.where, result.item_where = where, [_where(item, name) for item in node.value]
        return result
    if node.tag == "tag:yaml.org,2002:float":
        try:
            return Fraction(node.value.replace("_", ""))
        except ValueError:
            raise where.error(f"{node.value!r} is geen getal dat examenbron kan lezen; schrijf bijvoorbeeld 5.5") from None
    return scalars.construct_object(node)
