"""Year folders as overlays on a basis year: inheritance, removal, placeholders and their errors.

The snapshot test guards the migration of the nine year folders to overlays: every year still
resolves to the rules, parameters, afleidingen and test cases it had as a self-contained folder
(tests/data/rules_snapshot.json, written with the loader before overlays existed).
"""

import json
from fractions import Fraction
import shutil
import sys
from pathlib import Path

import pytest

from examenbron.engine.errors import RuleErrors
from examenbron.engine.rulesets import load as rules
from examenbron.engine.rulesets import schema as rule_schema

sys.path.insert(0, str(Path(__file__).parent))
from ruleset_canonical import digest, entries  # noqa: E402

SNAPSHOT = json.loads((Path(__file__).parent / "data" / "rules_snapshot.json").read_text(encoding="utf-8"))
# Entries that differ from the snapshot on purpose, with the reason. When you change an existing rule,
# parameter, afleiding or test case of a year in the snapshot, add it here.
CHANGED = {
    ("2020-2021", "controle:UITSLAG-KAN-SLAGEN"): "melding says {examenjaar_regelset} instead of a typed year",
    ("2021-2022", "controle:UITSLAG-KAN-SLAGEN"): "melding says {examenjaar_regelset} instead of a typed year",
    ("2020-2021", "controle:UITSLAG-G-ALLEEN-DOOR-WEGLATEN"): "issue 12 §4: a struck vak stays on the cijferlijst",
    ("2021-2022", "controle:UITSLAG-G-ALLEEN-DOOR-WEGLATEN"): "issue 12 §4: a struck vak stays on the cijferlijst",
}
# Issue 12 replaced the count approximation of a complete exam by the samenstelling, in every year.
ISSUE_12 = "issue 12: completeness, leaving out, kernvak and cum laude by the exam's samenstelling"
CHANGED_EVERY_YEAR = {key: ISSUE_12 for key in (
    "afleiding:cum_laude", "afleiding:kern_wi", "controle:UITSLAG-G-ALLEEN-DOOR-WEGLATEN",
    "controle:UITSLAG-KAN-SLAGEN", "voorwaarde:HV-VOLLEDIG", "voorwaarde:VM-VOLLEDIG", "weglaten:WEG-EXTRA-VAK")}
REMOVED_EVERY_YEAR = {key: ISSUE_12 for key in (
    "afleiding:examendeel_aantal", "afleiding:minimum_eindcijfers", "afleiding:vrij_deel_aantal",
    "parameter:minimum_eindcijfers_bb_kb", "parameter:minimum_eindcijfers_gl", "parameter:minimum_eindcijfers_havo",
    "parameter:minimum_eindcijfers_tl", "parameter:minimum_eindcijfers_vwo")}
# Issue 12 §3: a value a decision needs is empty when a grade, component or kernvak is missing (strict
# aggregates, no fallback to the school's eindcijfer), in every year.
NO_SILENT_GAPS = ("aantal_4", "aantal_5", "aantal_7_of_hoger", "ce_gemiddelde", "combi_laagste", "combi_som",
                  "combinatiecijfer_berekend", "eindcijfer_berekend", "eindcijfer_uitslag", "kern_aantal_5",
                  "kern_en", "kern_laagste", "kern_ne", "kern_wi", "keuzevak_som", "laagste_eindcijfer",
                  "profielvak_eindcijfer", "som_eindcijfers", "telt_als_vak", "vakken_laagste")
# Issue 12 §4: a leerwerktraject candidate whose vakken form a complete BB exam falls under the
# regular BB rules (the wanneer of every VM-/LWT- voorwaarde reads lwt_volledig_bb).
LWT_VOLLEDIG_BB = ("LWT-BEROEPSGERICHT", "LWT-NEDERLANDS", "VM-CE-GEMIDDELDE", "VM-COMBINATIECIJFER",
                   "VM-COMPENSATIE", "VM-GEEN-3", "VM-KEUZEVAKKEN", "VM-NEDERLANDS", "VM-VG", "VM-VOLLEDIG")
for _year in SNAPSHOT:
    CHANGED[(_year, "parameter:se_deadline")] = "issue 12 §4: 10 calendar days before the first CE"
    for _id in LWT_VOLLEDIG_BB:
        CHANGED[(_year, f"voorwaarde:{_id}")] = "issue 12 §4: leerwerktraject with a complete BB exam"
    for _name in NO_SILENT_GAPS:
        CHANGED[(_year, f"afleiding:{_name}")] = "issue 12 §3: no value computed from partial data"
# Issue 11 §3: an unknown code is an afkeur only under DUO's official code table of the year, an
# attentie (EB205/EB206) under a derived one; the afkeur cases now state the official table.
OFFICIAL_TABLES = "issue 11 §3: unknown code afkeur only with an official code table"
CHANGED_EVERY_YEAR.update({key: OFFICIAL_TABLES for key in (
    "controle:CODE-OPLEIDING", "controle:CODE-VAK",
    "testgeval:Havo-kandidaat met onbekende opleidingscode 9999 geeft signaal EB201",
    "testgeval:Havo-kandidaat met onbekende vakcode 9998 geeft signaal EB203")})
# Issue 11 §4: a grondslag holds no internal tags. Trailing "[...]" tags moved to `bron` (the canonical
# form joins them back, tests/ruleset_canonical.py); these had the reference inside their text.
CHANGED_EVERY_YEAR.update({key: "issue 11 §4: internal reference moved from the grondslag to bron" for key in (
    "controle:CIJ-SE-HEEL", "controle:ID-BSN", "controle:ID-ONDERWIJSNUMMER", "afleiding:is_rekentoets")})
# Research tags ([S17], slaag-zak.md §7.2, …) left the texts users read (toelichting, omschrijving) for
# `bron` or a YAML comment; the text around them is unchanged.
CHANGED.update({key: "research tag moved from a toelichting to bron or a comment" for key in (
    ("2018-2019", "voorwaarde:REKENTOETS-AFGELEGD"), ("2019-2020", "controle:CIJ-GEEN-CE"),
    ("2020-2021", "controle:CIJ-PROFIELVAK-SE"), ("2021-2022", "controle:CIJ-PROFIELVAK-SE"),
    ("2024-2025", "regelset:metadata"), ("2025-2026", "regelset:metadata"))})
BASE = rules.rules_root() / "2024-2025"


@pytest.mark.parametrize("year", sorted(SNAPSHOT))
def test_each_year_resolves_to_what_it_was_before_overlays(year):
    ruleset = rules.load(year, tests=True)
    now = entries(ruleset)
    before = SNAPSHOT[year]["entries"]
    missing = sorted(k for k in before if k not in now and k not in REMOVED_EVERY_YEAR)
    changed = sorted(k for k in before if k in now and digest(now[k]) != before[k] and (year, k) not in CHANGED
                     and k not in CHANGED_EVERY_YEAR)
    assert not missing and not changed, f"{year}: missing {missing}, changed {changed}"
    order = SNAPSHOT[year]["order"]
    assert [r.id for r in ruleset.controles if r.id in order["controles"]] == order["controles"]
    assert [r.id for r in ruleset.voorwaarden if r.id in order["voorwaarden"]] == order["voorwaarden"]


@pytest.fixture
def root(tmp_path):
    shutil.copytree(BASE, tmp_path / "rules" / "2024-2025")
    return tmp_path / "rules"


def overlay(root, year, files: dict):
    for name, text in files.items():
        path = root / year / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def errors_of(year, root):
    with pytest.raises(RuleErrors) as info:
        rules.load(year, root, tests=True)
    return [str(e) for e in info.value.errors]


REGELSET = 'omschrijving: Overlay\nregelset:\n  basis: "2024-2025"\n'


def test_an_overlay_inherits_everything_and_dates_follow_the_folder_name(root):
    overlay(root, "2030-2031", {"regelset.yaml": REGELSET})
    base, year = rules.load("2024-2025", root, tests=True), rules.load("2030-2031", root, tests=True)
    assert [r.id for r in year.controles] == [r.id for r in base.controles]
    assert len(year.testgevallen) == len(base.testgevallen)
    assert year.metadata["geldig_van"].isoformat() == "2030-08-01"
    assert year.metadata["geldig_tot"].isoformat() == "2031-07-31"
    assert year.metadata["status"] == "definitief" and year.basis == "2024-2025"
    # {examenjaar} in a parameter value becomes this year's number, {schooljaar} in a melding this year
    assert year.parameters["examenjaar_regelset"] == 2031
    assert next(r.melding for r in year.controles if r.id == "CODE-VAK").endswith("vakcodetabel 2030-2031")
    assert "Havo-kandidaat zonder fouten geeft geen enkel signaal (2030-2031)" in \
        [c["naam"] for c in year.testgevallen]


def test_a_rule_with_an_existing_id_replaces_it_and_vervallen_removes(root):
    overlay(root, "2030-2031", {
        "regelset.yaml": REGELSET + "vervallen: [BRON-153]\nparameters:\n  ce_gemiddelde_minimum:\n"
                                    "    waarde: 5.6\n    omschrijving: Strenger\n",
        "controles/cijfers.yaml": 'omschrijving: x\ncontroles:\n  - id: BRON-206\n    omschrijving: Anders\n'
                                  '    niveau: vak\n    code: "206"\n    ernst: attentie\n'
                                  '    voorwaarde: eindcijfer is not null\n    melding: Geen eindcijfer\n'
                                  '    grondslag: Regel\n'})
    year = rules.load("2030-2031", root)
    rule = next(r for r in year.controles if r.id == "BRON-206")
    assert (rule.ernst, rule.omschrijving, rule.file, rule.line) == \
        ("attentie", "Anders", "rules/2030-2031/controles/cijfers.yaml", 3)
    assert "BRON-153" not in [r.id for r in year.controles]
    assert year.parameters["ce_gemiddelde_minimum"] == pytest.approx(5.6)
    assert year.sections["parameters"]["ce_gemiddelde_minimum"]["omschrijving"] == "Strenger"


def test_an_error_in_an_override_names_both_places(root):
    overlay(root, "2030-2031", {
        "regelset.yaml": REGELSET,
        "controles/cijfers.yaml": 'omschrijving: x\ncontroles:\n  - id: BRON-206\n    omschrijving: Anders\n'
                                  '    niveau: vak\n    code: "206"\n    ernst: afkeur\n'
                                  '    voorwaarde: eindcijfr is not null\n    melding: Geen eindcijfer\n'
                                  '    grondslag: Regel\n'})
    [error] = errors_of("2030-2031", root)
    assert error.startswith("rules/2030-2031/controles/cijfers.yaml:8:17: in voorwaarde: onbekende naam 'eindcijfr'")
    assert "(vervangt BRON-206 uit rules/2024-2025/controles/cijfers.yaml:12)" in error


def test_vervallen_of_an_unknown_id_suggests_the_near_one(root):
    overlay(root, "2030-2031", {"regelset.yaml": REGELSET + "vervallen: [BRON-2O6]\n"})
    [error] = errors_of("2030-2031", root)
    assert error.startswith("rules/2030-2031/regelset.yaml:4:")
    assert "'BRON-2O6' komt niet voor in de basis; bedoelde u 'BRON-206'?" in error


def test_a_basis_cycle_and_a_missing_basis_are_errors(root):
    overlay(root, "2030-2031", {"regelset.yaml": 'omschrijving: x\nregelset:\n  basis: "2031-2032"\n'})
    overlay(root, "2031-2032", {"regelset.yaml": 'omschrijving: x\nregelset:\n  basis: "2030-2031"\n'})
    assert any("basis vormt een kring: 2030-2031 -> 2031-2032 -> 2030-2031" in e for e in errors_of("2030-2031", root))
    overlay(root, "2032-2033", {"regelset.yaml": 'omschrijving: x\nregelset:\n  basis: "1999-2000"\n'})
    assert any("basis '1999-2000' bestaat niet" in e for e in errors_of("2032-2033", root))


def test_test_cases_are_inherited_replaced_removed_and_extended_by_name(root):
    base = rules.load("2024-2025", root, tests=True)
    first, second = base.testgevallen[0]["naam"], base.testgevallen[1]["naam"]
    assert "({schooljaar})" not in first and "2024-2025" in first
    template = first.replace("2024-2025", "{schooljaar}")
    overlay(root, "2030-2031", {
        "regelset.yaml": REGELSET,
        "tests/controles.yaml": (
            "omschrijving: x\ntestgevallen_aanvullen:\n  vakken:\n    - {vakcode: '1107', se_cijfer: 5.4}\n"
            f"vervallen: [{json.dumps(second)}]\ntestgevallen:\n  - naam: {json.dumps(template)}\n"
            "    opleidingscode: '0372'\n    vakken:\n      - {vakcode: '1001', se_cijfer: 6.3, ce1: 6.1}\n"
            "    verwacht: {uitslag: onvolledig}\n")})
    year = rules.load("2030-2031", root, tests=True)
    names = [c["naam"] for c in year.testgevallen]
    assert second not in names and len(names) == len(base.testgevallen) - 1
    replaced = year.testgevallen[0]
    assert replaced["naam"].endswith("(2030-2031)") and len(replaced["vakken"]) == 1
    inherited = next(c for c in year.testgevallen if c["naam"] == base.testgevallen[2]["naam"])
    assert inherited["vakken"][-1]["vakcode"] == "1107"
    assert len(inherited["vakken"]) == len(base.testgevallen[2]["vakken"]) + 1


def test_a_section_added_to_the_schema_later_inherits_without_code(root, monkeypatch):
    # (`rollen` was the example here until it became a real section; any new name shows the same)
    monkeypatch.setitem(rule_schema.SECTIONS, "bronnen", ("mapping", {"eindcijfer": rule_schema.Field(str)}))
    overlay(root, "2024-2025", {"bronnen.yaml": "omschrijving: x\nbronnen:\n  eindcijfer: eindcijfer_berekend\n"})
    overlay(root, "2030-2031", {"regelset.yaml": REGELSET})
    assert rules.load("2030-2031", root).sections["bronnen"] == {"eindcijfer": "eindcijfer_berekend"}


def test_schema_and_expression_errors_come_in_one_run(root):
    path = root / "2024-2025" / "controles" / "cijfers.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("    ernst: afkeur\n", "    ernst: afkuer\n", 1)
    text = text.replace("voorwaarde: eindcijfer is not null", "voorwaarde: eindcijfr is not null", 1)
    path.write_text(text, encoding="utf-8")
    errors = errors_of("2024-2025", root)
    assert any("ernst moet één van" in e for e in errors)
    assert any("onbekende naam 'eindcijfr'" in e for e in errors)


@pytest.mark.parametrize("name", ["../2024-2025", "2024-2026", "rules/2024-2025", "2024"])
def test_a_schooljaar_is_a_name_never_a_path(name, root):
    with pytest.raises(Exception) as info:
        rules.load(name, root)
    assert "geen schooljaar" in str(info.value)


def test_a_case_starts_from_a_shared_candidate_and_names_only_what_differs(root):
    overlay(root, "2030-2031", {"regelset.yaml": REGELSET, "tests/eigen.yaml": (
        'omschrijving: eigen\nkandidaten:\n  basis-havo:\n    opleidingscode: "0372"\n'
        '    kandidaat: {uitslag: "G", werkstuk_cijfer: 7}\n    vakken:\n'
        '      - {vakcode: "1001", se_cijfer: 6.3, ce1: 6.1}\n      - {vakcode: "1002", se_cijfer: 7.3}\n'
        'testgevallen:\n  - naam: eigen geval\n    zoals: basis-havo\n    kandidaat: {uitslag: "A"}\n'
        '    vakken_wijzig: {"1001": {ce1: 5.1}}\n    vakken_weg: ["1002"]\n'
        '    vakken_erbij:\n      - {vakcode: "1024", se_cijfer: 6}\n    verwacht: {uitslag: afgewezen}\n')})
    case = next(c for c in rules.load("2030-2031", root, tests=True).testgevallen if c["naam"] == "eigen geval")
    assert case["opleidingscode"] == "0372" and dict(case["kandidaat"]) == {"uitslag": "A", "werkstuk_cijfer": 7}
    assert [dict(v) for v in case["vakken"]] == [{"vakcode": "1001", "se_cijfer": Fraction(63, 10), "ce1": Fraction(51, 10)},
                                                 {"vakcode": "1024", "se_cijfer": 6}]
    path = root / "2030-2031" / "tests" / "eigen.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("zoals: basis-havo", "zoals: basis-hav"), encoding="utf-8")
    assert any("zoals: kandidaat 'basis-hav' bestaat niet; bedoelde u 'basis-havo'?" in e for e in errors_of("2030-2031", root))
