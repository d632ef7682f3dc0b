"""Turn normalised results plus the year's code tables into the evaluation context.

Joins the opleiding (leerweg, profiel) onto each exam and the vak attributes (kernvak, CE or not,
…) onto each vak row, keyed by (vakcode, schoolsoort): the same vakcode can mean different
vakken in havo/vwo and vmbo. Generic: no leerweg or year logic lives here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.evaluate import Context, Level, Value, from_series
from engine.symbols import INPUT_COLUMNS, LEERWEGEN

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

    vt = tables.vakken_per_leerweg
    vak_pos, other_soort = _vak_positions(vt, vakken["vakcode"].to_numpy(dtype=object), leerweg.astype(object)[k])
    for name, column, kind in (("vaknaam", "naam", "str"), ("kernvak", "kernvak", "str"),
                               ("heeft_ce", "heeft_ce", "bool"), ("beoordelingswijze", "beoordeling", "str"),
                               ("combinatiecijfer_component", "combinatiecijfer_component", "bool"),
                               ("beroepsgericht", "beroepsgericht", "str")):
        vak[name] = _column(vt, column, vak_pos, kind)
    vak["vak_bekend"] = Value("bool", vak_pos >= 0, False)
    vak["vak_bekend_andere_schoolsoort"] = Value("bool", (vak_pos < 0) & other_soort, False)
    vak["vak_dubbel"] = Value("bool", _duplicated(k, vakken["vakcode"].to_numpy(dtype=object)), False)
    vak["weggelaten"] = Value("bool", np.zeros(n_vak, dtype=bool), False)
    kand["weglaatregel"] = Value("str", np.full(n_exam, "", dtype=object), np.zeros(n_exam, dtype=bool))

    constants = dict(parameters)
    constants["peildatum"] = peildatum
    ctx = Context(Level("kandidaat", n_exam, kand), Level("vak", n_vak, vak), k, constants)
    ctx.vakken_frame = vakken
    return ctx


def _vak_positions(per_leerweg: pd.DataFrame, vakcodes: np.ndarray, leerweg: np.ndarray):
    """Row of (vakcode, leerweg) in the vak table, and whether the code exists in the other schoolsoort."""
    codes, uniques = pd.factorize(vakcodes, use_na_sentinel=True)
    codes = np.where(codes < 0, len(uniques), codes)
    leerweg_id = np.select([leerweg == lw for lw in LEERWEGEN], range(len(LEERWEGEN)), default=len(LEERWEGEN)) \
        if len(leerweg) else np.zeros(0, dtype=int)
    grid = np.full((len(uniques) + 1, len(LEERWEGEN) + 1), -1, dtype="int64")
    index = pd.Index(list(zip(per_leerweg["vakcode"], per_leerweg["leerweg"])))
    for j, lw in enumerate(LEERWEGEN):
        if len(uniques):
            grid[: len(uniques), j] = index.get_indexer(pd.Index([(u, lw) for u in uniques]))
    soort = np.array([SCHOOLSOORT[lw] for lw in LEERWEGEN] + [None], dtype=object)
    exists_hv = (grid[:, soort == "havo/vwo"] >= 0).any(axis=1)
    exists_vmbo = (grid[:, soort == "vmbo"] >= 0).any(axis=1)
    own = grid[codes, leerweg_id]
    row_soort = soort[leerweg_id]
    other = np.where(row_soort == "havo/vwo", exists_vmbo[codes], np.where(row_soort == "vmbo", exists_hv[codes], False))
    return own, other.astype(bool)


def _duplicated(k: np.ndarray, vakcodes: np.ndarray) -> np.ndarray:
    """True for every row whose vakcode occurs more than once in the same exam."""
    codes, _ = pd.factorize(vakcodes, use_na_sentinel=True)
    key = k.astype("int64") * (codes.max(initial=0) + 2) + codes
    return pd.Series(key).duplicated(keep=False).to_numpy() & (codes >= 0)

