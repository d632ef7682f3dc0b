"""Export step: one validated examenresultaat message per candidate exam that no afkeur blocks.

Writes into ``out_dir``: ``<brin><vestiging>_<leerlingnummer>_<opleidingscode>_<examenjaar>.xml``
per exported candidate exam, ``manifest.json`` and the append-only ``export-log.jsonl``.
See docs/export.md for the gate, the file layout and the crash guarantees.
"""

import hashlib
import json
import os
import re
import stat
import sys
from collections import Counter, defaultdict, deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from examenbron.engine.outputs.bron_xml import (EXAM_FIELDS, NAMESPACE, SCHEMA_FILE, SCHEMA_VERSION, VAK_FIELDS, InvalidMessage,
                             build_message, checked_messages, invalid_messages)
from examenbron.engine.inputs.columns import EXAM_KEY, VAK_COLUMNS, mask_bsn
from examenbron.engine.errors import ExamenbronError, os_reason
from examenbron.engine.outputs.files import TMP_SUFFIX, atomic_write, fsync_dir, unlink_quietly, write_temp
from examenbron.engine.vocabulary import AFKEUR

try:
    import fcntl
except ImportError:  # Windows: no advisory lock, the rest works the same
    fcntl = None

MANIFEST = "manifest.json"
LOG = "export-log.jsonl"
LOCK = ".examenbron-export"  # marks the directory as an export directory and serialises runs
ONBEKEND = "onbekend"
XSD_CODE = "XSD"                 # the message did not validate: this candidate is refused, the rest goes
KANDIDAAT_CODE = "KANDIDAAT"     # another exam of the same candidate has an afkeur
_KEY = EXAM_KEY
_EXAM_COLUMNS = tuple(dict.fromkeys(("exam_id",) + EXAM_FIELDS + _KEY))
_VAK_COLUMNS = ("exam_id", "bron_rij") + VAK_COLUMNS
TIJDVAK_ROLES = ("eindcijfer1", "eindcijfer2", "eindcijfer3")  # roles (engine.rulesets.roles) = XML fields
_UNSAFE = re.compile(r"[^0-9A-Za-z-]")
_MAX_ERRORS_SHOWN = 20
_WRITERS = 2           # threads that create files in the one folder: more only spin on its lock in the kernel
_QUEUED = 16            # chunks built ahead of the writer threads, at most
_CHUNK = 256            # messages validated, hashed and written together by one writer thread
_BLOCK = 8 * _CHUNK     # messages built together, column by column


class ExportError(ExamenbronError):
    """The export was refused; the previous export in the out dir is unchanged."""


@dataclass(frozen=True)
class ExportSummary:
    """What an export run did; ``exit_code`` is 0 when every candidate exam was exported, else 1."""

    out_dir: Path
    candidates: int
    exported: int
    blocked: int
    written: int          # message files (re)written this run
    unchanged: int        # message files already byte-identical, left alone
    removed: int          # files of candidates now blocked or absent
    nothing_written: bool  # alles_of_niets refused the whole export
    refused: tuple = ()    # "key: reason" of each candidate exam whose message the XSD refused

    @property
    def exit_code(self) -> int:
        return 0 if self.blocked == 0 else 1


def export_results(results, bevindingen, *, out_dir, schooljaar, regelset_versie, input_sha256, eindcijfers,
                   alles_of_niets=False, kandidaten=None, voortgang=None) -> ExportSummary:
    """Write the messages of all unblocked candidate exams, then remove stale files, then the manifest.

    ``bevindingen`` is the bevindingen table (engine.outputs.bevindingen); its afkeur rows, together with those of
    ``results.bevindingen``, block their exam (rows without exam_id block every exam).
    ``eindcijfers`` holds the eindcijfer per tijdvak (columns ``TIJDVAK_ROLES``, whole grades, indexed
    like ``results.vakken``) as the rule set computes them (engine.pipeline.vak_roles).
    ``kandidaten`` (optional, indexed by exam_id) supplies ``leerweg`` for the totals.
    ``voortgang`` (optional) is called with the number of candidate exams handled so far.
    A message the XSD refuses blocks its candidate (``ExportSummary.refused`` names it); the others
    are written. Raises ExportError when the folder cannot be written; the previous manifest then
    still describes the folder.
    """
    out = Path(out_dir)
    examens, vakken = results.examens, results.vakken
    _require(examens, _EXAM_COLUMNS, "examens")
    _require(vakken, _VAK_COLUMNS, "vakken")
    n = len(examens)
    exam_ids = examens["exam_id"].to_numpy(dtype=np.int64)
    ex = {c: _values(examens[c]) for c in _EXAM_COLUMNS if c != "exam_id"}
    candidate = _candidates(ex)
    codes = _whole_candidates(_blocking_codes((bevindingen, results.bevindingen), exam_ids), candidate)
    names = _file_names(zip(*(ex[c] for c in _KEY)))
    order = sorted(range(n), key=names.__getitem__)
    exported = [i for i in order if not codes[i]]
    _check_unique(names, exported, ex)
    if alles_of_niets and len(exported) < n:
        return ExportSummary(out, n, len(exported), n - len(exported), written=0, unchanged=0, removed=0,
                             nothing_written=True)

    vak = _vak_rows(vakken, eindcijfers, exam_ids)
    _make_out_dir(out)
    with _export_lock(out):
        existing = _clean_and_list(out)
        staged, refused = {}, {}
        try:
            digests, staged, unchanged, refused = _stage(out, sorted(exported, key=exam_ids.__getitem__), names, ex,
                                                         vak, existing, voortgang or (lambda done: None),
                                                         n - len(exported))
            for i in _refuse(codes, candidate, refused):  # their candidate's other exams go too
                digests.pop(i, None)
                if i in staged:
                    unlink_quietly(staged.pop(i))
            exported = [i for i in exported if not codes[i]]
            unchanged = sum(1 for i in exported if i in digests and i not in staged)
            leerweg = _leerwegen(kandidaten, exam_ids)
            with ThreadPoolExecutor(max_workers=1) as disk:  # the manifest is built while files are synced, renamed
                placed = disk.submit(_place, out, staged, names)
                manifest = _manifest(order, codes, names, digests, ex, leerweg, refused, schooljaar=schooljaar,
                                     regelset_versie=regelset_versie, input_sha256=input_sha256,
                                     alles_of_niets=alles_of_niets)
                placed.result()
            keep = {names[i] for i in exported}
            stale = sorted(existing - keep)
            for name in stale:
                os.unlink(out / name)
            fsync_dir(out)
            atomic_write(out / MANIFEST, manifest)
            result = ExportSummary(out, n, len(exported), n - len(exported), written=len(staged),
                                   unchanged=unchanged, removed=len(stale), nothing_written=False,
                                   refused=tuple(_describe(i, ex, refused[i]) for i in sorted(refused,
                                                                                                key=names.__getitem__)))
            _append_log(out, result, schooljaar=schooljaar, regelset_versie=regelset_versie,
                        invoer_sha256=input_sha256, alles_of_niets=alles_of_niets,
                        manifest_sha256=hashlib.sha256(manifest).hexdigest())
        except BaseException as exc:
            for tmp in staged.values():
                if tmp is not None:
                    unlink_quietly(tmp)
            if not isinstance(exc, OSError):
                raise
            where = exc.filename or out
            raise ExportError(f"{where}: kan niet schrijven ({os_reason(exc)}); de export is afgebroken, "
                              f"{MANIFEST} beschrijft nog de vorige export") from None
    return result


def file_name(brin, vestiging, leerlingnummer, opleidingscode, examenjaar) -> str:
    """``<brin><vestiging>_<leerlingnummer>_<opleidingscode>_<examenjaar>.xml``, sanitised.

    When a part had to be changed (unsafe characters, empty, too long, wrong width) a short hash
    of the raw key is appended, so different keys never share a name.
    """
    raw = [brin, vestiging, leerlingnummer, opleidingscode, None if examenjaar is None else str(examenjaar)]
    parts = [_UNSAFE.sub("_", p or "")[:32] for p in raw]
    name = f"{parts[0]}{parts[1]}_{parts[2]}_{parts[3]}_{parts[4]}"
    clean = all(raw) and parts == raw and len(brin) == 4 and len(vestiging) == 2
    if not clean:
        name += "-" + hashlib.sha256(json.dumps(raw).encode()).hexdigest()[:8]
    return name + ".xml"


_CLEAN_KEY = re.compile(r"[0-9A-Za-z-]{4}_[0-9A-Za-z-]{2}(?:_[0-9A-Za-z-]{1,32}){3}")


def _file_names(keys) -> list:
    """file_name of each key; a key of texts and a year that need no change is joined directly."""
    names = []
    for key in keys:
        brin, vestiging, leerlingnummer, opleidingscode, examenjaar = key
        if (examenjaar is not None and type(brin) is type(vestiging) is type(leerlingnummer) is type(opleidingscode) is str
                and _CLEAN_KEY.fullmatch(f"{brin}_{vestiging}_{leerlingnummer}_{opleidingscode}_{examenjaar!s}")):
            names.append(f"{brin}{vestiging}_{leerlingnummer}_{opleidingscode}_{examenjaar!s}.xml")
        else:
            names.append(file_name(*key))
    return names


# --- gate -----------------------------------------------------------------------------------

def _blocking_codes(frames, exam_ids):
    """Per exam position, the sorted codes of its afkeur bevindingen (empty tuple: not blocked)."""
    per_exam, everyone = defaultdict(set), set()
    for frame in frames:
        if frame is None or not len(frame):
            continue
        afkeur = frame[frame["ernst"] == AFKEUR]
        for eid, code, regel in zip(afkeur["exam_id"].tolist(), afkeur["code"].tolist(),
                                    afkeur["regel"].tolist()):
            label = next((str(v) for v in (code, regel) if v is not None and not pd.isna(v)), ONBEKEND)
            if eid is None or pd.isna(eid):
                everyone.add(label)
            else:
                per_exam[int(eid)].add(label)
    if everyone:
        return [tuple(sorted(per_exam.get(int(e), set()) | everyone)) for e in exam_ids]
    codes = {e: tuple(sorted(labels)) for e, labels in per_exam.items()}
    return [codes.get(e, ()) for e in exam_ids.tolist()]


def _candidates(ex) -> list:
    """Per exam position, the id of its candidate: exams that share a leerlingnummer within one
    brin/vestiging, a BSN or an onderwijsnummer are one candidate (a typo in another key column
    must not split a candidate into an exam that is blocked and one that is exported)."""
    parent = list(range(len(ex["brin"])))

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    keys = pd.DataFrame({c: pd.Series(ex[c], dtype=object)
                         for c in ("brin", "vestiging", "leerlingnummer", "bsn", "onderwijsnummer")})
    for columns in (["brin", "vestiging", "leerlingnummer"], ["bsn"], ["onderwijsnummer"]):
        known = keys.loc[np.array([bool(v) for v in ex[columns[-1]]], dtype=bool)]
        shared = known[known.duplicated(columns, keep=False)]   # only exams that share a key are joined
        for positions in shared.groupby(columns, sort=False, dropna=False).indices.values():
            first, *others = shared.index[positions].tolist()
            for i in others:
                parent[root(i)] = root(first)
    return [root(i) for i in range(len(parent))]


def _whole_candidates(codes, candidate):
    """Block every exam of a candidate that has a blocked exam (code KANDIDAAT_CODE)."""
    blocked = {candidate[i] for i, c in enumerate(codes) if c}
    return [c if c or candidate[i] not in blocked else (KANDIDAAT_CODE,) for i, c in enumerate(codes)]


def _refuse(codes, candidate, refused) -> list:
    """Block the refused exams and their candidates' other exams in ``codes``; return the newly blocked."""
    for i in refused:
        codes[i] = (XSD_CODE,)
    newly = [i for i in refused]
    groups = {candidate[i] for i in refused}
    for i, c in enumerate(codes):
        if not c and candidate[i] in groups:
            codes[i] = (KANDIDAAT_CODE,)
            newly.append(i)
    return newly


def _check_unique(names, exported, ex):
    seen = {}
    for i in exported:
        if names[i] in seen:
            key = " ".join(str(ex[c][i]) for c in _KEY)
            raise ExportError(f"twee examens met dezelfde examensleutel ({key}); "
                              f"het bestand {names[i]} zou dubbel zijn")
        seen[names[i]] = i


# --- frames to plain values ------------------------------------------------------------------

def _require(frame, columns, what):
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ExportError(f"{what} mist kolommen: {', '.join(missing)}")


def _values(series: pd.Series) -> list:
    """Column values as Python objects with None for NA (dates as ISO text)."""
    if pd.api.types.is_datetime64_any_dtype(series):
        series = series.dt.strftime("%Y-%m-%d")
    return series.to_numpy(dtype=object, na_value=None).tolist()


def _vak_rows(vakken, eindcijfers, exam_ids):
    """The VAK_FIELDS columns (arrays; the TIJDVAK_ROLES from `eindcijfers`, aligned on the index)
    of the vakken ordered by exam, vakcode and row, and each exam's [start, end) slice of them."""
    keys = vakken[["exam_id", "vakcode", "bron_rij"]].reset_index(drop=True)
    order = keys.sort_values(["exam_id", "vakcode", "bron_rij"], kind="stable", na_position="last").index.to_numpy()
    columns = {c: eindcijfers[c].reindex(vakken.index) if c in TIJDVAK_ROLES else vakken[c] for c in VAK_FIELDS}
    vk_ids = keys["exam_id"].to_numpy(dtype=np.int64)[order]
    return ({c: column.values[order] for c, column in columns.items()}, np.searchsorted(vk_ids, exam_ids, "left"),
            np.searchsorted(vk_ids, exam_ids, "right"))


def _built_chunks(exported, ex, vak, refused):
    """({position: message bytes}, [positions to validate as a whole]) for every _CHUNK exams of
    `exported` (in exam_id order, so the vakken of _BLOCK exams are one slice, built together); the
    others are known valid (bron_xml.checked_messages). An exam whose message cannot be built goes
    to `refused` with build_message's reason instead."""
    arrays, starts, ends = vak
    columns = {c: np.asarray(ex[c], dtype=object) for c in EXAM_FIELDS}
    for first in range(0, len(exported), _BLOCK):
        block = np.asarray(exported[first:first + _BLOCK], dtype=np.int64)
        low, high = starts[block[0]], ends[block[-1]]
        messages, known = checked_messages({c: values[block] for c, values in columns.items()},
                                           {c: values[low:high] for c, values in arrays.items()},
                                           starts[block] - low, ends[block] - low)
        for k in range(0, len(block), _CHUNK):
            built, unchecked = {}, []
            for i, data, valid in zip(block[k:k + _CHUNK].tolist(), messages[k:k + _CHUNK], known[k:k + _CHUNK]):
                try:
                    built[i] = data if data is not None else build_message(
                        tuple(ex[c][i] for c in EXAM_FIELDS),
                        zip(*(_values(pd.Series(arrays[c][starts[i]:ends[i]])) for c in VAK_FIELDS)))
                except InvalidMessage as exc:
                    refused[i] = str(exc)
                    continue
                if not valid:
                    unchecked.append(i)
            yield built, unchecked


def _leerwegen(kandidaten, exam_ids):
    if kandidaten is None or "leerweg" not in kandidaten.columns:
        return [ONBEKEND] * len(exam_ids)
    values = _values(kandidaten["leerweg"].reindex(exam_ids))
    return [v if v else ONBEKEND for v in values]


# --- files ---------------------------------------------------------------------------------

def _place(out, staged, names):
    """Sync every temp file once, then rename each onto its message name (setting its `staged` entry
    to None: no temp file left to remove on an error); the folder is synced before and after."""
    _sync_once(out, list(staged.values()))
    fsync_dir(out)
    folder = os.path.join(out, "")
    for i in sorted(staged, key=names.__getitem__):
        os.replace(staged[i], folder + names[i])
        staged[i] = None
    fsync_dir(out)


def _sync_once(out, paths):
    """Make every temp file written so far durable before any of them is renamed into place.

    One syncfs(2) of the export's file system flushes the data of all of them at once: the same
    guarantee as an fsync per file (data on disk before the rename that makes it visible), at the
    cost of one flush instead of one per message. Without syncfs (not Linux): os.sync(), and
    without that (Windows) an fsync per file.
    """
    if _SYNCFS is not None:
        fd = os.open(out, os.O_RDONLY)
        try:
            if _SYNCFS(fd) == 0:
                return
        finally:
            os.close(fd)
    if hasattr(os, "sync"):
        os.sync()
        return
    for path in paths:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _load_syncfs():
    """libc's syncfs(fd) on Linux, else None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes
        return ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None


_SYNCFS = _load_syncfs()


def _make_out_dir(out: Path) -> None:
    """Create the export folder (and its parents); ExportError naming the path when that is impossible."""
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise ExportError(f"{out}: is geen map; kies een (lege) map voor de export")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"{exc.filename or out}: kan de map niet maken ({os_reason(exc)})") from None


class _export_lock:
    """Mark ``out`` as an export directory and hold an exclusive lock on it for the run."""

    def __init__(self, out):
        self.path = out / LOCK

    def __enter__(self):
        out = self.path.parent
        with os.scandir(out) as entries:
            foreign = not self.path.exists() and any(
                e.name.endswith(".xml") and not e.name.startswith(".") for e in entries)
        if foreign:
            raise ExportError(f"{out} bevat XML-bestanden die niet van een examenbron-export zijn; "
                              "kies een lege map")
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        try:
            self.fh = os.fdopen(os.open(self.path, flags, 0o600), "ab")
        except OSError as exc:
            raise ExportError(f"{self.path}: kan het exportslot niet openen ({os_reason(exc)})") from None
        if not stat.S_ISREG(os.fstat(self.fh.fileno()).st_mode):
            self.fh.close()
            raise ExportError(f"{self.path}: is geen gewoon bestand")
        if fcntl is not None:
            try:
                fcntl.flock(self.fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                self.fh.close()
                raise ExportError(f"er loopt al een export naar {out}") from None
        fsync_dir(out)
        return self

    def __exit__(self, *exc):
        self.fh.close()


def _clean_and_list(out):
    """Remove temp files an interrupted run left behind; return the names of the message files.

    Nothing is followed: a symlink, folder, FIFO or device under a message name is refused.
    """
    existing = set()
    with os.scandir(out) as entries:
        for entry in entries:
            if entry.name.startswith(".") and entry.name.endswith(TMP_SUFFIX) and not entry.is_dir(follow_symlinks=False):
                os.unlink(entry.path)
            elif entry.name.endswith(".xml") and not entry.name.startswith(".") or entry.name in (MANIFEST, LOG):
                if not entry.is_file(follow_symlinks=False):
                    raise ExportError(f"{entry.path}: is geen gewoon bestand (een map, koppeling of apparaat); "
                                      "verwijder het en exporteer opnieuw")
                if entry.name.endswith(".xml"):
                    existing.add(entry.name)
                    if entry.stat(follow_symlinks=False).st_mode & 0o077:
                        os.chmod(entry.path, 0o600)  # it holds a full BSN
    return existing


def _stage(out, exported, names, ex, vak, existing, voortgang, blocked):
    """Build and validate every message; write the changed ones to temp files (not yet synced).

    Returns (sha256 per exam position, {position: temp path}, number unchanged, {position: reason}
    for the messages refused). This thread builds the messages and proves most of them valid
    (bron_xml.checked_messages); the writer threads validate the others whole, hash every message
    and write it (lxml, hashlib and the file system release the GIL, so both cores work). On any
    error the temp files are removed.
    `voortgang(done)` hears every chunk how many candidate exams (blocked included) are done.
    """
    digests, staged, refused, unchanged = {}, {}, {}, 0
    pending = deque()

    def collect(future):
        nonlocal unchanged
        for i, (digest, tmp, reason) in future.result().items():
            if reason is not None:
                refused[i] = reason
                continue
            digests[i] = digest
            if tmp is None:
                unchanged += 1
            else:
                staged[i] = tmp

    try:
        with ThreadPoolExecutor(max_workers=_WRITERS) as pool:
            for first, (built, unchecked) in zip(range(0, len(exported), _CHUNK),
                                                 _built_chunks(exported, ex, vak, refused)):
                voortgang(blocked + first)
                pending.append(pool.submit(_stage_chunk, out, built, unchecked, names, existing))
                while len(pending) > _QUEUED:
                    collect(pending.popleft())
            while pending:
                collect(pending.popleft())
            voortgang(blocked + len(exported))
    except BaseException:
        written = list(staged.values())
        for future in pending:  # the pool has finished them all by now
            if not future.cancelled() and future.exception() is None:
                written += [tmp for _, tmp, _ in future.result().values() if tmp is not None]
        for tmp in written:
            unlink_quietly(tmp)
        raise
    return digests, staged, unchanged, refused


def _stage_chunk(out, built, unchecked, names, existing) -> dict:
    """{position: (sha256, temp path or None when unchanged, None)} or (None, None, reason) when the
    XSD refuses the message; the messages at the `unchecked` positions are validated here (the others
    are known valid). A failure removes the chunk's own temp files before it is raised."""
    invalid = {unchecked[k]: reason for k, reason in invalid_messages([built[i] for i in unchecked]).items()}
    result, written = {}, []
    try:
        for i, data in built.items():
            if i in invalid:
                result[i] = (None, None, invalid[i])
                continue
            digest, name = hashlib.sha256(data).hexdigest(), names[i]
            if name in existing and (out / name).read_bytes() == data:
                result[i] = (digest, None, None)
                continue
            tmp = write_temp(out, name, data, False)
            written.append(tmp)
            result[i] = (digest, tmp, None)
    except BaseException:
        for tmp in written:
            unlink_quietly(tmp)
        raise
    return result


def _describe(i, ex, reason):
    key = " ".join(str(ex[c][i]) for c in _KEY)
    for c in ("bsn", "onderwijsnummer"):
        if ex[c][i]:
            reason = reason.replace(ex[c][i], mask_bsn(ex[c][i]))
    return f"  {key}: {reason}"


# --- manifest and log ----------------------------------------------------------------------

def _counts():
    return {"kandidaten": 0, "geexporteerd": 0, "geblokkeerd": 0, "uitslag_geexporteerd": {}}


def _add_count(counts, blocked, uitslag, number):
    counts["kandidaten"] += number
    if blocked:
        counts["geblokkeerd"] += number
    else:
        counts["geexporteerd"] += number
        key = uitslag or ONBEKEND
        counts["uitslag_geexporteerd"][key] = counts["uitslag_geexporteerd"].get(key, 0) + number


def _totalen(codes, ex, leerweg) -> dict:
    """The manifest's totalen: counted once per distinct (vestiging, leerweg, blocked, uitslag)."""
    vestigingen = [f"{brin or ''}{vestiging or ''}" or ONBEKEND for brin, vestiging in zip(ex["brin"], ex["vestiging"])]
    totaal, per_vestiging, per_leerweg = _counts(), {}, {}
    for (vestiging, lw, blocked, uitslag), number in Counter(zip(vestigingen, leerweg, map(bool, codes),
                                                                 ex["uitslag"])).items():
        v = per_vestiging.setdefault(vestiging, {**_counts(), "per_leerweg": {}})
        for counts in (totaal, v, v["per_leerweg"].setdefault(lw, _counts()), per_leerweg.setdefault(lw, _counts())):
            _add_count(counts, blocked, uitslag, number)
    return {**totaal, "per_vestiging": per_vestiging, "per_leerweg": per_leerweg}


def _entry(i, codes, names, digests, ex, leerweg, refused) -> dict:
    """One candidate exam's manifest entry, persoonsgebonden nummer masked."""
    blocked = bool(codes[i])
    soort = "bsn" if ex["bsn"][i] else ("onderwijsnummer" if ex["onderwijsnummer"][i] else None)
    entry = {c: ex[c][i] for c in _KEY}
    entry.update(persoonsgebonden_nummer=mask_bsn(ex[soort][i]) if soort else None, soort_nummer=soort,
                 leerweg=leerweg[i], status="geblokkeerd" if blocked else "geexporteerd",
                 codes=list(codes[i]), bestand=None if blocked else names[i],
                 sha256=None if blocked else digests[i])
    if i in refused:
        entry["melding"] = _describe(i, ex, refused[i]).strip()
    return entry


def _entry_lines(order, codes, names, digests, ex, leerweg, refused) -> list:
    """Each entry (in `order`) as json.dumps(_entry(...), ensure_ascii=False, sort_keys=True) writes it,
    built column by column: each distinct value of a column is encoded once."""
    soorten = ["bsn" if ex["bsn"][i] else ("onderwijsnummer" if ex["onderwijsnummer"][i] else None) for i in order]
    blocked = [bool(codes[i]) for i in order]
    columns = {c: _json_texts([ex[c][i] for i in order], c != "leerlingnummer") for c in _KEY}
    columns.update(
        persoonsgebonden_nummer=_json_texts([mask_bsn(ex[soort][i]) if soort else None
                                             for i, soort in zip(order, soorten)], False),
        soort_nummer=_json_texts(soorten), leerweg=_json_texts([leerweg[i] for i in order]),
        status=_json_texts(["geblokkeerd" if b else "geexporteerd" for b in blocked]),
        codes=_json_texts([codes[i] for i in order]),
        bestand=_json_texts([None if b else names[i] for i, b in zip(order, blocked)], False),
        sha256=_json_texts([None if b else digests[i] for i, b in zip(order, blocked)], False))
    keys = sorted(columns)
    parts = [[prefix + text for text in columns[key]] for key in keys for prefix in (json.dumps(key) + ": ",)]
    lines = ["    {" + line + "}" for line in map(", ".join, zip(*parts))]
    for k, i in enumerate(order):
        if i in refused:   # it has a melding too
            lines[k] = "    " + json.dumps(_entry(i, codes, names, digests, ex, leerweg, refused), ensure_ascii=False,
                                           sort_keys=True)
    return lines


def _json_texts(values, repeated=True) -> list:
    """json.dumps(value, ensure_ascii=False) of each value; `repeated` values are encoded once each
    (when they are text, whole numbers or tuples of text, where equal values encode the same)."""
    if repeated and {type(v) for v in values} <= {str, int, tuple, type(None)}:
        return list(map(_JsonTexts().__getitem__, values))
    return [_encode_text(v) if type(v) is str else json.dumps(v, ensure_ascii=False) for v in values]


class _JsonTexts(dict):
    def __missing__(self, value):
        text = self[value] = json.dumps(value, ensure_ascii=False)
        return text


_encode_text = json.encoder.encode_basestring   # what json.dumps(text, ensure_ascii=False) returns


def _manifest(order, codes, names, digests, ex, leerweg, refused, *, schooljaar, regelset_versie,
              input_sha256, alles_of_niets) -> bytes:
    """manifest.json bytes: deterministic, one candidate exam per line, persoonsnummers masked."""
    head = {
        "formaat": "examenbron-export",
        "schema": {"bestand": SCHEMA_FILE.name, "versie": SCHEMA_VERSION, "namespace": NAMESPACE},
        "schooljaar": schooljaar, "regelset_versie": regelset_versie, "invoer_sha256": input_sha256,
        "alles_of_niets": bool(alles_of_niets),
        "totalen": _totalen(codes, ex, leerweg),
    }
    text = json.dumps(head, indent=2, ensure_ascii=False, sort_keys=True)
    lines = ",\n".join(_entry_lines(order, codes, names, digests, ex, leerweg, refused))
    text = text[:-2] + ',\n  "kandidaten": [' + (f"\n{lines}\n  " if order else "") + "]\n}\n"
    return text.encode("utf-8")


def _append_log(out, summary, **fields):
    """Append one JSON line to export-log.jsonl (rewritten atomically: old lines + the new one)."""
    entry = {
        "tijdstip": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "schema_versie": SCHEMA_VERSION,
        **fields,
        "kandidaten": summary.candidates, "geexporteerd": summary.exported,
        "geblokkeerd": summary.blocked, "geschreven": summary.written,
        "ongewijzigd": summary.unchanged, "verwijderd": summary.removed,
    }
    path = out / LOG
    old = path.read_bytes() if path.exists() else b""
    if old and not old.endswith(b"\n"):
        old += b"\n"
    atomic_write(path, old + json.dumps(entry, ensure_ascii=False, sort_keys=True).encode("utf-8") + b"\n")
