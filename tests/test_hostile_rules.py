"""Hostile rule folders and data in outputs (issue 13): lint errors instead of RecursionError or
catastrophic regexes; no full BSN via a renaming afleiding; no formulas or escapes in outputs."""

import datetime
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from examenbron.cli import main
from examenbron.engine import pipeline
from examenbron.engine.inputs import codetables
from examenbron.engine.inputs.normalise import load_results
from examenbron.engine.outputs import explain, report
from examenbron.engine.outputs.texts import spreadsheet_safe, terminal_text
from examenbron.engine.rulesets import load as rules

from rulefiles import append, edit, lint_errors

EXAMPLE = Path(__file__).parent.parent / "examples" / "resultaten-2024-2025.csv"


# --- limits in rule files ------------------------------------------------------------------

def test_deep_expression_is_a_lint_error_not_a_recursion_error(rule_root):
    append(rule_root, "afleidingen/kandidaat.yaml",
           "  - naam: diep\n    niveau: kandidaat\n    omschrijving: te diep\n"
           f"    formule: 1{' + 1' * 900}\n")
    errors = lint_errors(rule_root)
    assert any("meer dan 100 niveaus" in e and "kandidaat.yaml" in e for e in errors), errors


def test_long_afleiding_chain_is_a_lint_error(rule_root):
    chain = "".join(f"  - naam: stap{i}\n    niveau: kandidaat\n    omschrijving: keten\n"
                    f"    formule: {'1' if i == 0 else f'stap{i - 1} + 1'}\n" for i in range(1200))
    append(rule_root, "afleidingen/kandidaat.yaml", chain)
    errors = lint_errors(rule_root)
    assert any("langer is dan 50" in e for e in errors), errors[:3]


@pytest.mark.parametrize("pattern", ["(a+)+$", "(a|ab)*c", "(.*a){12}", r"(\w)\1"])
def test_backtracking_pattern_is_a_lint_error(rule_root, pattern):
    edit(rule_root, "controles/identiteit.yaml", 'voorwaarde: matches(onderwijsaanbieder, "[0-9]{3}[A-Z][0-9]{3}")',
         f"voorwaarde: matches(onderwijsaanbieder, {json.dumps(pattern)})")
    errors = lint_errors(rule_root)
    assert any("kan extreem lang duren" in e for e in errors), errors


# --- BSN by data lineage -------------------------------------------------------------------

def test_a_afleiding_that_renames_the_bsn_is_masked_everywhere(rule_root, tmp_path):
    append(rule_root, "afleidingen/kandidaat.yaml",
           "  - naam: sofinummer\n    niveau: kandidaat\n    omschrijving: het BSN onder een andere naam\n"
           "    formule: bsn\n")
    edit(rule_root, "controles/identiteit.yaml", "    melding: BSN {bsn} voldoet niet aan de 11-proef",
         "    waarden: [sofinummer]\n    melding: BSN {sofinummer} voldoet niet aan de 11-proef")
    ruleset = rules.load("2024-2025", rule_root)
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(";")
    cells = lines[1].split(";")
    bsn = "987654320"  # fails the 11-proef (and, unlike 123456789, is not in the report's JavaScript)
    cells[header.index("bsn")] = bsn
    cells[header.index("onderwijsnummer")] = ""
    path = tmp_path / "bsn.csv"
    path.write_text("\n".join([lines[0], ";".join(cells)]) + "\n", encoding="utf-8")
    results = load_results(path)
    outcome = pipeline.run(results, ruleset, codetables.load("2024-2025"))
    found = outcome.bevindingen[outcome.bevindingen["regel"] == "ID-BSN"]
    assert len(found) == 1 and "*****4320" in found.iloc[0]["melding"]
    day = datetime.date(2025, 6, 20)
    texts = [report.to_csv(outcome), report.to_json(outcome, peildatum=day),
             report.to_text(outcome, peildatum=day), report.to_html(outcome, peildatum=day),
             explain.explain(outcome, 0)]
    leaking = [i for i, text in enumerate(texts) if bsn in text]
    assert leaking == []  # positions: csv, json, text, html, explain


# --- injection -----------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["=HYPERLINK(1)", "+1", "-2", "@SUM", "\tx", "\rx"])
def test_spreadsheet_cells_never_start_a_formula(value):
    import pandas as pd
    safe = spreadsheet_safe(pd.DataFrame({"cel": [value, "7,5", None]}))
    assert safe["cel"].tolist() == ["'" + value, "7,5", None]


def test_csv_report_neutralises_a_formula_in_a_leerlingnummer(tmp_path):
    before = CliRunner().invoke(main, ["validate", str(EXAMPLE), "--format", "csv", "--peildatum", "2025-06-20"])
    rows = [line.lstrip("\ufeff").split(";") for line in before.output.splitlines()]
    leerling = rows[1][rows[0].index("leerlingnummer")]
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    text = "\n".join(line.replace(f";{leerling};", ";=1+1;") for line in lines) + "\n"
    path = tmp_path / "formule.csv"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(path), "--format", "csv", "--peildatum", "2025-06-20"])
    assert result.exit_code == 1, result.output
    rows = [line.lstrip("\ufeff").split(";") for line in result.output.splitlines()]
    column = rows[0].index("leerlingnummer")
    assert "'=1+1" in [r[column] for r in rows[1:]]
    assert not any(cell.startswith(("=", "+", "@")) for r in rows for cell in r)


def test_terminal_text_strips_escape_sequences():
    assert terminal_text("a\x1b[2Jb\x1b]0;titel\x07c\x9b31md\x07e\n\tf") == "abcde\n\tf"


def test_text_report_shows_no_escape_sequence_from_a_file_name(tmp_path):
    path = tmp_path / "rapport\x1b[2J.csv"
    path.write_bytes(EXAMPLE.read_bytes())
    result = CliRunner().invoke(main, ["validate", str(path), "--peildatum", "2025-06-20"])
    assert result.exit_code == 1
    assert "rapport.csv" in result.output and "\x1b" not in result.output
