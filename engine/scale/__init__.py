"""Validation at scale: files on disk in parts of whole schools, and archives of many years on Dask.

This package itself imports nothing heavy: `validate` decides how to run (per school, on several
processes) before the engine and pandas are loaded.
"""

from pathlib import Path

# Above this input size `validate` streams automatically: a national file (~170 MB) still runs in one
# go (fastest, ~2 GB), the next size up would not stay within a few GB.
AUTO_BYTES = 256 * 1024 * 1024


def streamable(path) -> bool:
    """True for a CSV (what the partitioner reads); XLSX files are read whole anyway."""
    try:
        with open(path, "rb") as fh:
            start = fh.read(8)
    except OSError:
        return True  # not readable: the partitioner says why, as the reader would
    return not start.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")) and \
        Path(path).suffix.lower() not in (".xlsx", ".xlsm")
