"""Code tables per school year (opleidingen, vakken): load, validate, compare and render as text."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import numpy as np
import pandas as pd

from examenbron.engine import cache
from examenbron.engine.errors import CodeTableError, os_reason, suggestion
from examenbron.engine.inputs.columns import JA_NEE_CODES as JN
from examenbron.engine.vocabulary import LEERWEGEN, SCHOOLSOORT, SCHOOLSOORT_LEERWEGEN

VALID_PAIRS = [(soort, lw) for lw, soort in SCHOOLSOORT.items()]

OPLEIDING_COLUMNS = ("opleidingscode", "omschrijving", "leerweg", "profiel", "lwoo", "examen",
                     "categorie", "bron")
VAK_COLUMNS = ("vakcode", "schoolsoort", "leerwegen", "naam", "afkorting", "kernvak", "heeft_ce",
               "beoordeling", "combinatiecijfer_component", "beroepsgericht", "actueel", "bron")
# column -> allowed values (None: any non-empty text; "" in the tuple: may be empty)
OPLEIDING_VALUES = {"omschrijving": None, "leerweg": LEERWEGEN + ("",), "lwoo": JN, "examen": JN,
                    "categorie": None, "bron": None}
VAK_VALUES = {"schoolsoort": tuple(SCHOOLSOORT_LEERWEGEN), "naam": None, "kernvak": ("NE", "EN", "WI", ""),
              "heeft_ce": JN, "beoordeling": ("cijfer", "VGO", "geen"), "combinatiecijfer_component": JN,
              "beroepsgericht": ("profielvak", "keuzevak", ""), "actueel": JN, "bron": None}
STATUS = ("definitief", "voorlopig")
YEAR = re.compile(r"\d{4}-\d{4}")
MAX_REPORTED = 20
FILES = ("opleidingen.csv", "vakken.csv", "metadata.yaml")


@dataclass(frozen=True)
class CodeTables:
    """The code tables of one school year (shared and cached: treat the frames as read-only)."""

    schooljaar: str
    opleidingen: pd.DataFrame
    vakken: pd.DataFrame
    metadata: dict
    vakken_per_leerweg: pd.DataFrame  # vakken exploded to one row per (vakcode, leerweg); column leerweg

    @property
    def officieel(self) -> bool:
        """True when these are DUO's own tables for the year (metadata `officieel: true`); derived or
        carried-forward tables are not, and an unknown code in them is no proof of an error."""
        return self.metadata.get("officieel") is True

    def opleiding(self, opleidingscode: str) -> dict | None:
        """The opleidingen row of a code as a dict, or None when the code is unknown."""
        rows = self.opleidingen[self.opleidingen["opleidingscode"] == opleidingscode]
        return rows.iloc[0].to_dict() if len(rows) else None

    def vakken_voor(self, leerweg: str) -> pd.DataFrame:
        """The vakken valid for one leerweg: exactly one row per vakcode."""
        if leerweg not in SCHOOLSOORT:
            raise CodeTableError(f"onbekende leerweg {leerweg!r}{suggestion(leerweg, LEERWEGEN)}; "
                                 f"toegestaan zijn: {', '.join(LEERWEGEN)}")
        frame = self.vakken_per_leerweg
        return frame[frame["leerweg"] == leerweg].reset_index(drop=True)

    def vak(self, vakcode: str, leerweg: str) -> dict | None:
        """The attributes of a vakcode in a leerweg as a dict, or None when the code is unknown there."""
        rows = self.vakken_voor(leerweg)
        rows = rows[rows["vakcode"] == vakcode]
        return rows.iloc[0].to_dict() if len(rows) else None


@dataclass(frozen=True)
class TableDiff:
    """Keys added and removed between two years, and the changed fields per key as (old, new)."""

    added: tuple
    removed: tuple
    changed: dict


@dataclass(frozen=True)
class CodeTablesDiff:
    """Differences between the code tables of two school years."""

    year_a: str
    year_b: str
    opleidingen: TableDiff  # keys: opleidingscode
    vakken: TableDiff       # keys: (vakcode, schoolsoort); leerweg-specific fields read "field [LEERWEG]"


# ---------------------------------------------------------------- loading

def _root(root):
    """The directory holding the year folders: the codetables package unless given."""
    return files("examenbron.codetables") if root is None else Path(root)


def _label(root, *parts):
    """How a file is named in messages."""
    return "/".join(("codetables" if root is None else str(root),) + parts)


def available_years(root=None) -> list[str]:
    """School years that have a code-table folder, sorted."""
    base = _root(root)
    return sorted(p.name for p in base.iterdir() if p.is_dir() and YEAR.fullmatch(p.name))


def clear_cache() -> None:
    """Forget loaded tables (after a year folder was written)."""
    _load.cache_clear()


def load(schooljaar: str, root=None) -> CodeTables:
    """Load and validate the code tables of a school year such as "2024-2025" (cached per process)."""
    return _load(schooljaar, None if root is None else str(root))


def source_files(schooljaar: str, root=None) -> list:
    """The files a year's code tables are read from (whether they exist or not)."""
    folder = _root(root) / schooljaar
    return [folder / name for name in FILES]


@functools.lru_cache(maxsize=None)
def _load(schooljaar, root):
    years = available_years(root)
    if schooljaar not in years:
        raise CodeTableError(f"geen codetabellen voor schooljaar {schooljaar!r}; "
                             f"beschikbaar: {', '.join(years) or 'geen'}")
    return cache.cached("codetabellen", schooljaar, source_files(schooljaar, root),
                        lambda: _build(schooljaar, root), extra=(pd.__version__, np.__version__))


def _build(schooljaar, root):
    """Read and check the three files of a year (every problem at once) into CodeTables."""
    folder = _root(root) / schooljaar
    problems = []
    opleidingen = _read_csv(folder, "opleidingen.csv", OPLEIDING_COLUMNS, root, schooljaar)
    vakken = _read_csv(folder, "vakken.csv", VAK_COLUMNS, root, schooljaar)
    problems += _check_opleidingen(opleidingen, _label(root, schooljaar, "opleidingen.csv"))
    problems += _check_vakken(vakken, _label(root, schooljaar, "vakken.csv"))
    metadata = _read_metadata(folder, root, schooljaar, problems)
    if problems:
        shown = problems[:MAX_REPORTED]
        if len(problems) > MAX_REPORTED:
            more = len(problems) - MAX_REPORTED
            shown.append(f"... en nog {more} {'fout' if more == 1 else 'fouten'}")
        raise CodeTableError("ongeldige codetabel:\n" + "\n".join(shown))
    vakken = _typed_vakken(vakken)
    per_leerweg = vakken.assign(leerweg=vakken["leerwegen"]).explode("leerweg").reset_index(drop=True)
    return CodeTables(schooljaar, _typed_opleidingen(opleidingen), vakken, metadata, per_leerweg)


def _read_csv(folder, name, columns, root, schooljaar):
    label = _label(root, schooljaar, name)
    try:
        with (folder / name).open("r", encoding="utf-8", newline="") as handle:
            frame = pd.read_csv(handle, dtype=str, keep_default_na=False)
    except (OSError, UnicodeDecodeError) as exc:
        raise CodeTableError(f"{label}: het bestand kan niet worden gelezen ({os_reason(exc)})") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError):
        raise CodeTableError(f"{label}: het bestand is leeg of geen geldige CSV") from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise CodeTableError(f"{label}: {'de kolom' if len(missing) == 1 else 'de kolommen'} "
                             f"{', '.join(missing)} {'ontbreekt' if len(missing) == 1 else 'ontbreken'}")
    return frame[list(columns)]


def _bad_rows(label, frame, mask, describe):
    """One message per offending row; file rows count the header as row 1."""
    return [f"{label} rij {i + 2}: {describe(frame.loc[i])}" for i in frame.index[mask]]


def _check_values(frame, label, spec):
    problems = []
    for column, allowed in spec.items():
        values = frame[column]
        if allowed is None:
            problems += _bad_rows(label, frame, values.str.strip() == "", lambda r, c=column: f"{c} is leeg")
        else:
            shown = ", ".join(a if a else "leeg" for a in allowed)
            problems += _bad_rows(label, frame, ~values.isin(allowed),
                                  lambda r, c=column, s=shown: f"{c} {r[c]!r} is niet één van {s}")
    return problems


def _check_code(frame, label, column):
    return _bad_rows(label, frame, ~frame[column].str.fullmatch(r"\d{4}"),
                     lambda r: f"{column} {r[column]!r} is geen code van 4 cijfers")


def _check_opleidingen(frame, label):
    problems = _check_code(frame, label, "opleidingscode") + _check_values(frame, label, OPLEIDING_VALUES)
    first = frame.drop_duplicates("opleidingscode").reset_index().set_index("opleidingscode")["index"]
    duplicate = frame["opleidingscode"].duplicated()
    problems += _bad_rows(label, frame, duplicate, lambda r: f"opleidingscode {r['opleidingscode']} "
                          f"staat al in rij {first[r['opleidingscode']] + 2}")
    inconsistent = (frame["examen"] == "J") != (frame["leerweg"] != "")
    problems += _bad_rows(label, frame, inconsistent & frame["examen"].isin(JN),
                          lambda r: "leerweg is ingevuld als examen J is, en alleen dan "
                                    f"(examen={r['examen']}, leerweg={r['leerweg']!r})")
    return problems


def _check_vakken(frame, label):
    problems = _check_code(frame, label, "vakcode") + _check_values(frame, label, VAK_VALUES)
    exploded = frame.assign(leerweg=frame["leerwegen"].str.split(";")).explode("leerweg").reset_index()
    valid = pd.MultiIndex.from_arrays([exploded["schoolsoort"], exploded["leerweg"]]).isin(VALID_PAIRS)
    bad = exploded.loc[~valid | exploded.duplicated(["index", "leerweg"]), "index"]
    problems += _bad_rows(label, frame, frame.index.isin(bad), lambda r: f"leerwegen {r['leerwegen']!r} is geen "
                          f"met ';' gescheiden lijst van verschillende leerwegen van schoolsoort {r['schoolsoort']!r}")
    key = ["vakcode", "schoolsoort", "leerweg"]
    first = exploded.drop_duplicates(key).set_index(key)["index"]
    repeated = exploded.duplicated(key) & ~exploded.duplicated(["index", "leerweg"])
    for _, row in exploded[repeated].iterrows():
        problems.append(f"{label} rij {row['index'] + 2}: vakcode {row['vakcode']} ({row['schoolsoort']}) "
                        f"leerweg {row['leerweg']} staat al in rij "
                        f"{first[(row['vakcode'], row['schoolsoort'], row['leerweg'])] + 2}")
    return problems


def _read_metadata(folder, root, schooljaar, problems):
    import yaml  # here, not at the top: tables from the cache (engine/cache.py) need no YAML parser
    label = _label(root, schooljaar, "metadata.yaml")
    try:
        with (folder / "metadata.yaml").open("r", encoding="utf-8") as handle:
            metadata = yaml.safe_load(handle)
    except (OSError, UnicodeDecodeError) as exc:
        raise CodeTableError(f"{label}: het bestand kan niet worden gelezen ({os_reason(exc)})") from None
    except yaml.YAMLError:
        raise CodeTableError(f"{label}: geen geldige YAML") from None
    if not isinstance(metadata, dict):
        raise CodeTableError(f"{label}: verwacht sleutels met waarden (sleutel: waarde)")
    if str(metadata.get("schooljaar")) != schooljaar:
        problems.append(f"{label}: schooljaar {metadata.get('schooljaar')!r} past niet bij de map {schooljaar}")
    if metadata.get("status") not in STATUS:
        problems.append(f"{label}: status {metadata.get('status')!r} is niet één van {', '.join(STATUS)}")
    if "officieel" in metadata and not isinstance(metadata["officieel"], bool):
        problems.append(f"{label}: officieel {metadata['officieel']!r} moet true of false zijn")
    if not isinstance(metadata.get("bronnen"), dict) or not metadata["bronnen"]:
        problems.append(f"{label}: bronnen ontbreekt of is leeg")
    return metadata


def _none_if_empty(series):
    return series.where(series != "", None)


def _typed_opleidingen(frame):
    frame = frame.copy()
    for column in ("leerweg", "profiel"):
        frame[column] = _none_if_empty(frame[column])
    for column in ("lwoo", "examen"):
        frame[column] = frame[column] == "J"
    return frame


def _typed_vakken(frame):
    frame = frame.copy()
    frame["leerwegen"] = frame["leerwegen"].map(lambda text: tuple(text.split(";")))
    for column in ("kernvak", "beroepsgericht", "afkorting"):
        frame[column] = _none_if_empty(frame[column])
    for column in ("heeft_ce", "combinatiecijfer_component", "actueel"):
        frame[column] = frame[column] == "J"
    return frame


# ---------------------------------------------------------------- diff

def diff(year_a: str, year_b: str, root=None) -> CodeTablesDiff:
    """Codes added, removed and changed (with the changed fields) from year_a to year_b."""
    a, b = load(year_a, root), load(year_b, root)
    return CodeTablesDiff(year_a, year_b, _diff_opleidingen(a.opleidingen, b.opleidingen),
                          _diff_vakken(a.vakken, b.vakken))


def _diff_maps(old, new, compare):
    added = tuple(sorted(set(new) - set(old)))
    removed = tuple(sorted(set(old) - set(new)))
    changed = {}
    for key in sorted(set(old) & set(new)):
        fields = compare(old[key], new[key])
        if fields:
            changed[key] = fields
    return TableDiff(added, removed, changed)


def _diff_opleidingen(old, new):
    def rows(frame):
        return {r["opleidingscode"]: r for r in frame.to_dict("records")}

    def compare(a, b):
        return {c: (a[c], b[c]) for c in OPLEIDING_COLUMNS[1:] if a[c] != b[c]}

    return _diff_maps(rows(old), rows(new), compare)


def _diff_vakken(old, new):
    fields = [c for c in VAK_COLUMNS if c not in ("vakcode", "schoolsoort", "leerwegen")]

    def rows(frame):
        result = {}
        for r in frame.to_dict("records"):
            for lw in r["leerwegen"]:
                result.setdefault((r["vakcode"], r["schoolsoort"]), {})[lw] = r
        return result

    def compare(a, b):
        changes = {}
        if set(a) != set(b):
            changes["leerwegen"] = (";".join(_ordered(a)), ";".join(_ordered(b)))
        common = _ordered(set(a) & set(b))
        for field in fields:
            per_lw = {lw: (a[lw][field], b[lw][field]) for lw in common if a[lw][field] != b[lw][field]}
            if per_lw and len(per_lw) == len(common) and len(set(per_lw.values())) == 1:
                changes[field] = next(iter(per_lw.values()))
            else:
                changes.update({f"{field} [{lw}]": change for lw, change in per_lw.items()})
        return changes

    return _diff_maps(rows(old), rows(new), compare)


def _ordered(leerwegen):
    return [lw for lw in LEERWEGEN if lw in leerwegen]


# ---------------------------------------------------------------- text

def _fmt(value):
    if isinstance(value, bool):
        return "J" if value else "N"
    if isinstance(value, tuple):
        return ";".join(value)
    return "-" if value is None or value == "" else str(value)


def _normalise_code(code):
    code = str(code).strip()
    return code.zfill(4) if code.isdigit() and len(code) < 4 else code


def _block(row, columns):
    width = max(len(c) for c in columns)
    return "\n".join(f"  {c.ljust(width)}  {_fmt(row[c])}" for c in columns)


def show_text(schooljaar: str, vak: str | None = None, opleiding: str | None = None, root=None) -> str:
    """Text for `codetables show`: a summary of the year, or the rows of one vakcode and/or opleidingscode."""
    tables = load(schooljaar, root)
    if vak is None and opleiding is None:
        return _summary(tables)
    parts = []
    if opleiding is not None:
        code = _normalise_code(opleiding)
        row = tables.opleiding(code)
        if row is None:
            raise CodeTableError(f"opleidingscode {code} staat niet in de codetabellen van {schooljaar}")
        parts.append(f"opleidingscode {code} ({schooljaar})\n{_block(row, OPLEIDING_COLUMNS[1:])}")
    if vak is not None:
        code = _normalise_code(vak)
        rows = tables.vakken[tables.vakken["vakcode"] == code]
        if not len(rows):
            raise CodeTableError(f"vakcode {code} staat niet in de codetabellen van {schooljaar}")
        for row in rows.to_dict("records"):
            parts.append(f"vakcode {code} {row['schoolsoort']} {_fmt(row['leerwegen'])} ({schooljaar})\n"
                         f"{_block(row, VAK_COLUMNS[3:])}")
    return "\n\n".join(parts) + "\n"


def show_data(schooljaar: str, fmt: str, vak: str | None = None, opleiding: str | None = None, root=None) -> str:
    """`codetables show --format json|csv`: the (selected) rows of both tables; json adds the metadata."""
    import io
    import json
    tables = load(schooljaar, root)
    opl, vakken = tables.opleidingen, tables.vakken
    if opleiding is not None or vak is not None:
        opl = opl[opl["opleidingscode"] == _normalise_code(opleiding)] if opleiding is not None else opl.iloc[0:0]
        vakken = vakken[vakken["vakcode"] == _normalise_code(vak)] if vak is not None else vakken.iloc[0:0]
    vakken = vakken.assign(leerwegen=vakken["leerwegen"].map(";".join))
    if fmt == "json":
        def records(frame):
            return json.loads(frame.to_json(orient="records", force_ascii=False))
        return json.dumps({"schooljaar": schooljaar, "metadata": tables.metadata, "opleidingen": records(opl),
                           "vakken": records(vakken)}, ensure_ascii=False, indent=2, default=str) + "\n"
    out = io.StringIO()
    if opleiding is not None or vak is None:
        opl.to_csv(out, index=False, lineterminator="\n")
    if vak is not None or opleiding is None:
        if out.tell():
            out.write("\n")
        vakken.to_csv(out, index=False, lineterminator="\n")
    return out.getvalue()


def _summary(tables):
    meta, opl, vak = tables.metadata, tables.opleidingen, tables.vakken
    lines = [f"Codetabellen {tables.schooljaar}: status {meta['status']}"
             + (" (officiële tabel)" if tables.officieel else " (afgeleid, geen officiële tabel voor dit jaar)")]
    if meta.get("toelichting"):
        lines.append(str(meta["toelichting"]))
    lines.append("")
    exam = opl[opl["examen"]]
    lines.append(f"opleidingen: {len(opl)} codes, waarvan {len(exam)} examenopleidingen")
    for leerweg in LEERWEGEN:
        lines.append(f"  {leerweg.ljust(8)} {int((exam['leerweg'] == leerweg).sum())}")
    lines.append(f"vakken: {vak[['vakcode', 'schoolsoort']].drop_duplicates().shape[0]} combinaties van vakcode "
                 "en schoolsoort")
    for soort in SCHOOLSOORT_LEERWEGEN:
        rows = vak[vak["schoolsoort"] == soort].drop_duplicates("vakcode")
        lines.append(f"  {soort.ljust(8)} {len(rows)} codes, {int(rows['actueel'].sum())} actueel")
    lines.append("")
    lines.append("bronnen:")
    for name, info in (meta.get("bronnen") or {}).items():
        lines.append(f"  {name}:")
        sources = info.get("afgeleid_van", []) if isinstance(info, dict) else [info]
        lines.extend(f"    - {source}" for source in sources)
    return "\n".join(lines) + "\n"


def diff_text(year_a: str, year_b: str, root=None) -> str:
    """Text for `codetables diff`: added, removed and changed codes between two school years."""
    result = diff(year_a, year_b, root)
    a, b = load(year_a, root), load(year_b, root)
    lines = [f"Codetabellen {year_a} -> {year_b}"]
    sections = (
        ("opleidingen", result.opleidingen, lambda key, t: f"{key} {_opleiding_name(t, key)}"),
        ("vakken", result.vakken, lambda key, t: f"{key[0]} ({key[1]}) {_vak_name(t, key)}"),
    )
    for title, table_diff, name in sections:
        lines.append(f"{title}: {len(table_diff.added)} toegevoegd, {len(table_diff.removed)} vervallen, "
                     f"{len(table_diff.changed)} gewijzigd")
        lines.extend(f"  + {name(key, b)}" for key in table_diff.added)
        lines.extend(f"  - {name(key, a)}" for key in table_diff.removed)
        for key, fields in table_diff.changed.items():
            changes = "; ".join(f"{f}: {_fmt(old)} -> {_fmt(new)}" for f, (old, new) in fields.items())
            lines.append(f"  ~ {name(key, b)}: {changes}")
    return "\n".join(lines) + "\n"


def _opleiding_name(tables, code):
    return tables.opleiding(code)["omschrijving"]


def _vak_name(tables, key):
    rows = tables.vakken[(tables.vakken["vakcode"] == key[0]) & (tables.vakken["schoolsoort"] == key[1])]
    return rows.iloc[0]["naam"]
