"""The policy-staff commands: rules copy/new-year/lint/test/list/show/diff/impact with their own folders."""

import csv
import datetime
import io
import json

import pytest
from click.testing import CliRunner

from examenbron.cli import main
from examenbron.engine.errors import RuleErrors


@pytest.fixture(scope="module")
def kopie(tmp_path_factory):
    """A user's copy of the rules and code tables with a new year 2027-2028 whose CE minimum is 5,6."""
    root = tmp_path_factory.mktemp("kopie")
    runner = CliRunner()
    assert runner.invoke(main, ["rules", "copy", str(root / "k")]).exit_code == 0
    env = {"EXAMENBRON_REGELS": str(root / "k" / "regels"), "EXAMENBRON_CODETABELLEN": str(root / "k" / "codetabellen")}
    result = runner.invoke(main, ["rules", "new-year", "2026-2027", "2027-2028"], env=env)
    assert result.exit_code == 0, result.output
    return root / "k", env


def test_new_year_writes_an_overlay_provisional_code_tables_and_a_changelog_entry(kopie):
    folder, env = kopie
    regelset = (folder / "regels" / "2027-2028" / "regelset.yaml").read_text(encoding="utf-8")
    assert 'basis: "2026-2027"' in regelset and "status: voorlopig" in regelset
    assert "waarde: 2028-05-03" in regelset and "NIET GEVERIFIEERD" in regelset  # 2026-2027 deadline, one year on
    meta = (folder / "codetabellen" / "2027-2028" / "metadata.yaml").read_text(encoding="utf-8")
    assert "status: voorlopig" in meta and "afgeleid: true" in meta
    assert "## 2027-2028" in (folder / "regels" / "CHANGELOG.md").read_text(encoding="utf-8")
    runner = CliRunner()
    lint = runner.invoke(main, ["rules", "lint", "2027-2028"], env=env)
    assert lint.exit_code == 0 and "geen fouten" in lint.output and "basis 2026-2027" in lint.output
    again = runner.invoke(main, ["rules", "new-year", "2026-2027", "2027-2028"], env=env)
    assert again.exit_code == 2 and "bestaat al" in again.output


def test_new_year_into_the_installed_code_tables_is_refused(tmp_path):
    result = CliRunner().invoke(main, ["rules", "new-year", "2026-2027", "2027-2028", "--regels", str(tmp_path)])
    assert result.exit_code == 2 and "--codetabellen" in result.output


def test_diff_shows_exactly_the_changed_parameter_and_impact_who_fails(kopie, tmp_path):
    folder, env = kopie
    runner = CliRunner()
    path = folder / "regels" / "2027-2028" / "regelset.yaml"
    original = path.read_text(encoding="utf-8")
    path.write_text(original + "  ce_gemiddelde_minimum:\n    waarde: 5.6\n    omschrijving: Het onafgeronde "
                    "gemiddelde van de CE-cijfers moet minstens dit zijn\n    eenheid: cijfer\n"
                    "    grondslag: UB WVO 2020 art. 3.34/3.35 lid 1 a (voorheen EB VO art. 49/50 lid 1 a)\n",
                    encoding="utf-8")
    try:
        # the boundary test cases refer to the parameter ("{ce_gemiddelde_minimum}"), so they stay meaningful
        assert runner.invoke(main, ["rules", "lint", "2027-2028"], env=env).exit_code == 0
        tested = runner.invoke(main, ["rules", "test", "2027-2028"], env=env)
        assert tested.exit_code == 0 and "2027-2028: 211 geslaagd, 0 mislukt" in tested.output, tested.output
        diff = runner.invoke(main, ["rules", "diff", "2026-2027", "2027-2028", "--format", "json"], env=env)
        result = json.loads(diff.output)
        assert result["parameters"]["gewijzigd"] == {"ce_gemiddelde_minimum": {"waarde": [5.5, 5.6]}}
        assert not result["regels"]["gewijzigd"] and not result["afleidingen"]["gewijzigd"]
        assert "se_deadline" in result["volgt_uit_schooljaar"]
        text = runner.invoke(main, ["rules", "diff", "2026-2027", "2027-2028"], env=env).output
        assert "~ ce_gemiddelde_minimum: 5,5 -> 5,6" in text
        data = tmp_path / "r.csv"
        assert runner.invoke(main, ["voorbeeld", "-n", "300", "-j", "2027-2028",
                                    "-o", str(data)], env=env).exit_code == 0
        impact = runner.invoke(main, ["rules", "impact", str(data), "--van", "2026-2027", "--naar", "2027-2028",
                                      "--peildatum", "2028-06-20", "--format", "json"], env=env)
        assert impact.exit_code == 0, impact.output
        report = json.loads(impact.output)
        assert report["kandidaten_totaal"] == 300
        changed = [k for k in report["kandidaten"] if "uitslag" in k]
        # a stricter CE minimum only ever turns geslaagd into afgewezen, through the CE-gemiddelde voorwaarde
        assert changed and all(k["uitslag"] == ["geslaagd", "afgewezen"] for k in changed)
        assert set(report["per_voorwaarde"]) <= {"HV-CE-GEMIDDELDE", "VM-CE-GEMIDDELDE"}
        rows = list(csv.DictReader(io.StringIO(runner.invoke(
            main, ["rules", "impact", str(data), "--van", "2026-2027", "--naar", str(folder / "regels" / "2027-2028"),
                   "--peildatum", "2028-06-20", "--format", "csv"], env=env).output)))
        assert len(rows) == len(report["kandidaten"]) and rows[0]["uitslag_nieuw"] == "afgewezen"
        validate = runner.invoke(main, ["validate", str(data), "--peildatum", "2028-06-20", "--format", "json"],
                                 env=env)
        assert validate.exit_code in (0, 1) and json.loads(validate.output)["schooljaar"] == "2027-2028"
    finally:
        path.write_text(original, encoding="utf-8")


def test_diff_between_a_year_and_an_edited_copy_of_it(kopie):
    folder, env = kopie
    copy = folder / "regels" / "2024-2025" / "controles" / "cijfers.yaml"
    original = copy.read_text(encoding="utf-8")
    copy.write_text(original.replace("    ernst: afkeur\n", "    ernst: attentie\n", 1), encoding="utf-8")
    try:
        result = CliRunner().invoke(main, ["rules", "diff", "2024-2025", str(folder / "regels" / "2024-2025"),
                                           "--format", "json"])
        changed = json.loads(result.output)["regels"]["gewijzigd"]
        assert changed == {"BRON-153": {"ernst": ["afkeur", "attentie"]}}
    finally:
        copy.write_text(original, encoding="utf-8")


def test_list_and_show_say_where_a_rule_comes_from():
    runner = CliRunner()
    rows = json.loads(runner.invoke(main, ["rules", "list", "2025-2026", "--format", "json"]).output)
    row = next(r for r in rows if r["id"] == "BRON-206")
    assert row == {"id": "BRON-206", "soort": "controle", "signaalcode": "206", "ernst": "afkeur",
                   "omschrijving": row["omschrijving"], "jaar": "2024-2025",
                   "plaats": "rules/2024-2025/controles/cijfers.yaml:12"}
    shown = json.loads(runner.invoke(main, ["rules", "show", "2025-2026", "se_deadline", "--format", "json"]).output)
    assert shown["herkomst"] == {"jaar": "2025-2026", "plaats": "rules/2025-2026/regelset.yaml:14",
                                 "vervangt": {"jaar": "2024-2025", "plaats": "rules/2024-2025/regelset.yaml:28"}}
    unknown = runner.invoke(main, ["rules", "show", "2025-2026", "se_dedline"])
    assert unknown.exit_code == 2 and "bedoelde u 'se_deadline'?" in unknown.output


def test_lint_alle_reports_every_year_and_a_path_is_not_a_schooljaar(tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["rules", "lint", "--alle", "--format", "json"])
    assert result.exit_code == 0 and len(json.loads(result.output)) >= 9
    for name in ("../2024-2025", "rules/2024-2025"):
        refused = runner.invoke(main, ["rules", "lint", name])
        assert refused.exit_code == 2 and "geen schooljaar" in refused.output


def test_codetables_show_as_json_and_csv():
    runner = CliRunner()
    data = json.loads(runner.invoke(main, ["codetables", "show", "2024-2025", "--format", "json"]).output)
    assert data["metadata"]["schooljaar"] == "2024-2025" and any(v["vakcode"] == "1001" for v in data["vakken"])
    rows = list(csv.DictReader(io.StringIO(runner.invoke(
        main, ["codetables", "show", "2024-2025", "--vak", "1001", "--format", "csv"]).output)))
    assert [r["vakcode"] for r in rows] == ["1001"] and rows[0]["leerwegen"] == "HAVO;VWO"


def test_a_test_case_refers_to_parameters_and_a_wrong_name_is_an_error(kopie):
    from examenbron.engine.rulesets import load as rules
    folder, _ = kopie
    root = folder / "regels"
    ruleset = rules.load("2024-2025", root, tests=True)
    termijn = next(c for c in ruleset.testgevallen if c["naam"].startswith("TERMIJN-SE"))
    assert termijn["peildatum"] == ruleset.parameters["se_deadline"] + datetime.timedelta(days=1)
    exact = next(c for c in ruleset.testgevallen if c["naam"].startswith("Havo-kandidaat met een CE-gemiddelde van "
                                                                        "precies"))
    assert exact["vakken"][0]["ce1"] == ruleset.parameters["ce_gemiddelde_minimum"]
    path = root / "2024-2025" / "tests" / "termijnen.yaml"
    original = path.read_text(encoding="utf-8")
    path.write_text(original.replace("{se_deadline + 1}", "{se_deadlien + 1}"), encoding="utf-8")
    try:
        with pytest.raises(RuleErrors) as info:
            rules.load("2024-2025", root, tests=True)
        assert "{se_deadlien + 1}: onbekende parameter 'se_deadlien'; bedoelde u 'se_deadline'?" in str(info.value)
    finally:
        path.write_text(original, encoding="utf-8")


@pytest.mark.parametrize("anders, totaal, expected", [
    (1, 1, "1 van 1 kandidaat krijgt een andere uitslag"),
    (1, 300, "1 van 300 kandidaten krijgt een andere uitslag"),
    (2, 300, "2 van 300 kandidaten krijgen een andere uitslag"),
    (0, 1200, "0 van 1.200 kandidaten krijgen een andere uitslag")])
def test_impact_summary_counts_in_dutch(anders, totaal, expected):
    from examenbron.engine.rulesets import impact
    text = impact.text({"van": "2026-2027", "naar": "2027-2028", "kandidaten_anders": anders,
                        "kandidaten_totaal": totaal, "per_leerweg": {}, "per_voorwaarde": {}, "kandidaten": []})
    assert expected in text
