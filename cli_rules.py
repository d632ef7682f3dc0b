"""`examenbron rules …`: the commands policy staff use to check, inspect, compare and add rule years.

Every command takes `--regels DIR` / `--codetabellen DIR` (or EXAMENBRON_REGELS /
EXAMENBRON_CODETABELLEN), DIR holding one folder per school year; a schooljaar argument is a name
such as 2024-2025, never a path.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from examenbron import cli_dutch
from examenbron.cli_common import UserError, Voortgang, handle_errors, source_options


def _rules_root(regels):
    from examenbron.engine.rulesets import load as rule_files
    return Path(regels) if regels else rule_files.rules_root()


def _tables_root(codetabellen):
    from importlib.resources import files
    return Path(codetabellen) if codetabellen else Path(str(files("examenbron.codetables")))


def _year_or_folder(value: str, regels):
    """(root, schooljaar) for a year name in --regels, or for a path to a year folder."""
    from examenbron.engine.rulesets import overlay
    path = Path(value)
    if len(path.parts) > 1 or path.is_dir() and (path / "regelset.yaml").exists() and value not in (".", ".."):
        if ".." in path.parts:
            raise UserError(f"{value}: '..' is niet toegestaan; geef een map of een schooljaar")
        if not (path / "regelset.yaml").exists():
            raise UserError(f"{value}: geen jaarmap (regelset.yaml ontbreekt)")
        path = path.resolve()
        overlay.check_year_name(path.name)
        return path.parent, path.name
    return _rules_root(regels), value


def _emit(data, fmt, render):
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str) if fmt == "json" else render(data))


def _years(schooljaar, alle, root):
    from examenbron.engine.rulesets import load as rule_files
    if alle == bool(schooljaar):
        raise UserError("geef een schooljaar op (bijvoorbeeld 2024-2025) of --alle")
    return rule_files.available_years(root) if alle else [schooljaar]


format_option = click.option("--format", "-f", "fmt", type=click.Choice(["text", "json"]), default="text",
                             show_default=True, help="Uitvoer: tekst of JSON")


@click.group(cls=cli_dutch.Group)
def rules():
    """Regelbestanden per schooljaar controleren, bekijken, vergelijken en een jaar toevoegen."""


@rules.command("lint")
@click.argument("schooljaar", required=False)
@click.option("--alle", is_flag=True, help="Alle schooljaren in de regelmap")
@format_option
@source_options
@handle_errors
def rules_lint(schooljaar, alle, fmt, regels, codetabellen):
    """Lees de regels van een schooljaar streng in; meld elke fout met bestand:regel:kolom.

    \b
    Voorbeelden:
      examenbron rules lint 2024-2025
      examenbron rules lint --alle --regels mijnregels
    """
    from examenbron.engine.errors import RuleErrors
    from examenbron.engine.outputs.texts import aantal
    from examenbron.engine.rulesets import load as rule_files
    root = _rules_root(regels)
    report, failed = [], False
    for year in _years(schooljaar, alle, root):
        try:
            rs = rule_files.load(year, root, tests=True)
        except RuleErrors as exc:
            failed = True
            report.append({"schooljaar": year, "fouten": [str(e) for e in exc.errors]})
            continue
        report.append({"schooljaar": year, "basis": rs.basis, "controles": len(rs.controles),
                       "voorwaarden": len(rs.voorwaarden), "afleidingen": len(rs.afleidingen),
                       "parameters": len(rs.parameters), "testgevallen": len(rs.testgevallen),
                       "versie": rs.versie, "fouten": []})

    def render(rows):
        lines = []
        for r in rows:
            if r["fouten"]:
                lines += [f"{r['schooljaar']}: {aantal(len(r['fouten']), 'fout', 'fouten')}"] + \
                    [f"  {e}" for e in r["fouten"]]
            else:
                basis = f", basis {r['basis']}" if r["basis"] else ""
                lines.append(f"{r['schooljaar']}: {r['controles']} controles, {r['voorwaarden']} voorwaarden, "
                             f"{r['afleidingen']} afleidingen, {r['parameters']} parameters, "
                             f"{r['testgevallen']} testgevallen - geen fouten (versie {r['versie']}{basis})")
        return "\n".join(lines)
    _emit(report, fmt, render)
    sys.exit(2 if failed else 0)


@rules.command("test")
@click.argument("schooljaar", required=False)
@click.option("--alle", is_flag=True, help="Test de regels van alle schooljaren")
@click.option("--stil", is_flag=True, help="Geen voortgang tonen op het scherm")
@format_option
@source_options
@handle_errors
def rules_test(schooljaar, alle, stil, fmt, regels, codetabellen):
    """Draai de testgevallen in <schooljaar>/tests en noem regels die geen test raakt.

    \b
    Voorbeelden:
      examenbron rules test 2024-2025
      examenbron rules test --alle
    """
    from examenbron.engine.rulesets.ruletests import run_year
    root = _rules_root(regels)
    report, years = [], _years(schooljaar, alle, root)
    with Voortgang(stil).balk("regels testen", len(years)) as voortgang:
        for done, year in enumerate(years):
            result = run_year(year, root, codetabellen)
            voortgang(done + 1)
            report.append({"schooljaar": year, "geslaagd": len(result.cases) - len(result.failed),
                           "mislukt": [{"plaats": f"{c.file}:{c.line}", "naam": c.naam, "verschillen": c.problems}
                                       for c in result.failed],
                           "niet_getest": result.not_covered})

    def render(rows):
        lines = []
        for r in rows:
            for case in r["mislukt"]:
                lines += [case["plaats"], f"  {case['naam']}"] + [f"    {p}" for p in case["verschillen"]]
            if r["niet_getest"]:
                lines += [f"{r['schooljaar']}: niet getest ({len(r['niet_getest'])}):"] + \
                    [f"  {i}" for i in r["niet_getest"]]
            lines.append(f"{r['schooljaar']}: {r['geslaagd']} geslaagd, {len(r['mislukt'])} mislukt")
        return "\n".join(lines)
    _emit(report, fmt, render)
    sys.exit(1 if any(r["mislukt"] for r in report) else 0)


@rules.command("list")
@click.argument("schooljaar")
@format_option
@source_options
@handle_errors
def rules_list(schooljaar, fmt, regels, codetabellen):
    """Alle regels van een schooljaar: id, signaalcode, ernst, omschrijving en waar ze staan.

    \b
    Voorbeeld:
      examenbron rules list 2024-2025
    """
    from examenbron.engine.rulesets import inspect, load as rule_files
    rows = inspect.rule_rows(rule_files.load(schooljaar, _rules_root(regels)))
    _emit(rows, fmt, lambda rs: "\n".join(
        f"{r['id']:<24} {r['signaalcode'] or '-':<6} {r['ernst'] or '-':<9} {r['omschrijving']}  "
        f"[{r['plaats']}]" for r in rs))


@rules.command("show")
@click.argument("schooljaar")
@click.argument("naam")
@format_option
@source_options
@handle_errors
def rules_show(schooljaar, naam, fmt, regels, codetabellen):
    """Eén regel, parameter of afleiding zoals die voor het schooljaar geldt, met herkomst.

    \b
    Voorbeelden:
      examenbron rules show 2025-2026 HV-CE-GEMIDDELDE
      examenbron rules show 2025-2026 ce_gemiddelde_minimum
    """
    from examenbron.engine.rulesets import inspect, load as rule_files
    shown = inspect.show(rule_files.load(schooljaar, _rules_root(regels)), naam)

    def render(item):
        herkomst = item.pop("herkomst", {})
        lines = [f"{item.pop('soort')} {item.pop('naam')}"]
        if herkomst:
            line = f"  staat in {herkomst['plaats']} (jaar {herkomst['jaar']})"
            if "vervangt" in herkomst:
                line += f"; vervangt {herkomst['vervangt']['plaats']} (jaar {herkomst['vervangt']['jaar']})"
            lines.append(line)
        for key, value in item.items():
            lines.append(f"  {key}: {value if not isinstance(value, (list, dict)) else json.dumps(value, ensure_ascii=False)}")
        return "\n".join(lines)
    _emit(shown, fmt, render)


@rules.command("diff")
@click.argument("jaar_a")
@click.argument("jaar_b")
@format_option
@source_options
@handle_errors
def rules_diff(jaar_a, jaar_b, fmt, regels, codetabellen):
    """Wat er verschilt tussen twee schooljaren of jaarmappen: regels, parameters, afleidingen, codetabellen.

    JAAR_A en JAAR_B zijn een schooljaar uit --regels of het pad van een jaarmap (ook een bewerkte kopie).

    \b
    Voorbeelden:
      examenbron rules diff 2024-2025 2025-2026
      examenbron rules diff 2026-2027 kopie/2026-2027
    """
    from examenbron.engine.rulesets import inspect, load as rule_files
    sides = []
    for value in (jaar_a, jaar_b):
        root, year = _year_or_folder(value, regels)
        sides.append((rule_files.load(year, root), _tables_or_none(year, codetabellen)))
    (a, ta), (b, tb) = sides
    result = inspect.diff(a, b, ta, tb)
    _emit(result, fmt, _diff_text)


def _tables_or_none(year, codetabellen):
    from examenbron.engine.errors import CodeTableError
    from examenbron.engine.inputs import codetables
    try:
        return codetables.load(year, codetabellen)
    except CodeTableError:
        return None


def _diff_text(result) -> str:
    titles = {"regels": "Regels", "parameters": "Parameters", "afleidingen": "Afleidingen",
              "codetabel_opleidingen": "Codetabel opleidingen", "codetabel_vakken": "Codetabel vakken"}
    lines = [f"Verschillen {result['van']} -> {result['naar']}"]
    for key, title in titles.items():
        part = result.get(key)
        if not part or not any(part.values()):
            continue
        lines.append(f"{title}:")
        lines += [f"  + {k}" for k in part["toegevoegd"]] + [f"  - {k}" for k in part["vervallen"]]
        for k, fields in part["gewijzigd"].items():
            if key == "parameters" and list(fields) == ["waarde"]:
                lines.append(f"  ~ {k}: {_show(fields['waarde'][0])} -> {_show(fields['waarde'][1])}")
                continue
            lines.append(f"  ~ {k}")
            lines += [f"      {f}: {_show(old)} -> {_show(new)}" for f, (old, new) in fields.items()]
    if len(lines) == 1:
        lines.append("Geen inhoudelijke verschillen.")
    if result.get("volgt_uit_schooljaar"):
        lines.append("Alleen anders door het schooljaar (jaartal in een tekst, examenjaar, verschoven datum): "
                     + ", ".join(result["volgt_uit_schooljaar"]))
    return "\n".join(lines)


def _show(value) -> str:
    if value is None:
        return "(geen)"
    if isinstance(value, float):
        return f"{value:g}".replace(".", ",")
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (list, dict)) else str(value)


@rules.command("new-year")
@click.argument("van")
@click.argument("naar")
@source_options
@handle_errors
def rules_new_year(van, naar, regels, codetabellen):
    """Maak schooljaar NAAR als aanvulling op VAN: regelmap, codetabellen (voorlopig) en CHANGELOG.

    Daarna slagen `rules lint NAAR` en `rules test NAAR` zonder aanpassing; zet in NAAR alleen wat
    anders is. Met --regels moet ook --codetabellen (of EXAMENBRON_CODETABELLEN) gegeven zijn, zodat
    de geïnstalleerde codetabellen niet worden gewijzigd.

    \b
    Voorbeeld:
      examenbron rules new-year 2026-2027 2027-2028 --regels kopie/regels --codetabellen kopie/codetabellen
    """
    from examenbron.engine.rulesets import inspect
    if regels and not codetabellen:
        raise UserError("geef bij --regels ook --codetabellen: daar komen de codetabellen van " + naar)
    written = inspect.new_year(_rules_root(regels), _tables_root(codetabellen), van, naar)
    for path in written:
        click.echo(f"geschreven: {path}")
    click.echo(f"Volgende stap: pas {written[0]} aan en draai 'examenbron rules lint {naar}' en "
               f"'examenbron rules test {naar}'.")


@rules.command("copy")
@click.argument("doel", type=click.Path(file_okay=False, path_type=Path))
@handle_errors
def rules_copy(doel):
    """Kopieer de meegeleverde regels en codetabellen naar DOEL/regels en DOEL/codetabellen om te bewerken.

    \b
    Voorbeeld:
      examenbron rules copy mijnregels
      export EXAMENBRON_REGELS=mijnregels/regels EXAMENBRON_CODETABELLEN=mijnregels/codetabellen
    """
    import shutil
    if doel.exists() and any(doel.iterdir()):
        raise UserError(f"{doel} bestaat al en is niet leeg")
    ignore = shutil.ignore_patterns("__init__.py", "__pycache__")
    shutil.copytree(_rules_root(None), doel / "regels", ignore=ignore, dirs_exist_ok=True)
    shutil.copytree(_tables_root(None), doel / "codetabellen", ignore=ignore, dirs_exist_ok=True)
    click.echo(f"{doel / 'regels'} en {doel / 'codetabellen'} geschreven")


@rules.command("impact")
@click.argument("resultaten", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--van", "van", required=True, metavar="JAAR_OF_MAP", help="De huidige regels: schooljaar of jaarmap")
@click.option("--naar", "naar", required=True, metavar="JAAR_OF_MAP", help="De nieuwe regels: schooljaar of jaarmap")
@click.option("--format", "-f", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True,
              help="Uitvoer")
@click.option("--mapping", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="YAML-bestand dat uw kolomkoppen aan de standaardnamen koppelt")
@click.option("--peildatum", type=click.DateTime(["%Y-%m-%d", "%d-%m-%Y"]), help="Peildatum (standaard: vandaag)")
@source_options
@handle_errors
def rules_impact(resultaten, van, naar, fmt, mapping, peildatum, regels, codetabellen):
    """Welke kandidaten een andere uitslag, cum laude of andere bevindingen krijgen onder andere regels.

    \b
    Voorbeelden:
      examenbron rules impact resultaten.csv --van 2026-2027 --naar kopie/regels/2026-2027
      examenbron rules impact resultaten.csv --van 2026-2027 --naar 2027-2028 --format csv
    """
    import datetime
    from examenbron.engine.inputs import codetables
    from examenbron.engine.inputs.normalise import load_results
    from examenbron.engine.rulesets import impact, load as rule_files
    results = load_results(resultaten, mapping=mapping)
    (root_a, year_a), (root_b, year_b) = (_year_or_folder(value, regels) for value in (van, naar))
    # Both rule sets judge the file as the year of --naar: --van's rules with that year's placeholders.
    sides = [(rule_files.load(year_a, root_a, as_year=year_b), codetables.load(year_b, codetabellen)),
             (rule_files.load(year_b, root_b), codetables.load(year_b, codetabellen))]
    day = peildatum.date() if peildatum else datetime.date.today()
    result = impact.compare(results, *sides[0], *sides[1], peildatum=day)
    render = {"text": impact.text, "json": impact.as_json, "csv": impact.as_csv}[fmt]
    click.echo(render(result), nl=False)
