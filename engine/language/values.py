"""The value domain of the rule language: a column of exact values with a null mask.

A `Value` is a numpy array (or a scalar, broadcast) plus a null mask. Numbers are exact rationals:
an integer numerator array over a denominator. Grades are tenths, so `5.5` is 55/10 and
a mean compared with 5.5 compares `sum * 10 >= 55 * count` in integers; no grade ever passes through
a float. Text keeps its factorization (`codes`, `categories`) so tests run per distinct value.

Every evaluator reads and returns Values; the function kernels of engine.language.functions are
written over them.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pandas as pd


@dataclass
class Value:
    """A column of values: `val` (array or scalar) with a `null` mask; numbers are val / den.

    Never changed after it is made, except for one memo: the factorization of text (`codes`,
    `categories`), filled in by `text_codes` the first time the column is compared.
    """

    kind: str
    val: object
    null: object
    den: object = 1
    codes: object = None        # text only: per-row position in `categories` (-1 = empty), made on demand
    categories: object = None

    def take(self, index: np.ndarray) -> "Value":
        """The values at rows `index`: candidate values spread over vak rows, or a subset of rows.

        Text keeps its factorization; one is made first only when the result has more rows than
        the source (spreading), not to pick a subset of unfactorized text (such as BSNs).
        """
        pick = (lambda a: a[index] if isinstance(a, np.ndarray) and a.ndim else a)
        if self.kind == "str" and isinstance(self.val, np.ndarray) \
                and (self.codes is not None or len(index) > len(self.val)):
            codes, categories = text_codes(self)
            row_codes = codes[index]
            return Value("str", categories_values(categories)[row_codes], pick(self.null), 1, row_codes, categories)
        return Value(self.kind, pick(self.val), pick(self.null), pick(self.den))

    def true(self):
        if known(self):
            return self.val  # shared: Values are never changed
        return np.logical_and(self.val, np.logical_not(self.null))

    def false(self):
        if known(self):
            return np.logical_not(self.val)
        return np.logical_and(np.logical_not(self.val), np.logical_not(self.null))


def either_null(x, y):
    """Row-wise or of two null masks; a scalar mask that marks nothing passes the other through."""
    if not isinstance(y, np.ndarray) and not y:
        return x
    if not isinstance(x, np.ndarray) and not x:
        return y
    return np.logical_or(x, y)


def known(value: Value) -> bool:
    """The Value is a boolean array without an empty row (then true() is just its values)."""
    return _boolean_array(value.val) and not _any(value.null)


def _boolean_array(val) -> bool:
    return isinstance(val, np.ndarray) and val.dtype == bool and val.ndim == 1


def _any(mask) -> bool:
    """Whether a null mask (array or scalar) marks any row."""
    return bool(mask.any()) if isinstance(mask, np.ndarray) else bool(mask)


def text_codes(value: Value):
    """(codes, categories) of a text column, factorized once: text tests then run per distinct value."""
    if value.codes is None:
        value.codes, value.categories = pd.factorize(value.val, use_na_sentinel=True)
    return value.codes, value.categories


def categories_values(categories) -> np.ndarray:
    """The categories as an object array with a trailing None, so code -1 picks None."""
    return np.append(np.asarray(categories, dtype=object), None)


def per_category(value: Value, verdicts: np.ndarray) -> np.ndarray:
    """Spread a boolean per category over the rows (empty rows get False)."""
    codes, _ = text_codes(value)
    verdicts = np.asarray(verdicts, dtype=bool)
    hits = np.flatnonzero(verdicts)
    if len(hits) == 0:
        return np.zeros(len(codes), dtype=bool)
    if len(hits) == 1:  # one matching value (`vak == "NE"`): a comparison is cheaper than a gather
        return codes == hits[0]
    return np.append(verdicts, False)[codes]


def from_series(series: pd.Series, kind: str, den: int = 1, *, factorize: bool = False) -> Value:
    """Turn a normalised frame column into a Value (tenths stay integers).

    Text is factorized when first compared, or here with `factorize` (vak-level codes that rules
    always compare: the factorization then also gives the null mask).
    """
    if kind == "str" and factorize:
        codes, categories = pd.factorize(series.to_numpy(dtype=object), use_na_sentinel=True)
        return Value("str", series.to_numpy(dtype=object), codes < 0, 1, codes, categories)
    null = series.isna().to_numpy()
    if kind == "str":
        return Value("str", series.to_numpy(dtype=object), null)
    if kind == "num":
        return Value("num", series.to_numpy(dtype="int64", na_value=0), null, den)
    if kind == "bool":
        return Value("bool", series.to_numpy(dtype=bool, na_value=False), null)
    if kind == "date":
        days = series.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]").astype("int64")
        return Value("date", np.where(null, 0, days), null)
    raise ValueError(f"unknown kind {kind!r}")


def to_series(value: Value, n: int) -> pd.Series:
    """Turn a Value back into a pandas column (numbers: Int64 numerators when den is fixed)."""
    val, null = np.broadcast_to(value.val, n), np.broadcast_to(value.null, n)
    if value.kind == "num":
        den = np.broadcast_to(value.den, n)
        if np.ndim(value.den) == 0:
            return pd.Series(pd.arrays.IntegerArray(np.array(val, dtype="int64"), np.array(null)))
        return pd.Series([None if z else Fraction(int(a), int(d)) for a, d, z in zip(val, den, null)],
                         dtype=object)
    if value.kind == "bool":
        return pd.Series(pd.arrays.BooleanArray(np.array(val, dtype=bool), np.array(null)))
    if value.kind == "date":
        dates = np.array(val, dtype="int64").astype("datetime64[D]").astype("datetime64[ns]")
        return pd.Series(np.where(null, np.datetime64("NaT"), dates))
    out = np.array(val, dtype=object)
    out[np.array(null)] = None
    return pd.Series(out)


def constant(value) -> Value:
    """A parameter or literal as a scalar Value."""
    if isinstance(value, bool):
        return Value("bool", value, False)
    if isinstance(value, (int, Fraction)):
        value = Fraction(value)
        return Value("num", value.numerator, False, value.denominator)
    if isinstance(value, (list, tuple)):
        return Value("list", list(value), False)
    if hasattr(value, "toordinal"):
        return Value("date", int(np.datetime64(value, "D").astype("int64")), False)
    return Value("str", value, False)


def cross(a: Value, b: Value):
    """Numerators scaled to a common denominator, for exact comparison."""
    if np.ndim(a.den) == 0 and np.ndim(b.den) == 0 and a.den == b.den:
        return a.val, b.val
    return np.multiply(a.val, b.den), np.multiply(b.val, a.den)


def fixed(den):
    """Collapse a denominator array that is the same everywhere into a scalar."""
    if np.ndim(den) and den.size and np.all(den == den.flat[0]):
        return int(den.flat[0])
    return den


def half_up(num, den, scale):
    """round(num/den) half up to multiples of 1/scale, as numerator over `scale`."""
    return np.floor_divide(np.multiply(num, 2 * scale) + den, np.multiply(den, 2))


def pick(choose_first, a: Value, b: Value) -> Value:
    """Row-wise choice between two Values of the same kind (numbers on a common denominator)."""
    if b.val is a.val and isinstance(a.val, np.ndarray) and np.ndim(choose_first) \
            and (a.kind != "num" or (np.ndim(a.den) == 0 and np.ndim(b.den) == 0 and a.den == b.den)):
        return Value(a.kind, a.val, np.where(choose_first, a.null, b.null), a.den, a.codes, a.categories)  # `if(c, x)`
    if np.ndim(choose_first) and len(choose_first) and (np.ndim(a.den) == 0 and np.ndim(b.den) == 0
                                                        and a.den == b.den or a.kind != "num"):
        if choose_first.all():
            return a
        if not choose_first.any():
            return b
    if a.kind == "str" and np.ndim(choose_first):
        merged = _merged_codes(a, b)
        if merged is not None:  # keep the factorization: later text tests stay per distinct value
            codes, categories = np.where(choose_first, merged[0], merged[1]), merged[2]
            return Value("str", categories_values(categories)[codes], np.where(choose_first, a.null, b.null), 1,
                         codes, categories)
    if a.kind == "num" and np.ndim(a.den) == 0 and np.ndim(b.den) == 0 and a.den != b.den:
        common = int(np.lcm(a.den, b.den))
        a = Value("num", np.multiply(a.val, common // a.den), a.null, common)
        b = Value("num", np.multiply(b.val, common // b.den), b.null, common)
    den = a.den if (np.ndim(a.den) == 0 and np.ndim(b.den) == 0 and a.den == b.den) \
        else np.where(choose_first, a.den, b.den)
    return Value(a.kind, np.where(choose_first, a.val, b.val), np.where(choose_first, a.null, b.null),
                 fixed(den) if np.ndim(den) else den)


def _merged_codes(a: Value, b: Value):
    """Codes of two factorized texts (or one and a text constant) over one list of categories."""
    if a.codes is None or not (b.codes is not None or (isinstance(b.val, str) and not _any(b.null))):
        return None
    if b.codes is None:
        extra = [b.val]
        b_codes = None
    else:
        extra, b_codes = list(b.categories), b.codes
    index = pd.Index(a.categories, dtype=object)
    position = index.get_indexer(pd.Index(extra, dtype=object))
    new = [x for x, p in zip(extra, position) if p < 0]
    position[position < 0] = len(index) + np.arange(len(new))
    categories = np.append(np.asarray(a.categories, dtype=object), np.array(new, dtype=object))
    b_codes = position[0] if b_codes is None else np.append(position, -1)[b_codes]
    return a.codes, b_codes, categories
