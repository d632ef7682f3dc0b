"""Regenerate codetables/<schooljaar>/ from the shared reference tables and the curated inputs.

Usage: python tools/build_codetables.py [--reference DIR] [--out DIR]
(with examenbron importable, e.g. `pip install -e .`: the column lists and leerwegen come from it)

Inputs (read only here, never at run time):
  <reference>/elementcodes-duo-vooropl.csv, elementcodes-2015-2016.csv,
  <reference>/vakcodes-duo.csv, vakcodes-2015-2016.csv,
  codetables/curated/opleidingsklassen.csv, vakattributen.csv, duo_vakken.csv.
Output is deterministic: rows sorted by key, UTF-8, "\\n" line endings.
"""

import argparse
import csv
import hashlib
import io
import re
import sys
from pathlib import Path

import yaml

from examenbron.engine.inputs.codetables import OPLEIDING_COLUMNS, VAK_COLUMNS
from examenbron.engine.vocabulary import SCHOOLSOORT_LEERWEGEN

ROOT = Path(__file__).resolve().parent.parent
CURATED = ROOT / "codetables" / "curated"
DEFAULT_REFERENCE = Path("/work/shared/reference")
YEARS = [f"{y}-{y + 1}" for y in range(2018, 2027)]
PROVISIONAL = {"2026-2027"}
REGELING = "regeling-2015-2016"
DUO_OPL = "duo-vooropl-2020-08-03"
DUO_VAK = "duo-vakcode"

HAVOVWO_PROFIEL = ["NT", "NG", "EM", "CM", "NT+NG", "NT+EM", "NT+CM", "NG+CM", "NG+EM", "EM+CM"]
VMBO_LEERWEG = {"BB": "VMBO-BB", "KB": "VMBO-KB", "GL": "VMBO-GL", "TL": "VMBO-TL"}
ATTRIBUTES = ["actueel", "kernvak", "heeft_ce", "beoordeling", "combinatiecijfer_component",
              "beroepsgericht"]

REFERENCE_FILES = {
    "elementcodes-duo-vooropl.csv": "DUO decode table Dec_vooropl.asc, version 2020-08-03 "
                                    "(cedanl/1cijferho@332bab7d, VO rows V+elementcode)",
    "elementcodes-2015-2016.csv": "Regeling codetabellen school- en studiejaar 2015-2016 "
                                  "(BWBR0036964), Bijlage I elementcodetabel",
    "vakcodes-2015-2016.csv": "Regeling codetabellen school- en studiejaar 2015-2016 "
                              "(BWBR0036964), Bijlage III vakcodetabel havo/vwo + vmbo",
    "vakcodes-duo.csv": "DUO decode table Dec_vakcode.asc, undated "
                        "(cedanl/1cijferho@332bab7d)",
}


class BuildError(Exception):
    """A reference or curated input is inconsistent."""


def read_csv(path):
    """Read a CSV file as a list of dicts (all values str)."""
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def sha256(path):
    """Hex sha256 of a file."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def year_index(schooljaar):
    """First calendar year of a school year ("2018-2019" -> 2018)."""
    if not re.fullmatch(r"\d{4}-\d{4}", schooljaar) or int(schooljaar[5:]) != int(schooljaar[:4]) + 1:
        raise BuildError(f"invalid school year {schooljaar!r}")
    return int(schooljaar[:4])


def parse_selector(text, where):
    """Parse '1020', '1201-1299' or a ';' list of both into [(lo, hi, is_exact)]."""
    parts = []
    for item in text.split(";"):
        match = re.fullmatch(r"(\d{4})(?:-(\d{4}))?", item.strip())
        if not match:
            raise BuildError(f"{where}: invalid vakcode selector {item!r}")
        lo, hi = match.group(1), match.group(2) or match.group(1)
        parts.append((lo, hi, match.group(2) is None))
    return parts


def selector_matches(parts, code):
    """Return 'exact', 'range' or None for a code against a parsed selector."""
    for lo, hi, exact in parts:
        if lo <= code <= hi:
            return "exact" if exact else "range"
    return None


def parse_leerwegen(text, schoolsoort, where):
    """Parse 'VMBO-BB;VMBO-GL' into a tuple in canonical order; empty means all of the schoolsoort."""
    allowed = SCHOOLSOORT_LEERWEGEN[schoolsoort]
    if not text:
        return allowed
    items = text.split(";")
    unknown = [i for i in items if i not in allowed]
    if unknown:
        raise BuildError(f"{where}: leerwegen {unknown} not allowed for {schoolsoort}")
    return tuple(lw for lw in allowed if lw in items)


# ---------------------------------------------------------------- opleidingen

def build_opleidingen(reference):
    """All VO elementcodes of DUO's Dec_vooropl, classified by opleidingsklassen.csv."""
    duo = [r for r in read_csv(reference / "elementcodes-duo-vooropl.csv") if r["soort"] == "regulier"]
    regeling = {r["code"] for r in read_csv(reference / "elementcodes-2015-2016.csv")}
    missing = regeling - {r["code"] for r in duo}
    if missing:
        raise BuildError(f"codes of the 2015-2016 regulation missing from Dec_vooropl: {sorted(missing)}")
    klassen = read_csv(CURATED / "opleidingsklassen.csv")
    vmbo_profielen = {}
    for row in sorted(duo, key=lambda r: not r["code"].startswith("6")):  # 6xxx spelling wins
        match = re.search(r"\bProfiel (.+)$", row["omschrijving"])
        if match:
            vmbo_profielen.setdefault(match.group(1).lower(), match.group(1))
    rows = []
    for row in duo:
        code = row["code"]
        klasse = next((k for k in klassen if re.fullmatch(k["codepatroon"], code)), None)
        if klasse is None:
            raise BuildError(f"opleidingscode {code} matches no row of opleidingsklassen.csv")
        examen = klasse["examen"] == "J"
        rows.append({
            "opleidingscode": code,
            "omschrijving": row["omschrijving"],
            "leerweg": opleiding_leerweg(row) if examen else "",
            "profiel": opleiding_profiel(klasse["profiel"], row, vmbo_profielen),
            "lwoo": row["lwoo"],
            "examen": klasse["examen"],
            "categorie": klasse["categorie"],
            "bron": f"{REGELING};{DUO_OPL}" if code in regeling else DUO_OPL,
        })
    return sorted(rows, key=lambda r: r["opleidingscode"])


def opleiding_leerweg(row):
    """Leerweg of an exam code, from the reference's derived schoolsoort (VAVO from its description)."""
    soort = row["schoolsoort"]
    if soort == "VAVO":
        text = row["omschrijving"]
        soort = "VWO" if re.search(r"ATHENEUM|GYMNASIUM", text) else "HAVO" if "HAVO" in text else "VMBO-TL"
    soort = {"VMBO-BB-LWT": "VMBO-BB"}.get(soort, soort)
    if soort not in ("VWO", "HAVO", *VMBO_LEERWEG.values()):
        raise BuildError(f"exam code {row['code']} has no leerweg (schoolsoort {row['schoolsoort']})")
    return soort


def opleiding_profiel(method, row, vmbo_profielen):
    """Profiel: NT..EM+CM from the last digit of havo/vwo codes x5d/x7d, or the vmbo profiel name."""
    if method == "havovwo":
        return HAVOVWO_PROFIEL[int(row["code"][3])] if row["code"][2] in "57" else ""
    if method == "vmbo":
        match = re.search(r"\bProfiel (.+)$", row["omschrijving"])
        return vmbo_profielen[match.group(1).lower()] if match else ""
    return ""


# ---------------------------------------------------------------- vakken

def base_vakken(reference):
    """Vak rows (without curated attributes): the 2015-2016 regulation plus selected DUO-only codes."""
    base = {}
    for row in read_csv(reference / "vakcodes-2015-2016.csv"):
        soort = row["schoolsoort"]
        if soort not in SCHOOLSOORT_LEERWEGEN:
            continue
        items = row["leerwegen"].split(";")
        leerwegen = tuple(VMBO_LEERWEG[i] for i in items) if soort == "vmbo" else tuple(i.upper() for i in items)
        key = (row["vakcode"], soort)
        if key in base:
            raise BuildError(f"vakcode {key} twice in vakcodes-2015-2016.csv")
        base[key] = {"naam": row["naam"], "afkorting": row["afkorting"], "leerwegen": leerwegen,
                     "bron": REGELING, "status": row["status"]}
    duo = {r["vakcode"]: r for r in read_csv(reference / "vakcodes-duo.csv")}
    for n, sel in enumerate(read_csv(CURATED / "duo_vakken.csv"), start=2):
        where = f"duo_vakken.csv row {n}"
        parts = parse_selector(sel["vakcode"], where)
        leerwegen = parse_leerwegen(sel["leerwegen"], sel["schoolsoort"], where)
        for lo, hi, exact in parts:
            if exact and lo not in duo:
                raise BuildError(f"{where}: vakcode {lo} is not in Dec_vakcode")
        for code, row in duo.items():
            key = (code, sel["schoolsoort"])
            if selector_matches(parts, code) and key not in base:
                base[key] = {"naam": row["omschrijving"], "afkorting": row["afkorting"],
                             "leerwegen": leerwegen, "bron": DUO_VAK, "status": ""}
    return base


def read_attributes():
    """The curated attribute rows, parsed and checked."""
    rows = []
    for n, row in enumerate(read_csv(CURATED / "vakattributen.csv"), start=2):
        where = f"vakattributen.csv row {n}"
        if row["schoolsoort"] not in SCHOOLSOORT_LEERWEGEN:
            raise BuildError(f"{where}: schoolsoort {row['schoolsoort']!r}")
        checks = {"actueel": {"J", "N"}, "heeft_ce": {"J", "N"}, "combinatiecijfer_component": {"J", "N"},
                  "kernvak": {"", "NE", "EN", "WI"}, "beoordeling": {"cijfer", "VGO", "geen"},
                  "beroepsgericht": {"", "profielvak", "keuzevak"}}
        for column, allowed in checks.items():
            if row[column] not in allowed:
                raise BuildError(f"{where}: {column}={row[column]!r}, expected one of {sorted(allowed)}")
        if not row["bron"]:
            raise BuildError(f"{where}: bron is empty")
        rows.append({**row, "where": where, "parts": parse_selector(row["vakcode"], where),
                     "restrict": parse_leerwegen(row["leerwegen"], row["schoolsoort"], where),
                     "from": year_index(row["vanaf"]) if row["vanaf"] else -1,
                     "to": year_index(row["tot"]) if row["tot"] else 9999})
    return rows


def build_vakken(base, attributes, schooljaar):
    """One output row per (vakcode, schoolsoort) and group of leerwegen with equal attributes."""
    year = year_index(schooljaar)
    active = [a for a in attributes if a["from"] <= year <= a["to"]]
    out = []
    for (code, soort), vak in base.items():
        matches = [(selector_matches(a["parts"], code), a) for a in active if a["schoolsoort"] == soort]
        exact = [a for kind, a in matches if kind == "exact"]
        chosen = exact or [a for kind, a in matches if kind == "range"]
        covered, groups = [], {}
        for attr in chosen:
            leerwegen = [lw for lw in vak["leerwegen"] if lw in attr["restrict"]]
            overlap = set(leerwegen) & set(covered)
            if overlap:
                raise BuildError(f"{schooljaar}: vak {code} ({soort}) leerwegen {sorted(overlap)} "
                                 f"matched twice (see {attr['where']})")
            covered.extend(leerwegen)
            if vak["status"] == "oud" and attr["actueel"] != "N":
                raise BuildError(f"{attr['where']}: vak {code} has status 'oud' but actueel=J")
            if leerwegen:  # leerwegen with equal attributes share one output row
                groups.setdefault(tuple(attr[c] for c in ATTRIBUTES), []).extend(leerwegen)
        for values, leerwegen in groups.items():
            ordered = [lw for lw in vak["leerwegen"] if lw in leerwegen]
            out.append({"vakcode": code, "schoolsoort": soort, "leerwegen": ";".join(ordered),
                        "naam": vak["naam"], "afkorting": vak["afkorting"],
                        **dict(zip(ATTRIBUTES, values)), "bron": vak["bron"]})
        uncovered = [lw for lw in vak["leerwegen"] if lw not in covered]
        if uncovered:
            raise BuildError(f"{schooljaar}: vak {code} ({soort}) has no curated attributes "
                             f"for {uncovered}; add a row to vakattributen.csv")
    return sorted(out, key=lambda r: (r["vakcode"], r["schoolsoort"], r["leerwegen"]))


# ---------------------------------------------------------------- output

def csv_text(rows, columns):
    """Rows as CSV text (minimal quoting, \\n line ends)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def metadata(schooljaar, reference):
    """The metadata.yaml content for one school year."""
    hashes = {name: sha256(reference / name) for name in REFERENCE_FILES}
    curated = {name: sha256(CURATED / name)
               for name in ("opleidingsklassen.csv", "vakattributen.csv", "duo_vakken.csv")}
    carried = (f"No official code table for {schooljaar} is in the reference material (the newest is "
               "2015-2016). The code lists are carried forward from the 2015-2016 regulation and DUO's "
               "decode tables (Dec_vooropl 2020-08-03, Dec_vakcode undated); they are identical in every "
               "year folder except for the year-dependent curated attributes.")
    return {
        "schooljaar": schooljaar,
        "status": "voorlopig" if schooljaar in PROVISIONAL else "definitief",
        "afgeleid": True,
        "toelichting": carried,
        "bronnen": {
            "opleidingen.csv": {
                "afgeleid_van": [
                    f"{REFERENCE_FILES['elementcodes-duo-vooropl.csv']}: code list and omschrijving",
                    f"{REFERENCE_FILES['elementcodes-2015-2016.csv']}: codes marked bron={REGELING}",
                    "codetables/curated/opleidingsklassen.csv: categorie, examen, profiel method",
                ],
            },
            "vakken.csv": {
                "afgeleid_van": [
                    f"{REFERENCE_FILES['vakcodes-2015-2016.csv']}: codes, naam, afkorting, leerwegen "
                    f"(bron={REGELING})",
                    f"{REFERENCE_FILES['vakcodes-duo.csv']}: codes selected in "
                    f"codetables/curated/duo_vakken.csv (bron={DUO_VAK})",
                    f"codetables/curated/vakattributen.csv: kernvak, heeft_ce, beoordeling, "
                    f"combinatiecijfer_component, beroepsgericht, actueel as valid in {schooljaar}",
                ],
            },
        },
        "invoer_sha256": {**{f"shared/reference/{k}": v for k, v in hashes.items()},
                          **{f"codetables/curated/{k}": v for k, v in curated.items()}},
        "gegenereerd_door": "tools/build_codetables.py",
    }


def write(path, text):
    """Write UTF-8 text with \\n line endings."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)


def build(reference, out):
    """Build every school-year folder under out."""
    opleidingen = build_opleidingen(reference)
    base = base_vakken(reference)
    attributes = read_attributes()
    for schooljaar in YEARS:
        folder = out / schooljaar
        write(folder / "opleidingen.csv", csv_text(opleidingen, OPLEIDING_COLUMNS))
        write(folder / "vakken.csv", csv_text(build_vakken(base, attributes, schooljaar), VAK_COLUMNS))
        write(folder / "metadata.yaml", yaml.safe_dump(metadata(schooljaar, reference), sort_keys=False,
                                                        allow_unicode=True, width=100))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE)
    parser.add_argument("--out", type=Path, default=ROOT / "codetables")
    args = parser.parse_args(argv)
    try:
        build(args.reference, args.out)
    except BuildError as exc:
        print(f"build_codetables: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {len(YEARS)} school years to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
