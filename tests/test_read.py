"""Reading results files: encodings, delimiters, XLSX, mapping files and unreadable input."""

import datetime as dt
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from examenbron.engine.errors import InputError
from examenbron.engine.inputs.normalise import load_results
from examenbron.engine.inputs.read import load_mapping, read_table

DATA = Path(__file__).parent / "data"
HEADER = ["brin", "vestiging", "leerlingnummer", "bsn", "onderwijsnummer", "opleidingscode", "examenjaar",
          "uitslag", "datum_uitslag", "werkstuk_titel", "vakcode", "se_cijfer", "se_beoordeling", "ce1", "ce2",
          "ce3", "eindcijfer"]
ROW = ["12AB", "00", "1001", "123456782", "", "0353", "2025", "G", "2025-07-09", "Café über Zoë", "0011",
       "6,5", "", "7,1", "", "", "7"]


def csv_text(rows, sep=";", header=HEADER):
    """CSV text; fields holding the separator are quoted as Excel does."""
    def field(value):
        return f'"{value}"' if sep in value else value
    return "".join(sep.join(field(v) for v in line) + "\r\n" for line in [header, *rows])


def write(tmp_path, text, encoding="utf-8", name="uitslagen.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_every_encoding_reads_accented_titles(tmp_path, encoding):
    path = write(tmp_path, csv_text([ROW]), encoding)
    results = load_results(path)
    assert results.examens.loc[0, "werkstuk_titel"] == "Café über Zoë"
    assert results.examens.loc[0, "brin"] == "12AB"  # a BOM must not end up in the first header
    assert len(results.bevindingen) == 0


def test_cp1252_accent_far_below_the_header_is_still_decoded(tmp_path):
    rows = [ROW[:2] + [str(2000 + i)] + ROW[3:9] + ["gewoon"] + ROW[10:] for i in range(3000)]
    rows.append(ROW[:2] + ["9999"] + ROW[3:])
    results = load_results(write(tmp_path, csv_text(rows), "cp1252"))
    assert results.examens["werkstuk_titel"].iloc[-1] == "Café über Zoë"


@pytest.mark.parametrize("sep", [";", ","])
@pytest.mark.parametrize("grade", ["6,5", "6.5"])
def test_both_delimiters_and_decimal_marks(tmp_path, sep, grade):
    row = ROW.copy()
    row[HEADER.index("se_cijfer")] = grade
    results = load_results(write(tmp_path, csv_text([row], sep=sep)))
    assert results.vakken.loc[0, "se_cijfer"] == 65
    assert results.vakken.loc[0, "ce1"] == 71


def test_blank_lines_are_skipped_and_rows_keep_their_file_numbers(tmp_path):
    other = ROW[:2] + ["1002"] + ROW[3:]
    text = csv_text([ROW]) + "\r\n;;;;;;;;;;;;;;;;\r\n" + csv_text([other])[len(csv_text([])):] + "\r\n\r\n"
    results = load_results(write(tmp_path, text))
    assert results.vakken["bron_rij"].tolist() == [2, 5]
    assert results.examens["leerlingnummer"].tolist() == ["1001", "1002"]


def test_row_with_too_many_fields_is_an_input_error(tmp_path):
    path = write(tmp_path, csv_text([ROW, ROW + ["extra"]]))
    with pytest.raises(InputError, match=r"uitslagen\.csv: kan niet als CSV worden gelezen: rij 3 heeft 18 velden, de kopregel 17"):
        load_results(path)


def test_xlsx_with_numeric_cells(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append(["12ab", 0, 1001, 12345678, None, 353, 2025, "G", dt.datetime(2025, 7, 9), "Zoë", 11,
                  6.5, None, 7, 5.0, None, 7])
    sheet.append([])
    sheet.append(["12ab", 0, 1001, 12345678, None, 353, 2025, "G", dt.datetime(2025, 7, 9), "Zoë", 12,
                  "5,4", None, 6.55, None, None, 7.0])
    path = tmp_path / "uitslagen.xlsx"
    workbook.save(path)

    results = load_results(path)

    exam = results.examens.iloc[0]
    assert (exam["brin"], exam["vestiging"], exam["bsn"], exam["opleidingscode"]) == ("12AB", "00", "012345678", "0353")
    assert exam["examenjaar"] == 2025 and exam["datum_uitslag"] == dt.datetime(2025, 7, 9)
    vakken = results.vakken
    assert vakken["vakcode"].tolist() == ["0011", "0012"]
    assert vakken["bron_rij"].tolist() == [2, 4]  # the sheet's own row numbers
    assert vakken["se_cijfer"].tolist() == [65, 54]
    assert vakken["ce2"].iloc[0] == 50 and vakken["eindcijfer"].tolist() == [70, 70]
    bevinding = results.bevindingen.iloc[0]
    assert (bevinding["regel"], bevinding["kolom"], bevinding["waarde"], bevinding["bron_rij"]) == ("INV-002", "ce1", "6.55", 4)
    assert len(results.bevindingen) == 1


def test_xlsx_named_sheet_and_unknown_sheet(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.title = "Toelichting"
    workbook.active.append(["Dit tabblad is geen data"])
    data = workbook.create_sheet("Uitslagen")
    data.append(HEADER)
    data.append(ROW)
    path = tmp_path / "uitslagen.xlsx"
    workbook.save(path)

    assert load_results(path, sheet="Uitslagen").vakken.loc[0, "se_cijfer"] == 65
    with pytest.raises(InputError, match=r"tabblad 'Cijfers' bestaat niet; beschikbare tabbladen: 'Toelichting', 'Uitslagen'"):
        load_results(path, sheet="Cijfers")


def test_mapping_file_maps_school_system_headers():
    results = load_results(DATA / "uitslagen_schoolsysteem.csv", mapping=DATA / "koppeling_schoolsysteem.yaml")
    assert results.examens["leerlingnummer"].tolist() == ["1001"]
    assert results.vakken["se_cijfer"].tolist() == [65, 54]
    assert "se_cijfer" in results.columns_present


def test_mapping_as_dict(tmp_path):
    header = ["Leerlingnr" if h == "leerlingnummer" else h for h in HEADER]
    results = load_results(write(tmp_path, csv_text([ROW], header=header)), mapping={" LEERLINGNR ": "leerlingnummer"})
    assert results.examens.loc[0, "leerlingnummer"] == "1001"


@pytest.mark.parametrize("content, message", [
    ("Leerlingnr: leerlingnummer\nVak: [vakcode\n", r"koppeling\.yaml: geen geldige YAML \(regel 3, kolom 1\): "
                                                      r"een lijst tussen \[ en \] wordt niet goed gesloten"),
    ("Leerlingnr: leerlingnumer\n", r"koppeling\.yaml: kolomkop 'Leerlingnr' wijst naar 'leerlingnumer', dat is "
                                   r"geen bekende kolomnaam \(bedoelde u 'leerlingnummer'\?\)"),
    ("- leerlingnummer\n", r"koppeling\.yaml: een koppelbestand moet regels 'kolomkop in uw bestand: canonieke naam'"),
    ("", r"koppeling\.yaml: een koppelbestand moet regels"),
    ("LLNR: leerlingnummer\nllnr: vakcode\n", r"koppeling\.yaml: kolomkop 'llnr' staat er twee keer in"),
    ("Llnr: leerlingnummer\nLlnr: vakcode\n", r"koppeling\.yaml: geen geldige YAML \(regel 2, kolom 1\): "
                                              r"een kolomkop staat er twee keer in$"),
    ("Llnr: &a leerlingnummer\nVak: *a\n", r"koppeling\.yaml: geen geldige YAML \(regel 1, kolom 7\): ankers"),
])
def test_broken_mapping_file_is_an_input_error_naming_file_and_problem(tmp_path, content, message):
    path = tmp_path / "koppeling.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        load_mapping(path)


def test_missing_mapping_file(tmp_path):
    with pytest.raises(InputError, match=r"weg\.yaml: koppelbestand niet gevonden"):
        load_results(DATA / "uitslagen_klein.csv", mapping=tmp_path / "weg.yaml")


@pytest.mark.parametrize("name, content, message", [
    ("leeg.csv", b"", r"leeg\.csv: bestand is leeg"),
    ("plaatje.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", r"plaatje\.csv: geen CSV- of XLSX-bestand"),
    ("oud.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, r"oud\.xls: oud Excel-formaat \(\.xls\)"),
    ("beveiligd.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, r"met wachtwoord beveiligd"),
    ("kapot.xlsx", b"PK\x03\x04 dit is geen zip", r"kapot\.xlsx: geen leesbaar XLSX-bestand"),
    ("tekst.xlsx", b"brin;vestiging\n", r"tekst\.xlsx: geen leesbaar XLSX-bestand"),
    ("raar.csv", b"brin;titel\n12AB;\x81\x8d\x8f\n", r"raar\.csv: onbekende tekenset"),
])
def test_unreadable_files_are_input_errors(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        load_results(path)


def test_zip_that_is_not_a_workbook_is_an_input_error(tmp_path):
    path = tmp_path / "archief.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("leesmij.txt", "geen werkmap")
    with pytest.raises(InputError, match=r"archief\.xlsx: geen leesbaar XLSX-bestand"):
        load_results(path)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(InputError, match=r"nergens\.csv: bestand niet gevonden"):
        read_table(tmp_path / "nergens.csv")
    with pytest.raises(InputError, match="is een map"):
        read_table(tmp_path)


def test_fast_reader_for_large_files_matches_the_general_reader(tmp_path, monkeypatch):
    """The pyarrow path (large regular UTF-8 files) and pandas' path give the same raw table."""
    import examenbron.engine.inputs.read as read
    from examenbron.engine.samples.generate import generate, write_csv

    path = tmp_path / "groot.csv"
    write_csv(generate(120, "2024-2025", seed=11, fouten=True).frame, path)
    monkeypatch.setattr(read, "_ARROW_READ_MIN_BYTES", 0)
    assert read._read_csv_arrow(str(path), path.read_bytes()) is not None  # the fast path really is taken
    fast = read.read_table(path)
    monkeypatch.setattr(read, "_ARROW_READ_MIN_BYTES", 10**12)
    general = read.read_table(path)
    assert fast.headers == general.headers
    assert np.array_equal(fast.bron_rij, general.bron_rij)
    for a, b in zip(fast.columns, general.columns):
        assert np.asarray(a, dtype=object).tolist() == np.asarray(b, dtype=object).tolist()


def test_fast_reader_falls_back_for_blank_lines(tmp_path, monkeypatch):
    import examenbron.engine.inputs.read as read

    path = tmp_path / "leeg.csv"
    path.write_text("brin;vakcode\n12AB;1001\n\n12AB;1002\n", encoding="utf-8")
    monkeypatch.setattr(read, "_ARROW_READ_MIN_BYTES", 0)
    table = read.read_table(path)
    assert table.bron_rij.tolist() == [2, 3, 4]
    assert np.asarray(table.columns[1], dtype=object).tolist() == ["1001", "", "1002"]


_HOSTILE_CSV = {  # what a large export can look like; each must read as the general reader reads it
    "crlf": b"brin;vakcode\r\n12AB;1001\r\n12AB;1002\r\n",
    "cr only (old Mac)": b"brin;vakcode\r12AB;1001\r\r12AB;1002\r",
    "bom": b"\xef\xbb\xbfbrin;vakcode\n12AB;1001\n",
    "blank lines in and after the data": b"brin;vakcode\n12AB;1001\n\n;\n12AB;1002\n\r\n\n",
    "blank line before the header": b"\n;;\nbrin;vakcode\n12AB;1001\n",
    "quoted cell with a line break": b'brin;vakcode\n"12\nAB";1001\n12AB;1002\n',
    "comma delimiter": b"brin,vakcode,se_cijfer\n12AB,1001,6.5\n",
    "bad utf-8 byte": b"brin;vakcode\n12AB;10\xff01\n12AB;Caf\xc3\xa9\n",
    "cp1252": b"brin;vakcode\n12AB;Caf\xe9\n",
    "nul and noncharacter": b"brin;vakcode\n12\x00AB;\xef\xbf\xbf\n",
    "row too wide": b"brin;vakcode\n12AB;1001\n12AB;1002;x\n",
    "row too narrow": b"brin;vakcode\n12AB;1001\n12AB\n",
    "no newline at the end": b"brin;vakcode\n12AB;1001",
}


@pytest.mark.parametrize("name", list(_HOSTILE_CSV))
def test_fast_reader_reads_every_odd_csv_as_the_general_reader(tmp_path, monkeypatch, name):
    """Whatever the pyarrow path takes, it reads as Python's csv module does; what it cannot take
    (quotes, bad bytes, ragged rows) goes to the general reader with its messages and row numbers."""
    import examenbron.engine.inputs.read as read

    path = tmp_path / "groot.csv"
    path.write_bytes(_HOSTILE_CSV[name])

    def read_with(threshold):
        monkeypatch.setattr(read, "_ARROW_READ_MIN_BYTES", threshold)
        try:
            table = read.read_table(path)
        except InputError as exc:
            return str(exc)
        return (table.headers, table.bron_rij.tolist(), table.sha256,
                [np.asarray(column, dtype=object).tolist() for column in table.columns])

    assert read_with(10**12) == read_with(0)
    if name.startswith(("crlf", "cr only", "blank lines in", "nul")):
        assert read._read_csv_arrow(str(path), path.read_bytes()) is not None  # the fast path really is taken
