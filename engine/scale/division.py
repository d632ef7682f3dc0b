"""Dividing a results file's rows over processes by school (engine.scale.parallel).

Rows are grouped by the identity normalise gives a BRIN (stripped, upper case), so two spellings of
one BRIN, which normalise takes as one school, never end up in different processes. Either a table
read whole is split into parts of about equal size (`split_by_brin`), or the processes that each
read a byte range of the file exchange rows (`schools`, `counts`, `owners`, `exchange`, `merged`).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from examenbron.engine.inputs.normalise import _identity, _parse


def split_by_brin(raw, brin_position: int, parts: int) -> list:
    """``raw`` as at most ``parts`` RawTables of whole BRINs with about equal numbers of rows, each in
    file order with its original row numbers; BRINs go to parts in order of first appearance.

    BRINs are grouped by the identity normalise gives them (stripped, upper case), so two spellings
    of one BRIN, which normalise takes as one school, never end up in different parts.
    """
    cells = raw.columns[brin_position]
    parsed = _parse("brin", cells.categories)
    school = pd.factorize(_identity(parsed, np.arange(len(cells.categories))))[0][np.asarray(cells.codes)]
    school = pd.factorize(school)[0]  # numbered in order of first appearance
    sizes = np.bincount(school)
    middle = np.cumsum(sizes) - sizes / 2  # a school goes to the part its middle row falls in
    part_of_row = np.minimum(middle * parts // len(school), parts - 1).astype(np.int64)[school]
    tables = []
    for number in np.unique(part_of_row):
        tables.append(take_rows(raw, np.flatnonzero(part_of_row == number)))
    return tables or [raw]


def schools(raw, brin_position: int) -> tuple[np.ndarray, list]:
    """Per row of ``raw`` the index of its BRIN's identity (as normalise identifies a BRIN) and the
    distinct identities."""
    cells = raw.columns[brin_position]
    texts = _identity(_parse("brin", cells.categories), np.arange(len(cells.categories)))
    codes, identities = pd.factorize(texts)
    return codes[np.asarray(cells.codes)], identities.tolist()


def counts(per_row: np.ndarray, identities: list) -> dict:
    """BRIN identity -> its number of rows."""
    return dict(zip(identities, np.bincount(per_row, minlength=len(identities)).tolist()))


def owners(per_range: list) -> dict:
    """BRIN identity -> the range (0 = this process's) holding most of its rows, the first on a tie;
    ``per_range``: the `counts` of every range."""
    best = {}
    for number, per_school in enumerate(per_range):
        for school, rows in per_school.items():
            if rows > best.get(school, (0, 0))[0]:
                best[school] = (rows, number)
    return {school: number for school, (_, number) in best.items()}


def exchange(raw, per_row: np.ndarray, identities: list, offset: int, owner: dict, number: int):
    """The rows of range ``number`` (``raw``, numbered from ``offset``): (those whose BRIN it owns,
    {other range: the rows whose BRIN that range owns, with only the texts they use})."""
    raw = replace(raw, bron_rij=raw.bron_rij + offset)
    destination = np.array([owner[school] for school in identities], dtype=np.int64)[per_row]
    leaving = {other: take_rows(raw, np.flatnonzero(destination == other), compact=True)
               for other in np.unique(destination).tolist() if other != number}
    return (take_rows(raw, np.flatnonzero(destination == number)) if leaving else raw), leaving


def take_rows(raw, index: np.ndarray, compact: bool = False):
    """The rows ``index`` of ``raw``; ``compact``: each column's categories cut to the texts they use."""
    columns = []
    for cells in raw.columns:
        codes, categories = np.asarray(cells.codes)[index], cells.categories
        if compact:
            used = np.zeros(len(categories), dtype=bool)
            used[codes] = True
            codes, categories = (np.cumsum(used) - 1)[codes], categories[used]
        columns.append(pd.Categorical.from_codes(codes, categories, validate=False))
    return replace(raw, bron_rij=raw.bron_rij[index], columns=columns)


def merged(tables: list):
    """One RawTable of the rows of ``tables`` (same headers; each from its own range of the file, so
    the tables in order of their first row are in file order). The first table's categories are kept
    and the others' texts added to them: the tables that arrive are small next to it (compact)."""
    tables = sorted((t for t in tables if len(t.bron_rij)), key=lambda t: t.bron_rij[0]) or tables[:1]
    if len(tables) == 1:
        return tables[0]
    base = max(range(len(tables)), key=lambda i: len(tables[i].bron_rij))   # the kept table, normally
    columns = []
    for cells in zip(*(t.columns for t in tables)):
        categories = cells[base].categories
        codes = [np.asarray(part.codes) for part in cells]
        for i, part in enumerate(cells):
            if i != base:
                at = categories.get_indexer(part.categories)
                new = at < 0
                at[new] = len(categories) + np.arange(new.sum())
                categories = categories.append(part.categories[new])
                codes[i] = at[codes[i]]
        columns.append(pd.Categorical.from_codes(np.concatenate(codes), categories, validate=False))
    return replace(tables[0], columns=columns, bron_rij=np.concatenate([t.bron_rij for t in tables]))
