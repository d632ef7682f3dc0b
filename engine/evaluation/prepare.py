"""Turn normalised results plus the year's code tables into the evaluation context.

Joins the opleiding (leerweg, profiel) onto each exam and the vak attributes (kernvak, CE or not,
…) onto each vak row, keyed by (vakcode, schoolsoort): the same vakcode can mean different
vakken in havo/vwo and vmbo. Generic: no leerweg or year logic lives here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from examenbron.engine.evaluation.frames import Context, Level
from examenbron.engine.evaluation.samenstelling import defaults as samenstelling_defaults
from examenbron.engine.language.symbols import INPUT_COLUMNS, SAMENSTELLING_COLUMNS
from examenbron.engine.language.values import Value, categories_values, from_series, text_codes
from examenbron.engine.vocabulary import LEERWEGEN, SCHOOLSOORT


def sort_vakken(vakken: pd.DataFrame) -> pd.DataFrame:
    """Vak rows grouped per candidate (stable, so file order stays within a candidate); the index
    stays that of `vakken`, so values computed per sorted row can be put back."""
    exam_id = vakken["exam_id"].to_numpy()
    if len(exam_id) < 2 or np.all(exam_id[1:] >= exam_id[:-1]):
        return vakken  # already grouped, as school systems write them
    order = np.argsort(exam_id, kind="stable")
    return vakken.iloc[order]


def _lookup(table: pd.DataFrame, key: str, values: np.ndarray) -> np.ndarray:
    """Row position in `table` for each value (-1 when absent), via the distinct values only."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    positions = pd.Index(table[key]).get_indexer(uniques)
    return np.append(positions, -1)[codes]


def _column(table: pd.DataFrame, name: str, positions: np.ndarray, kind: str) -> Value:
    """Take a code-table column by position; absent rows and empty cells are null."""
    source = np.append(table[name].to_numpy(dtype=object), None)  # position -1 picks the None
    empty = pd.isna(source) | (source == "")
    if kind == "bool":
        return Value("bool", np.where(empty, False, source).astype(bool)[positions], empty[positions])
    codes, categories = pd.factorize(np.where(empty, None, source), use_na_sentinel=True)
    row_codes = codes[positions]
    return Value("str", categories_values(categories)[row_codes], empty[positions], 1, row_codes, categories)


def prepare(results, tables, peildatum, parameters: dict) -> Context:
    """Build the Context of the base scenario (every reported vak counts)."""
    examens, vakken = results.examens, sort_vakken(results.vakken)
    n_exam, n_vak = len(examens), len(vakken)
    k = vakken["exam_id"].to_numpy(dtype="int64")

    kand = {name: from_series(examens[name], kind, den)
            for name, (kind, level, den) in INPUT_COLUMNS.items() if level == "kandidaat"}
    vak = {name: from_series(vakken[name], kind, den, factorize=True)
           for name, (kind, level, den) in INPUT_COLUMNS.items() if level == "vak"}

    opl = tables.opleidingen
    pos = _lookup(opl, "opleidingscode", examens["opleidingscode"].to_numpy(dtype=object))
    for name, column, kind in (("leerweg", "leerweg", "str"), ("profiel", "profiel", "str"),
                               ("lwoo", "lwoo", "bool"), ("examenopleiding", "examen", "bool"),
                               ("opleidingscategorie", "categorie", "str")):
        kand[name] = _column(opl, column, pos, kind)
    kand["opleiding_bekend"] = Value("bool", pos >= 0, False)
    leerweg_codes, leerwegen = text_codes(kand["leerweg"])
    schoolsoort = np.array([SCHOOLSOORT.get(x) for x in leerwegen] + [None], dtype=object)[leerweg_codes]
    kand["schoolsoort"] = Value("str", schoolsoort, pd.isna(schoolsoort))

    vt = tables.vakken_per_leerweg
    leerweg_id = pd.Index(LEERWEGEN).get_indexer(pd.Index(leerwegen, dtype=object))
    leerweg_id = np.append(np.where(leerweg_id < 0, len(LEERWEGEN), leerweg_id), len(LEERWEGEN))[leerweg_codes]
    vak_pos, other_soort = _vak_positions(vt, *text_codes(vak["vakcode"]), leerweg_id[k])
    for name, column, kind in (("vaknaam", "naam", "str"), ("kernvak", "kernvak", "str"),
                               ("heeft_ce", "heeft_ce", "bool"), ("beoordelingswijze", "beoordeling", "str"),
                               ("combinatiecijfer_component", "combinatiecijfer_component", "bool"),
                               ("beroepsgericht", "beroepsgericht", "str")):
        vak[name] = _column(vt, column, vak_pos, kind)
    vak["vak_bekend"] = Value("bool", vak_pos >= 0, False)
    vak["vak_bekend_andere_schoolsoort"] = Value("bool", (vak_pos < 0) & other_soort, False)
    vak["vak_dubbel"] = Value("bool", _duplicated(k, text_codes(vak["vakcode"])[0], np.bincount(k, minlength=n_exam)), False)
    vak["weggelaten"] = Value("bool", np.zeros(n_vak, dtype=bool), False)
    kand["weglaatregel"] = Value("str", np.full(n_exam, "", dtype=object), np.zeros(n_exam, dtype=bool))
    for name, value in samenstelling_defaults(n_exam, n_vak).items():
        (vak if SAMENSTELLING_COLUMNS[name][1] == "vak" else kand)[name] = value

    constants = dict(parameters)
    constants["peildatum"] = peildatum
    constants["codetabel_officieel"] = tables.officieel
    return Context(Level("kandidaat", n_exam, kand), Level("vak", n_vak, vak), k, constants, vakken)


def _vak_positions(per_leerweg: pd.DataFrame, codes: np.ndarray, uniques, leerweg_id: np.ndarray):
    """Row of (vakcode, leerweg) in the vak table, and whether the code exists in the other schoolsoort.

    `codes`, `uniques`: the factorized vakcodes (-1 = empty); `leerweg_id` is the position in
    LEERWEGEN per vak row (len(LEERWEGEN) when unknown).
    """
    codes = np.where(codes < 0, len(uniques), codes)
    grid = np.full((len(uniques) + 1, len(LEERWEGEN) + 1), -1, dtype="int64")
    row = {key: i for i, key in enumerate(zip(per_leerweg["vakcode"], per_leerweg["leerweg"]))}  # unique keys
    for j, lw in enumerate(LEERWEGEN):
        grid[: len(uniques), j] = [row.get((u, lw), -1) for u in uniques]
    soort = np.array([SCHOOLSOORT[lw] for lw in LEERWEGEN] + [None], dtype=object)
    exists_hv = (grid[:, soort == "havo/vwo"] >= 0).any(axis=1)
    exists_vmbo = (grid[:, soort == "vmbo"] >= 0).any(axis=1)
    own = grid[codes, leerweg_id]
    other_exists = np.stack([exists_vmbo, exists_hv, np.zeros_like(exists_hv)], axis=1)
    soort_id = np.array([0 if soort[j] == "havo/vwo" else 1 if soort[j] == "vmbo" else 2
                         for j in range(len(soort))])[leerweg_id]
    return own, other_exists[codes, soort_id]


def _duplicated(k: np.ndarray, codes: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """True for every row whose vakcode (factorized: `codes`, -1 = empty) occurs twice in one exam.

    Rows are grouped per exam, so a duplicate is at most (rows per exam - 1) rows away: compare each
    row with the next 1 … max-1 rows, which is linear for exams of a normal size.
    """
    widest = int(counts.max(initial=0))
    if widest > 64:  # an unusually long exam: hash the (exam, vakcode) pairs instead
        key = k.astype("int64") * (codes.max(initial=0) + 2) + codes
        return pd.Series(key).duplicated(keep=False).to_numpy() & (codes >= 0)
    duplicate = np.zeros(len(codes), dtype=bool)
    for distance in range(1, widest):
        same = (k[distance:] == k[:-distance]) & (codes[distance:] == codes[:-distance]) & (codes[distance:] >= 0)
        duplicate[distance:] |= same
        duplicate[:-distance] |= same
    return duplicate
