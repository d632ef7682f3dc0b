"""Values as Dutch text for messages and reports: grades with a decimal comma, masked BSNs."""

from __future__ import annotations

import functools
import re
import string
from fractions import Fraction

import numpy as np

from examenbron.engine.inputs.columns import PERSONAL_COLUMNS, mask_bsn
from examenbron.engine.language.values import Value


@functools.lru_cache(maxsize=4096)  # pure; a report shows the same few grades over and over
def number_text(numerator: int, denominator: int) -> str:
    """An exact number in Dutch notation; more than two decimals are cut off (never rounded up)."""
    value = Fraction(int(numerator), int(denominator))
    if value.denominator == 1:
        return str(value.numerator)
    sign = "-" if value < 0 else ""
    value = abs(value)
    whole = value.numerator // value.denominator
    decimals = 1 if (value * 10).denominator == 1 else 2
    frac = int((value - whole) * 10 ** decimals)
    return f"{sign}{whole},{frac:0{decimals}d}"


def value_texts(value: Value, rows: np.ndarray, name: str = "", *, mask_personal: bool = True,
                personal=PERSONAL_COLUMNS) -> np.ndarray:
    """Text of `value` at `rows` ('leeg' when empty); masked when `name` is in `personal`.

    `personal` holds bsn/onderwijsnummer and every afleiding computed from them (Context.personal):
    a rule that merely renames the BSN must not show it in full.
    """
    pick_val, pick_null = _at(value.val, rows), _at(value.null, rows)
    if value.kind == "num":
        numerators = np.asarray(pick_val, dtype="int64")
        denominators = np.asarray(_at(value.den, rows), dtype="int64")
        if len(rows) <= _FEW:  # one candidate (explain): np.unique's fixed cost is most of the work
            texts = [number_text(a, d) for a, d in zip(numerators.tolist(), denominators.tolist())]
        else:
            pairs = np.stack([numerators, denominators], axis=1)
            uniques, inverse = np.unique(pairs, axis=0, return_inverse=True)
            texts = np.array([number_text(a, d) for a, d in uniques.tolist()], dtype=object)[inverse.reshape(-1)]
    elif value.kind == "bool":
        texts = ["ja" if v else "nee" for v in pick_val.tolist()]
    elif value.kind == "date":
        texts = [str(np.datetime64(int(v), "D")) for v in pick_val.tolist()]
    else:
        texts = [str(v) for v in pick_val.tolist()]
    if mask_personal and name in personal:
        texts = [mask_bsn(t) for t in texts]
    out = np.array(texts, dtype=object)
    out[np.asarray(pick_null, dtype=bool)] = "leeg"
    return out


_FEW = 64  # rows below which value_texts formats each row itself instead of each distinct value


def _at(values, rows: np.ndarray) -> np.ndarray:
    """`values` at `rows`, broadcasting a scalar."""
    return np.asarray(values)[rows] if np.ndim(values) else np.full(len(rows), values, dtype=object)


def template_fields(template: str) -> list[str]:
    """The {name} placeholders of a melding ('' for an empty {}); raises ValueError on a stray brace."""
    return [field for _, field, _, _ in string.Formatter().parse(template) if field is not None]


def fill(template: str, lookup, rows: np.ndarray, personal=PERSONAL_COLUMNS) -> np.ndarray:
    """Fill {name} placeholders for each row; `lookup(name)` gives that name's Value."""
    out = np.full(len(rows), "", dtype=object)
    for literal, field, _, _ in string.Formatter().parse(template):
        if literal:
            out = out + literal
        if field:
            out = out + value_texts(lookup(field), rows, field, personal=personal)
    return out


def name_values(names, lookup, rows: np.ndarray, personal=PERSONAL_COLUMNS) -> np.ndarray:
    """'name=value; …' for the values a rule read."""
    out = np.full(len(rows), "", dtype=object)
    for i, name in enumerate(names):
        out = out + (("; " if i else "") + name + "=") + value_texts(lookup(name), rows, name, personal=personal)
    return out


def aantal(n: int, enkelvoud: str, meervoud: str) -> str:
    """'1 kandidaat', '2 kandidaten', '1.234 bevindingen' (Dutch thousands separator)."""
    return f"{n:,}".replace(",", ".") + " " + (enkelvoud if n == 1 else meervoud)


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(frame):
    """A copy of `frame` whose text cells cannot start a spreadsheet formula (prefixed with ')."""
    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if column.dtype == object or str(column.dtype) == "string":
            text = column.where(column.map(lambda v: isinstance(v, str)), None)
            risky = text.str.startswith(FORMULA_START, na=False)
            if risky.any():
                out[name] = column.where(~risky, "'" + text)
    return out


# ANSI escape sequences (CSI, OSC, two-character ESC forms), then any other C0/C1 control but tab/LF.
_ESCAPE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]|\x9b[0-?]*[ -/]*[@-~]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def terminal_text(text: str) -> str:
    """Text without terminal escape sequences or control characters (newlines and tabs stay)."""
    return _CONTROL.sub("", _ESCAPE.sub("", text))
