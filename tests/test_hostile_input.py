"""Hostile and broken input (issue 13): read completely or refuse, never shift, never fold, never hang.

Each test builds the bad input a school system (or an attacker) could produce and asserts what the
user sees: a bevinding naming row and column, or exit code 2 with a Dutch message — never a traceback,
never data silently dropped, never a full BSN in a message.
"""

import io
import os
import subprocess
import sys
import time
import zipfile
from contextlib import contextmanager
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from examenbron.cli import main
from examenbron.engine.errors import InputError
from examenbron.engine.inputs.normalise import load_results
from examenbron.engine.inputs.read import read_table

EXAMPLE = Path(__file__).parent.parent / "examples" / "resultaten-2024-2025.csv"
HEADER = ["brin", "vestiging", "leerlingnummer", "bsn", "onderwijsnummer", "opleidingscode", "examenjaar",
          "uitslag", "datum_uitslag", "werkstuk_titel", "vakcode", "se_cijfer", "se_beoordeling", "ce1", "ce2",
          "ce3", "eindcijfer"]
ROW = ["12AB", "00", "1001", "123456782", "", "0353", "2025", "G", "2025-07-09", "Titel", "0011",
       "6,5", "", "7,1", "", "", "7"]
BSN = "123456782"


@contextmanager
def within(seconds):
    """Assert that the block finishes within `seconds` (a guard against hanging, not a benchmark)."""
    start = time.monotonic()
    yield
    assert time.monotonic() - start < seconds


def csv_bytes(rows, header=HEADER, encoding="utf-8"):
    return "".join(";".join(line) + "\n" for line in [header, *rows]).encode(encoding)


def row(**changes):
    values = dict(zip(HEADER, ROW))
    values.update(changes)
    return [values[h] for h in HEADER]


def bevinding(results, kolom):
    found = results.bevindingen[results.bevindingen["kolom"] == kolom]
    assert len(found) == 1, results.bevindingen[["regel", "kolom", "melding"]]
    return found.iloc[0]


# --- complete reading --------------------------------------------------------------------------

def test_stdin_is_read_completely_not_only_the_first_64_kib():
    rows = [row(leerlingnummer=str(5000 + i)) for i in range(1500)]  # ~120 KiB
    data = csv_bytes(rows)
    assert len(data) > 64 * 1024
    result = CliRunner().invoke(main, ["validate", "-", "--format", "csv", "-j", "2024-2025"], input=data)
    assert result.exit_code in (0, 1), result.output
    table = read_table_from_bytes(data)
    assert len(table.bron_rij) == 1500


def read_table_from_bytes(data, tmp=Path("/tmp")):
    """read_table on a pipe: the same bytes through /dev/stdin of a child process."""
    code = ("import sys, json; from examenbron.engine.inputs.read import read_table; "
            "t = read_table('-'); print(len(t.bron_rij))")
    done = subprocess.run([sys.executable, "-c", code], input=data, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()

    class Table:
        bron_rij = range(int(done.stdout))
    return Table


def test_named_fifo_is_refused_without_waiting(tmp_path):
    fifo = tmp_path / "invoer.csv"
    os.mkfifo(fifo)
    with within(5), pytest.raises(InputError, match="is geen gewoon bestand"):
        read_table(fifo)


def test_device_is_refused_as_input():
    with pytest.raises(InputError, match="is geen gewoon bestand"):
        read_table("/dev/zero")


def test_header_longer_than_64_kib_is_read(tmp_path):
    header = HEADER + ["x" * 70_000]
    path = tmp_path / "breed.csv"
    path.write_bytes(csv_bytes([row() + ["iets"]], header=header))
    results = load_results(path)
    assert results.examens["leerlingnummer"].tolist() == ["1001"]


def test_file_without_header_does_not_echo_the_bsn(tmp_path):
    path = tmp_path / "zonder-kop.csv"
    path.write_bytes(csv_bytes([row()], header=row()))
    with pytest.raises(InputError) as info:
        load_results(path)
    assert "lijkt geen kopregel" in str(info.value)
    assert BSN not in str(info.value) and "*****6782" in str(info.value)


# --- ragged rows ---------------------------------------------------------------------------------

@pytest.mark.parametrize("cells, fields", [
    (row()[:-1], 16),                         # a field missing
    (row() + [""], 18),                       # a trailing delimiter
    (["" ] + row(), 18),                      # a leading delimiter: everything would shift
])
def test_ragged_row_is_refused_with_its_row_number_never_shifted(tmp_path, cells, fields):
    path = tmp_path / "rafelig.csv"
    path.write_bytes(csv_bytes([row(), cells]))
    with pytest.raises(InputError, match=rf"rij 3 heeft {fields} velden, de kopregel 17") as info:
        load_results(path)
    assert BSN not in str(info.value)


# --- unreadable cells are bevindingen ---------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    (b"Tit\x00el", "NUL-teken"),
    (b"Caf\xe9 in UTF-8 \xc3\xa9", "ongeldige byte"),      # one cp1252 byte in a UTF-8 file
    (b"\xed\xa0\x80 \xc3\xa9", "ongeldige byte"),           # a lone surrogate, UTF-8 encoded
    (b"kleur\x1b[31mrood", "U+001B"),
])
def test_unreadable_cell_is_an_afkeur_naming_row_and_column(tmp_path, raw, expected):
    data = csv_bytes([row(), row(leerlingnummer="1002", werkstuk_titel="TITEL")])
    data = data.replace(b"TITEL", raw)
    path = tmp_path / "raar.csv"
    path.write_bytes(data)
    results = load_results(path)
    found = bevinding(results, "werkstuk_titel")
    assert (found["regel"], found["ernst"], found["bron_rij"]) == ("INV-012", "afkeur", 3)
    assert expected in found["melding"]
    assert results.examens["werkstuk_titel"].tolist()[1] is None  # never a re-decoded value
    assert results.examens["werkstuk_titel"].tolist()[0] == "Titel"


def test_cp1252_file_is_still_read_as_cp1252(tmp_path):
    path = tmp_path / "ansi.csv"
    path.write_bytes(csv_bytes([row(werkstuk_titel="Café")], encoding="cp1252"))
    results = load_results(path)
    assert results.examens["werkstuk_titel"].tolist() == ["Café"] and results.bevindingen.empty


@pytest.mark.parametrize("date", ["2609-01-01", "0001-01-01", "01-01-1066"])
def test_date_a_datetime_cannot_hold_is_an_afkeur(tmp_path, date):
    path = tmp_path / "datum.csv"
    path.write_bytes(csv_bytes([row(datum_uitslag=date)]))
    results = load_results(path)
    found = bevinding(results, "datum_uitslag")
    assert found["regel"] == "INV-006" and found["bron_rij"] == 2
    assert results.examens["datum_uitslag"].isna().all()


def test_identifiers_are_compared_as_written_without_unicode_case_folding(tmp_path):
    path = tmp_path / "ſ.csv"
    path.write_bytes(csv_bytes([row(uitslag="ſ", brin="12Aſ")]))
    results = load_results(path)
    assert results.examens["uitslag"].tolist() == [None]          # 'ſ'.upper() would be 'S' (= a uitslag)
    assert sorted(results.bevindingen["kolom"]) == ["brin", "uitslag"]
    assert results.bevindingen.set_index("kolom").loc["brin", "regel"] == "INV-011"   # '12AS' would be valid


@pytest.mark.parametrize("column, value", [
    ("leerlingnummer", "12345678901"), ("leerlingnummer", "12 34"), ("werkstuk_titel", "x" * 151),
    ("brin", "12AB01"),
])
def test_values_the_bron_message_refuses_are_already_an_afkeur_in_validate(tmp_path, column, value):
    path = tmp_path / "lang.csv"
    path.write_bytes(csv_bytes([row(**{column: value})]))
    found = bevinding(load_results(path), column)
    assert (found["regel"], found["ernst"]) == ("INV-011", "afkeur")


# --- XLSX -------------------------------------------------------------------------------------

def workbook_bytes(rows=(HEADER, ROW)):
    book = openpyxl.Workbook()
    for line in rows:
        book.active.append(list(line))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def rewrite(data, name, change):
    """The archive with part ``name`` replaced by change(old bytes) (None: removed)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as old, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            content = old.read(info.filename)
            if info.filename == name:
                content = change(content)
                if content is None:
                    continue
            new.writestr(info.filename, content)
    return out.getvalue()


SHEET = "xl/worksheets/sheet1.xml"


@pytest.mark.parametrize("name, change", [
    (SHEET, lambda b: b[: len(b) // 2]),                                          # truncated sheet
    (SHEET, lambda b: b.replace(b"<sheetData>", b"<sheetData><row><c>")),        # bad XML
    (SHEET, lambda b: None),                                                      # missing part
    ("xl/workbook.xml", lambda b: None),                                           # no workbook part
    ("xl/workbook.xml", lambda b: b.replace(b"<sheets>", b"<sheets/><x>").replace(b"</sheets>", b"</x>")),
    (SHEET, lambda b: b.replace(b"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>",
                                b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
                                b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>', 1)
     if b"<?xml" in b else b'<!DOCTYPE x [<!ENTITY a "a">]>' + b),               # DTD entities
])
def test_malformed_xlsx_parts_exit_2_cleanly(tmp_path, name, change):
    path = tmp_path / "kapot.xlsx"
    path.write_bytes(rewrite(workbook_bytes(), name, change))
    result = CliRunner().invoke(main, ["validate", str(path), "-j", "2024-2025"])
    assert result.exit_code == 2, result.output
    assert "kapot.xlsx" in result.output and "Traceback" not in result.output


def test_xlsx_claiming_a_huge_dimension_is_read_in_seconds(tmp_path):
    data = rewrite(workbook_bytes(), SHEET,
                   lambda b: b.replace(b'<dimension ref="A1:Q2"/>', b'<dimension ref="A1:XFD1048576"/>'))
    path = tmp_path / "groot.xlsx"
    path.write_bytes(data)
    with within(10):
        results = load_results(path)
    assert results.examens["leerlingnummer"].tolist() == ["1001"]


def test_xlsx_rows_far_below_are_refused_in_seconds(tmp_path):
    data = rewrite(workbook_bytes(), SHEET, lambda b: b.replace(
        b"</sheetData>", b'<row r="99999999"><c r="A99999999" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'))
    path = tmp_path / "ver.xlsx"
    path.write_bytes(data)
    with within(20), pytest.raises(InputError, match="meer dan"):
        load_results(path)


def test_shared_strings_bomb_is_refused_before_parsing(tmp_path):
    bomb = b"<sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">" + \
        b"<si><t>" + b"A" * (40 * 1024 * 1024) + b"</t></si></sst>"
    path = tmp_path / "bom.xlsx"
    path.write_bytes(rewrite(workbook_bytes(), "xl/sharedStrings.xml", lambda b: bomb)
                     if "xl/sharedStrings.xml" in zipfile.ZipFile(io.BytesIO(workbook_bytes())).namelist()
                     else _with_part(workbook_bytes(), "xl/sharedStrings.xml", bomb))
    assert path.stat().st_size < 1024 * 1024
    with within(5), pytest.raises(InputError, match="uitgepakt te groot"):
        load_results(path)


def _with_part(data, name, content):
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as old, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            new.writestr(info.filename, old.read(info.filename))
        new.writestr(name, content)
    return out.getvalue()


def test_xlsx_formula_without_cached_value_is_an_afkeur(tmp_path):
    rows = [HEADER, ROW, row(leerlingnummer="1002", se_cijfer="=B2*2")]
    path = tmp_path / "formule.xlsx"
    path.write_bytes(workbook_bytes(rows))   # openpyxl stores formulas without a cached result
    results = load_results(path)
    found = bevinding(results, "se_cijfer")
    assert (found["regel"], found["bron_rij"]) == ("INV-012", 3)
    assert "formule" in found["melding"]


def test_xlsx_far_future_date_is_an_afkeur(tmp_path):
    import datetime as dt
    rows = [HEADER, row(datum_uitslag=dt.datetime(2609, 1, 1))]
    path = tmp_path / "datum.xlsx"
    path.write_bytes(workbook_bytes(rows))
    assert bevinding(load_results(path), "datum_uitslag")["regel"] == "INV-006"


# --- mapping YAML ----------------------------------------------------------------------------

def test_mapping_with_aliases_is_refused_without_expanding(tmp_path):
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for i, name in enumerate("bcdefghi"):
        prev = "abcdefghi"[i]
        lines.append(f"{name}: &{name} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]")
    path = tmp_path / "koppeling.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(EXAMPLE), "--mapping", str(path)])
    assert result.exit_code == 2
    assert "ankers en verwijzingen" in result.output


# --- exit codes --------------------------------------------------------------------------------

def test_unexpected_error_exits_2_with_one_dutch_line_and_no_traceback(monkeypatch):
    from examenbron.engine import pipeline

    def broken(*args, **kwargs):
        raise ZeroDivisionError("boem")
    monkeypatch.setattr(pipeline, "run", broken)
    result = CliRunner().invoke(main, ["validate", str(EXAMPLE)])
    assert result.exit_code == 2
    assert "interne fout (ZeroDivisionError)" in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1

    as_json = CliRunner().invoke(main, ["validate", str(EXAMPLE), "--format", "json"])
    assert as_json.exit_code == 2
    import json
    error = json.loads(as_json.stdout.splitlines()[0])["fout"]
    assert error["soort"] == "intern" and error["exitcode"] == 2

    debug = CliRunner().invoke(main, ["--debug", "validate", str(EXAMPLE)])
    assert debug.exit_code == 2
    assert "Traceback" in debug.stderr and "ZeroDivisionError: boem" in debug.stderr


def test_input_error_with_json_format_writes_a_json_error_object(tmp_path):
    import json
    result = CliRunner().invoke(main, ["validate", str(tmp_path / "weg.csv"), "--format", "json"])
    assert result.exit_code == 2
    assert json.loads(result.stdout.splitlines()[0])["fout"]["soort"] == "invoer"
