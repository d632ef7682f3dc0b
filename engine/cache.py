"""A disk cache of loaded rule sets and code tables, so that a small run does not parse the YAML
overlay chain and check every rule, expression and code table again at each start.

An entry is one pickled object behind a header line with two hashes: the key (over the engine's own
Python source, the Python version, the versions the caller names (pandas, numpy), and the name and
bytes of every source file the object was built from) and the hash of the pickled bytes. An entry
is used only when both match and the file is a regular file of this user that nobody else may
write; anything else (stale, corrupt, truncated, unreadable, of another owner) means: build the
object again, exactly as without a cache, and replace the entry. Only objects that were built
without an error are stored, so a rule error is reported at every run. A cache that cannot be
written is simply not written.

The folder is $EXAMENBRON_CACHE, else $XDG_CACHE_HOME/examenbron (~/.cache/examenbron). An entry's
file is named by kind, school year and a hash of the engine and the sources' paths, so installations
and rule folders sharing the folder do not evict each other; the four newest entries of a kind and
year are kept. EXAMENBRON_CACHE=uit switches the cache off.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import stat
import sys
from pathlib import Path

from examenbron.engine.errors import ExamenbronError
from examenbron.engine.outputs.files import check_target, unlink_quietly, write_temp

FORMAT = "examenbron-cache 1"
OFF = ("uit", "0", "nee", "off", "no", "false")
KEEP = 4                      # entries per kind and school year
ENGINE = Path(__file__).resolve().parent
_MISSING = object()


def base_folder() -> Path:
    """The user's cache folder for examenbron (XDG_CACHE_HOME, LOCALAPPDATA or ~/.cache)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.environ.get("LOCALAPPDATA") or Path.home() / ".cache"
    return Path(base) / "examenbron"


def folder() -> Path | None:
    """Where loaded rule sets and code tables are kept; None when the cache is switched off."""
    value = os.environ.get("EXAMENBRON_CACHE", "").strip()
    if value.lower() in OFF:
        return None
    if value:
        return Path(value)
    try:
        base = base_folder()
    except RuntimeError:  # no home folder to put it in
        return None
    return base if base.is_absolute() else None  # never a folder named "~" under the working folder


def cached(kind: str, schooljaar: str, sources, build, extra=()):
    """`build()`, or the object a previous `build()` stored for exactly these `sources` (paths whose
    bytes the object depends on; a missing one counts too) and `extra` values (versions)."""
    where = folder()
    if where is None or _engine_digest() is None:
        return build()
    sources = list(sources)
    target = where / f"{kind}-{schooljaar}-{_slot(kind, sources, extra)}.pickle"
    key = _key(kind, sources, extra)
    value = _read(target, key)
    if value is not _MISSING:
        return value
    value = build()
    if _key(kind, sources, extra) == key:  # a source that changed while building is not stored under the old key
        _write(where, target, key, value)
        _prune(where, f"{kind}-{schooljaar}-")
    return value


def _slot(kind: str, sources: list, extra) -> str:
    """The entry's file-name part: the engine and where the sources are, not what they hold. Two
    installations (or rule folders) sharing a cache folder each keep their own entry; an edited rule
    file replaces the entry of its folder."""
    digest = hashlib.sha256(_engine_digest())
    for part in (kind, *map(str, extra), *map(str, sources)):
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()[:12]


def _prune(where: Path, prefix: str) -> None:
    """Keep the KEEP newest entries of one kind and school year (old engines, temporary rule folders)."""
    try:
        entries = sorted(where.glob(f"{prefix}*.pickle"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for old in entries[KEEP:]:
            unlink_quietly(old)
    except OSError:
        pass


@functools.lru_cache(maxsize=1)
def _engine_digest() -> bytes | None:
    """A hash of the engine's Python source and the Python version (None: no source found, so a
    change of the engine could not be noticed and nothing is cached)."""
    digest = hashlib.sha256(FORMAT.encode())
    digest.update(sys.version.encode())
    paths = sorted(ENGINE.rglob("*.py"))
    if not paths:
        return None
    try:
        for path in paths:
            _update(digest, path.relative_to(ENGINE).as_posix(), path.read_bytes())
    except OSError:
        return None
    return digest.digest()


def _key(kind: str, sources: list, extra) -> str:
    digest = hashlib.sha256(_engine_digest())
    digest.update(kind.encode())
    for value in extra:
        _update(digest, "extra", str(value).encode())
    for path in sources:
        try:
            data = (Path(path) if isinstance(path, str) else path).read_bytes()
        except OSError:
            data = None
        _update(digest, str(path), data)
    return digest.hexdigest()


def _update(digest, name: str, data: bytes | None) -> None:
    """Feed one named source into `digest`, length-framed so that no two sets of files collide."""
    size = -1 if data is None else len(data)
    digest.update(f"\0{name}\0{size}\0".encode())
    if data:
        digest.update(data)


def _header(key: str, payload: bytes) -> bytes:
    return f"{FORMAT} {key} {hashlib.sha256(payload).hexdigest()}\n".encode()


def _read(target: Path, key: str):
    """The object in `target` when its header matches `key` and its bytes; else _MISSING."""
    try:
        handle = os.open(target, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(handle, "rb") as file:
            info = os.fstat(file.fileno())
            if not stat.S_ISREG(info.st_mode) or not _own(info):
                return _MISSING
            data = file.read()
    except OSError:
        return _MISSING
    header, _, payload = data.partition(b"\n")
    if header + b"\n" != _header(key, payload):
        return _MISSING
    try:
        return pickle.loads(payload)
    except Exception:  # noqa: BLE001 - an entry that does not load (any reason) is rebuilt, never a traceback
        return _MISSING


def _own(info) -> bool:
    """The file belongs to this user and nobody else may write it (a pickle runs code when loaded)."""
    if not hasattr(os, "getuid"):
        return True
    return info.st_uid == os.getuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _write(where: Path, target: Path, key: str, value) -> None:
    """Replace `target` by `value`; a folder or file that cannot be written leaves the cache as it was."""
    try:
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - an object that cannot be pickled is simply not cached
        return
    tmp = None
    try:
        where.mkdir(mode=0o700, parents=True, exist_ok=True)
        check_target(target)
        tmp = write_temp(where, target.name, _header(key, payload) + payload, sync=False)
        os.replace(tmp, target)
    except (OSError, ExamenbronError):
        if tmp is not None:
            unlink_quietly(tmp)
