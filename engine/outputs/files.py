"""Writing files so that a crash never leaves a half-written one: the one place for temp files,
fsync and rename.

A report, manifest, log or example file is written to a temporary file beside its target (a name
starting with '.' and ending in TMP_SUFFIX, created exclusively with mode 0600: it may hold a BSN),
flushed to disk, then renamed over the target, and the folder is synced. The target must be a
regular file (or not exist yet) in an existing folder: a FIFO, device or link is never written to
or replaced (as root, replacing /dev/null by a regular file would break the machine), and a missing
folder is not created silently.
"""

import itertools
import os
import secrets
import tempfile
from contextlib import contextmanager
from pathlib import Path

from examenbron.engine.errors import ExamenbronError

TMP_SUFFIX = ".tmp"


class OutputError(ExamenbronError):
    """An output path that is not (or cannot become) a regular file in an existing folder."""

    soort = "bestand"  # the `soort` of the JSON error object, as for other file-system errors


def check_target(path) -> None:
    """Raise OutputError unless `path` is a regular file or absent, in an existing folder."""
    path = Path(path)
    if path.is_symlink() or (path.exists() and not path.is_file()):
        raise OutputError(f"{path}: is geen gewoon bestand (een map, koppeling, pipe of apparaat); "
                          "kies een bestandsnaam")
    if not path.parent.is_dir():
        reason = "is een bestand, geen map" if path.parent.exists() else "bestaat niet"
        raise OutputError(f"{path}: de map {path.parent} {reason}")


@contextmanager
def replacing(path):
    """Yield a binary file whose content replaces `path` when the block ends without an error.

    The temp file is removed when the block fails; `path` is then unchanged.
    """
    path = Path(path)
    check_target(path)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TMP_SUFFIX)
    try:
        with os.fdopen(handle, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        check_target(path)  # nothing may have put a device or link there meanwhile
        os.replace(tmp, path)
    except BaseException:
        unlink_quietly(tmp)
        raise
    fsync_dir(path.parent)


def atomic_write(path, data) -> None:
    """Replace `path` by `data` (bytes, or str written as UTF-8) in one step (see replacing)."""
    with replacing(path) as out:
        out.write(data.encode("utf-8") if isinstance(data, str) else data)


def write_temp(folder, name: str, data: bytes, sync: bool = True) -> str:
    """Write `data` to a new temp file for target `name` in `folder` and return its path; fsync it
    unless `sync` is False (the caller then makes many temp files durable at once).

    Like mkstemp, but cheaper for the export's many files (a random per-process prefix and a
    counter instead of 8 random characters per file); O_EXCL means a symlink planted under a temp
    name can never redirect the write, and a name that exists is skipped.
    """
    prefix = os.path.join(folder, f".{name}.{_TEMP_PREFIX}")
    for attempt in range(1000):
        tmp = f"{prefix}{next(_TEMP_NUMBERS):x}{TMP_SUFFIX}"
        try:
            fd = os.open(tmp, _TEMP_FLAGS, 0o600)
            break
        except FileExistsError:
            if attempt == 999:
                raise
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            if sync:
                os.fsync(fd)
        finally:
            os.close(fd)
    except BaseException:
        unlink_quietly(tmp)
        raise
    return tmp


_TEMP_PREFIX = secrets.token_hex(4)
_TEMP_NUMBERS = itertools.count()   # next() on it is atomic: safe from several threads
_TEMP_FLAGS = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
               | getattr(os, "O_BINARY", 0))


def fsync_dir(path) -> None:
    """Make renames and removals in folder `path` durable (a no-op on Windows)."""
    if os.name == "nt":  # directories cannot be opened for fsync on Windows
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def unlink_quietly(path) -> None:
    """Remove `path` if it can be removed; a file that is already gone is fine."""
    try:
        os.unlink(path)
    except OSError:
        pass
