"""examenbron command line: validate, explain, export, rules, codetables, voorbeeld.

Commands are thin: they parse options, call engine/, and render. Heavy imports (pandas) happen
inside the commands so that `--help` is instant. Exit codes: 0 clean, 1 afkeur bevindingen or
blocked candidates, 2 usage or input errors.
"""

from __future__ import annotations

import datetime
import os
import sys
from pathlib import Path

import click

from examenbron import cli_dutch
from examenbron.cli_common import UserError, Voortgang, handle_errors, keep_loaded, source_options
from examenbron.cli_rules import rules as rules_group
from examenbron.engine.evaluation.backends import EVALUATORS
from examenbron.engine.outputs.files import atomic_write, check_target, replacing
from examenbron.engine.vocabulary import AFKEUR, ATTENTIE


def results_options(command):
    """Options shared by every command that reads a results file."""
    command = source_options(command)
    for decorator in reversed([
        click.argument("file", metavar="BESTAND", type=click.Path(dir_okay=False, path_type=Path)),
        click.option("--schooljaar", "-j", metavar="JAAR",
                     help="Schooljaar, bijvoorbeeld 2024-2025 (standaard: volgt uit het examenjaar in het bestand)"),
        click.option("--mapping", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="YAML-bestand dat uw kolomkoppen koppelt aan de namen die examenbron verwacht"),
        click.option("--sheet", metavar="BLAD", help="Naam van het werkblad in een XLSX-bestand (standaard: het eerste)"),
        click.option("--peildatum", type=click.DateTime(["%Y-%m-%d", "%d-%m-%Y"]), metavar="DATUM",
                     help="Datum waarop de termijnen worden getoetst, JJJJ-MM-DD of DD-MM-JJJJ "
                          "(standaard: vandaag; het rapport noemt de gebruikte datum)"),
        click.option("--engine", "backend", type=click.Choice(list(EVALUATORS)), default="pandas",
                     show_default=True, help="Rekenkern voor de regels"),
        click.option("--stil", is_flag=True, help="Geen voortgang tonen op het scherm"),
    ]):
        command = decorator(command)
    return command


def _validate(file, schooljaar, mapping, sheet, peildatum, backend, stil=False, regels=None, codetabellen=None):
    """Read, normalise and validate one results file; return (outcome, peildatum, peildatum is today)."""
    from examenbron.engine.inputs import codetables
    from examenbron.engine import pipeline
    from examenbron.engine.rulesets import load as rules
    from examenbron.engine.inputs.normalise import load_results
    keep_loaded()
    voortgang = Voortgang(stil)
    with voortgang.stap(f"{file} inlezen..."):
        results = load_results(file, sheet=sheet, mapping=mapping)
    schooljaar = schooljaar or pipeline.schooljaar_from(results)
    ruleset = rules.load(schooljaar, regels)
    tables = codetables.load(schooljaar, codetabellen)
    day = peildatum.date() if peildatum else datetime.date.today()
    keep_loaded()
    with voortgang.stap(f"{len(results.examens)} kandidaten controleren met de regels van {schooljaar}..."):
        outcome = pipeline.run(results, ruleset, tables, peildatum=day, backend=backend)
    return outcome, day, peildatum is None


def _streams(file, per_school, fmt) -> bool:
    """Whether `validate` works per school: asked for, or automatic for a CSV above the size limit."""
    if per_school is False:
        return False
    from examenbron.engine.scale import AUTO_BYTES, streamable
    if not streamable(file):
        if per_school:
            raise UserError(f"{file}: --per-school werkt alleen voor CSV-bestanden")
        return False
    streams = bool(per_school) or (Path(file).is_file() and Path(file).stat().st_size > AUTO_BYTES)
    if streams and fmt == "html":
        raise UserError("--format html heeft alle vakrijen tegelijk nodig (grafieken); gebruik --in-een-keer "
                        "of een ander formaat")
    return streams


def _werkers(file, requested, streams: bool, fmt) -> int:
    """How many processes `validate` uses: as asked (refused where it cannot apply), else automatic:
    several only for a large CSV read in one go, never for html (its charts need every vak row);
    per school one, unless asked (memory grows with the processes)."""
    from examenbron.engine.scale.parallel import werkers_for
    from examenbron.engine.scale import streamable
    if requested is None:
        if streams or fmt == "html" or not Path(file).is_file() or not streamable(file):
            return 1
        return werkers_for(file)
    if requested > 1:
        if fmt == "html":
            raise UserError("--format html heeft alle vakrijen in één proces nodig (grafieken); "
                            "laat --werkers weg of kies een ander formaat")
        if not Path(file).is_file() or not streamable(file):
            raise UserError(f"{file}: --werkers werkt alleen voor een CSV-bestand")
    return requested


@click.group(cls=cli_dutch.Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="examenbron")
@click.option("--debug", is_flag=True, help="Toon bij een onverwachte fout de volledige traceback")
def main(debug):
    """Controleer examenresultaten VO tegen de slaag-zakregeling en de BRON-regels van DUO, voor de uitwisseling."""
    cli_dutch.safe_streams()


main.add_command(rules_group)


def _selectors(values) -> tuple[str, ...]:
    """Rule ids or codes from repeated and comma-separated options."""
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


@main.command()
@results_options
@click.option("--format", "-f", "fmt", type=click.Choice(["text", "json", "csv", "html", "xlsx"]), default="text",
              show_default=True,
              help="Uitvoer: text (samenvatting), json (voor leveranciers), csv (bevindingen, voor Excel), "
                   "html (rapport met grafieken) of xlsx (Excel-rapport)")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), metavar="BESTAND",
              help="Schrijf het rapport naar dit bestand (standaard: het scherm; verplicht bij xlsx)")
@click.option("--select", "select", multiple=True, metavar="REGELS",
              help="Toon alleen bevindingen van deze regels of signaalcodes (komma's of herhalen)")
@click.option("--ignore", "ignore", multiple=True, metavar="REGELS",
              help="Laat bevindingen van deze regels of signaalcodes weg (komma's of herhalen)")
@click.option("--fail-on", type=click.Choice([AFKEUR, ATTENTIE]), default=AFKEUR, show_default=True,
              help="Exitcode 1 bij een bevinding met deze ernst (attentie: ook bij attentie)")
@click.option("--per-school/--in-een-keer", "per_school", default=None,
              help="Per school: het bestand in delen van hele scholen controleren, met begrensd geheugen "
                   "(vanzelf bij een CSV groter dan 256 MB); in één keer: het hele bestand tegelijk")
@click.option("--werkers", type=click.IntRange(min=1), metavar="N",
              help="Aantal processen voor een groot CSV-bestand, elk met een deel van de scholen (standaard: "
                   "één per processorkern, hoogstens één per 8 MB van het bestand; per school standaard één, "
                   "want het geheugen groeit met de processen; niet met html)")
@handle_errors
def validate(file, schooljaar, mapping, sheet, peildatum, backend, stil, fmt, output, select, ignore, fail_on,
             per_school, werkers, regels, codetabellen):
    """Controleer een resultatenbestand en rapporteer de bevindingen per kandidaat.

    \b
    Voorbeelden:
      examenbron validate resultaten.csv
      examenbron validate resultaten.xlsx --format html -o rapport.html
      examenbron validate resultaten.csv --format xlsx -o rapport.xlsx
      examenbron validate export.csv --mapping kolommen.yaml --format json
      examenbron validate resultaten.csv --ignore TERMIJN-UITSLAG --fail-on attentie
    Exitcode 0: geen afkeur; 1: minstens een afkeur (of attentie met --fail-on attentie);
    2: fout in de invoer of de opdracht.
    """
    if fmt == "xlsx" and not output:
        raise UserError("--format xlsx schrijft een bestand; geef het op met --output, bijvoorbeeld -o rapport.xlsx")
    streams = _streams(file, per_school, fmt)
    werkers = _werkers(file, werkers, streams, fmt)
    streams = streams and not (regels or codetabellen)  # streaming reads the installed rules
    if werkers > 1 and not streams:  # before the engine (pandas) is loaded: their start-up overlaps ours
        from examenbron.engine.scale.parallel import start_workers
        workers = start_workers(werkers - 1)
    from examenbron.engine.outputs import report
    from examenbron.engine.outputs.texts import terminal_text
    from examenbron.engine.outputs.texts import aantal
    day, standaard = (peildatum.date() if peildatum else datetime.date.today()), peildatum is None
    if streams:
        from examenbron.engine.scale.streaming import validate_per_school
        with Voortgang(stil).stap("per school controleren..."):
            outcome = validate_per_school(file, schooljaar=schooljaar, mapping=mapping, peildatum=day,
                                          backend=backend, werkers=werkers)
    elif werkers > 1:
        from examenbron.engine.scale.parallel import validate_parallel
        with Voortgang(stil).stap(f"{file} in {werkers} processen controleren..."):
            outcome = validate_parallel(file, werkers, schooljaar=schooljaar, mapping=mapping, peildatum=day,
                                        backend=backend, regels=regels, codetabellen=codetabellen, workers=workers,
                                        json_rows=fmt == "json")
    else:
        outcome, day, standaard = _validate(file, schooljaar, mapping, sheet, peildatum, backend, stil, regels,
                                            codetabellen)
    outcome = report.select_bevindingen(outcome, _selectors(select), _selectors(ignore))
    options = {"peildatum": day, "standaard_peildatum": standaard}
    if fmt == "html":
        options["bron_bestand"] = str(file)
    if fmt == "json" and output:  # the largest report: written into the file in pieces, never held whole
        with Voortgang(stil).stap("rapport (json) schrijven..."), replacing(output) as out:
            for part in report.json_parts(outcome, **options):
                out.write(part.encode("utf-8"))
    else:
        with Voortgang(stil).stap(f"rapport ({fmt}) maken..."):
            content = report.RENDERERS[fmt](outcome, **options)
        if fmt in ("text", "csv"):
            content = terminal_text(content)
        if output:
            atomic_write(output, content)
    if output:
        click.echo(f"{output}: {aantal(len(outcome.bevindingen), 'bevinding', 'bevindingen')} voor "
                   f"{aantal(len(outcome.kandidaten), 'kandidaat', 'kandidaten')}", err=True)
    else:
        click.echo(content, nl=False)
    sys.exit(report.exit_code(outcome, fail_on))


@main.command("validate-archief")
@click.argument("paden", metavar="BESTAND_OF_MAP...", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
@click.option("--werkers", type=click.IntRange(min=1), default=lambda: os.cpu_count() or 1,
              show_default="aantal processorkernen", help="Aantal werkprocessen van het lokale Dask-cluster")
@click.option("--scheduler", metavar="ADRES", help="Adres van een bestaand Dask-cluster, bijvoorbeeld "
              "tcp://10.0.0.5:8786 (de werkers moeten de bestanden en de werkmap op hetzelfde pad zien)")
@click.option("--format", "-f", "fmt", type=click.Choice(["json", "parquet"]), default="json", show_default=True,
              help="json: één rapport per bestand en schooljaar; parquet: bevindingen.parquet en kandidaten.parquet")
@click.option("--output", "-o", type=click.Path(path_type=Path),
              help="Bestand (json) of map (parquet) voor de uitvoer (json standaard naar het scherm)")
@click.option("--werkmap", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="Map voor de tijdelijke deelbestanden (standaard de tijdelijke map van het systeem)")
@click.option("--mapping", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="YAML-bestand dat uw kolomkoppen aan de canonieke namen koppelt")
@click.option("--peildatum", type=click.DateTime(["%Y-%m-%d", "%d-%m-%Y"]),
              help="Peildatum voor termijnen, JJJJ-MM-DD (standaard: vandaag)")
@click.option("--engine", "backend", type=click.Choice(["pandas", "durable"]), default="pandas", show_default=True,
              help="Regelevaluator")
@handle_errors
def validate_archief(paden, werkers, scheduler, fmt, output, werkmap, mapping, peildatum, backend):
    """Controleer resultaatbestanden of Parquet-bestanden van meerdere schooljaren op Dask.

    Elk bestand wordt per schooljaar en school in delen gesplitst; elk deel wordt met de regels van
    zijn eigen schooljaar gecontroleerd. Het rapport per bestand en schooljaar is gelijk aan dat van
    `examenbron validate`.

    \b
    Voorbeelden:
      examenbron validate-archief archief/ --werkers 2 -o archief.json
      examenbron validate-archief 2023.csv 2024.csv --format parquet -o uitvoer/
      examenbron validate-archief archief/ --scheduler tcp://10.0.0.5:8786
    Afsluitcode 0: geen afkeur; 1: minstens één afkeur; 2: invoer- of gebruiksfout.
    """
    try:
        from examenbron.engine.scale import archive
    except ImportError as exc:
        raise UserError(f"validate-archief heeft Dask nodig ({exc.name} ontbreekt); "
                        "installeer het met: pip install 'examenbron[archief]'") from None
    if fmt == "parquet" and output is None:
        raise UserError("--format parquet schrijft twee bestanden; geef een map op met -o")
    day = peildatum.date() if peildatum else datetime.date.today()
    from examenbron.engine.outputs import report

    def render(combined):  # in the driver, while the workers go on with other parts
        rendered = ((archive.bevindingen_rows(combined), archive.kandidaten_rows(combined)) if fmt == "parquet"
                    else report.to_json(combined, peildatum=day).rstrip("\n"))
        return report.exit_code(combined), len(combined.kandidaten), rendered

    def write(reports):  # while the cluster shuts down
        if fmt == "parquet":
            output.mkdir(parents=True, exist_ok=True)
            for i, name in enumerate(("bevindingen", "kandidaten")):
                table = archive.table([rendered[i] for _, _, rendered in reports])
                atomic_write(output / f"{name}.parquet", table.to_parquet(index=False))
            return None
        text = '{"rapporten": [\n' + ",\n".join(rendered for _, _, rendered in reports) + "\n]}\n"
        if output:
            atomic_write(output, text)
            return None
        return text

    result = archive.validate_archive(paden, werkers=werkers, scheduler=scheduler, peildatum=day, mapping=mapping,
                                      backend=backend, werkmap=werkmap, per_report=render, finish=write)
    if result.output is not None:
        click.echo(result.output, nl=False)
    kandidaten = sum(n for _, n, _ in result.reports)
    peak = max(result.peak_rss_per_worker.values(), default=0)
    click.echo(f"{len(result.reports)} rapporten (bestand en schooljaar), {kandidaten} kandidaten, "
               f"{result.parts} delen op {result.werkers} werkers in {result.seconds:.1f} s; "
               f"piekgeheugen per werker hoogstens {peak / 1e6:.0f} MB", err=True)
    sys.exit(max((code for code, _, _ in result.reports), default=0))


@main.command()
@results_options
@click.option("--leerling", "-l", required=True, metavar="NUMMER", help="Leerlingnummer van de kandidaat")
@click.option("--brin", metavar="BRIN", help="BRIN van de school, als het leerlingnummer op meer scholen voorkomt")
@click.option("--vestiging", metavar="NR", help="Vestigingsnummer, als het leerlingnummer op meer vestigingen voorkomt")
@handle_errors
def explain(file, schooljaar, mapping, sheet, peildatum, backend, stil, leerling, brin, vestiging, regels,
            codetabellen):
    """Leg uit hoe de uitslag van een kandidaat is berekend, per vak en per voorwaarde.

    \b
    Voorbeelden:
      examenbron explain resultaten.csv --leerling 100234
      examenbron explain bestuur.csv --leerling 100234 --brin 12AB --vestiging 01
    """
    from examenbron.engine.outputs.explain import exam_ids, explain_many
    outcome, _, _ = _validate(file, schooljaar, mapping, sheet, peildatum, backend, stil, regels, codetabellen)
    ids = exam_ids(outcome, leerling, brin=brin, vestiging=vestiging)
    school = "".join(f" {label} {value}" for label, value in (("BRIN", brin), ("vestiging", vestiging)) if value)
    if not ids:
        raise UserError(f"{file}: geen kandidaat met leerlingnummer {leerling!r}{school}")
    k = outcome.kandidaten.set_index("exam_id").loc[ids]
    schools = sorted(set(zip(k["brin"], k["vestiging"])))
    if len(schools) > 1:
        choices = ", ".join(f"--brin {b} --vestiging {v}" for b, v in schools)
        raise UserError(f"{file}: leerlingnummer {leerling!r} komt op meer scholen voor; kies er een met {choices}")
    from examenbron.engine.outputs.texts import terminal_text
    click.echo(terminal_text("\n".join(explain_many(outcome, ids))), nl=False)


@main.command()
@results_options
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path), metavar="MAP",
              help="Map voor de BRON-berichten, manifest.json en export-log.jsonl")
@click.option("--alles-of-niets", is_flag=True, help="Schrijf niets als er een kandidaat geblokkeerd is")
@handle_errors
def export(file, schooljaar, mapping, sheet, peildatum, backend, stil, out_dir, alles_of_niets, regels,
           codetabellen):
    """Schrijf een BRON-bericht examenresultaat voor elke kandidaat zonder afkeur.

    \b
    Voorbeeld:
      examenbron export resultaten.csv --out bron-export/
    Exitcode 0: alle kandidaten geexporteerd; 1: kandidaten geblokkeerd; 2: fout in de invoer of de opdracht.
    """
    from examenbron.engine.outputs.export import MANIFEST, TIJDVAK_ROLES, export_results
    from examenbron.engine.outputs.texts import aantal
    from examenbron.engine.pipeline import vak_roles
    outcome, _, _ = _validate(file, schooljaar, mapping, sheet, peildatum, backend, stil, regels, codetabellen)
    digest = outcome.results.sha256
    with Voortgang(stil).balk("BRON-berichten schrijven", len(outcome.kandidaten)) as voortgang:
        summary = export_results(outcome.results, outcome.bevindingen, out_dir=out_dir, schooljaar=outcome.schooljaar,
                                 regelset_versie=outcome.ruleset.versie, input_sha256=digest,
                                 eindcijfers=vak_roles(outcome.context, outcome.ruleset, TIJDVAK_ROLES),
                                 alles_of_niets=alles_of_niets,
                                 kandidaten=outcome.kandidaten.set_index("exam_id"), voortgang=voortgang)
    for line in summary.refused:
        click.echo(f"Geweigerd (voldoet niet aan het BRON-schema):{line}", err=True)
    if summary.nothing_written:
        click.echo(f"Niets geschreven: {summary.blocked} van {aantal(summary.candidates, 'kandidaat', 'kandidaten')} "
                   "geblokkeerd (--alles-of-niets)", err=True)
    else:
        click.echo(f"{summary.exported} van {aantal(summary.candidates, 'kandidaat', 'kandidaten')} uitgewisseld "
                   f"naar {out_dir}: {summary.written} geschreven, {summary.unchanged} ongewijzigd, "
                   f"{summary.removed} verwijderd, {summary.blocked} geblokkeerd door een afkeur", err=True)
    if summary.blocked:
        click.echo(_blocked_list(outcome, out_dir / MANIFEST, summary.nothing_written), err=True, nl=False)
    sys.exit(summary.exit_code)


def _blocked_list(outcome, manifest: Path, nothing_written: bool, shown: int = 20) -> str:
    """The blocked candidates with their codes: the first `shown`, then where the rest is."""
    f = outcome.bevindingen
    afkeur = f[f["ernst"] == AFKEUR]
    label = afkeur["code"].where(afkeur["code"].notna() & (afkeur["code"] != ""), afkeur["regel"]).astype(str)
    codes = label.groupby(afkeur["exam_id"]).agg(lambda c: ", ".join(sorted(set(c))))
    k = outcome.kandidaten.set_index("exam_id").loc[codes.index]
    lines = ["Geblokkeerd:"]
    if afkeur["exam_id"].isna().any():
        lines.append(f"  alle kandidaten, door een fout in het hele bestand: "
                     f"{', '.join(sorted(set(label[afkeur['exam_id'].isna()])))}")
    for (eid, row), code in zip(k.iterrows(), codes):
        if len(lines) > shown:
            break
        lines.append(f"  leerling {row['leerlingnummer']} (BRIN {row['brin']} vestiging {row['vestiging']}, "
                     f"opleiding {row['opleidingscode']}): {code}")
    rest = len(codes) - (len(lines) - 1)
    if rest > 0:
        where = f"zie {manifest}" if not nothing_written else "zie examenbron validate --format xlsx of csv"
        lines.append(f"  ... en nog {rest}; {where}")
    return "\n".join(lines) + "\n"


@main.group()
def codetables():
    """Codetabellen van DUO per schooljaar tonen en vergelijken."""


@codetables.command("show")
@click.argument("schooljaar")
@click.option("--vak", metavar="CODE", help="Toon een vakcode")
@click.option("--opleiding", metavar="CODE", help="Toon een opleidingscode")
@click.option("--format", "-f", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True,
              help="text: samenvatting; json: metadata en beide tabellen; csv: de (gekozen) rijen")
@source_options
@handle_errors
def codetables_show(schooljaar, vak, opleiding, fmt, regels, codetabellen):
    """Toon de codetabellen van een schooljaar, of een vak of opleiding."""
    from examenbron.engine.inputs.codetables import show_data, show_text
    if fmt == "text":
        click.echo(show_text(schooljaar, vak=vak, opleiding=opleiding, root=codetabellen), nl=False)
    else:
        click.echo(show_data(schooljaar, fmt, vak=vak, opleiding=opleiding, root=codetabellen), nl=False)


@codetables.command("diff")
@click.argument("jaar1")
@click.argument("jaar2")
@source_options
@handle_errors
def codetables_diff(jaar1, jaar2, regels, codetabellen):
    """Noem de codes die tussen twee schooljaren zijn toegevoegd, vervallen of gewijzigd."""
    from examenbron.engine.inputs.codetables import diff_text
    click.echo(diff_text(jaar1, jaar2, root=codetabellen), nl=False)


@codetables.command("import")
@click.argument("bestanden", metavar="BESTAND...", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--schooljaar", "-j", required=True, metavar="JAAR", help="Schooljaar van de tabellen, bijvoorbeeld 2027-2028")
@click.option("--afgeleid", is_flag=True,
              help="De bestanden zijn niet DUO's tabel van dit schooljaar: schrijf een afgeleide tabel "
                   "(een onbekende code is dan een attentie, geen afkeur)")
@click.option("--status", type=click.Choice(["definitief", "voorlopig"]), default="definitief", show_default=True,
              help="Status van het schooljaar in de metadata")
@click.option("--vervang", is_flag=True, help="Vervang de codetabellen van het schooljaar als ze al bestaan")
@source_options
@handle_errors
def codetables_import(bestanden, schooljaar, afgeleid, status, vervang, regels, codetabellen):
    """Lees DUO's codetabelbestanden en schrijf de codetabellen van een schooljaar.

    \b
    BESTAND: Dec_vooropl.asc of elementcodes-duo-vooropl.csv (opleidingen), Dec_vakcode.asc of
    vakcodes-duo.csv (vakken), vakcodes-JJJJ-JJJJ.csv (vakcodetabel van de regeling) en desgewenst
    elementcodes-JJJJ-JJJJ.csv. De metadata noemt van elk bestand naam, datum en sha256. Bij een fout
    wordt niets geschreven.
    \b
    Voorbeeld:
      examenbron codetables import Dec_vooropl.asc Dec_vakcode.asc vakcodes-2027-2028.csv \\
          --schooljaar 2027-2028 --codetabellen mijnregels/codetabellen
    """
    from examenbron.cli_rules import _tables_root
    from examenbron.engine.inputs.codetables_import import import_year
    result = import_year(bestanden, schooljaar, _tables_root(codetabellen), officieel=not afgeleid, status=status,
                         vervang=vervang)
    soort = "officieel" if result.officieel else "afgeleid"
    click.echo(f"{result.map} geschreven ({soort}): {result.opleidingen} opleidingscodes, {result.vakken} "
               f"vakregels uit {', '.join(result.bronnen)}")


@main.command()
@click.option("--kandidaten", "-n", type=click.IntRange(min=1), default=300, show_default=True,
              help="Aantal kandidaten")
@click.option("--schooljaar", "-j", default="2024-2025", show_default=True,
              help="Schooljaar: elk jaar met een regelmap (rules/<schooljaar>)")
@click.option("--seed", type=int, default=2025, show_default=True,
              help="Startgetal voor het toeval (zelfde getal, zelfde bestand)")
@click.option("--fouten/--zonder-fouten", default=True, show_default=True,
              help="Met of zonder de gedocumenteerde, opzettelijke fouten (zonder: geen afkeur)")
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False, path_type=Path), metavar="BESTAND",
              help="Het CSV-bestand dat wordt geschreven")
@source_options
@handle_errors
def voorbeeld(kandidaten, schooljaar, seed, fouten, output, regels, codetabellen):
    """Schrijf een realistisch voorbeeldbestand met resultaten (steeds hetzelfde, met opzettelijke fouten).

    \b
    Voorbeeld:
      examenbron voorbeeld --kandidaten 300 --schooljaar 2024-2025 -o voorbeeld.csv
    """
    from examenbron.engine.rulesets.load import available_years
    from examenbron.engine.samples.generate import generate, write_csv
    check_target(output)
    years = available_years(regels)
    if schooljaar not in years:
        raise UserError(f"schooljaar {schooljaar!r} wordt niet ondersteund; er zijn regels voor "
                        f"{', '.join(years)}")
    generated = generate(kandidaten, schooljaar, seed=seed, fouten=fouten)
    write_csv(generated.frame, output)
    click.echo(f"{output}: {kandidaten} kandidaten, {len(generated.frame)} vakrijen"
               + (f", {len(generated.fouten)} geplante fouten" if fouten else ""), err=True)


if __name__ == "__main__":
    main()
