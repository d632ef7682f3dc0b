"""Import DUO's published code-table files into a code-table folder (`examenbron codetables import`).

Reads, in any order, the files DUO and OCW publish (and the CSV forms made from them):

| soort                | formats                                                                  |
|----------------------|--------------------------------------------------------------------------|
| DUO opleidingen      | `Dec_vooropl.asc` (fixed width, first line the version date) or its CSV form `elementcodes-duo-vooropl.csv` |
| DUO vakken           | `Dec_vakcode.asc` (fixed width, 151 characters a line) or `vakcodes-duo.csv` |
| regeling vakken      | `vakcodes-JJJJ-JJJJ.csv` (Regeling codetabellen, Bijlage III)             |
| regeling opleidingen | `elementcodes-JJJJ-JJJJ.csv` (Regeling codetabellen, Bijlage I; optional) |

and combines them with the curated facts in `codetables/curated/` (classes of opleidingscodes,
exam attributes per vak, which DUO-only vakcodes to include) into `opleidingen.csv`, `vakken.csv`
and `metadata.yaml` of one school year. The metadata names every source file (name, date, sha256)
and says whether the table is `officieel` (DUO's table for that year) or derived (`--afgeleid`:
carried forward from other years' files, as the bundled years are).

A file that cannot be read completely stops the import with the file and line; nothing is written
until every check passed, and the year folder is replaced in one rename.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

import yaml

from examenbron.engine.errors import CodeTableError, os_reason
from examenbron.engine.inputs import codetables
from examenbron.engine.vocabulary import LEERWEGEN, SCHOOLSOORT_LEERWEGEN

HAVOVWO_PROFIEL = ["NT", "NG", "EM", "CM", "NT+NG", "NT+EM", "NT+CM", "NG+CM", "NG+EM", "EM+CM"]
VMBO_LEERWEG = {"BB": "VMBO-BB", "KB": "VMBO-KB", "GL": "VMBO-GL", "TL": "VMBO-TL"}
ATTRIBUTES = ["actueel", "kernvak", "heeft_ce", "beoordeling", "combinatiecijfer_component", "beroepsgericht"]
CURATED_FILES = ("opleidingsklassen.csv", "vakattributen.csv", "duo_vakken.csv")

# The `bron` values written into the tables.
DUO_VAK = "duo-vakcode"

# Columns of the CSV forms, by soort.
CSV_HEADERS = {
    "duo_opleidingen": ("code", "duo_code", "soort", "omschrijving", "schoolsoort", "lwoo"),
    "duo_vakken": ("vakcode", "omschrijving", "roepnaam", "afkorting"),
    "regeling_vakken": ("vakcode", "naam", "roepnaam", "afkorting", "schoolsoort", "status", "leerwegen",
                        "categorie"),
    "regeling_opleidingen": ("code", "omschrijving", "leerjaren", "schoolsoort", "lwoo"),
}
SOORT_TEXT = {
    "duo_opleidingen": "DUO-decodetabel opleidingen (Dec_vooropl)",
    "duo_vakken": "DUO-decodetabel vakken (Dec_vakcode)",
    "regeling_vakken": "Regeling codetabellen, vakcodetabel (Bijlage III)",
    "regeling_opleidingen": "Regeling codetabellen, elementcodetabel (Bijlage I)",
}
REQUIRED = ("duo_opleidingen", "duo_vakken", "regeling_vakken")

# Dec_vakcode.asc: vakcode 1-4, omschrijving 5-116, roepnaam 117-146, afkorting 147-151 (as found in the
# file; DUO's own description gives roepnaam length 24, which does not fit the data).
VAKCODE_WIDTH = 151
VAKCODE_FIELDS = (("vakcode", 0, 4), ("omschrijving", 4, 116), ("roepnaam", 116, 146), ("afkorting", 146, 151))

# The schoolsoort of a Dec_vooropl description, first match wins. These patterns reproduce the derived
# `schoolsoort` of the shared reference CSV (elementcodes-duo-vooropl.csv) for all 1 013 VO rows of
# Dec_vooropl version 2020-08-03; only the exam codes' leerweg depends on it.
SCHOOLSOORT_PATTERNS = (
    ("VAVO", r"VAVO"),
    ("PRO", r"Praktijkonderwijs"),
    ("IB", r"Baccalaurea"),
    ("ESS", r"European Secondary School"),
    ("ONDERBOUW", r"\bLjvb|\bLj LWOO vb|(?i:algemeen leerjaar)|Voorbereidend"),
    ("OTHER", r"^(?!.*VMBO).*\b(VBO|LBO|LTO|LHNO|ITO|LEAO|MIDDENSCHOOL)\b|Gemengd Diploma"),
    ("VMBO-BB-LWT", r"\bLWT\b|Leerwerktraject"),
    ("VMBO-BB", r"Basisbg|Basisberoepsgerichte|\bBBG?\b|VMBO-BL|\bA O\b|\bENT\b"),
    ("VMBO-KB", r"Kaderbg|Kaderberoepsgerichte|\bKBG?\b|VMBO-KL"),
    ("VMBO-GL", r"Gemengde|\bGLG?\b"),
    ("VMBO-TL", r"Theor Lw|Theoretische Leerweg|\bTLG\b|VMBO-TL|MAVO|\bmavo\b"),
    ("VWO", r"VWO|\bATH|\bGYM|\bLYC|Atheneum|Gymnasium|Lyceum"),
    ("HAVO", r"HAVO|Hoger Algemeen Voortgezet"),
)


class ImportFout(CodeTableError):
    """A source file or curated input cannot be used; the message names the file and line."""


@dataclass
class Bron:
    """One source file, read completely: its rows (each with the line it came from) and provenance."""

    pad: Path
    soort: str
    rijen: list
    sha256: str
    datum: str
    datum_herkomst: str
    schooljaar: str | None = None        # the school year a regulation file is for
    regels: int = 0

    @property
    def naam(self) -> str:
        return self.pad.name

    def metadata(self) -> dict:
        entry = {"bestand": self.naam, "soort": SOORT_TEXT[self.soort], "datum": self.datum,
                 "datum_herkomst": self.datum_herkomst, "sha256": self.sha256, "regels": self.regels}
        if self.schooljaar:
            entry["schooljaar"] = self.schooljaar
        return entry


@dataclass
class Resultaat:
    """What an import wrote."""

    map: Path
    opleidingen: int
    vakken: int
    officieel: bool
    bronnen: list = field(default_factory=list)


# ---------------------------------------------------------------- reading the sources

def lees_bron(pad: Path) -> Bron:
    """Read one DUO/OCW file; its soort follows from its content (CSV header or fixed-width layout)."""
    pad = Path(pad)
    try:
        data = pad.read_bytes()
    except OSError as exc:
        raise ImportFout(f"{pad}: kan het bestand niet lezen ({os_reason(exc)})") from None
    if not data.strip():
        raise ImportFout(f"{pad}: het bestand is leeg")
    digest = hashlib.sha256(data).hexdigest()
    mtime = datetime.date.fromtimestamp(pad.stat().st_mtime).isoformat()
    first = data.split(b"\n", 1)[0].rstrip(b"\r")
    if first[:1] == b" " and first.strip()[:1].isdigit():  # Dec_vooropl: the version date, right-aligned
        rijen, versie = _vooropl_asc(pad, data)
        return Bron(pad, "duo_opleidingen", rijen, digest, versie, "versieregel in het bestand",
                    regels=_line_count(data))
    if re.match(rb"\d{4}\D", first):  # Dec_vakcode: a vakcode and its omschrijving, no header
        return Bron(pad, "duo_vakken", _vakcode_asc(pad, data), digest, mtime, "wijzigingsdatum van het bestand",
                    regels=_line_count(data))
    text = _decode(pad, data, "utf-8-sig")
    header = tuple(next(csv.reader(io.StringIO(text.split("\n", 1)[0]))))
    soort = next((s for s, columns in CSV_HEADERS.items() if header == columns), None)
    if soort is None:
        raise ImportFout(f"{pad} regel 1: onbekend formaat; verwacht Dec_vooropl.asc, Dec_vakcode.asc of een "
                         f"CSV met de kolommen van een van: "
                         + "; ".join(f"{SOORT_TEXT[s]}: {','.join(c)}" for s, c in CSV_HEADERS.items()))
    year = None
    if soort.startswith("regeling"):
        match = re.search(r"(\d{4})-(\d{4})", pad.name)
        if not match or int(match.group(2)) != int(match.group(1)) + 1:
            raise ImportFout(f"{pad}: de naam van een regelingsbestand moet het schooljaar noemen "
                             f"(bijvoorbeeld vakcodes-2015-2016.csv)")
        year = match.group(0)
    rijen = _csv_rows(pad, text, header)
    if soort == "duo_opleidingen":
        rijen = [r for r in rijen if r["soort"] == "regulier"]
    return Bron(pad, soort, rijen, digest, mtime, "wijzigingsdatum van het bestand", year, _line_count(data))


def _line_count(data: bytes) -> int:
    return len(data.splitlines())


def _decode(pad, data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise ImportFout(f"{pad} regel {line}: ongeldige tekens voor {encoding} (byte {exc.start})") from None


def _csv_rows(pad, text: str, header: tuple) -> list[dict]:
    rows = []
    reader = csv.reader(io.StringIO(text, newline=""))
    next(reader)
    try:
        for values in reader:
            line = reader.line_num
            if not values:
                continue
            if len(values) != len(header):
                raise ImportFout(f"{pad} regel {line}: {len(values)} velden, verwacht {len(header)} "
                                 f"({','.join(header)}); is het bestand onvolledig?")
            row = dict(zip(header, (v.strip() for v in values)))
            code = row[header[0]]
            if not re.fullmatch(r"\d{4}", code):
                raise ImportFout(f"{pad} regel {line}: {header[0]} {code!r} is geen code van 4 cijfers")
            row["regel"] = line
            rows.append(row)
    except csv.Error as exc:
        raise ImportFout(f"{pad} regel {reader.line_num}: ongeldige CSV ({exc})") from None
    if not rows:
        raise ImportFout(f"{pad}: het bestand heeft geen rijen onder de kopregel")
    return rows


def _asc_lines(pad, data: bytes):
    text = _decode(pad, data, "latin-1")
    for number, line in enumerate(text.splitlines(), start=1):
        yield number, line


def _vakcode_asc(pad, data: bytes) -> list[dict]:
    """Dec_vakcode.asc: one vakcode a line, fixed width (see VAKCODE_FIELDS)."""
    rows = []
    for number, line in _asc_lines(pad, data):
        if not line.strip():
            continue
        if len(line) != VAKCODE_WIDTH:
            raise ImportFout(f"{pad} regel {number}: {len(line)} tekens, verwacht {VAKCODE_WIDTH} "
                             f"(vaste breedte van Dec_vakcode); is het bestand onvolledig?")
        row = {name: line[start:end].strip() for name, start, end in VAKCODE_FIELDS}
        if not re.fullmatch(r"\d{4}", row["vakcode"]) or not row["omschrijving"]:
            raise ImportFout(f"{pad} regel {number}: verwacht een vakcode van 4 cijfers en een omschrijving, "
                             f"gevonden {line[:20].rstrip()!r}")
        row["regel"] = number
        rows.append(row)
    return rows


def _vooropl_asc(pad, data: bytes) -> tuple[list[dict], str]:
    """Dec_vooropl.asc: the version date, then code (5), onderwijssector (3), omschrijving.

    Only the regular VO codes (`V` + elementcode) are kept, as in the reference CSV form.
    """
    rows, versie = [], None
    for number, line in _asc_lines(pad, data):
        if number == 1:
            stamp = line.strip()
            try:
                versie = datetime.datetime.strptime(stamp, "%Y%m%d").date().isoformat()
            except ValueError:
                raise ImportFout(f"{pad} regel 1: {stamp!r} is geen versiedatum (JJJJMMDD)") from None
            continue
        if not line.strip():
            continue
        if len(line) < 9 or not re.fullmatch(r"[0-9A-Z]\d{4}", line[:5]) or line[5:8].strip() not in \
                ("VO", "MBO", "HO", "OVG"):
            raise ImportFout(f"{pad} regel {number}: verwacht code (5 tekens), onderwijssector (VO, MBO, HO, "
                             f"OVG) en omschrijving, gevonden {line[:20]!r}; is het bestand onvolledig?")
        if line[5:8].strip() != "VO" or line[0] != "V":
            continue
        text = line[8:].strip()
        rows.append({"code": line[1:5], "omschrijving": text, "schoolsoort": schoolsoort(text),
                     "lwoo": "J" if re.search(r"\bLWO[O0]\b", text) else "N", "regel": number})
    if not rows:
        raise ImportFout(f"{pad}: geen VO-opleidingscodes (V + 4 cijfers) gevonden")
    return rows, versie


def schoolsoort(omschrijving: str) -> str:
    """The schoolsoort a Dec_vooropl description names (SCHOOLSOORT_PATTERNS, first match)."""
    return next((soort for soort, pattern in SCHOOLSOORT_PATTERNS if re.search(pattern, omschrijving)), "OTHER")


# ---------------------------------------------------------------- curated inputs

def curated_root(codetables_root=None) -> Path:
    """`curated/` beside the year folders when it exists, else the installed package's."""
    if codetables_root is not None and (Path(codetables_root) / "curated").is_dir():
        return Path(codetables_root) / "curated"
    return Path(str(files("examenbron.codetables") / "curated"))


def _read_curated(folder: Path, name: str) -> list[dict]:
    path = folder / name
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFout(f"{path}: kan het bestand niet lezen ({os_reason(exc)})") from None
    except csv.Error:
        raise ImportFout(f"{path}: geen geldige CSV") from None


def year_index(schooljaar: str) -> int:
    """First calendar year of a school year ("2018-2019" -> 2018)."""
    if not re.fullmatch(r"\d{4}-\d{4}", schooljaar) or int(schooljaar[5:]) != int(schooljaar[:4]) + 1:
        raise ImportFout(f"ongeldig schooljaar {schooljaar!r}; verwacht bijvoorbeeld 2027-2028")
    return int(schooljaar[:4])


def _selector(text, where):
    """Parse '1020', '1201-1299' or a ';' list of both into [(lo, hi, is_exact)]."""
    parts = []
    for item in text.split(";"):
        match = re.fullmatch(r"(\d{4})(?:-(\d{4}))?", item.strip())
        if not match:
            raise ImportFout(f"{where}: ongeldige vakcodekeuze {item!r}")
        parts.append((match.group(1), match.group(2) or match.group(1), match.group(2) is None))
    return parts


def _selector_match(parts, code):
    """'exact', 'range' or None for a code against a parsed selector."""
    for lo, hi, exact in parts:
        if lo <= code <= hi:
            return "exact" if exact else "range"
    return None


def _leerwegen(text, soort, where):
    """'VMBO-BB;VMBO-GL' as a tuple in canonical order; empty means every leerweg of the schoolsoort."""
    allowed = SCHOOLSOORT_LEERWEGEN[soort]
    if not text:
        return allowed
    unknown = [i for i in text.split(";") if i not in allowed]
    if unknown:
        raise ImportFout(f"{where}: leerwegen {', '.join(unknown)} horen niet bij {soort}")
    return tuple(lw for lw in allowed if lw in text.split(";"))


def _attributes(folder: Path) -> list[dict]:
    rows = []
    checks = {"actueel": {"J", "N"}, "heeft_ce": {"J", "N"}, "combinatiecijfer_component": {"J", "N"},
              "kernvak": {"", "NE", "EN", "WI"}, "beoordeling": {"cijfer", "VGO", "geen"},
              "beroepsgericht": {"", "profielvak", "keuzevak"}}
    for n, row in enumerate(_read_curated(folder, "vakattributen.csv"), start=2):
        where = f"{folder / 'vakattributen.csv'} regel {n}"
        if row.get("schoolsoort") not in SCHOOLSOORT_LEERWEGEN:
            raise ImportFout(f"{where}: schoolsoort {row.get('schoolsoort')!r}, verwacht havo/vwo of vmbo")
        for column, allowed in checks.items():
            if row.get(column) not in allowed:
                raise ImportFout(f"{where}: {column} {row.get(column)!r}, verwacht een van "
                                 f"{', '.join(sorted(a or 'leeg' for a in allowed))}")
        if not row.get("bron"):
            raise ImportFout(f"{where}: bron is leeg")
        rows.append({**row, "where": where, "parts": _selector(row["vakcode"], where),
                     "restrict": _leerwegen(row["leerwegen"], row["schoolsoort"], where),
                     "from": year_index(row["vanaf"]) if row["vanaf"] else -1,
                     "to": year_index(row["tot"]) if row["tot"] else 9999})
    return rows


# ---------------------------------------------------------------- building the tables

def _opleidingen(duo: Bron, regeling: Bron | None, folder: Path) -> list[dict]:
    """Every regular VO code of DUO's table, classified by curated/opleidingsklassen.csv."""
    # The CSV form carries no version date, so its rows are tagged without one.
    duo_tag = f"duo-vooropl-{duo.datum}" if duo.datum_herkomst.startswith("versieregel") else "duo-vooropl"
    regeling_codes = {r["code"] for r in regeling.rijen} if regeling else set()
    regeling_tag = f"regeling-{regeling.schooljaar}" if regeling else ""
    missing = regeling_codes - {r["code"] for r in duo.rijen}
    if missing:
        raise ImportFout(f"{regeling.pad}: {len(missing)} code(s) staan niet in {duo.naam}: "
                         f"{', '.join(sorted(missing)[:10])}")
    klassen = _read_curated(folder, "opleidingsklassen.csv")
    vmbo_profielen = {}
    for row in sorted(duo.rijen, key=lambda r: not r["code"].startswith("6")):  # 6xxx spelling wins
        match = re.search(r"\bProfiel (.+)$", row["omschrijving"])
        if match:
            vmbo_profielen.setdefault(match.group(1).lower(), match.group(1))
    rows, seen = [], {}
    for row in duo.rijen:
        code = row["code"]
        if code in seen:
            raise ImportFout(f"{duo.pad} regel {row['regel']}: opleidingscode {code} staat al op regel {seen[code]}")
        seen[code] = row["regel"]
        klasse = next((k for k in klassen if re.fullmatch(k["codepatroon"], code)), None)
        if klasse is None:
            raise ImportFout(f"{duo.pad} regel {row['regel']}: opleidingscode {code} past bij geen regel van "
                             f"{folder / 'opleidingsklassen.csv'}")
        examen = klasse["examen"] == "J"
        rows.append({
            "opleidingscode": code,
            "omschrijving": row["omschrijving"],
            "leerweg": _opleiding_leerweg(duo, row) if examen else "",
            "profiel": _opleiding_profiel(klasse["profiel"], row, vmbo_profielen),
            "lwoo": row["lwoo"],
            "examen": klasse["examen"],
            "categorie": klasse["categorie"],
            "bron": f"{regeling_tag};{duo_tag}" if code in regeling_codes else duo_tag,
        })
    return sorted(rows, key=lambda r: r["opleidingscode"])


def _opleiding_leerweg(duo: Bron, row: dict) -> str:
    soort = row["schoolsoort"]
    if soort == "VAVO":
        text = row["omschrijving"]
        soort = "VWO" if re.search(r"ATHENEUM|GYMNASIUM", text) else "HAVO" if "HAVO" in text else "VMBO-TL"
    soort = {"VMBO-BB-LWT": "VMBO-BB"}.get(soort, soort)
    if soort not in LEERWEGEN:
        raise ImportFout(f"{duo.pad} regel {row['regel']}: examencode {row['code']} ({row['omschrijving']}) "
                         f"heeft geen leerweg (schoolsoort {row['schoolsoort']})")
    return soort


def _opleiding_profiel(method, row, vmbo_profielen):
    if method == "havovwo":
        return HAVOVWO_PROFIEL[int(row["code"][3])] if row["code"][2] in "57" else ""
    if method == "vmbo":
        match = re.search(r"\bProfiel (.+)$", row["omschrijving"])
        return vmbo_profielen[match.group(1).lower()] if match else ""
    return ""


def _base_vakken(regeling: Bron, duo: Bron, folder: Path) -> dict:
    """Vak rows without attributes: the regulation's table plus the DUO-only codes chosen in
    curated/duo_vakken.csv."""
    base = {}
    tag = f"regeling-{regeling.schooljaar}"
    for row in regeling.rijen:
        soort = row["schoolsoort"]
        if soort not in SCHOOLSOORT_LEERWEGEN:
            continue  # volwasseneneducatie
        items = row["leerwegen"].split(";")
        try:
            leerwegen = tuple(VMBO_LEERWEG[i] for i in items) if soort == "vmbo" else \
                tuple(SCHOOLSOORT_LEERWEGEN[soort][("havo", "vwo").index(i)] for i in items)
        except (KeyError, ValueError):
            raise ImportFout(f"{regeling.pad} regel {row['regel']}: leerwegen {row['leerwegen']!r} passen niet "
                             f"bij {soort}") from None
        key = (row["vakcode"], soort)
        if key in base:
            raise ImportFout(f"{regeling.pad} regel {row['regel']}: vakcode {row['vakcode']} ({soort}) staat "
                             f"er twee keer in")
        base[key] = {"naam": row["naam"], "afkorting": row["afkorting"], "leerwegen": leerwegen,
                     "bron": tag, "status": row["status"]}
    codes = {}
    for row in duo.rijen:
        if row["vakcode"] in codes:
            raise ImportFout(f"{duo.pad} regel {row['regel']}: vakcode {row['vakcode']} staat al op regel "
                             f"{codes[row['vakcode']]['regel']}")
        codes[row["vakcode"]] = row
    for n, sel in enumerate(_read_curated(folder, "duo_vakken.csv"), start=2):
        where = f"{folder / 'duo_vakken.csv'} regel {n}"
        parts = _selector(sel["vakcode"], where)
        leerwegen = _leerwegen(sel["leerwegen"], sel["schoolsoort"], where)
        for lo, _, exact in parts:
            if exact and lo not in codes:
                raise ImportFout(f"{where}: vakcode {lo} staat niet in {duo.naam}")
        for code, row in codes.items():
            key = (code, sel["schoolsoort"])
            if _selector_match(parts, code) and key not in base:
                base[key] = {"naam": row["omschrijving"], "afkorting": row["afkorting"],
                             "leerwegen": leerwegen, "bron": DUO_VAK, "status": ""}
    return base


def _vakken(base: dict, attributes: list, schooljaar: str) -> list[dict]:
    """One row per (vakcode, schoolsoort) and group of leerwegen with equal attributes."""
    year = year_index(schooljaar)
    active = [a for a in attributes if a["from"] <= year <= a["to"]]
    out = []
    for (code, soort), vak in base.items():
        matches = [(_selector_match(a["parts"], code), a) for a in active if a["schoolsoort"] == soort]
        chosen = [a for kind, a in matches if kind == "exact"] or [a for kind, a in matches if kind == "range"]
        covered, groups = [], {}
        for attr in chosen:
            leerwegen = [lw for lw in vak["leerwegen"] if lw in attr["restrict"]]
            if set(leerwegen) & set(covered):
                raise ImportFout(f"{attr['where']}: vak {code} ({soort}) krijgt voor "
                                 f"{', '.join(sorted(set(leerwegen) & set(covered)))} twee keer kenmerken")
            covered.extend(leerwegen)
            if vak["status"] == "oud" and attr["actueel"] != "N":
                raise ImportFout(f"{attr['where']}: vak {code} heeft status 'oud' maar actueel=J")
            if leerwegen:
                groups.setdefault(tuple(attr[c] for c in ATTRIBUTES), []).extend(leerwegen)
        for values, leerwegen in groups.items():
            out.append({"vakcode": code, "schoolsoort": soort,
                        "leerwegen": ";".join(lw for lw in vak["leerwegen"] if lw in leerwegen),
                        "naam": vak["naam"], "afkorting": vak["afkorting"],
                        **dict(zip(ATTRIBUTES, values)), "bron": vak["bron"]})
        uncovered = [lw for lw in vak["leerwegen"] if lw not in covered]
        if uncovered:
            raise ImportFout(f"{schooljaar}: vak {code} ({soort}) heeft geen kenmerken voor "
                             f"{', '.join(uncovered)}; voeg een regel toe aan curated/vakattributen.csv")
    return sorted(out, key=lambda r: (r["vakcode"], r["schoolsoort"], r["leerwegen"]))


def _csv_text(rows, columns) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _metadata(schooljaar, bronnen: dict, officieel: bool, curated: Path, status: str, herkomst) -> dict:
    opl, vak = bronnen["duo_opleidingen"], bronnen["duo_vakken"]
    reg_vak, reg_opl = bronnen["regeling_vakken"], bronnen.get("regeling_opleidingen")
    if officieel:
        toelichting = (f"Officiële codetabel {schooljaar}: geïmporteerd uit de bestanden van DUO/OCW voor "
                       f"dit schooljaar (zie bestanden).")
    else:
        jaren = sorted({b.schooljaar for b in bronnen.values() if b.schooljaar})
        toelichting = (f"Afgeleide codetabel: er is geen officiële codetabel voor {schooljaar} geïmporteerd. "
                       f"De codes komen uit de regeling {', '.join(jaren)} en DUO's decodetabellen "
                       f"({opl.naam} {opl.datum}, {vak.naam}); een onbekende code is daarom een attentie, "
                       f"geen afkeur.")
    opleidingen_van = [f"{opl.naam} ({SOORT_TEXT[opl.soort]}, {opl.datum}): codelijst en omschrijving"]
    if reg_opl:
        opleidingen_van.append(f"{reg_opl.naam} ({SOORT_TEXT[reg_opl.soort]} {reg_opl.schooljaar}): "
                               f"codes met bron=regeling-{reg_opl.schooljaar}")
    opleidingen_van.append("curated/opleidingsklassen.csv: categorie, examen, profiel")
    return {
        "schooljaar": schooljaar,
        "status": status,
        "officieel": officieel,
        "afgeleid": not officieel,
        "toelichting": toelichting,
        "bronnen": {
            "opleidingen.csv": {"afgeleid_van": opleidingen_van},
            "vakken.csv": {"afgeleid_van": [
                f"{reg_vak.naam} ({SOORT_TEXT[reg_vak.soort]} {reg_vak.schooljaar}): codes, naam, afkorting, "
                f"leerwegen (bron=regeling-{reg_vak.schooljaar})",
                f"{vak.naam} ({SOORT_TEXT[vak.soort]}): codes gekozen in curated/duo_vakken.csv "
                f"(bron={DUO_VAK})",
                f"curated/vakattributen.csv: kernvak, heeft_ce, beoordeling, combinatiecijfer_component, "
                f"beroepsgericht, actueel zoals geldig in {schooljaar}",
            ]},
        },
        **({"herkomst": herkomst} if herkomst else {}),
        "bestanden": [b.metadata() for b in sorted(bronnen.values(), key=lambda b: b.naam)],
        "invoer_sha256": {f"curated/{name}": hashlib.sha256((curated / name).read_bytes()).hexdigest()
                          for name in CURATED_FILES},
        "gegenereerd_door": "examenbron codetables import",
    }


def build(paden, schooljaar: str, *, officieel: bool = True, status: str = "definitief",
          codetables_root=None, herkomst: str | None = None) -> dict[str, str]:
    """The three files of a year folder (name -> text) from the given source files."""
    year_index(schooljaar)
    if status not in codetables.STATUS:
        raise ImportFout(f"status {status!r} is niet een van {', '.join(codetables.STATUS)}")
    bronnen: dict[str, Bron] = {}
    for pad in paden:
        bron = lees_bron(pad)
        if bron.soort in bronnen:
            raise ImportFout(f"{bron.pad} en {bronnen[bron.soort].pad} zijn allebei een "
                             f"{SOORT_TEXT[bron.soort]}; geef er één")
        bronnen[bron.soort] = bron
    missing = [s for s in REQUIRED if s not in bronnen]
    if missing:
        raise ImportFout("onvolledige import, er ontbreekt: " + "; ".join(
            f"{SOORT_TEXT[s]} ({_formats(s)})" for s in missing))
    years = sorted({b.schooljaar for b in bronnen.values() if b.schooljaar and b.schooljaar != schooljaar})
    if officieel and years:
        raise ImportFout(f"de regelingsbestanden zijn van {', '.join(years)}, niet van {schooljaar}: dat is geen "
                         f"officiële tabel voor {schooljaar}. Geef --afgeleid om ze als afgeleide tabel over te "
                         f"nemen (een onbekende code wordt dan een attentie)")
    curated = curated_root(codetables_root)
    opleidingen = _opleidingen(bronnen["duo_opleidingen"], bronnen.get("regeling_opleidingen"), curated)
    vakken = _vakken(_base_vakken(bronnen["regeling_vakken"], bronnen["duo_vakken"], curated),
                     _attributes(curated), schooljaar)
    meta = _metadata(schooljaar, bronnen, officieel, curated, status, herkomst)
    return {
        "opleidingen.csv": _csv_text(opleidingen, codetables.OPLEIDING_COLUMNS),
        "vakken.csv": _csv_text(vakken, codetables.VAK_COLUMNS),
        "metadata.yaml": yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=100),
    }


def _formats(soort: str) -> str:
    return {"duo_opleidingen": "Dec_vooropl.asc of elementcodes-duo-vooropl.csv",
            "duo_vakken": "Dec_vakcode.asc of vakcodes-duo.csv",
            "regeling_vakken": "vakcodes-JJJJ-JJJJ.csv"}[soort]


def import_year(paden, schooljaar: str, codetables_root, *, officieel: bool = True, status: str = "definitief",
                vervang: bool = False, herkomst: str | None = None) -> Resultaat:
    """Build the year folder and put it in place: written to a temporary folder beside the target,
    checked by the normal loader, then renamed; on any error nothing under codetables_root changes."""
    from examenbron.engine.rulesets.overlay import check_year_name
    check_year_name(schooljaar)
    root = Path(codetables_root)
    target = root / schooljaar
    if target.exists() and not vervang:
        raise ImportFout(f"{target} bestaat al; geef --vervang om de codetabellen van {schooljaar} te vervangen")
    texts = build(paden, schooljaar, officieel=officieel, status=status, codetables_root=root, herkomst=herkomst)
    root.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(prefix=f".{schooljaar}-", dir=root))
    try:
        for name, text in texts.items():
            with open(temp / name, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
        staged = temp / "jaar"
        staged.mkdir()
        (staged / schooljaar).mkdir()
        for name in texts:
            os.replace(temp / name, staged / schooljaar / name)
        tables = codetables.load(schooljaar, staged)  # the same checks every run applies
        old = None
        if target.exists():
            old = temp / "oud"
            os.replace(target, old)
        os.replace(staged / schooljaar, target)
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    codetables.clear_cache()
    return Resultaat(target, len(tables.opleidingen), len(tables.vakken), officieel,
                     [b["bestand"] for b in tables.metadata["bestanden"]])
