"""Every message a policy officer reads from `rules lint` and `rules test` is Dutch.

Deliberately broken rule folders raise each class of error (unknown name, kind mismatch, wrong
number of arguments, syntax, unknown key, bad YAML, bad basis, …); the output must contain each of
them and no English word. Quoted text ('…', "…") is left out of the word check: it echoes what the
policy officer wrote. The word list holds no Dutch word and no word of the rule language itself
(`not`, `and`, `or`, `in`, `is`, `null`, `true`, `false`, `where`, `strict` and the function names
such as `round`, `mean`, `year`, `all`, `any`, `if` appear in messages as code).
"""

import re
import textwrap

import pytest
from click.testing import CliRunner

from examenbron.cli import main

ENGLISH = ("the", "must", "expected", "unexpected", "unknown", "cannot", "invalid", "got", "line", "missing",
           "found", "should", "allowed", "duplicate", "empty", "number", "value", "you", "did", "needs",
           "use", "write", "only", "wrong", "error", "column", "key", "text", "date", "name", "function",
           "condition", "derivation", "level", "candidate", "section", "with", "without", "than", "for",
           "from", "this", "that", "has", "does", "are", "be", "to", "an", "here", "mapping", "list of",
           "e.g", "nested", "levels", "circle", "placeholder", "brace", "raised", "never", "none", "exist")
ENGLISH_WORD = re.compile(r"\b(" + "|".join(re.escape(w) for w in ENGLISH) + r")\b", re.IGNORECASE)
QUOTED = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"")

CONTROLE = """\
  - id: {id}
    omschrijving: Opzettelijk fout
    niveau: {niveau}
    voorwaarde: {voorwaarde}
    code: {code}
    ernst: afkeur
    melding: Fout
    grondslag: Test
"""
# (id, niveau, voorwaarde, code, what the lint message must say)
BROKEN_CONTROLES = [
    ("TEST-NAAM", "vak", "eindcijfr is not null", "EB990", "onbekende naam 'eindcijfr'; bedoelde u 'eindcijfer'?"),
    ("TEST-SOORT", "vak", "vakcode > 5", "EB991", "'vakcode' is tekst en 5 is een getal"),
    ("TEST-AANTAL", "vak", "matches(vakcode)", "EB992", "matches() krijgt hier 1 argument"),
    ("TEST-HAAKJE", "vak", "(ce1 > 5", "EB993", "haakje ')' ontbreekt"),
    ("TEST-KOMMA", "vak", "ce1 > 5,5", "EB994", "schrijf decimalen met een punt"),
    ("TEST-FUNCTIE", "vak", "avg(ce1) > 5", "EB995", "onbekende functie 'avg'"),
    ("TEST-REKENEN", "vak", "ce1 + ce2 > 11", "EB996", "rekenen mag niet in een voorwaarde"),
    ("TEST-VAKNIVEAU", "kandidaat", "ce1 > 5", "EB997", "'ce1' is een waarde per vak"),
    ("TEST-PATROON", "vak", 'matches(vakcode, "(a+)+")', "EB998", "kan extreem lang duren"),
    ("TEST-OFF", "vak", "ce1 > 5 and vakcode", "EB999", "'and' werkt op voorwaarden"),
    ("TEST-NAAM", "vak", "ce1 is null", "EB990", "de regel-id 'TEST-NAAM' bestaat al"),
]
AFLEIDINGEN = """\
omschrijving: Opzettelijk foute afleidingen
afleidingen:
  - naam: te_veel
    niveau: vak
    omschrijving: Verkeerd aantal argumenten
    formule: round(ce1, 2)
  - naam: som_tekst
    niveau: kandidaat
    omschrijving: Som van tekst
    formule: sum(vakcode)
  - naam: gemengd
    niveau: vak
    omschrijving: Getal en tekst door elkaar
    formule: coalesce(ce1, vakcode)
  - naam: nul
    niveau: vak
    omschrijving: Delen door nul
    formule: 1 / 0
  - naam: telling
    niveau: vak
    omschrijving: Aggregaat op vakniveau
    formule: count(where=ce1 > 5)
"""
SCHEMA = """\
omschrijving: Opzettelijk foute sleutels
controles:
  - id: TEST-SLEUTEL
    omschrijving: Sleutel verkeerd gespeld
    niveau: vak
    voorwaard: ce1 is null
    code: EB980
    ernst: afkuer
    leerwegen: [HAVOO]
    melding: Fout {onbekend_veld}
    grondslag: Test
"""
BAD_YAML = {
    "kapot-dubbelepunt.yaml": "omschrijving: a: b\n",
    "kapot-aanhalingsteken.yaml": 'omschrijving: "niet gesloten\n',
    "kapot-tab.yaml": "omschrijving: x\ncontroles:\n\t- id: X\n",
    "kapot-inspringing.yaml": "omschrijving: x\ncontroles:\n  - id: X\n bla: 1\n",
    "kapot-anker.yaml": "omschrijving: &a x\ntoelichting: *a\n",
    "kapot-tag.yaml": "omschrijving: !!binary eA==\n",
    "kapot-dubbel.yaml": "omschrijving: x\nomschrijving: y\n",
    "kapot-leeg.yaml": "",
    "kapot-lijst.yaml": "omschrijving: x\ncontroles: [1, 2\n",
}


def english_words(output: str) -> list:
    """The English words of `output` outside quoted text."""
    return ENGLISH_WORD.findall(QUOTED.sub("", output))


@pytest.fixture
def broken_root(rule_root):
    """The copy of rules/2024-2025 with broken files added, and three broken overlay years."""
    root = rule_root
    year = root / "2024-2025"
    (year / "controles" / "fouten.yaml").write_text(
        "omschrijving: Opzettelijk foute controles\ncontroles:\n"
        + "".join(CONTROLE.format(id=i, niveau=n, voorwaarde=v, code=c) for i, n, v, c, _ in BROKEN_CONTROLES),
        encoding="utf-8")
    (year / "afleidingen" / "fouten.yaml").write_text(AFLEIDINGEN, encoding="utf-8")
    (year / "controles" / "sleutels.yaml").write_text(SCHEMA, encoding="utf-8")
    for name, text in BAD_YAML.items():
        (year / "controles" / name).write_text(text, encoding="utf-8")
    for folder, regelset in (("2030-2031", 'regelset:\n  basis: "2098-2099"\n'),
                             ("2031-2032", 'regelset:\n  basis: "2024-2025"\nvervallen: [BRON-2O6]\n'),
                             ("2032-2033", 'regelset:\n  basis: "2024"\n')):
        (root / folder).mkdir()
        (root / folder / "regelset.yaml").write_text(f"omschrijving: Opzettelijk fout\n{regelset}", encoding="utf-8")
    return root


def test_lint_output_of_every_error_class_is_dutch(broken_root):
    result = CliRunner().invoke(main, ["rules", "lint", "--alle", "--regels", str(broken_root)])
    assert result.exit_code == 2, result.output
    out = result.output
    expected = [message for *_, message in BROKEN_CONTROLES] + [
        "round() krijgt hier 2 argumenten; gebruik: round(x)",
        "sum() verwacht een getal, maar 'vakcode' is tekst",
        "coalesce() verwacht waarden van één soort",
        "delen door nul",
        "count() rekent over de vakken van een kandidaat",
        "onbekende sleutel 'voorwaard' in controles TEST-SLEUTEL; bedoelde u 'voorwaarde'?",
        "de verplichte sleutel 'voorwaarde' ontbreekt",
        "ernst moet één van afkeur, attentie, info zijn, niet 'afkuer'; bedoelde u 'afkeur'?",
        "onbekende leerweg 'HAVOO'; bedoelde u 'HAVO'?",
        "kapot-dubbelepunt.yaml:1:16: geen geldige YAML: hier mag geen ':' staan",
        "kapot-aanhalingsteken.yaml:2:1: geen geldige YAML: het bestand houdt op midden in een tekst",
        "kapot-tab.yaml:3:1: geen geldige YAML: een tab is geen inspringing",
        "kapot-inspringing.yaml:4:2: geen geldige YAML: de inspringing klopt niet",
        "kapot-anker.yaml:1:15: ankers en verwijzingen",
        "kapot-tag.yaml:1:15: de YAML-tag 'tag:yaml.org,2002:binary' is niet toegestaan",
        "kapot-dubbel.yaml:2:1: de sleutel 'omschrijving' staat er twee keer (eerst op regel 1)",
        "kapot-leeg.yaml:1:1: het bestand is leeg",
        "kapot-lijst.yaml:3:1: geen geldige YAML: een lijst tussen [ en ] wordt niet goed gesloten",
        "basis '2098-2099' bestaat niet",
        "vervallen: 'BRON-2O6' komt niet voor in de basis; bedoelde u 'BRON-206'?",
        "basis: '2024' is geen schooljaar",
    ]
    assert [m for m in expected if m not in out] == []
    assert "Traceback" not in out
    assert english_words(out) == [], out


def test_english_words_are_found_outside_quotes_only():
    """The check itself: an English message is caught, the policy officer's own quoted text is not."""
    assert english_words("x.yaml:1:2: unknown name 'eindcijfr'; did you mean 'eindcijfer'?") == \
        ["unknown", "name", "did", "you"]
    assert english_words("x.yaml:1:2: onbekende naam 'the unknown'; bedoelde u \"must\"?") == []


def test_failing_rule_test_explains_itself_in_dutch(rule_root):
    root = rule_root
    (root / "2024-2025" / "tests" / "fout.yaml").write_text(textwrap.dedent("""\
        omschrijving: Een testgeval dat opzettelijk het verkeerde verwacht
        testgevallen:
        - naam: Geslaagde havo-kandidaat verwacht als afgewezen
          opleidingscode: '0372'
          kandidaat: {uitslag: G, werkstuk_cijfer: 7}
          vakken:
          - {vakcode: '1001', se_cijfer: 6.3, ce1: 6.1}
          - {vakcode: '1002', se_cijfer: 7.3, ce1: 7.1}
          - {vakcode: '1024', se_cijfer: 6.3, ce1: 6.1}
          - {vakcode: '1022', se_cijfer: 7.3, ce1: 7.1}
          - {vakcode: '1021', se_cijfer: 7.3, ce1: 7.1}
          - {vakcode: '0131', se_cijfer: 6.3, ce1: 6.1}
          - {vakcode: '1004', se_cijfer: 6.3, ce1: 6.1}
          - {vakcode: '1019', se_cijfer: 7}
          - {vakcode: '1020', se_cijfer: 7}
          - {vakcode: '0353', se_beoordeling: V}
          verwacht:
            uitslag: afgewezen
            niet_gehaald: [HV-CE-GEMIDDELDE]
            signalen: [EB301]
            waarden: {ce_gemiddelde: 5.5}
        """), encoding="utf-8")
    result = CliRunner().invoke(main, ["rules", "test", "2024-2025", "--regels", str(root)])
    assert result.exit_code == 1, result.output
    out = result.output
    assert "uitslag: verwacht afgewezen, berekend geslaagd" in out
    assert "niet_gehaald: verwacht HV-CE-GEMIDDELDE, berekend geen" in out
    assert "signalen: verwacht EB301, gemeld geen" in out
    assert "waarden.ce_gemiddelde: verwacht 5.5, berekend 457/70 (ongeveer 6.5286)" in out
    assert english_words(out) == [], out


def test_file_system_errors_give_a_dutch_reason(tmp_path):
    """The system's own (English) error text never reaches a message; a rare error is named by its code."""
    import errno

    from examenbron.engine.errors import RuleError, os_reason
    from examenbron.engine.rulesets import yamlsource
    with pytest.raises(RuleError, match=r"ontbreekt.yaml: het bestand kan niet worden gelezen \(bestaat niet\)$"):
        yamlsource.load(tmp_path / "ontbreekt.yaml", "ontbreekt.yaml")
    assert os_reason(PermissionError(errno.EACCES, "Permission denied")) == "geen toestemming"
    assert os_reason(OSError(errno.EIO, "Input/output error")) == "systeemfout EIO"
