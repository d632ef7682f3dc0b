"""Turn normalised results plus the year's code tables into the evaluation context.

Joins the opleiding (leerweg, profiel) onto each exam and the vak attributes (kernvak, CE or not,
…) onto each vak row, keyed by (vakcode, schoolsoort): the same vakcode can mean different
vakken in havo/vwo and vmbo. Generic: no leerweg or year logic lives here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.evaluate import Context, Level, Value, from_series
from engine.symbols import INPUT_COLUMNS

SCHOOLSOORT = {"VWO": "havo/vwo", "HAVO": "havo/vwo", "VMBO-TL": "vmbo", "VMBO-GL": "vmbo",
               "VMBO-KB": "vmbo", "VMBO-BB": "vmbo"}


def sort_vakken(vakken: pd.DataFrame) -> pd.DataFrame:
    """Vak rows grouped per candidate (stable, so file order stays within a candidate)."""
    order = np.argsort(vakken["exam_id"].to_numpy(), kind="stable")
    return vakken.iloc[order].reset_index(drop=True)


def _lookup(table: pd.DataFrame, key: str, values: np.ndarray) -> np.ndarray:
    """Row position in `table` for each value (-1 when absent), via the distinct values only."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    positions = pd.Index(table[key]).get_indexer(uniques)
    return np.append(positions, -1)[codes]


def _column(table: pd.DataFrame, name: str, positions: np.ndarray, kind: str) -> Value:
    """Take a code-table column by position; absent rows are null."""
    null = positions < 0
    source = table[name].to_numpy()
    picked = source[np.where(null, 0, positions)] if len(source) else np.full(len(positions), None, object)
    if kind == "bool":
        return Value("bool", np.where(null, False, picked.astype(bool)), null)
    picked = picked.astype(object)
    picked[null] = None
    empty = pd.isna(picked) | (picked == "")
    return Value("str", picked, null | empty)


def prepare(results, tables, peildatum, parameters: dict) -> Context:
    """Build the Context of the base scenario (every reported vak counts)."""
    examens, vakken = results.examens, sort_vakken(results.vakken)
    n_exam, n_vak = len(examens), len(vakken)
    k = vakken["exam_id"].to_numpy(dtype="int64")

    kand = {name: from_series(examens[name], kind, den)
            for name, (kind, level, den) in INPUT_COLUMNS.items() if level == "kandidaat"}
    vak = {name: from_series(vakken[name], kind, den)
           for name, (kind, level, den) in INPUT_COLUMNS.items() if level == "vak"}

    opl = tables.opleidingen
    pos = _lookup(opl, "opleidingscode", examens["opleidingscode"].to_numpy(dtype=object))
    for name, column, kind in (("leerweg", "leerweg", "str"), ("profiel", "profiel", "str"),
                               ("lwoo", "lwoo", "bool"), ("examenopleiding", "examen", "bool")):
        kand[name] = _column(opl, column, pos, kind)
    kand["opleiding_bekend"] = Value("bool", pos >= 0, False)
    leerweg = kand["leerweg"].val
    schoolsoort = np.array([SCHOOLSOORT.get(x) for x in leerweg], dtype=object) if n_exam else np.array([], object)
    kand["schoolsoort"] = Value("str", schoolsoort, pd.isna(schoolsoort))

    vak_pos, other_pos = _vak_positions(tables.vakken, vakken["vakcode"].to_numpy(dtype=object), schoolsoort[k])
    vt = tables.vakken
    for name, column, kind in (("vaknaam", "naam", "str"), ("kernvak", "kernvak", "str"),
                               ("heeft_ce", "heeft_ce", "bool"), ("beoordelingswijze", "beoordeling", "str"),
                               ("combinatiecijfer_component", "combinatiecijfer_component", "bool"),
                               ("beroepsgericht", "beroepsgericht", "str")):
        vak[name] = _column(vt, column, vak_pos, kind)
    vak["vak_bekend"] = Value("bool", vak_pos >= 0, False)
    vak["vak_bekend_andere_schoolsoort"] = Value("bool", (vak_pos < 0) & (other_pos >= 0), False)
    vak["vak_dubbel"] = Value("bool", _duplicated(k, vakken["vakcode"].to_numpy(dtype=object)), False)
    vak["weggelaten"] = Value("bool", np.zeros(n_vak, dtype=bool), False)
    kand["weglaatregel"] = Value("str", np.full(n_exam, "", dtype=object), np.zeros(n_exam, dtype=bool))

    constants = dict(parameters)
    constants["peildatum"] = peildatum
    ctx = Context(Level("kandidaat", n_exam, kand), Level("vak", n_vak, vak), k, constants)
    ctx.vakken_frame = vakken
    return ctx


def _vak_positions(table: pd.DataFrame, vakcodes: np.ndarray, schoolsoort: np.ndarray):
    """Row of (vakcode, schoolsoort) in the vak table, and of the same code in the other schoolsoort."""
    soorten = ["havo/vwo", "vmbo"]
    codes, uniques = pd.factorize(vakcodes, use_na_sentinel=True)
    soort_id = np.select([schoolsoort == s for s in soorten], [0, 1], default=2) if len(schoolsoort) else \
        np.zeros(0, dtype=int)
    grid = np.full((len(uniques) + 1, 3), -1, dtype="int64")
    index = pd.Index(list(zip(table["vakcode"], table["schoolsoort"])))
    for s, soort in enumerate(soorten):
        keys = pd.Index([(u, soort) for u in uniques])
        grid[: len(uniques), s] = index.get_indexer(keys) if len(keys) else []
    codes = np.where(codes < 0, len(uniques), codes)
    own = grid[codes, soort_id]
    other = np.where(soort_id == 0, grid[codes, 1], np.where(soort_id == 1, grid[codes, 0], -1))
    return own, other


def _duplicated(k: np.ndarray, vakcodes: np.ndarray) -> np.ndarray:
    """True for every row whose vakcode occurs more than once in the same exam."""
    codes, _ = pd.factorize(vakcodes, use_na_sentinel=True)
    key = k.astype("int64") * (codes.max(initial=0) + 2) + codes
    return pd.Series(key).duplicated(keep=False).to_numpy() & (codes >= 0)

