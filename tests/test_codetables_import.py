"""`examenbron codetables import`: DUO's files in, a checked year folder out, nothing on failure."""

import hashlib
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from examenbron.cli import main
from examenbron.engine.inputs import codetables
from examenbron.engine.inputs.codetables_import import ImportFout, build, import_year, schoolsoort

DUO = Path(__file__).parent / "data" / "duo"
ASC = [DUO / "Dec_vooropl.asc", DUO / "Dec_vakcode.asc", DUO / "vakcodes-2015-2016.csv",
       DUO / "elementcodes-2015-2016.csv"]
CSV_FORM = [DUO / "Dec_vooropl.asc", DUO / "vakcodes-duo.csv", DUO / "vakcodes-2015-2016.csv",
            DUO / "elementcodes-2015-2016.csv"]
BUNDLED = Path(str(codetables.files("examenbron.codetables")))


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def sources(tmp_path):
    """Writable copies of the fixture files, to break on purpose."""
    folder = tmp_path / "bron"
    folder.mkdir()
    return {p.name: shutil.copy(p, folder / p.name) for p in ASC}


def import_args(paths, year, root, *extra):
    Path(root).mkdir(parents=True, exist_ok=True)
    return ["codetables", "import", *map(str, paths), "--schooljaar", year, "--codetabellen", str(root), *extra]


@pytest.mark.parametrize("files", [ASC, CSV_FORM], ids=["asc", "csv"])
def test_importing_the_bundled_inputs_reproduces_every_bundled_year(files):
    """The bundled years are derived from exactly these files: importing them gives the same tables."""
    for year in codetables.available_years():
        status = codetables.load(year).metadata["status"]
        texts = build(files, year, officieel=False, status=status)
        for name in ("opleidingen.csv", "vakken.csv"):
            assert texts[name] == (BUNDLED / year / name).read_text(encoding="utf-8"), f"{year}/{name}"


def test_import_writes_an_official_year_with_the_source_of_every_file(runner, tmp_path):
    root = tmp_path / "codetabellen"
    # DUO's decode tables alone are not year-bound; with a regulation file of the year itself the
    # table is official. The 2015-2016 regulation file is renamed as if it were 2027-2028's.
    regeling = tmp_path / "vakcodes-2027-2028.csv"
    shutil.copy(DUO / "vakcodes-2015-2016.csv", regeling)
    result = runner.invoke(main, import_args([DUO / "Dec_vooropl.asc", DUO / "Dec_vakcode.asc", regeling],
                                             "2027-2028", root))
    assert result.exit_code == 0, result.output
    assert "2027-2028 geschreven (officieel): 971 opleidingscodes" in result.output
    tables = codetables.load("2027-2028", root)
    assert tables.officieel is True and tables.metadata["status"] == "definitief"
    files = {f["bestand"]: f for f in tables.metadata["bestanden"]}
    assert set(files) == {"Dec_vooropl.asc", "Dec_vakcode.asc", "vakcodes-2027-2028.csv"}
    assert files["Dec_vooropl.asc"]["datum"] == "2020-08-03"
    assert files["Dec_vooropl.asc"]["datum_herkomst"] == "versieregel in het bestand"
    assert files["Dec_vakcode.asc"]["sha256"] == hashlib.sha256((DUO / "Dec_vakcode.asc").read_bytes()).hexdigest()
    assert tables.opleiding("0372")["leerweg"] == "HAVO"
    # without the regulation's elementcodes the opleidingen carry only DUO as their source
    assert tables.opleiding("0170")["bron"] == "duo-vooropl-2020-08-03"
    assert [p.name for p in root.iterdir()] == ["2027-2028"]  # no temporary folder left behind


def test_a_regulation_of_another_year_is_refused_as_official_and_accepted_as_derived(runner, tmp_path):
    root = tmp_path / "codetabellen"
    refused = runner.invoke(main, import_args(ASC, "2027-2028", root))
    assert refused.exit_code == 2
    assert "van 2015-2016, niet van 2027-2028" in refused.output and "--afgeleid" in refused.output
    assert not any(root.iterdir())
    derived = runner.invoke(main, import_args(ASC, "2027-2028", root, "--afgeleid", "--status", "voorlopig"))
    assert derived.exit_code == 0, derived.output
    tables = codetables.load("2027-2028", root)
    assert tables.officieel is False and tables.metadata["status"] == "voorlopig"
    assert "niet in de afgeleide" not in tables.metadata["toelichting"]
    assert "attentie" in tables.metadata["toelichting"]


def test_an_existing_year_is_replaced_only_when_asked(runner, tmp_path):
    root = tmp_path / "codetabellen"
    assert runner.invoke(main, import_args(ASC, "2027-2028", root, "--afgeleid")).exit_code == 0
    again = runner.invoke(main, import_args(ASC, "2027-2028", root, "--afgeleid"))
    assert again.exit_code == 2 and "bestaat al" in again.output and "--vervang" in again.output
    assert runner.invoke(main, import_args(ASC, "2027-2028", root, "--afgeleid", "--vervang")).exit_code == 0
    assert sorted(p.name for p in root.iterdir()) == ["2027-2028"]


def truncate_last_line(path: Path, keep: int):
    data = path.read_bytes().rstrip(b"\r\n")
    head, _, last = data.rpartition(b"\r\n" if b"\r\n" in data else b"\n")
    path.write_bytes(head + b"\r\n" + last[:keep])


BAD = {
    "vakcode regel afgebroken": ("Dec_vakcode.asc", lambda p: truncate_last_line(p, 60),
                                 "Dec_vakcode.asc regel 635: 60 tekens, verwacht 151"),
    "vooropl zonder sector": ("Dec_vooropl.asc", lambda p: truncate_last_line(p, 6),
                              "Dec_vooropl.asc regel 1080: verwacht code (5 tekens), onderwijssector"),
    "vooropl zonder versiedatum": ("Dec_vooropl.asc",
                                   lambda p: p.write_bytes(b"        2020-08\r\n" + p.read_bytes().split(b"\r\n", 1)[1]),
                                   "Dec_vooropl.asc regel 1: '2020-08' is geen versiedatum (JJJJMMDD)"),
    "csv rij te kort": ("vakcodes-2015-2016.csv",
                        lambda p: p.write_text(p.read_text(encoding="utf-8").rstrip("\n").rsplit("\n", 1)[0]
                                               + "\n1234,Half vak\n", encoding="utf-8"),
                        "vakcodes-2015-2016.csv regel 448: 2 velden, verwacht 8"),
    "csv geen code": ("elementcodes-2015-2016.csv",
                      lambda p: p.write_text(p.read_text(encoding="utf-8").replace("\n0011,", "\n0O11,", 1),
                                             encoding="utf-8"),
                      "elementcodes-2015-2016.csv regel 2: code '0O11' is geen code van 4 cijfers"),
    "csv ongeldige utf-8": ("vakcodes-2015-2016.csv", lambda p: p.write_bytes(p.read_bytes() + b"9999,\xff\n"),
                            "vakcodes-2015-2016.csv regel 449: ongeldige tekens voor utf-8-sig"),
    "onbekende kolommen": ("vakcodes-2015-2016.csv", lambda p: p.write_text("code;naam\n1001;x\n", encoding="utf-8"),
                           "vakcodes-2015-2016.csv regel 1: onbekend formaat"),
    "leeg bestand": ("Dec_vakcode.asc", lambda p: p.write_bytes(b""), "Dec_vakcode.asc: het bestand is leeg"),
    "regeling zonder jaar in de naam": ("vakcodes-2015-2016.csv", lambda p: p.rename(p.with_name("vakcodes.csv")),
                                        None),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_a_bad_or_partial_file_exits_2_naming_file_and_line_and_writes_nothing(case, runner, tmp_path, sources):
    name, damage, message = BAD[case]
    damage(Path(sources[name]))
    paths = sorted((tmp_path / "bron").iterdir())
    root = tmp_path / "codetabellen"
    (root / "2027-2028").mkdir(parents=True)
    (root / "2027-2028" / "metadata.yaml").write_text("schooljaar: 2027-2028\n", encoding="utf-8")
    result = runner.invoke(main, import_args(paths, "2027-2028", root, "--afgeleid", "--vervang"))
    assert result.exit_code == 2
    assert (message or "de naam van een regelingsbestand moet het schooljaar noemen") in result.output
    assert "Traceback" not in result.output
    # the year that was there is untouched and no temporary folder is left
    assert sorted(p.name for p in root.iterdir()) == ["2027-2028"]
    assert (root / "2027-2028" / "metadata.yaml").read_text(encoding="utf-8") == "schooljaar: 2027-2028\n"


def test_a_missing_kind_of_file_is_named(runner, tmp_path):
    result = runner.invoke(main, import_args([DUO / "Dec_vooropl.asc", DUO / "Dec_vakcode.asc"], "2027-2028",
                                             tmp_path / "c", "--afgeleid"))
    assert result.exit_code == 2
    assert "onvolledige import, er ontbreekt: Regeling codetabellen, vakcodetabel (Bijlage III)" in result.output
    two = runner.invoke(main, import_args([*ASC, DUO / "vakcodes-duo.csv"], "2027-2028", tmp_path / "c", "--afgeleid"))
    assert two.exit_code == 2 and "allebei een DUO-decodetabel vakken" in two.output


def test_a_schooljaar_that_is_a_path_is_refused(tmp_path):
    with pytest.raises(Exception, match="geen schooljaar"):
        import_year(ASC, "../2027-2028", tmp_path, officieel=False)


def test_the_schoolsoort_of_a_dec_vooropl_text():
    assert schoolsoort("VMBO Basisberoepsgerichte Leerweg Leerwerktraject Profiel Groen") == "VMBO-BB-LWT"
    assert schoolsoort("VAVO-MAVO/VMBO Theoretische Leerweg") == "VAVO"
    assert schoolsoort("MIDDENSCHOOL IVBO algemeen leerjaar") == "ONDERBOUW"
    assert schoolsoort("Hoger Algemeen Voortgezet Onderwijs") == "HAVO"


def test_bundled_metadata_says_derived_and_names_its_sources():
    for year in codetables.available_years():
        meta = yaml.safe_load((BUNDLED / year / "metadata.yaml").read_text(encoding="utf-8"))
        assert meta["officieel"] is False, year  # no official DUO table after 2015-2016 is available
        assert {f["bestand"] for f in meta["bestanden"]} == {p.name for p in ASC}
        assert all(len(f["sha256"]) == 64 for f in meta["bestanden"])


def test_import_error_is_a_code_table_error():
    with pytest.raises(ImportFout):
        build([DUO / "Dec_vooropl.asc"], "2027-2028")
