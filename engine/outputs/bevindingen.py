"""The bevindingen table: one long frame that every report and the export gate are built from."""

import pandas as pd

BEVINDINGEN_COLUMNS = [
    "schooljaar", "regel", "code", "ernst", "exam_id", "brin", "vestiging", "leerlingnummer",
    "opleidingscode", "vakcode", "kolom", "waarde", "melding", "grondslag", "bron_rij",
]


def empty_bevindingen() -> pd.DataFrame:
    """Return an empty bevindingen frame with the contract's columns."""
    return pd.DataFrame({c: pd.Series(dtype="object") for c in BEVINDINGEN_COLUMNS})


def make_bevindingen(**columns) -> pd.DataFrame:
    """Build a bevindingen frame from column values (scalars broadcast); missing columns stay empty."""
    length = max((len(v) for v in columns.values() if hasattr(v, "__len__") and not isinstance(v, str)), default=1)
    data = {}
    for name in BEVINDINGEN_COLUMNS:
        value = columns.pop(name, None)
        if isinstance(value, pd.Series):
            value = value.to_numpy(dtype=object)
        data[name] = value if value is not None and not isinstance(value, str) else [value] * length
    if columns:
        raise TypeError(f"unknown bevindingen columns: {sorted(columns)}")
    return pd.DataFrame(data, columns=BEVINDINGEN_COLUMNS)


def concat_bevindingen(frames) -> pd.DataFrame:
    """Concatenate bevindingen frames, keeping the contract's columns and order."""
    frames = [f for f in frames if len(f)]
    if not frames:
        return empty_bevindingen()
    return pd.concat(frames, ignore_index=True)[BEVINDINGEN_COLUMNS]
