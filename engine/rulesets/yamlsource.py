"""Strict YAML reading that remembers where every value stands (file, line, column).

Safe loading only (libyaml's C loader when present). Duplicate keys, anchors/aliases and any
tag outside YAML's plain types are errors, because PyYAML would otherwise silently keep the last
duplicate or build shared structures that policy staff cannot see.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import yaml

from examenbron.engine.errors import RuleError

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_PLAIN_TAGS = {
    "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null", "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq",
}
_SCALARS = yaml.constructor.SafeConstructor()


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
        raise RuleError(f"cannot read the file: {exc}", file=name) from None
    try:
        node = yaml.compose(text, Loader=Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise RuleError(f"not valid YAML: {problem}", file=name,
                        line=mark.line + 1 if mark else None,
                        column=mark.column + 1 if mark else None) from None
    if node is None:
        raise RuleError("the file is empty", file=name, line=1, column=1)
    return _convert(node, name, set())


def _where(node, name) -> Where:
    style = getattr(node, "style", None)
    return Where(name, node.start_mark.line + 1, node.start_mark.column + 1, style)


def _convert(node, name, seen):
    where = _where(node, name)
    if id(node) in seen:
        raise where.error("anchors and aliases (&name / *name) are not allowed in rule files; "
                          "write the value out")
    seen.add(id(node))
    if node.tag not in _PLAIN_TAGS:
        raise where.error(f"the YAML tag {node.tag!r} is not allowed in rule files")
    if isinstance(node, yaml.MappingNode):
        result = Mapping()
        result.where, result.key_where, result.value_where = where, {}, {}
        end = node.end_mark
        result.end_line = end.line if end.column == 0 else end.line + 1
        for key_node, value_node in node.value:
            key = _convert(key_node, name, seen)
            if not isinstance(key, str):
                raise _where(key_node, name).error(f"a key must be text, not {key!r}")
            if key in result:
                first = result.key_where[key]
                raise _where(key_node, name).error(
                    f"duplicate key {key!r} (first at line {first.line}); YAML would silently keep the last one")
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
            raise where.error(f"{node.value!r} is not a number this tool accepts") from None
    return _SCALARS.construct_object(node)
