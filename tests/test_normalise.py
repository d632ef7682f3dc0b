"""Normalising results: typed frames, zero-padded codes, exact tenths and one bevinding per bad value."""

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from examenbron.engine.inputs.columns import mask_bsn
from examenbron.engine.errors import InputError
from examenbron.engine.outputs.bevindingen import BEVINDINGEN_COLUMNS
from examenbron.engine.inputs.normalise import RULES, load_results, normalise
from examenbron.engine.inputs.read import RawTable

ROOT = Path(__file__).parent.parent
DATA = Path(__file__).parent / "data"
BASE = {
    "brin": "12AB", "vestiging": "00", "leerlingnummer": "1001", "bsn": "123456782", "onderwijsnummer": "",
    "opleidingscode": "0353", "examenjaar": "2025", "uitslag": "G", "datum_uitslag": "2025-07-09",
    "werkstuk_cijfer": "7", "vakcode": "0011", "se_cijfer": "6,5", "se_beoordeling": "", "ce1": "7,1",
    "ce2": "", "ce3": "", "eindcijfer": "7", "diplomavak": "J",
}


def results_for(tmp_path, *rows, columns=None):
    """Normalise a CSV whose rows are BASE with the given changes."""
    columns = columns or list(BASE)
    lines = [";".join(columns)] + [";".join({**BASE, **row}.get(c, "") for c in columns) for row in rows]
    path = tmp_path / "uitslagen.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return load_results(path)


def only_bevinding(results):
    assert len(results.bevindingen) == 1, results.bevindingen[["regel", "kolom", "waarde", "melding"]]
    return results.bevindingen.iloc[0]


def test_example_file_normalises_to_the_contract():
    results = load_results(DATA / "uitslagen_klein.csv")
    assert results.source == str(DATA / "uitslagen_klein.csv")
    assert results.examens["exam_id"].tolist() == [0, 1]
    assert results.examens["bron_rij"].tolist() == [2, 5]
    assert results.vakken["exam_id"].tolist() == [0, 0, 0, 1, 1]
    assert results.vakken["bron_rij"].tolist() == [2, 3, 4, 5, 6]
    assert results.examens["uitslag"].tolist() == ["G", "A"]
    assert results.examens["bsn"].tolist() == ["123456782", None]
    assert results.examens["werkstuk_cijfer"].tolist() == [70, 60]
    assert results.vakken["se_beoordeling"].tolist() == [None, None, "V", None, None]
    assert results.vakken["se_cijfer"].isna().tolist() == [False, False, True, False, False]
    assert str(results.examens["datum_uitslag"].dtype) == "datetime64[ns]"
    assert results.examens["geboortedatum"].isna().all()  # optional column absent: all NaT
    assert results.vakken["certificaat"].isna().all()
    assert "geboortedatum" not in results.columns_present and "werkstuk_titel" in results.columns_present
    assert list(results.bevindingen.columns) == BEVINDINGEN_COLUMNS and len(results.bevindingen) == 0


def test_grades_are_exact_integer_tenths_never_float(tmp_path):
    results = results_for(tmp_path, {"se_cijfer": "6,5", "ce1": "5.4", "ce2": "10", "eindcijfer": "7,0"},
                          {"vakcode": "12", "se_cijfer": " 6.50 ", "ce1": "1,0", "ce2": "09,9", "eindcijfer": "7.0"})
    vakken = results.vakken
    for col in ("se_cijfer", "ce1", "ce2", "ce3", "eindcijfer"):
        assert str(vakken[col].dtype) == "Int64"
    assert vakken["se_cijfer"].tolist() == [65, 65]
    assert vakken["ce1"].tolist() == [54, 10]
    assert vakken["ce2"].tolist() == [100, 99]
    assert vakken["eindcijfer"].tolist() == [70, 70]
    assert vakken["ce3"].isna().all()
    assert str(results.examens["examenjaar"].dtype) == "Int64"
    assert len(results.bevindingen) == 0


def test_leading_zeros_are_kept_and_restored(tmp_path):
    results = results_for(tmp_path, {"vestiging": "1", "opleidingscode": "353", "vakcode": "10", "bsn": "12345678",
                                     "onderwijsnummer": "1234", "brin": "12ab"})
    exam = results.examens.iloc[0]
    assert (exam["brin"], exam["vestiging"], exam["opleidingscode"], exam["bsn"], exam["onderwijsnummer"]) == \
        ("12AB", "01", "0353", "012345678", "000001234")
    assert results.vakken.loc[0, "vakcode"] == "0010"


def test_rows_of_one_exam_share_an_exam_in_file_order(tmp_path):
    results = results_for(tmp_path, {"leerlingnummer": "2"}, {"leerlingnummer": "1", "vakcode": "0011"},
                          {"leerlingnummer": "2", "vakcode": "0012"}, {"leerlingnummer": "1", "opleidingscode": "0354"},
                          {"leerlingnummer": "2", "vakcode": "0013", "opleidingscode": "353"})
    assert results.examens["leerlingnummer"].tolist() == ["2", "1", "1"]
    assert results.examens["opleidingscode"].tolist() == ["0353", "0353", "0354"]
    assert results.vakken["exam_id"].tolist() == [0, 1, 0, 2, 0]


def test_diplomavak_defaults_to_ja(tmp_path):
    results = results_for(tmp_path, {"diplomavak": ""}, {"vakcode": "12", "diplomavak": "n"}, {"vakcode": "13"})
    assert results.vakken["diplomavak"].tolist() == [True, False, True]
    without = results_for(tmp_path, {}, columns=[c for c in BASE if c != "diplomavak"])
    assert without.vakken["diplomavak"].tolist() == [True]
    assert str(without.vakken["diplomavak"].dtype) == "boolean"


@pytest.mark.parametrize("column, value, regel, code, melding", [
    ("se_cijfer", "6,55", "INV-002", "EB002", "Cijfer '6,55' in kolom se_cijfer heeft meer dan één decimaal"),
    ("ce1", "zes", "INV-001", "EB001", "Cijfer 'zes' in kolom ce1 is geen getal"),
    ("ce2", "-6", "INV-001", "EB001", "Cijfer '-6' in kolom ce2 is geen getal"),
    ("ce3", "10,5", "INV-003", "EB003", "Cijfer '10,5' in kolom ce3 ligt niet tussen 1,0 en 10,0"),
    ("se_cijfer", "0,9", "INV-003", "EB003", "Cijfer '0,9' in kolom se_cijfer ligt niet tussen 1,0 en 10,0"),
    ("eindcijfer", "7,5", "INV-004", "EB004", "Cijfer '7,5' in kolom eindcijfer moet een heel getal zijn"),
    ("eindcijfer", "11", "INV-003", "EB003", "Cijfer '11' in kolom eindcijfer ligt niet tussen 1 en 10"),
    ("werkstuk_cijfer", "6.5", "INV-004", "EB004", "Cijfer '6.5' in kolom werkstuk_cijfer moet een heel getal zijn"),
    ("uitslag", "X", "INV-005", "EB005", "Onbekende code 'X' in kolom uitslag; toegestaan: G, A, T, D, S of leeg"),
    ("se_beoordeling", "Goed", "INV-005", "EB005",
     "Onbekende code 'Goed' in kolom se_beoordeling; toegestaan: V, G, O of leeg"),
    ("diplomavak", "Ja", "INV-005", "EB005", "Onbekende code 'Ja' in kolom diplomavak; toegestaan: J, N of leeg"),
    ("datum_uitslag", "31-02-2025", "INV-006", "EB006",
     "Datum '31-02-2025' in kolom datum_uitslag is geen geldige datum (verwacht JJJJ-MM-DD of DD-MM-JJJJ)"),
    ("datum_uitslag", "9/7/2025", "INV-006", "EB006",
     "Datum '9/7/2025' in kolom datum_uitslag is geen geldige datum (verwacht JJJJ-MM-DD of DD-MM-JJJJ)"),
    ("examenjaar", "25", "INV-007", "EB007", "Examenjaar '25' in kolom examenjaar is geen jaartal van vier cijfers"),
    ("vakcode", "", "INV-009", "EB009", "Kolom vakcode is leeg; deze waarde is verplicht"),
    ("leerlingnummer", " ", "INV-009", "EB009", "Kolom leerlingnummer is leeg; deze waarde is verplicht"),
    ("opleidingscode", "35300", "INV-010", "EB010",
     "Code '35300' in kolom opleidingscode is geen geldige code (verwacht hoogstens 4 cijfers)"),
    ("vakcode", "W1", "INV-010", "EB010", "Code 'W1' in kolom vakcode is geen geldige code (verwacht hoogstens 4 cijfers)"),
])
def test_bad_value_is_one_bevinding_and_becomes_na(tmp_path, column, value, regel, code, melding):
    valid = {"ce2": "5,5", "ce3": "5,5", "se_beoordeling": "V", "leerlingnummer": "1000"}.get(column, BASE[column])
    results = results_for(tmp_path, {"leerlingnummer": "1000", column: valid}, {column: value})
    bevinding = only_bevinding(results)
    assert (bevinding["regel"], bevinding["code"], bevinding["ernst"]) == (regel, code, "afkeur")
    assert (bevinding["kolom"], bevinding["waarde"], bevinding["bron_rij"]) == (column, value.strip(), 3)
    assert bevinding["melding"] == melding
    assert bevinding["leerlingnummer"] == (None if column == "leerlingnummer" else "1001")
    assert bevinding["grondslag"] and bevinding["exam_id"] == 1
    frame = results.examens if column in results.examens else results.vakken
    assert pd.isna(frame[column].iloc[-1])
    assert not pd.isna(frame[column].iloc[0])  # the other candidate is untouched


def test_bevinding_carries_exam_key_vakcode_and_schooljaar(tmp_path):
    bevinding = only_bevinding(results_for(tmp_path, {"vestiging": "1", "opleidingscode": "353", "vakcode": "11",
                                                  "ce1": "6,55"}))
    assert (bevinding["schooljaar"], bevinding["brin"], bevinding["vestiging"], bevinding["leerlingnummer"],
            bevinding["opleidingscode"], bevinding["vakcode"]) == ("2024-2025", "12AB", "01", "1001", "0353", "0011")


def test_bad_exam_value_is_reported_once_per_exam(tmp_path):
    results = results_for(tmp_path, {"uitslag": "Z"}, {"uitslag": "Z", "vakcode": "12"}, {"uitslag": "Z", "vakcode": "13"})
    bevinding = only_bevinding(results)
    assert (bevinding["regel"], bevinding["bron_rij"], bevinding["vakcode"]) == ("INV-005", 2, None)


def test_exam_level_inconsistency_keeps_first_value_and_reports_each_differing_row(tmp_path):
    results = results_for(tmp_path, {"uitslag": "G", "werkstuk_cijfer": "7"},
                          {"vakcode": "12", "uitslag": "g", "werkstuk_cijfer": "7,0"},  # same values, other spelling
                          {"vakcode": "13", "uitslag": "A"},
                          {"vakcode": "14", "uitslag": "", "datum_uitslag": "09-07-2025"})
    assert results.examens["uitslag"].tolist() == ["G"]
    bevindingen = results.bevindingen
    assert bevindingen[["regel", "code", "kolom", "waarde", "bron_rij"]].values.tolist() == [
        ["INV-008", "EB008", "uitslag", "A", 4],
        ["INV-008", "EB008", "uitslag", "", 5],
    ]
    assert bevindingen["melding"].tolist() == [
        "Kolom uitslag heeft op deze rij de waarde 'A', maar op rij 2 (eerste rij van dit examen) de waarde 'G'; "
        "de waarde van rij 2 wordt gebruikt",
        "Kolom uitslag heeft op deze rij geen waarde, maar op rij 2 (eerste rij van dit examen) de waarde 'G'; "
        "de waarde van rij 2 wordt gebruikt",
    ]


def test_bsn_is_masked_in_bevindingen(tmp_path):
    results = results_for(tmp_path, {"bsn": "123456782"}, {"vakcode": "12", "bsn": "987654321"},
                          {"leerlingnummer": "2", "bsn": "1234567890"})
    assert results.bevindingen[["regel", "kolom", "waarde"]].values.tolist() == [
        ["INV-008", "bsn", "*****4321"], ["INV-010", "bsn", "*****7890"]]
    text = " ".join(results.bevindingen["melding"]) + " ".join(results.bevindingen["waarde"])
    assert "123456782" not in text and "987654321" not in text and "1234567890" not in text
    assert "*****6782" in results.bevindingen["melding"].iloc[0]


def test_a_cell_that_swallowed_other_rows_shows_no_bsn_and_stays_short(tmp_path):
    """An unclosed quote makes one cell hold the following rows, BSNs included (found by the fuzz
    test): the bevinding quotes the cell masked and cut, never the other candidates' numbers."""
    header = ";".join(BASE)
    row = ";".join(BASE.values())
    other = ";".join({**BASE, "leerlingnummer": "1002", "bsn": "987654321"}.values())
    path = tmp_path / "uitslagen.csv"
    path.write_text(f"{header}\n{row[:-1]}\"\n{other}\n{other}\n", encoding="utf-8")
    bevinding = only_bevinding(load_results(path))
    assert bevinding["kolom"] == "diplomavak"
    text = bevinding["melding"] + bevinding["waarde"]
    assert "987654321" not in text and "*****4321" in text
    assert len(bevinding["waarde"]) <= 80 and bevinding["waarde"].endswith("…")


def test_mask_bsn():
    assert mask_bsn("123456782") == "*****6782"
    assert mask_bsn(" 12345678 ") == "*****5678"
    assert mask_bsn("") == "" and mask_bsn(None) == ""


def test_missing_required_columns_message(tmp_path):
    columns = [c for c in BASE if c not in ("se_cijfer", "datum_uitslag")] + ["Datum uitslag", "SE", "Opmerking"]
    path = tmp_path / "uitslagen.csv"
    path.write_text(";".join(columns) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as error:
        load_results(path)
    assert str(error.value) == (
        f"{path}: verplichte kolommen ontbreken: datum_uitslag, se_cijfer.\n"
        "Niet herkende kolommen: 'Datum uitslag' (bedoelde u 'datum_uitslag'?), 'SE', 'Opmerking'.\n"
        "Verwachte kolommen (verplicht): brin, vestiging, leerlingnummer, bsn, onderwijsnummer, opleidingscode, "
        "examenjaar, uitslag, datum_uitslag, vakcode, se_cijfer, se_beoordeling, ce1, ce2, ce3, eindcijfer.\n"
        "Verwachte kolommen (optioneel): onderwijsaanbieder, werkstuk_titel, werkstuk_cijfer, werkstuk_beoordeling, "
        "combinatiecijfer, geboortedatum, diplomavak, combinatiecijfer_vak, examendeel, certificaat.\n"
        "Gebruikt uw schoolsysteem andere kolomkoppen, geef dan een koppelbestand mee "
        "(YAML met regels 'kolomkop: canonieke naam')."
    )


def test_column_names_ignore_case_and_surrounding_spaces(tmp_path):
    columns = [f"  {c.upper()} " for c in BASE]
    path = tmp_path / "uitslagen.csv"
    path.write_text(";".join(columns) + "\n" + ";".join(BASE.values()) + "\n", encoding="utf-8")
    assert load_results(path).vakken.loc[0, "se_cijfer"] == 65


def test_duplicate_column_after_normalisation_is_an_input_error(tmp_path):
    path = tmp_path / "uitslagen.csv"
    path.write_text(";".join(list(BASE) + ["VAKCODE "]) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"uitslagen\.csv: kolom vakcode komt meer dan eens voor "
                                         r"\(kolomkoppen 'vakcode' en 'VAKCODE '\)"):
        load_results(path)


def test_header_only_file_gives_empty_typed_frames(tmp_path):
    results = results_for(tmp_path)
    assert len(results.examens) == 0 and len(results.vakken) == 0 and len(results.bevindingen) == 0
    assert str(results.vakken["se_cijfer"].dtype) == "Int64"


def test_rule_table_in_docs_matches_rules():
    text = (ROOT / "docs" / "input-format.md").read_text(encoding="utf-8")
    documented = {m[0]: (m[1], m[2]) for m in re.findall(r"^\| (INV-\d{3}) \| (EB\d{3}) \| (.+?) \|$", text, re.M)}
    assert documented == RULES


def test_grouping_stays_exact_with_very_many_distinct_key_values():
    n = 30_000  # 30000 * 100 * 30000 * 10000 * 9000 key combinations: more than int64 holds
    keys = {"brin": [f"B{i}" for i in range(n)], "vestiging": [str(i % 100) for i in range(n)],
            "leerlingnummer": [str(i) for i in range(n)], "opleidingscode": [str(i % 10_000) for i in range(n)],
            "examenjaar": [str(1000 + i % 9_000) for i in range(n)]}
    cells = {c: keys.get(c, [BASE.get(c, "")] * n) * 2 for c in BASE}  # every exam twice: rows i and n + i
    raw = RawTable("groot", list(cells), [pd.Categorical(v) for v in cells.values()],
                   np.arange(2, 2 * n + 2, dtype=np.int64))
    results = normalise(raw)
    assert len(results.examens) == n
    assert results.vakken["exam_id"].tolist() == list(range(n)) * 2
    assert results.examens["leerlingnummer"].tolist() == keys["leerlingnummer"]
