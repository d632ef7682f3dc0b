"""The command line as a user meets it: exit codes, formats, errors without tracebacks."""

import json

import click
import pytest
from click.testing import CliRunner

from examenbron.cli import main

EXAMPLE = "examples/resultaten-2024-2025.csv"


@pytest.fixture(scope="module")
def runner():
    return CliRunner()


def test_validate_example_reports_planted_errors_with_exit_1(runner):
    result = runner.invoke(main, ["validate", EXAMPLE, "--peildatum", "2025-06-20"])
    assert result.exit_code == 1, result.output
    assert "Schooljaar 2024-2025" in result.output
    assert "afkeur" in result.output


def test_json_output_has_stable_keys_and_masks_bsn(runner, tmp_path):
    out = tmp_path / "r.json"
    result = runner.invoke(main, ["validate", EXAMPLE, "--format", "json", "-o", str(out), "--peildatum", "2025-06-20"])
    assert result.exit_code == 1
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert set(doc) == {"formaat_versie", "geldig", "schooljaar", "regelset", "bestand", "peildatum",
                        "peildatum_standaard", "kandidaten", "bevindingen", "samenvatting"}
    k = doc["kandidaten"][0]
    assert {"brin", "vestiging", "leerlingnummer", "opleidingscode", "examenjaar", "leerweg", "uitslag_school",
            "uitslag_berekend", "voorwaarden_niet_gehaald"} <= set(k)
    assert "bsn" not in k
    assert doc["samenvatting"]["kandidaten"] == len(doc["kandidaten"])
    text = out.read_text(encoding="utf-8")
    import csv
    with open(EXAMPLE, encoding="utf-8") as handle:
        bsns = {row["bsn"] for row in csv.DictReader(handle, delimiter=";") if row["bsn"]}
    assert not any(b in text for b in bsns)


def test_csv_output_is_the_bevindingen_table(runner):
    result = runner.invoke(main, ["validate", EXAMPLE, "--format", "csv", "--peildatum", "2025-06-20"])
    assert result.exit_code == 1, result.output
    header = result.output.splitlines()[0]
    assert header.startswith("\ufeffschooljaar;regel;code;ernst;brin")  # BOM: Excel reads it as UTF-8


def test_html_report_opens(runner, tmp_path):
    out = tmp_path / "r.html"
    result = runner.invoke(main, ["validate", EXAMPLE, "--format", "html", "-o", str(out), "--peildatum", "2025-06-20"])
    assert result.exit_code == 1, result.output
    assert "<table>" in out.read_text(encoding="utf-8")


def test_missing_file_exits_2_without_traceback(runner):
    result = runner.invoke(main, ["validate", "nope.csv"])
    assert result.exit_code == 2
    assert "Fout: nope.csv" in result.output and "Traceback" not in result.output


def test_missing_columns_exit_2_and_name_them(runner, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("brin;vestiging\n12AB;00\n", encoding="utf-8")
    result = runner.invoke(main, ["validate", str(bad)])
    assert result.exit_code == 2
    assert "leerlingnummer" in result.output


def test_unknown_schooljaar_lists_available_years(runner):
    result = runner.invoke(main, ["validate", EXAMPLE, "--schooljaar", "1999-2000"])
    assert result.exit_code == 2
    assert "2024-2025" in result.output


def test_explain_shows_voorwaarden_and_uitslag(runner):
    import csv
    with open(EXAMPLE, encoding="utf-8") as handle:
        leerling = next(csv.DictReader(handle, delimiter=";"))["leerlingnummer"]
    result = runner.invoke(main, ["explain", EXAMPLE, "--leerling", leerling, "--peildatum", "2025-06-20"])
    assert result.exit_code == 0, result.output
    assert "Berekende uitslag:" in result.output and "Voorwaarden" in result.output
    assert "grondslag:" in result.output


def test_explain_unknown_leerling(runner):
    result = runner.invoke(main, ["explain", EXAMPLE, "--leerling", "nobody"])
    assert result.exit_code == 2 and "geen kandidaat" in result.output


def test_rules_lint_and_codetables_commands(runner):
    assert runner.invoke(main, ["rules", "lint", "2024-2025"]).exit_code == 0
    shown = runner.invoke(main, ["codetables", "show", "2024-2025", "--vak", "1001"])
    assert shown.exit_code == 0 and "1001" in shown.output
    assert runner.invoke(main, ["codetables", "diff", "2018-2019", "2019-2020"]).exit_code == 0


def test_voorbeeld_is_deterministic(runner, tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    for path in (a, b):
        assert runner.invoke(main, ["voorbeeld", "-n", "20", "-o", str(path)]).exit_code == 0
    assert a.read_bytes() == b.read_bytes()


def _command_paths(group, prefix=()):
    """Every command of the click group, as the words a user types (groups included)."""
    for name, command in sorted(group.commands.items()):
        yield prefix + (name,)
        if isinstance(command, click.Group):
            yield from _command_paths(command, prefix + (name,))


def test_every_command_has_help(runner):
    paths = list(_command_paths(main))
    assert ("rules", "lint") in paths and ("voorbeeld",) in paths  # the walk reaches nested commands
    for path in [()] + paths:
        result = runner.invoke(main, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Gebruik:" in result.output and "Traceback" not in result.output
        command = main
        for name in path:
            command = command.commands[name]
        assert command.help, f"{' '.join(path)} has no help text"


def test_export_writes_only_unblocked_candidates(runner, tmp_path):
    out = tmp_path / "bron"
    result = runner.invoke(main, ["export", EXAMPLE, "--out", str(out), "--peildatum", "2025-06-20"])
    assert result.exit_code == 1, result.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    messages = sorted(p.name for p in out.glob("*.xml"))
    validation = runner.invoke(main, ["validate", EXAMPLE, "--format", "json", "--peildatum", "2025-06-20"])
    assert validation.exit_code == 1, validation.output
    validated = json.loads(validation.output)
    blocked = {f["leerlingnummer"] for f in validated["bevindingen"] if f["ernst"] == "afkeur"}
    assert len(messages) == 300 - len(blocked)
    assert not any(f"_{nummer}_" in name for name in messages for nummer in blocked)
    assert manifest and (out / "export-log.jsonl").exists()


def test_export_all_or_nothing_writes_nothing(runner, tmp_path):
    out = tmp_path / "bron"
    result = runner.invoke(main, ["export", EXAMPLE, "--out", str(out), "--alles-of-niets", "--peildatum", "2025-06-20"])
    assert result.exit_code == 1
    assert not out.exists() or not any(out.iterdir())


def test_voorbeeld_refuses_a_year_without_rules_in_dutch(runner, tmp_path):
    result = runner.invoke(main, ["voorbeeld", "-n", "5", "-j", "2017-2018", "-o", str(tmp_path / "x.csv")])
    assert result.exit_code == 2
    from examenbron.engine.rulesets import load as rules
    assert "niet ondersteund" in result.output and rules.available_years()[-1] in result.output
    assert "Traceback" not in result.output


def test_a_command_leaves_the_garbage_collector_of_the_host_process_as_it_was(runner, tmp_path):
    """The command line freezes what it loaded for its own run only: a process that runs it in-process
    (a test, an embedding vendor) has nothing frozen afterwards, also after an input error, and one
    that froze its own objects keeps them frozen."""
    import gc
    assert gc.get_freeze_count() == 0
    assert runner.invoke(main, ["validate", EXAMPLE, "--peildatum", "2025-06-20"]).exit_code == 1
    assert gc.get_freeze_count() == 0
    assert runner.invoke(main, ["validate", str(tmp_path / "weg.csv")]).exit_code == 2
    assert gc.get_freeze_count() == 0
    gc.freeze()
    try:
        assert runner.invoke(main, ["explain", EXAMPLE, "--leerling", "334757", "--peildatum", "2025-06-20"]).exit_code == 0
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
