"""Make data values harmless in the outputs people open: spreadsheets and terminals.

Every CSV or XLSX writer calls ``spreadsheet_cell`` for text cells; every text shown on a terminal
goes through ``terminal_text``. Values come from the school's file and may be crafted.
"""

import re

# OWASP "CSV injection": a cell starting with one of these is run as a formula by Excel/LibreOffice.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# ANSI escape sequences (CSI/OSC and two-character ESC forms), then any other C0/C1 control except tab/LF.
_ESCAPE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]|\x9b[0-?]*[ -/]*[@-~]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def spreadsheet_cell(value):
    """A text cell that a spreadsheet shows as text: a leading ' before =, +, -, @, tab or CR.

    Non-text values (numbers, None) are returned unchanged.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def terminal_text(text: str) -> str:
    """Text without terminal escape sequences or control characters (newlines and tabs stay)."""
    return _CONTROL.sub("", _ESCAPE.sub("", text))
