"""Strict loading of rule files: every typo gives file:line:column and what was expected."""

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from examenbron.cli import main
from examenbron.engine.rulesets import load as rules
from rulefiles import SOURCE, edit, lint_errors


def test_every_year_lints_clean():
    for year in rules.available_years():
        ruleset = rules.load(year, tests=True)
        assert ruleset.controles and ruleset.voorwaarden and ruleset.testgevallen, year


def test_misspelled_key_is_named_with_its_position(rule_root):
    edit(rule_root, "controles/cijfers.yaml", "    voorwaarde: eindcijfer is not null", "    voorwaard: eindcijfer is not null")
    errors = lint_errors(rule_root)
    assert "rules/2024-2025/controles/cijfers.yaml:16:5: onbekende sleutel 'voorwaard' in controles BRON-206; " \
           "bedoelde u 'voorwaarde'?" in errors[0]
    assert any("de verplichte sleutel 'voorwaarde' ontbreekt" in e for e in errors)


def test_unknown_column_in_an_expression_points_at_the_column(rule_root):
    edit(rule_root, "controles/cijfers.yaml", "voorwaarde: eindcijfer is not null", "voorwaarde: eindcijfr is not null")
    assert lint_errors(rule_root) == [
        "rules/2024-2025/controles/cijfers.yaml:16:17: in voorwaarde: onbekende naam 'eindcijfr'; bedoelde u 'eindcijfer'?"]


def test_missing_code_is_reported(rule_root):
    edit(rule_root, "controles/cijfers.yaml", '    code: "206"\n', "")
    errors = lint_errors(rule_root)
    assert errors == ["rules/2024-2025/controles/cijfers.yaml:12:5: controles BRON-206: de verplichte sleutel 'code' "
                      "ontbreekt, bijvoorbeeld code: 206 of EB301"]


def test_duplicate_keys_anchors_and_tags_are_refused(rule_root):
    edit(rule_root, "controles/cijfers.yaml", "    ernst: afkeur\n", "    ernst: afkeur\n    ernst: attentie\n")
    assert any("de sleutel 'ernst' staat er twee keer" in e for e in lint_errors(rule_root))
    shutil.rmtree(rule_root)
    shutil.copytree(SOURCE, rule_root / "2024-2025")
    edit(rule_root, "controles/cijfers.yaml", "    ernst: afkeur\n", "    ernst: !!python/object:os.system afkeur\n")
    assert any("de YAML-tag 'tag:yaml.org,2002:python/object:os.system' is niet toegestaan" in e
               for e in lint_errors(rule_root))
    shutil.rmtree(rule_root)
    shutil.copytree(SOURCE, rule_root / "2024-2025")
    edit(rule_root, "controles/cijfers.yaml", "    grondslag: BRON terugkoppeling VO, signaal 153",
         "    grondslag: &g BRON terugkoppeling VO, signaal 153\n    toelichting: *g")
    assert any("ankers en verwijzingen (&naam / *naam) zijn niet toegestaan" in e for e in lint_errors(rule_root))


@pytest.mark.parametrize("grondslag, tag", [
    ("BRON terugkoppeling VO, signaal 153 [bron.md S8]", "[bron.md S8]"),
    ("UB WVO 2020 art. 3.34 lid 1 a; examenblad [S15]", "[S15]"),
    ("WVO art. 1; bron.md §6", "bron.md"),
    ("rekentoets, zie codetables/2018-2019/vakken.csv", "codetables/"),
])
def test_an_internal_tag_in_a_grondslag_is_refused_with_where_to_put_it(rule_root, grondslag, tag):
    edit(rule_root, "controles/cijfers.yaml", "    grondslag: BRON terugkoppeling VO, signaal 153\n",
         f"    grondslag: {grondslag}\n")
    errors = lint_errors(rule_root)
    assert any(f"de grondslag bevat de interne bronverwijzing {tag!r}" in e and "'bron:'" in e for e in errors), errors


@pytest.mark.parametrize("path, old, new, key, tag", [
    ("samenstelling/vmbo.yaml", "een algemeen vak in het vrije deel.", "een algemeen vak in het vrije deel [P9].",
     "toelichting", "[P9]"),
    ("uitslag/vmbo.yaml", "is niet geverifieerd; niet getoetst.", "is niet geverifieerd (slaag-zak.md §7.2).",
     "toelichting", "slaag-zak.md"),
    ("samenstelling/havo-vwo.yaml", "per profiel (IB WVO art. 26b/26c,", "per profiel [P1] (IB WVO art. 26b/26c,",
     "omschrijving", "[P1]"),
])
def test_an_internal_tag_in_a_text_users_read_is_refused(rule_root, path, old, new, key, tag):
    errors = lint_errors(rule_root, path, old, new)
    assert any(f"de {key} bevat de interne bronverwijzing {tag!r}" in e and path in e for e in errors), errors


def test_bron_and_referentie_are_accepted_and_a_referentie_must_be_a_url(rule_root):
    edit(rule_root, "controles/cijfers.yaml", "    bron: bron.md S8\n",
         "    bron: bron.md S8\n    referentie: [https://wetten.overheid.nl/BWBR0043534/2020-07-02]\n")
    assert rules.load("2024-2025", rule_root).controles[0].referentie == (
        "https://wetten.overheid.nl/BWBR0043534/2020-07-02",)
    edit(rule_root, "controles/cijfers.yaml", "[https://wetten.overheid.nl/BWBR0043534/2020-07-02]",
         "[wetten.overheid.nl/BWBR0043534]")
    assert any("referentie 'wetten.overheid.nl/BWBR0043534' is geen https-URL" in e for e in lint_errors(rule_root))


def test_wrong_severity_lists_the_choices(rule_root):
    edit(rule_root, "controles/cijfers.yaml", "    ernst: afkeur\n", "    ernst: afkuer\n")
    assert any("ernst moet één van afkeur, attentie, info zijn, niet 'afkuer'; bedoelde u 'afkeur'?" in e
               for e in lint_errors(rule_root))


def test_duplicate_rule_id_is_refused(rule_root):
    edit(rule_root, "controles/cijfers.yaml", "id: CIJ-DUBBEL-VAK", "id: BRON-206")
    assert any("de regel-id 'BRON-206' bestaat al" in e for e in lint_errors(rule_root))


def test_cli_lint_exits_non_zero_on_an_error(rule_root, monkeypatch):
    edit(rule_root, "controles/cijfers.yaml", "voorwaarde: eindcijfer is not null", "voorwaarde: eindcijfr is not null")
    monkeypatch.setattr(rules, "rules_root", lambda: Path(rule_root))
    result = CliRunner().invoke(main, ["rules", "lint", "2024-2025"])
    assert result.exit_code == 2
    assert "2024-2025: 1 fout\n" in result.output
    assert "cijfers.yaml:16:17: in voorwaarde: onbekende naam 'eindcijfr'" in result.output


def test_duplicate_signal_code_is_refused(rule_root):
    edit(rule_root, "controles/cijfers.yaml", "    code: EB302", "    code: EB301")
    assert any("signaalcode EB301 hoort al bij regel CIJ-EINDCIJFER" in e for e in lint_errors(rule_root))


def test_role_bound_to_an_unknown_afleiding_suggests_the_name(rule_root):
    edit(rule_root, "regelset.yaml", "  telt_mee: in_uitslag\n", "  telt_mee: in_uitslg\n")
    errors = lint_errors(rule_root)
    assert len(errors) == 1
    assert errors[0].startswith("rules/2024-2025/regelset.yaml:")
    assert "rol 'telt_mee': 'in_uitslg' is geen afleiding; bedoelde u 'in_uitslag'?" in errors[0]


def test_role_of_the_wrong_level_or_kind_is_refused(rule_root):
    edit(rule_root, "regelset.yaml", "  telt_mee: in_uitslag\n", "  telt_mee: ce_gemiddelde\n")
    assert any("rol 'telt_mee': afleiding 'ce_gemiddelde' is op niveau kandidaat, de rol vraagt niveau vak" in e
               for e in lint_errors(rule_root))
    edit(rule_root, "regelset.yaml", "  telt_mee: ce_gemiddelde\n", "  telt_mee: ce_hoogste\n")
    assert any("rol 'telt_mee': afleiding 'ce_hoogste' geeft een getal, de rol vraagt waar/onwaar" in e
               for e in lint_errors(rule_root))


def test_missing_and_unknown_roles_are_named(rule_root):
    edit(rule_root, "regelset.yaml", "  uitslagcijfer: eindcijfer_uitslag\n", "  uitslagcijfr: eindcijfer_uitslag\n")
    errors = lint_errors(rule_root)
    assert any("onbekende rol 'uitslagcijfr'; bedoelde u 'uitslagcijfer'?" in e for e in errors)
    assert any("rollen: niet gekoppeld: uitslagcijfer" in e for e in errors)


def test_rollen_section_and_undecided_codes_are_required(rule_root):
    path = rule_root / "2024-2025" / "regelset.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[:text.index("  uitslag_niet_bepalen:")], encoding="utf-8")
    errors = lint_errors(rule_root)
    assert any("regelset.yaml mist de sectie 'rollen'" in e for e in errors)
    assert any("parameter 'uitslag_niet_bepalen' ontbreekt" in e for e in errors)


def test_rollen_only_in_regelset_yaml(rule_root):
    path = rule_root / "2024-2025" / "afleidingen" / "vak.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "rollen:\n  telt_mee: in_uitslag\n", encoding="utf-8")
    assert any("onbekende sectie 'rollen'" in e for e in lint_errors(rule_root))
