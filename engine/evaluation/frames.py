"""The frames every evaluator is given: candidate rows and vak rows with their named Values.

A `Context` is not changed after it is built: a step that computes values returns them, and the
pipeline makes the next context with `with_values` (which shares every array with the old one).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from examenbron.engine.language.functions import Groups
from examenbron.engine.inputs.columns import PERSONAL_COLUMNS
from examenbron.engine.language.values import Value, constant, per_category, text_codes


class Level:
    """The rows of one level (vak or kandidaat) with their named Values."""

    def __init__(self, name: str, n: int, values: dict[str, Value]):
        self.name, self.n, self.values = name, n, values


class Context:
    """Candidate level + vak level; vak rows must be sorted by candidate (`k`).

    `constants` are the rule set's parameters plus the peildatum; `vakken_frame` the sorted vak rows
    (source rows, vakcodes) that bevindingen point at.
    """

    def __init__(self, kandidaat: Level, vak: Level, k: np.ndarray, constants: dict, vakken_frame=None,
                 *, personal: frozenset = PERSONAL_COLUMNS, _masks=None, _rows=None, _memo=None):
        self.kandidaat, self.vak, self.k, self.constants = kandidaat, vak, k, constants
        self.vakken_frame = vakken_frame
        self.personal = personal  # names whose values are personal numbers (masked in every text)
        if _rows is None:  # a copy with the same rows (`with_values`) shares them instead
            if len(k) > 1 and np.any(k[1:] < k[:-1]):
                raise ValueError("vak rows must be sorted by candidate")
            counts = np.bincount(k, minlength=kandidaat.n).astype("int64")
            _rows = counts, np.concatenate(([0], np.cumsum(counts)[:-1])).astype("int64")
        self.counts, self.starts = _rows
        # Memo of leerweg masks: local to these rows, shared by `with_values` copies (same rows, same leerweg).
        self._masks = {} if _masks is None else _masks
        # Memo of evaluated conditions while afleidingen are made (`with_memo`); None: no memo.
        self._memo = _memo

    @property
    def groups(self) -> Groups:
        return Groups(self.k, self.starts, self.counts, self.kandidaat.n)

    def level(self, name: str) -> Level:
        return self.vak if name == "vak" else self.kandidaat

    def with_values(self, kandidaat: dict | None = None, vak: dict | None = None) -> "Context":
        """A context with the same rows plus (or replacing) the given values."""
        return Context(Level("kandidaat", self.kandidaat.n, {**self.kandidaat.values, **(kandidaat or {})}),
                       Level("vak", self.vak.n, {**self.vak.values, **(vak or {})}),
                       self.k, self.constants, self.vakken_frame, personal=self.personal, _masks=self._masks,
                       _rows=(self.counts, self.starts), _memo=self._memo)

    def with_memo(self) -> "Context":
        """The same context with an empty memo of evaluated conditions, shared by its `with_values`
        copies (an entry records the values it read, so a replaced value is never served stale)."""
        return Context(self.kandidaat, self.vak, self.k, self.constants, self.vakken_frame,
                       personal=self.personal, _masks=self._masks, _rows=(self.counts, self.starts), _memo={})

    def with_personal(self, afleidingen) -> "Context":
        """The same context, with every afleiding that reads a personal number (directly or through
        another afleiding) marked personal: masked wherever shown (data lineage, not placeholder names)."""
        personal = set(self.personal)
        for afleiding in afleidingen:  # in dependency order
            if any(node.names() & personal for _, node, _ in afleiding.variants):
                personal.add(afleiding.naam)
        return Context(self.kandidaat, self.vak, self.k, self.constants, self.vakken_frame,
                       personal=frozenset(personal), _masks=self._masks, _rows=(self.counts, self.starts))

    def source(self, name: str, level: str):
        """What `lookup` reads for `name` at `level` (a parameter, or the Value before spreading)."""
        if name in self.constants:
            return self.constants[name]
        return self.level(level).values.get(name, self.kandidaat.values.get(name))

    def lookup(self, name: str, level: str) -> Value:
        if name in self.constants:
            return constant(self.constants[name])
        if name in self.level(level).values:
            return self.level(level).values[name]
        if level == "vak" and name in self.kandidaat.values:
            return self.kandidaat.values[name].take(self.k)
        raise KeyError(name)

    def leerweg_mask(self, leerwegen, level: str) -> np.ndarray:
        """True for rows whose candidate follows one of `leerwegen`."""
        key = (tuple(leerwegen), level)
        if key not in self._masks:
            leerweg = self.kandidaat.values["leerweg"]  # a handful of distinct leerwegen: test each once
            mask = per_category(leerweg, pd.Index(text_codes(leerweg)[1], dtype=object).isin(list(leerwegen)))
            self._masks[key] = mask[self.k] if level == "vak" else mask
        return self._masks[key]

    def in_scope(self, rule, level: str) -> np.ndarray:
        """Rows a rule's leerwegen and opleidingen select (its `wanneer` is for the evaluator)."""
        mask = np.ones(self.level(level).n, dtype=bool)
        if rule.leerwegen is not None:
            mask &= self.leerweg_mask(rule.leerwegen, level)
        if rule.opleidingen is not None:
            codes = np.isin(self.kandidaat.values["opleidingscode"].val.astype(str), list(rule.opleidingen))
            mask &= codes[self.k] if level == "vak" else codes
        return mask
