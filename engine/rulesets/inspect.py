"""What policy staff ask of a rule set: list, show (with origins), a semantic diff, a new year.

Everything here works on resolved rule sets (overlays applied), so a year folder or an edited copy
of it can be compared with any other.
"""

from __future__ import annotations

import datetime
import shutil
from fractions import Fraction
from pathlib import Path

import yaml

from examenbron.engine.errors import RuleError, suggestion
from examenbron.engine.rulesets import overlay

RULE_FIELDS = ("omschrijving", "niveau", "leerwegen", "opleidingen", "wanneer_tekst", "voorwaarde_tekst",
               "code", "ernst", "fase", "melding", "grondslag", "referentie", "geldig_van", "geldig_tot",
               "waarden", "toelichting")
FIELD_NAMES = {"voorwaarde_tekst": "voorwaarde", "wanneer_tekst": "wanneer"}


def plain(value):
    """A value as policy staff write it: 5.5 not Fraction(11, 2), dates as YYYY-MM-DD."""
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, Fraction):
        return int(value) if value.denominator == 1 else float(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return str(value)


def origin(ruleset, section: str, key: str) -> dict:
    """Where an entry comes from: its year and file:line, and the entry it replaces."""
    entry = ruleset.origins.get((section, key))
    if entry is None:
        return {}
    out = {"jaar": entry.year, "plaats": entry.location}
    if entry.overrides is not None:
        out["vervangt"] = {"jaar": entry.overrides.year, "plaats": entry.overrides.location}
    return out


def describe(ruleset) -> dict:
    """Every rule, parameter, afleiding and weglaatregel as plain fields, keyed by id or naam."""
    rules = {}
    for rule in ruleset.controles + ruleset.voorwaarden:
        fields = {FIELD_NAMES.get(f, f): plain(getattr(rule, f, None)) for f in RULE_FIELDS}
        fields = {k: v for k, v in fields.items() if v not in (None, "", [], ())}
        rules[rule.id] = {"soort": rule.soort, **fields}
    for rule in ruleset.weglaten:
        rules[rule.id] = {"soort": "weglaatregel", "omschrijving": rule.omschrijving,
                          "vak_mag_vervallen": rule.tekst, "grondslag": rule.grondslag,
                          **({"leerwegen": list(rule.leerwegen)} if rule.leerwegen else {})}
    parameters = {name: plain({k: v for k, v in spec.items()})
                  for name, spec in ruleset.sections.get("parameters", {}).items()}
    afleidingen = {d.naam: {"niveau": d.niveau, "omschrijving": d.omschrijving,
                            "formules": [{"leerwegen": list(lw) if lw else "alle", "formule": src}
                                         for lw, _, src in d.variants],
                            **({"grondslag": d.grondslag} if d.grondslag else {})}
                   for d in ruleset.afleidingen}
    return {"regels": rules, "parameters": parameters, "afleidingen": afleidingen}


def rule_rows(ruleset) -> list[dict]:
    """One row per rule for `rules list`."""
    rows = []
    for rule in ruleset.controles + ruleset.voorwaarden:
        section = "controles" if rule.soort == "controle" else "voorwaarden"
        where = origin(ruleset, section, rule.id)
        rows.append({"id": rule.id, "soort": rule.soort, "signaalcode": rule.code or None,
                     "ernst": rule.ernst or None, "omschrijving": rule.omschrijving,
                     "jaar": where.get("jaar"), "plaats": where.get("plaats")})
    return rows


def show(ruleset, ident: str) -> dict:
    """The resolved rule, parameter or afleiding named `ident`, with where it comes from."""
    described = describe(ruleset)
    for kind, section_of in (("regels", _rule_section), ("parameters", lambda _: "parameters"),
                             ("afleidingen", lambda _: "afleidingen")):
        if ident in described[kind]:
            section = section_of(described[kind][ident])
            return {"soort": kind[:-1] if kind != "parameters" else "parameter", "naam": ident,
                    "herkomst": origin(ruleset, section, ident), **described[kind][ident]}
    known = [k for kind in described.values() for k in kind]
    hint = suggestion(ident, known)
    raise RuleError(f"{ident!r} is geen regel, parameter of afleiding van {ruleset.schooljaar}{hint}")


def _rule_section(fields) -> str:
    return {"controle": "controles", "voorwaarde": "voorwaarden"}.get(fields["soort"], "weglaten")


def diff(ruleset_a, ruleset_b, tables_a=None, tables_b=None) -> dict:
    """Semantic differences from A to B: per kind added, removed and changed (field: old -> new)."""
    a, b = describe(ruleset_a), describe(ruleset_b)
    out = {"van": ruleset_a.schooljaar, "naar": ruleset_b.schooljaar}
    years = ruleset_b.examenjaar - ruleset_a.examenjaar
    with_year = []
    for kind in ("regels", "parameters", "afleidingen"):
        old, new = a[kind], b[kind]
        changed = {}
        for key in sorted(set(old) & set(new)):
            fields, follows = {}, False
            for f in sorted(set(old[key]) | set(new[key])):
                was, now = old[key].get(f), new[key].get(f)
                if was == now:
                    continue
                if _follows_year(was, now, ruleset_a, ruleset_b, years):
                    follows = True
                    continue
                fields[f] = [was, now]
            if fields:
                changed[key] = fields
            elif follows:
                with_year.append(key)
        out[kind] = {"toegevoegd": sorted(set(new) - set(old)), "vervallen": sorted(set(old) - set(new)),
                     "gewijzigd": changed}
    out["volgt_uit_schooljaar"] = sorted(with_year)
    if tables_a is not None and tables_b is not None:
        from examenbron.engine.inputs import codetables
        for name, table_diff in (("opleidingen", codetables._diff_opleidingen(tables_a.opleidingen,
                                                                                tables_b.opleidingen)),
                                 ("vakken", codetables._diff_vakken(tables_a.vakken, tables_b.vakken))):
            key = (lambda k: k) if name == "opleidingen" else (lambda k: f"{k[0]} ({k[1]})")
            out[f"codetabel_{name}"] = {
                "toegevoegd": [key(k) for k in table_diff.added], "vervallen": [key(k) for k in table_diff.removed],
                "gewijzigd": {key(k): {f: [plain(o), plain(n)] for f, (o, n) in v.items()}
                              for k, v in table_diff.changed.items()}}
    return out


def _follows_year(was, now, a, b, years) -> bool:
    """A difference that only follows from the school year: the year's name in a text, the examenjaar,
    or a date moved by exactly the years between A and B."""
    if isinstance(was, str) and isinstance(now, str):
        if was.replace(a.schooljaar, b.schooljaar) == now:
            return True
        try:
            old, new = datetime.date.fromisoformat(was), datetime.date.fromisoformat(now)
            return old.replace(year=old.year + years) == new
        except ValueError:
            return False
    return isinstance(was, int) and isinstance(now, int) and (was, now) == (a.examenjaar, b.examenjaar)


def new_year(rules_root: Path, codetables_root: Path, van: str, naar: str, *, today=None) -> list[Path]:
    """Create the overlay folder NAAR on basis VAN, carry VAN's code tables forward as voorlopig, and
    add a CHANGELOG entry; return the paths written. Date parameters of VAN's examenjaar move one
    year on (marked unverified), so the new year lints and tests without an edit."""
    from examenbron.engine.rulesets import load as rule_files
    _, examenjaar_van = overlay.check_year_name(van)
    _, examenjaar = overlay.check_year_name(naar)
    target, tables_target = rules_root / naar, codetables_root / naar
    for path in (target, tables_target):
        if path.exists():
            raise RuleError(f"{path} bestaat al; kies een ander schooljaar of verwijder de map eerst")
    ruleset = rule_files.load(van, rules_root)
    if not (codetables_root / van).is_dir():
        raise RuleError(f"geen codetabellen voor {van} in {codetables_root}")
    today = today or datetime.date.today()
    shifted = {name: spec for name, spec in ruleset.sections.get("parameters", {}).items()
               if isinstance(spec.get("waarde"), datetime.date) and spec["waarde"].year == examenjaar_van}
    lines = [f"omschrijving: Regelset {naar} (examenjaar {examenjaar}) — aanvulling op {van}",
             "regelset:", f'  basis: "{van}"', "  status: voorlopig",
             "  # Hoe een jaar op zijn basis voortbouwt: docs/rule-language.md, 'basis'.", "  toelichting: >",
             f"    Aangemaakt op {today.isoformat()} met 'examenbron rules new-year {van} {naar}': nog gelijk aan",
             f"    {van}. Zet hier alleen wat in {naar} anders is."]
    if shifted:
        lines.append("parameters:")
        for name, spec in shifted.items():
            value = spec["waarde"]
            lines += [f"  {name}:",
                      f"    # NIET GEVERIFIEERD: de datum van {van} ({value.isoformat()}) een jaar verschoven.",
                      f"    waarde: {value.replace(year=value.year + 1).isoformat()}"]
            lines += [f"    {key}: {_yaml_scalar(v)}" for key, v in spec.items() if key != "waarde"]
    target.mkdir(parents=True)
    (target / "regelset.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    shutil.copytree(codetables_root / van, tables_target)
    meta_path = tables_target / "metadata.yaml"
    meta = yaml.safe_load(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
    meta.update({"schooljaar": naar, "status": "voorlopig", "officieel": False, "afgeleid": True,
                 "toelichting": f"Overgenomen van {van} door 'examenbron rules new-year' op {today.isoformat()}; "
                                f"nog niet vergeleken met DUO's codetabel {naar}. Een onbekende code is "
                                f"daarom een attentie; importeer DUO's tabel met 'examenbron codetables "
                                f"import' om dat een afkeur te maken."})
    meta_path.write_text(yaml.safe_dump(meta, allow_unicode=True, sort_keys=False), encoding="utf-8")
    changelog = rules_root / "CHANGELOG.md"
    entry = (f"\n## {naar} (examenjaar {examenjaar}) — nieuw, status `voorlopig`\n\n"
             f"* Aangemaakt op {today.isoformat()} met `examenbron rules new-year {van} {naar}`: basis {van}, "
             f"codetabellen overgenomen (voorlopig, afgeleid)."
             + (f"\n* Datums een jaar verschoven, niet geverifieerd: {', '.join(shifted)}." if shifted else "") + "\n")
    with open(changelog, "a", encoding="utf-8") as out:
        out.write(entry)
    return [target / "regelset.yaml", tables_target, changelog]


def _yaml_scalar(value) -> str:
    return yaml.safe_dump(plain(value), allow_unicode=True, default_flow_style=True, width=10_000).strip() \
        .removesuffix("\n...").removesuffix("...").strip()
