"""Reports as their readers meet them: the JSON contract, CSV and Excel files, Dutch summary and explain."""

import csv
import datetime
import io
import json
import os
import subprocess
import sys
from dataclasses import replace
from importlib.resources import files
from pathlib import Path

import jsonschema
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

import examenbron
from examenbron.cli import main
from examenbron.engine import pipeline
from examenbron.engine.inputs import codetables
from examenbron.engine.inputs.normalise import load_results
from examenbron.engine.outputs import report
from examenbron.engine.rulesets import load as rulesets

EXAMPLE = "examples/resultaten-2024-2025.csv"
PEILDATUM = ["--peildatum", "2025-06-20"]


@pytest.fixture(scope="module")
def runner():
    return CliRunner()


@pytest.fixture(scope="module")
def schema():
    document = json.loads(files("examenbron.engine.outputs").joinpath("schemas/rapport-1.json").read_text("utf-8"))
    jsonschema.Draft202012Validator.check_schema(document)
    return jsonschema.Draft202012Validator(document, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def _json(runner, tmp_path, *args):
    out = tmp_path / "rapport.json"
    result = runner.invoke(main, ["validate", EXAMPLE, *PEILDATUM, "--format", "json", "-o", str(out), *args])
    assert result.exit_code in (0, 1), result.output
    return result, json.loads(out.read_text(encoding="utf-8"))


@pytest.mark.parametrize("args", [[], ["--ignore", "TERMIJN-UITSLAG,EB302"], ["--select", "EB601"]])
def test_every_json_output_follows_the_shipped_schema(runner, tmp_path, schema, args):
    _, doc = _json(runner, tmp_path, *args)
    errors = [f"{list(e.path)}: {e.message}" for e in schema.iter_errors(doc)]
    assert not errors, errors[:5]
    assert doc["formaat_versie"] == report.FORMAAT_VERSIE
    assert doc["geldig"] == (doc["samenvatting"]["bevindingen_per_ernst"]["afkeur"] == 0)


def test_json_from_an_empty_file_follows_the_schema(runner, tmp_path, schema):
    header = Path(EXAMPLE).read_text(encoding="utf-8").splitlines()[0]
    lines = [line for line in Path(EXAMPLE).read_text(encoding="utf-8").splitlines()[1:] if line][:12]
    path = tmp_path / "klein.csv"
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    out = tmp_path / "klein.json"
    result = runner.invoke(main, ["validate", str(path), *PEILDATUM, "--format", "json", "-o", str(out)])
    assert result.exit_code in (0, 1), result.output
    assert not list(schema.iter_errors(json.loads(out.read_text(encoding="utf-8"))))


def test_select_ignore_and_fail_on_work_like_a_linter(runner, tmp_path):
    _, everything = _json(runner, tmp_path)
    assert {"EB502", "EB601"} <= {b["code"] for b in everything["bevindingen"]}
    _, ignored = _json(runner, tmp_path, "--ignore", "TERMIJN-SE")
    assert "TERMIJN-SE" not in {b["regel"] for b in ignored["bevindingen"]}
    result, selected = _json(runner, tmp_path, "--select", "EB502")
    assert {b["code"] for b in selected["bevindingen"]} == {"EB502"}
    assert result.exit_code == 0 and selected["geldig"] is True  # attentie only: no afkeur
    result, _ = _json(runner, tmp_path, "--select", "EB502", "--fail-on", "attentie")
    assert result.exit_code == 1
    unknown = runner.invoke(main, ["validate", EXAMPLE, "--select", "GEEN-REGEL"])
    assert unknown.exit_code == 2 and "onbekende regel of signaalcode: GEEN-REGEL" in unknown.output


def test_candidate_keys_stay_fixed_when_rapporteer_changes():
    results = load_results(EXAMPLE)
    ruleset = rulesets.load("2024-2025")
    edited = replace(ruleset, metadata={**ruleset.metadata, "rapporteer": ["cum_laude", "ce_gemiddelde"]})
    day = datetime.date(2025, 6, 20)
    tables = codetables.load("2024-2025")
    before = json.loads(report.to_json(pipeline.run(results, ruleset, tables, peildatum=day), peildatum=day))
    after = json.loads(report.to_json(pipeline.run(results, edited, tables, peildatum=day), peildatum=day))
    assert set(before["kandidaten"][0]) == set(after["kandidaten"][0]) == set(report.KANDIDAAT_KEYS) | {"extra"}
    assert set(after["kandidaten"][0]["extra"]) == {"cum_laude", "ce_gemiddelde"}


def _pandas_kandidaten_json(outcome) -> str:
    """The candidate array as pandas writes it (the reference the fast writer must match)."""
    from examenbron.engine.outputs.charts import number_values
    k = outcome.kandidaten
    extras = [c for c in k.columns if c not in report.KANDIDAAT_KEYS and c != "exam_id"]
    frame = k[list(report.KANDIDAAT_KEYS)].copy()
    plain = pd.DataFrame(index=k.index)
    for name in extras:
        value = outcome.context.kandidaat.values.get(name)
        if value is not None and value.kind == "num":
            numbers = number_values(value, len(k))
            plain[name] = pd.Series(numbers, index=k.index, dtype=object).where(~pd.isna(numbers), None)
        else:
            plain[name] = k[name].astype(object).where(k[name].notna(), None)
    frame["extra"] = plain.to_dict("records") if extras else [{} for _ in range(len(k))]
    return frame.to_json(orient="records", force_ascii=False)


@pytest.mark.parametrize("rapporteer", [[], ["cum_laude", "ce_gemiddelde", "aantal_eindcijfers", "datum_uitslag",
                                             "werkstuk_titel", "lwoo", "profiel"]])
def test_candidate_json_is_written_value_for_value_as_pandas_writes_it(rapporteer):
    """Texts with quotes, slashes, control characters, non-ASCII and '%'; numbers with fractions; dates; nulls."""
    results = load_results(EXAMPLE)
    ruleset = rulesets.load("2024-2025")
    ruleset = replace(ruleset, metadata={**ruleset.metadata, "rapporteer": rapporteer})
    day = datetime.date(2025, 6, 20)
    outcome = pipeline.run(results, ruleset, codetables.load("2024-2025"), peildatum=day)
    odd = ['a/b', 'x"y', "tab\there", "Zoë", "100%s%%", "\u2028", "<&>", "back\\slash", "\x7f", "", None]
    k = outcome.kandidaten.copy()
    for column in ("leerlingnummer", "werkstuk_titel", "uitslag_school"):
        if column in k:
            k.loc[:len(odd) - 1, column] = pd.Series(odd, dtype=object)
    if "datum_uitslag" in k:
        k.loc[:2, "datum_uitslag"] = pd.NaT
    outcome = replace(outcome, kandidaten=k)
    assert "".join(report.kandidaten_json(outcome)) == _pandas_kandidaten_json(outcome)
    assert "".join(report.kandidaten_json(outcome, block=7)) == _pandas_kandidaten_json(outcome)
    if not rapporteer:  # (the context keeps its 300 rows: only the fixed columns can be emptied)
        empty = replace(outcome, kandidaten=k.iloc[:0])
        assert "".join(report.kandidaten_json(empty, block=7)) == _pandas_kandidaten_json(empty) == "[]"
    document = json.loads(report.to_json(outcome, peildatum=day))
    assert [c["leerlingnummer"] for c in document["kandidaten"][:len(odd)]] == odd


def test_validate_accepts_a_dataframe_like_a_path():
    frame = pd.read_csv(EXAMPLE, sep=";", dtype=str, keep_default_na=False)
    day = datetime.date(2025, 6, 20)
    from_frame = examenbron.validate(frame, peildatum=day)
    from_path = examenbron.validate(EXAMPLE, peildatum=day)
    assert len(from_frame.kandidaten) == len(from_path.kandidaten) == 300
    assert (from_frame.kandidaten["uitslag_berekend"].tolist() == from_path.kandidaten["uitslag_berekend"].tolist())
    assert sorted(from_frame.bevindingen["code"]) == sorted(from_path.bevindingen["code"])


def _with_formula_vakcode(tmp_path) -> Path:
    lines = Path(EXAMPLE).read_text(encoding="utf-8").splitlines()
    header = lines[0].split(";")
    at = header.index("vakcode")
    row = lines[1].split(";")
    row[at] = "=HYPERLINK(\"http://x\")"
    path = tmp_path / "formule.csv"
    path.write_text("\n".join([lines[0], ";".join(row), *lines[2:]]) + "\n", encoding="utf-8")
    return path


def test_csv_opens_in_excel_and_cannot_start_a_formula(runner, tmp_path):
    out = tmp_path / "bevindingen.csv"
    result = runner.invoke(main, ["validate", str(_with_formula_vakcode(tmp_path)), *PEILDATUM,
                                  "--format", "csv", "-o", str(out)])
    assert result.exit_code == 1, result.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["schooljaar", "regel", "code", "ernst"]
    cells = [cell for row in rows[1:] for cell in row]
    assert not any(cell.startswith(("=", "+", "@")) for cell in cells)
    assert any(cell.startswith("'=HYPERLINK") for cell in cells)


def test_xlsx_has_the_sheets_frozen_filtered_coloured_and_no_formulas(runner, tmp_path):
    out = tmp_path / "rapport.xlsx"
    result = runner.invoke(main, ["validate", str(_with_formula_vakcode(tmp_path)), *PEILDATUM,
                                  "--format", "xlsx", "-o", str(out)])
    assert result.exit_code == 1, result.output
    book = openpyxl.load_workbook(out)
    assert book.sheetnames[:4] == ["samenvatting", "bevindingen", "kandidaten", "per school"]
    for name in ("bevindingen", "kandidaten", "per school"):
        sheet = book[name]
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref.startswith("A1:")
        assert sheet.cell(1, 1).font.bold
        assert sheet.column_dimensions["A"].width > 5
    bevindingen = book["bevindingen"]
    header = [c.value for c in bevindingen[1]]
    ernst_at = header.index("ernst") + 1
    colours = {row[ernst_at - 1].value: row[ernst_at - 1].fill.fgColor.rgb for row in bevindingen.iter_rows(min_row=2)}
    assert colours["afkeur"].endswith("F8D7DA") and colours["attentie"].endswith("FFE8CC")
    assert bevindingen.max_row - 1 == len(pd.read_csv(io.StringIO(report.to_csv(examenbron.validate(
        _with_formula_vakcode(tmp_path), peildatum=datetime.date(2025, 6, 20))).lstrip("\ufeff")), sep=";"))
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    assert not any(c.data_type == "f" for c in cells)
    assert any(isinstance(c.value, str) and c.value.startswith("'=HYPERLINK") for c in cells)
    assert book["kandidaten"].max_row - 1 == 300


def test_xlsx_needs_an_output_file(runner):
    result = runner.invoke(main, ["validate", EXAMPLE, "--format", "xlsx"])
    assert result.exit_code == 2 and "--output" in result.output


def test_summary_speaks_to_an_administrator(runner, tmp_path):
    result = runner.invoke(main, ["validate", EXAMPLE])
    out = result.output
    assert "300 kandidaten, 3.207 vakrijen" in out
    assert "regelset definitief, versie" in out
    assert "is de datum van vandaag (standaard" in out
    assert "ruim na examenjaar 2025" in out  # today is after 2025; the deadline bevindingen depend on it
    assert "onvolledig: de uitslag kan niet worden berekend" in out and "niet bepaald: de school meldt T" in out
    assert "TERMIJN-UITSLAG: Eindcijfers en uitslag staan uiterlijk" in out
    one = tmp_path / "een.csv"
    assert runner.invoke(main, ["voorbeeld", "-n", "1", "--zonder-fouten", "-o", str(one)]).exit_code == 0
    single = runner.invoke(main, ["validate", str(one), *PEILDATUM]).output
    assert "1 kandidaat," in single and "vandaag" not in single
    assert "niet uitgewisseld" not in single


def test_explain_shows_only_the_values_of_the_leerweg_and_whole_vak_names(runner):
    outcome = examenbron.validate(EXAMPLE, peildatum=datetime.date(2025, 6, 20))
    k = outcome.kandidaten
    havo = k[k["leerweg"] == "HAVO"].iloc[0]
    text = runner.invoke(main, ["explain", EXAMPLE, *PEILDATUM, "--leerling", havo["leerlingnummer"]]).output
    assert "ce_gemiddelde" in text and "kern_laagste" in text
    assert "profielvak_eindcijfer" not in text and "keuzevak_aantal" not in text  # vmbo values
    assert "=leeg" not in text and " leeg " not in text
    ctx = outcome.context
    start = ctx.starts[havo["exam_id"]]
    names = ctx.vak.values["vaknaam"].val[start:start + ctx.counts[havo["exam_id"]]]
    words = set(text.split())
    assert any(len(name) > 34 for name in names)  # this candidate has a long vak name
    for name in names:
        assert all(word in words for word in name.split()), name


def _two_schools(tmp_path) -> tuple[Path, str]:
    lines = Path(EXAMPLE).read_text(encoding="utf-8").splitlines()
    header = lines[0].split(";")
    nummer = lines[1].split(";")[header.index("leerlingnummer")]
    copies = []
    for line in lines[1:]:
        row = line.split(";")
        if row[header.index("leerlingnummer")] == nummer:
            row[header.index("brin")] = "99ZZ"
            copies.append(";".join(row))
    path = tmp_path / "bestuur.csv"
    path.write_text("\n".join([*lines, *copies]) + "\n", encoding="utf-8")
    return path, nummer


def test_explain_picks_a_school_when_leerlingnummers_repeat(runner, tmp_path):
    path, nummer = _two_schools(tmp_path)
    both = runner.invoke(main, ["explain", str(path), *PEILDATUM, "--leerling", nummer])
    assert both.exit_code == 2 and "--brin 99ZZ" in both.output and "meer scholen" in both.output
    one = runner.invoke(main, ["explain", str(path), *PEILDATUM, "--leerling", nummer, "--brin", "99ZZ"])
    assert one.exit_code == 0 and "BRIN 99ZZ" in one.output and one.output.count("Berekende uitslag") == 1
    none = runner.invoke(main, ["explain", str(path), *PEILDATUM, "--leerling", nummer, "--brin", "00AA"])
    assert none.exit_code == 2 and "geen kandidaat met leerlingnummer" in none.output


@pytest.mark.parametrize("command", [["explain", "--leerling", "{nummer}"], ["validate"]])
def test_output_survives_a_cp1252_console_redirect(tmp_path, command):
    nummer = pd.read_csv(EXAMPLE, sep=";", dtype=str).iloc[0]["leerlingnummer"]
    args = [a.format(nummer=nummer) for a in command]
    env = {**os.environ, "PYTHONIOENCODING": "cp1252"}
    out = tmp_path / "uit.txt"
    with open(out, "wb") as handle:
        done = subprocess.run([sys.executable, "-m", "examenbron.cli", args[0], EXAMPLE, *PEILDATUM, *args[1:]],
                              stdout=handle, stderr=subprocess.PIPE, env=env, timeout=300)
    assert done.returncode in (0, 1), done.stderr.decode("cp1252", "replace")
    assert b"Traceback" not in done.stderr
    text = out.read_bytes().decode("cp1252")
    assert ("Berekende uitslag" in text) if args[0] == "explain" else ("Bevindingen per regel" in text)


def test_chart_specs_are_valid_vega_lite():
    from altair.vegalite.v6.schema import load_schema
    from examenbron.engine.outputs import charts
    outcome = examenbron.validate(EXAMPLE, peildatum=datetime.date(2025, 6, 20))
    validator = jsonschema.Draft7Validator(load_schema())
    specs = charts.chart_specs(outcome)
    assert set(specs) == {"uitslag", "per_school", "bevindingen", "eindcijfers", "ce_gemiddelde", "se_ce"}
    for name, spec in specs.items():
        errors = [e.message for e in validator.iter_errors(spec)]
        assert not errors, (name, errors[:3])
    per_school = charts.chart_data(outcome)["per_school"]
    assert per_school["n"].sum() == len(outcome.kandidaten)


def test_export_ends_with_counts_and_the_blocked_candidates(runner, tmp_path):
    out = tmp_path / "bron"
    first = runner.invoke(main, ["export", EXAMPLE, *PEILDATUM, "--out", str(out)])
    assert first.exit_code == 1
    # 13 planted errors; the unknown vakcode is an attentie under the derived bundled code table
    # (issue 11 §3), so 12 candidates are blocked
    assert "288 van 300 kandidaten uitgewisseld" in first.output
    assert "288 geschreven, 0 ongewijzigd, 0 verwijderd, 12 geblokkeerd" in first.output
    blocked = [line for line in first.output.splitlines() if line.startswith("  leerling ")]
    assert len(blocked) == 12 and any(line.endswith(": EB601") for line in blocked)
    assert "━" not in first.output and "inlezen" not in first.output  # no progress display off a terminal
    again = runner.invoke(main, ["export", EXAMPLE, *PEILDATUM, "--out", str(out), "--stil"])
    assert "0 geschreven, 288 ongewijzigd, 0 verwijderd, 12 geblokkeerd" in again.output


def test_a_long_blocked_list_says_where_the_rest_is():
    from examenbron.cli import _blocked_list
    outcome = examenbron.validate(EXAMPLE, peildatum=datetime.date(2025, 6, 20))
    text = _blocked_list(outcome, Path("bron/manifest.json"), nothing_written=False, shown=5)
    lines = text.splitlines()
    assert lines[0] == "Geblokkeerd:" and len(lines) == 7
    assert lines[-1] == "  ... en nog 7; zie bron/manifest.json"  # 12 blocked, 5 shown


def test_explain_and_the_html_report_show_the_referentie_urls_of_a_rule(runner, tmp_path):
    url = "https://www.examenblad.nl/onderwerp/combinatiecijfer-profielen-vmbo/2017/vmbo-bb"
    explained = runner.invoke(main, ["explain", EXAMPLE, *PEILDATUM, "--leerling", "335399"])
    assert f"      referentie: {url}" in explained.output
    assert "grondslag: UB WVO 2020 art. 3.35 lid 1 d; examenblad combinatiecijfer profielen vmbo  [" in explained.output
    out = tmp_path / "rapport.html"
    runner.invoke(main, ["validate", EXAMPLE, *PEILDATUM, "--format", "html", "-o", str(out)])
    page = out.read_text(encoding="utf-8")
    assert f'<a href="{url}" rel="noopener noreferrer">{url}</a>' in page


def test_no_grondslag_that_reaches_a_user_carries_an_internal_tag():
    from examenbron.engine.rulesets import load as rules
    from examenbron.engine.rulesets.schema import INTERNAL_TAG
    for year in rules.available_years():
        ruleset = rules.load(year)
        texts = [r.grondslag for r in [*ruleset.controles, *ruleset.voorwaarden, *ruleset.weglaten]]
        texts += [d.grondslag for d in ruleset.afleidingen]
        texts += [spec.get("grondslag") or "" for spec in ruleset.sections.get("parameters", {}).values()]
        assert not [t for t in texts if INTERNAL_TAG.search(t)], year
