"""Code tables per school year: loading, validation messages, year differences and diff."""

import shutil

import pytest

from examenbron.engine.inputs import codetables
from examenbron.engine.errors import CodeTableError

# The years come from the folders: adding one needs no edit here. Every rule year has its code tables.
YEARS = codetables.available_years()


@pytest.fixture
def copy_root(tmp_path):
    """A writable copy of two packaged years, to break on purpose."""
    source = codetables.files("examenbron.codetables")
    for year in ("2018-2019", "2019-2020"):
        shutil.copytree(source / year, tmp_path / year)
    return tmp_path


def rewrite(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_every_school_year_loads_and_only_the_current_one_is_provisional():
    from examenbron.engine.rulesets import load as rules
    assert set(rules.available_years()) <= set(YEARS)
    for year in YEARS:
        tables = codetables.load(year)
        assert tables.metadata["schooljaar"] == year
        assert tables.metadata["status"] == ("voorlopig" if year == YEARS[-1] else "definitief")
        assert "afgeleid_van" in tables.metadata["bronnen"]["vakken.csv"]
        assert isinstance(tables.metadata["officieel"], bool)


def test_codes_keep_leading_zeros_and_flags_are_booleans():
    tables = codetables.load("2024-2025")
    vwo_nt = tables.opleiding("0170")
    assert vwo_nt["leerweg"] == "VWO" and vwo_nt["profiel"] == "NT" and vwo_nt["examen"] is True
    assert tables.opleidingen["opleidingscode"].str.fullmatch(r"\d{4}").all()
    assert tables.vakken["vakcode"].str.fullmatch(r"\d{4}").all()
    assert tables.vak("0353", "HAVO")["beoordeling"] == "VGO"


def test_non_exam_code_exists_without_leerweg():
    onderbouw = codetables.load("2024-2025").opleiding("0100")
    assert onderbouw is not None
    assert onderbouw["examen"] is False and onderbouw["leerweg"] is None


def test_vmbo_profiel_and_lwoo_come_from_the_code():
    tables = codetables.load("2024-2025")
    lwoo_gl = tables.opleiding("6075")
    assert (lwoo_gl["leerweg"], lwoo_gl["profiel"], lwoo_gl["lwoo"]) == ("VMBO-GL", "Bouwen, wonen en interieur", True)
    assert tables.opleiding("7011")["leerweg"] == "VMBO-BB"  # leerwerktraject


def test_same_vakcode_means_different_vakken_per_schoolsoort():
    tables = codetables.load("2024-2025")
    havo, vmbo = tables.vak("0011", "HAVO"), tables.vak("0011", "VMBO-TL")
    assert havo["naam"] == "Nederlandse taal (oud)" and havo["kernvak"] is None and havo["actueel"] is False
    assert vmbo["naam"] == "Nederlandse taal" and vmbo["kernvak"] == "NE" and vmbo["actueel"] is True


def test_ckv_is_graded_for_havo_one_year_before_vwo():
    y2018, y2019 = codetables.load("2018-2019"), codetables.load("2019-2020")
    assert y2018.vak("1020", "HAVO")["beoordeling"] == "cijfer"
    assert y2018.vak("1020", "HAVO")["combinatiecijfer_component"] is True
    assert y2018.vak("1020", "VWO")["beoordeling"] == "VGO"
    assert y2018.vak("1020", "VWO")["combinatiecijfer_component"] is False
    assert y2019.vak("1020", "VWO")["beoordeling"] == "cijfer"
    assert y2019.vak("1020", "VWO")["combinatiecijfer_component"] is True


def test_vmbo_profielvak_is_in_the_combinatiecijfer_only_in_gl():
    tables = codetables.load("2024-2025")
    assert tables.vak("1200", "VMBO-GL")["combinatiecijfer_component"] is True
    assert tables.vak("1200", "VMBO-KB")["combinatiecijfer_component"] is False
    assert tables.vak("1200", "VMBO-KB")["beroepsgericht"] == "profielvak"
    assert tables.vak("1229", "VMBO-BB")["beroepsgericht"] == "keuzevak"  # DUO-only keuzevak
    assert tables.vak("1200", "VMBO-TL") is None


def test_vakken_voor_gives_one_row_per_vakcode():
    frame = codetables.load("2018-2019").vakken_voor("VWO")
    assert not frame["vakcode"].duplicated().any()
    assert "1026" in set(frame["vakcode"])  # wiskunde C: vwo only
    assert "1026" not in set(codetables.load("2018-2019").vakken_voor("HAVO")["vakcode"])


def test_unknown_school_year_lists_the_available_ones():
    with pytest.raises(CodeTableError, match=r"geen codetabellen voor schooljaar '2017-2018'; beschikbaar: 2018-2019, .*2026-2027"):
        codetables.load("2017-2018")


def test_copied_tables_load_from_a_root(copy_root):
    assert codetables.available_years(copy_root) == ["2018-2019", "2019-2020"]
    assert codetables.load("2018-2019", root=copy_root).opleiding("0370")["leerweg"] == "HAVO"


def test_invalid_kernvak_is_reported_with_file_and_row(copy_root):
    path = copy_root / "2018-2019" / "vakken.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    row = next(i for i, line in enumerate(lines) if line.startswith("1001,"))
    lines[row] = lines[row].replace(",NE,", ",NL,")
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(CodeTableError) as error:
        codetables.load("2018-2019", root=copy_root)
    assert f"{copy_root}/2018-2019/vakken.csv rij {row + 1}: kernvak 'NL' is niet één van NE, EN, WI, leeg" in str(error.value)


def test_duplicate_and_short_opleidingscode_are_reported(copy_root):
    path = copy_root / "2018-2019" / "opleidingen.csv"
    rewrite(path, "\n0171,", "\n0170,")
    rewrite(path, "\n0090,", "\n090,")
    with pytest.raises(CodeTableError) as error:
        codetables.load("2018-2019", root=copy_root)
    message = str(error.value)
    assert "opleidingen.csv rij" in message
    assert "opleidingscode 0170 staat al in rij" in message
    assert "opleidingscode '090' is geen code van 4 cijfers" in message


def test_overlapping_leerwegen_for_one_vak_are_reported(copy_root):
    path = copy_root / "2019-2020" / "vakken.csv"
    text = path.read_text(encoding="utf-8")
    line = next(l for l in text.split("\n") if l.startswith("1020,havo/vwo,HAVO;VWO,"))
    path.write_text(text.replace(line, line + "\n" + line.replace("HAVO;VWO", "VWO")), encoding="utf-8")
    with pytest.raises(CodeTableError, match=r"vakcode 1020 \(havo/vwo\) leerweg VWO staat al in rij \d+"):
        codetables.load("2019-2020", root=copy_root)


def test_metadata_year_must_match_folder(copy_root):
    rewrite(copy_root / "2019-2020" / "metadata.yaml", "schooljaar: 2019-2020", "schooljaar: 2020-2021")
    with pytest.raises(CodeTableError, match=r"metadata.yaml: schooljaar '2020-2021' past niet bij de map 2019-2020"):
        codetables.load("2019-2020", root=copy_root)


def test_diff_finds_added_removed_and_changed_codes(copy_root):
    path = copy_root / "2019-2020" / "opleidingen.csv"
    rewrite(path, "\n0090,", "\n0091,")  # 0090 removed, 0091 added
    rewrite(path, "VWO-ATHENEUMSTROOM Profiel Natuur en Techniek,", "VWO-ATHENEUM Profiel NT,")
    result = codetables.diff("2018-2019", "2019-2020", root=copy_root)
    assert result.opleidingen.added == ("0091",)
    assert result.opleidingen.removed == ("0090",)
    assert result.opleidingen.changed == {
        "0170": {"omschrijving": ("VWO-ATHENEUMSTROOM Profiel Natuur en Techniek", "VWO-ATHENEUM Profiel NT")}}
    assert result.vakken.changed[("1020", "havo/vwo")] == {
        "beoordeling [VWO]": ("VGO", "cijfer"), "combinatiecijfer_component [VWO]": (False, True)}
    assert not result.vakken.added and not result.vakken.removed


def test_text_renderers_show_rows_and_changes():
    shown = codetables.show_text("2018-2019", vak="1020", opleiding="372")
    assert "opleidingscode 0372" in shown and "EM" in shown
    assert "vakcode 1020 havo/vwo VWO (2018-2019)" in shown
    changes = codetables.diff_text("2018-2019", "2019-2020")
    assert "~ 1020 (havo/vwo) culturele en kunstzinnige vorming: beoordeling [VWO]: VGO -> cijfer" in changes
    with pytest.raises(CodeTableError, match="vakcode 9999 staat niet in de codetabellen van 2018-2019"):
        codetables.show_text("2018-2019", vak="9999")


def test_vakken_per_leerweg_is_unique_on_vakcode_and_leerweg():
    frame = codetables.load("2018-2019").vakken_per_leerweg
    assert not frame.duplicated(["vakcode", "leerweg"]).any()
    ckv = frame[frame["vakcode"] == "1020"].set_index("leerweg")["beoordeling"].to_dict()
    assert ckv == {"HAVO": "cijfer", "VWO": "VGO"}
