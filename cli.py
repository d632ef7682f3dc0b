"""examenbron command line: validate, explain, export, rules, codetables, voorbeeld.

Commands are thin: they parse options, call engine/, and render. Heavy imports (pandas) happen
inside the commands so that `--help` is instant. Exit codes: 0 clean, 1 afkeur findings or
blocked candidates, 2 usage or input errors.
"""

from __future__ import annotations

import datetime
import functools
import os
import sys
import tempfile
from pathlib import Path

import click

from examenbron.engine.evaluation.backends import EVALUATORS


class UserError(click.ClickException):
    """An input or usage problem: printed as 'Error: …', exit code 2."""

    exit_code = 2


def handle_errors(command):
    """Every failure of a command ends with exit code 2 and a one-line message, never a traceback.

    Domain errors (ExamenbronError) print their Dutch message; a file system error prints its path
    and reason; anything else is an internal error (the traceback only with ``--debug``). With
    ``--format json`` the error is also written to standard output as ``{"fout": {...}}``.
    Exit code 1 stays reserved for "afkeur found / candidates blocked".
    """
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        from examenbron.engine.errors import ExamenbronError
        try:
            return command(*args, **kwargs)
        except (click.ClickException, click.exceptions.Exit, SystemExit):
            raise
        except ExamenbronError as exc:
            failure, message, soort = exc, str(exc), "invoer"
        except OSError as exc:
            where = exc.filename or ""
            failure, message, soort = exc, f"{where}: {exc.strerror or exc}" if where else str(exc), "bestand"
        except (KeyboardInterrupt, click.Abort) as exc:
            failure, message, soort = exc, "afgebroken", "afgebroken"
        except Exception as exc:  # noqa: BLE001 - the last line of defence: exit 2, not a traceback
            failure, soort = exc, "intern"
            message = (f"interne fout ({type(exc).__name__}); dit is een fout in examenbron, niet in uw "
                       "bestand. Draai opnieuw met --debug voor details en meld het")
        if _debug():
            import traceback
            traceback.print_exception(failure, file=sys.stderr)
        raise _error(message, soort, kwargs.get("fmt")) from None
    return wrapper


def _debug() -> bool:
    context = click.get_current_context(silent=True)
    return bool(context and context.find_root().params.get("debug"))


def _error(message: str, soort: str, fmt) -> UserError:
    """The UserError for a failure; with --format json the error object also goes to standard output."""
    import json
    from examenbron.engine.inputs.read import mask_numbers
    message = mask_numbers(message)
    if fmt == "json":
        click.echo(json.dumps({"fout": {"soort": soort, "melding": message, "exitcode": 2}}, ensure_ascii=False))
    return UserError(message)


def results_options(command):
    """Options shared by every command that reads a results file."""
    for decorator in reversed([
        click.argument("file", type=click.Path(dir_okay=False, path_type=Path)),
        click.option("--schooljaar", "-j", metavar="JAAR", help="School year, e.g. 2024-2025 (default: from examenjaar)"),
        click.option("--mapping", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="YAML file mapping your column headers to the canonical names"),
        click.option("--sheet", help="XLSX sheet name (default: the first sheet)"),
        click.option("--peildatum", type=click.DateTime(["%Y-%m-%d", "%d-%m-%Y"]),
                     help="Reference date for deadlines, YYYY-MM-DD (default: today)"),
        click.option("--engine", "backend", type=click.Choice(list(EVALUATORS)), default="pandas",
                     show_default=True, help="Rule evaluator"),
    ]):
        command = decorator(command)
    return command


def _validate(file, schooljaar, mapping, sheet, peildatum, backend):
    """Read, normalise and validate one results file; return (outcome, peildatum)."""
    from examenbron.engine.inputs import codetables
    from examenbron.engine import pipeline
    from examenbron.engine.rulesets import load as rules
    from examenbron.engine.inputs.normalise import load_results
    results = load_results(file, sheet=sheet, mapping=mapping)
    schooljaar = schooljaar or pipeline.schooljaar_from(results)
    ruleset = rules.load(schooljaar)
    tables = codetables.load(schooljaar)
    day = peildatum.date() if peildatum else datetime.date.today()
    return pipeline.run(results, ruleset, tables, peildatum=day, backend=backend), day




def write_atomic(path: Path, text: str) -> None:
    """Write text to a temporary file beside `path`, then rename: never a half-written report.

    A path that exists but is not a regular file (/dev/null, a pipe) is written to directly.
    """
    if path.exists() and not path.is_file():
        with open(path, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="examenbron")
@click.option("--debug", is_flag=True, help="Show the full traceback of an unexpected error")
def main(debug):
    """Check VO exam results against the slaag-zakregeling and DUO's BRON rules before exchange."""


@main.command()
@results_options
@click.option("--format", "-f", "fmt", type=click.Choice(["text", "json", "csv", "html"]), default="text",
              show_default=True, help="Output format")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report to this file (default: standard output)")
@handle_errors
def validate(file, schooljaar, mapping, sheet, peildatum, backend, fmt, output):
    """Validate a results file and report findings per candidate.

    \b
    Examples:
      examenbron validate resultaten.csv
      examenbron validate resultaten.xlsx --format html -o rapport.html
      examenbron validate export.csv --mapping kolommen.yaml --format json
    Exit code 0: no afkeur; 1: at least one afkeur finding; 2: input or usage error.
    """
    from examenbron.engine.outputs import report
    outcome, day = _validate(file, schooljaar, mapping, sheet, peildatum, backend)
    if fmt == "csv":
        text = report.to_csv(outcome)
    else:
        text = report.RENDERERS[fmt](outcome, peildatum=day)
    if output:
        write_atomic(output, text)
        click.echo(f"{output}: {len(outcome.findings)} bevindingen voor {len(outcome.kandidaten)} kandidaten", err=True)
    else:
        click.echo(text, nl=False)
    sys.exit(report.exit_code(outcome))


@main.command()
@results_options
@click.option("--leerling", "-l", required=True, metavar="NUMMER", help="The candidate's leerlingnummer")
@handle_errors
def explain(file, schooljaar, mapping, sheet, peildatum, backend, leerling):
    """Explain how one candidate's uitslag was computed, vak by vak and rule by rule.

    \b
    Example:
      examenbron explain resultaten.csv --leerling 100234
    """
    from examenbron.engine.outputs.explain import exam_ids, explain as render
    outcome, _ = _validate(file, schooljaar, mapping, sheet, peildatum, backend)
    ids = exam_ids(outcome, leerling)
    if not ids:
        raise UserError(f"{file}: no candidate with leerlingnummer {leerling!r}")
    click.echo("\n".join(render(outcome, i) for i in ids), nl=False)


@main.command()
@results_options
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory for the BRON messages, manifest.json and export-log.jsonl")
@click.option("--alles-of-niets", is_flag=True, help="Write nothing when any candidate is blocked")
@handle_errors
def export(file, schooljaar, mapping, sheet, peildatum, backend, out_dir, alles_of_niets):
    """Write a BRON examenresultaat message for every candidate without an afkeur finding.

    \b
    Example:
      examenbron export resultaten.csv --out bron-export/
    Exit code 0: every candidate exported; 1: some candidates blocked; 2: input or usage error.
    """
    from examenbron.engine.outputs.export import TIJDVAK_ROLES, export_results
    from examenbron.engine.pipeline import vak_roles
    outcome, _ = _validate(file, schooljaar, mapping, sheet, peildatum, backend)
    digest = outcome.results.sha256
    summary = export_results(outcome.results, outcome.findings, out_dir=out_dir, schooljaar=outcome.schooljaar,
                             regelset_versie=outcome.ruleset.versie, input_sha256=digest,
                             eindcijfers=vak_roles(outcome.context, outcome.ruleset, TIJDVAK_ROLES),
                             alles_of_niets=alles_of_niets,
                             kandidaten=outcome.kandidaten.set_index("exam_id"))
    if summary.nothing_written:
        click.echo(f"Niets geschreven: {summary.blocked} van {summary.candidates} kandidaten geblokkeerd "
                   "(--alles-of-niets)", err=True)
    else:
        click.echo(f"{summary.exported} van {summary.candidates} kandidaten uitgewisseld naar {out_dir}, "
                   f"{summary.blocked} geblokkeerd door een afkeur (zie manifest.json)", err=True)
    sys.exit(summary.exit_code)


@main.group()
def rules():
    """Check and test the rule files of a school year."""


@rules.command("lint")
@click.argument("schooljaar")
@handle_errors
def rules_lint(schooljaar):
    """Load the rules of a school year strictly; report every error with file:line:column.

    \b
    Example:
      examenbron rules lint 2024-2025
    """
    from examenbron.engine.rulesets import load as rule_files
    ruleset = rule_files.load(schooljaar, tests=True)
    click.echo(f"{schooljaar}: {len(ruleset.checks)} controles, {len(ruleset.voorwaarden)} voorwaarden, "
               f"{len(ruleset.derivations)} afleidingen, {len(ruleset.parameters)} parameters, "
               f"{len(ruleset.testgevallen)} testgevallen — geen fouten "
               f"(versie {ruleset.versie})")


@rules.command("test")
@click.argument("schooljaar")
@handle_errors
def rules_test(schooljaar):
    """Run the test cases in rules/<schooljaar>/tests and list rules that no test exercises.

    \b
    Example:
      examenbron rules test 2024-2025
    """
    from examenbron.engine.rulesets.ruletests import run_year
    result = run_year(schooljaar)
    for case in result.failed:
        click.echo(f"{case.file}:{case.line}\n  {case.naam}")
        for problem in case.problems:
            click.echo(f"    {problem}")
    passed = len(result.cases) - len(result.failed)
    if result.not_covered:
        click.echo(f"Niet getest ({len(result.not_covered)}):")
        for item in result.not_covered:
            click.echo(f"  {item}")
    click.echo(f"{schooljaar}: {passed} passed, {len(result.failed)} failed")
    sys.exit(1 if result.failed else 0)


@main.group()
def codetables():
    """Show and compare DUO's code tables per school year."""


@codetables.command("show")
@click.argument("schooljaar")
@click.option("--vak", metavar="CODE", help="Show one vakcode")
@click.option("--opleiding", metavar="CODE", help="Show one opleidingscode")
@handle_errors
def codetables_show(schooljaar, vak, opleiding):
    """Show a school year's code tables, or one vak or opleiding."""
    from examenbron.engine.inputs.codetables import show_text
    click.echo(show_text(schooljaar, vak=vak, opleiding=opleiding), nl=False)


@codetables.command("diff")
@click.argument("jaar1")
@click.argument("jaar2")
@handle_errors
def codetables_diff(jaar1, jaar2):
    """List codes added, removed and changed between two school years."""
    from examenbron.engine.inputs.codetables import diff_text
    click.echo(diff_text(jaar1, jaar2), nl=False)


@main.command()
@click.option("--kandidaten", "-n", type=click.IntRange(min=1), default=300, show_default=True,
              help="Number of candidates")
@click.option("--schooljaar", "-j", default="2024-2025", show_default=True, help="School year")
@click.option("--seed", type=int, default=2025, show_default=True, help="Random seed (same seed, same file)")
@click.option("--fouten/--zonder-fouten", default=True, show_default=True, help="Plant the documented errors")
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False, path_type=Path), help="CSV file to write")
@handle_errors
def voorbeeld(kandidaten, schooljaar, seed, fouten, output):
    """Write a realistic example results file (deterministic, with planted errors).

    \b
    Example:
      examenbron voorbeeld --kandidaten 300 --schooljaar 2024-2025 -o voorbeeld.csv
    """
    from examenbron.engine.samples.generate import generate, write_csv
    generated = generate(kandidaten, schooljaar, seed=seed, fouten=fouten)
    write_csv(generated.frame, output)
    click.echo(f"{output}: {kandidaten} kandidaten, {len(generated.frame)} vakrijen"
               + (f", {len(generated.fouten)} geplante fouten" if fouten else ""), err=True)


if __name__ == "__main__":
    main()
