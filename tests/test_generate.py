"""Tests for the seeded results-file generator (engine.samples.generate)."""

import hashlib
import time

import numpy as np
import pandas as pd
import pytest
from stdnum.nl import bsn as stdnum_bsn
from stdnum.nl import onderwijsnummer as stdnum_on

from examenbron.engine.rulesets import load as rules
from examenbron.engine.samples.generate import COLUMNS, EXAM_COLUMNS, generate, write_csv

# Every rule year from the folders (a new year needs no edit here).
YEARS = rules.available_years()
HV = ("HAVO", "VWO")


@pytest.fixture(scope="module")
def frames():
    return {y: generate(3000, y, seed=11).frame for y in YEARS}


def leerweg(code: str) -> str:
    """Leerweg from the opleidingscode, independent of the generator's tables."""
    if code[:2] in ("01", "02"):
        return "VWO"
    if code[:2] == "03":
        return "HAVO"
    if code == "0400" or code.startswith("047"):   # TL (with profiel since the generator uses 0470-0473)
        return "VMBO-TL"
    return {"1": "VMBO-BB", "5": "VMBO-BB", "2": "VMBO-KB", "6": "VMBO-KB", "3": "VMBO-GL", "7": "VMBO-GL"}[code[2]]


def tenths(s: pd.Series) -> pd.Series:
    """'6,5' -> 65, '7' -> 70, '' -> NA."""
    def one(v):
        if v == "":
            return pd.NA
        whole, _, dec = v.partition(",")
        return int(whole) * 10 + int(dec or 0)
    return s.map(one).astype("Int64")


def exams(frame):
    return frame.drop_duplicates(["brin", "leerlingnummer"])


def digest(frame, tmp_path, name):
    path = tmp_path / name
    write_csv(frame, path)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_seed_gives_identical_bytes_and_other_seed_differs(tmp_path):
    a = digest(generate(400, "2024-2025", seed=5, fouten=True).frame, tmp_path, "a.csv")
    b = digest(generate(400, "2024-2025", seed=5, fouten=True).frame, tmp_path, "b.csv")
    c = digest(generate(400, "2024-2025", seed=6, fouten=True).frame, tmp_path, "c.csv")
    assert a == b
    assert a != c


def test_write_csv_is_semicolon_utf8_and_round_trips(tmp_path):
    frame = generate(200, "2024-2025").frame
    path = tmp_path / "out.csv"
    write_csv(frame, path)
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]       # no temp file left behind
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == ";".join(COLUMNS)
    back = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(back, frame.reset_index(drop=True))


def test_columns_strings_and_leading_zeros(frames):
    f = frames["2024-2025"]
    assert tuple(f.columns) == COLUMNS
    assert all(f[c].map(type).eq(str).all() for c in COLUMNS)
    assert f.vakcode.str.fullmatch(r"\d{4}").all() and (f.vakcode == "0011").any()
    assert f.opleidingscode.str.fullmatch(r"\d{4}").all() and f.opleidingscode.str.startswith("0").any()
    assert f.vestiging.str.fullmatch(r"\d{2}").all()
    assert f.brin.str.fullmatch(r"\d{2}[A-Z]{2}").all()
    assert f.onderwijsaanbieder.str.fullmatch(r"\d{3}A\d{3}").all()


def test_every_leerweg_present_in_plausible_shares(frames):
    ex = exams(frames["2024-2025"])
    share = ex.opleidingscode.map(leerweg).value_counts(normalize=True)
    expected = {"VWO": 0.20, "HAVO": 0.25, "VMBO-TL": 0.22, "VMBO-GL": 0.05, "VMBO-KB": 0.15, "VMBO-BB": 0.13}
    for lw, p in expected.items():
        assert abs(share[lw] - p) < 0.035, (lw, share[lw])


def test_exam_level_values_constant_and_identifiers_valid(frames):
    for y, f in frames.items():
        per = f.groupby(["brin", "leerlingnummer"])[list(EXAM_COLUMNS)].nunique()
        assert (per == 1).all().all(), y
        ex = exams(f)
        assert ((ex.bsn == "") != (ex.onderwijsnummer == "")).all()
        assert ex.bsn[ex.bsn != ""].map(stdnum_bsn.is_valid).all()
        assert ex.onderwijsnummer[ex.onderwijsnummer != ""].map(stdnum_on.is_valid).all()
        assert 0.005 < (ex.onderwijsnummer != "").mean() < 0.04
        assert not ex.bsn[ex.bsn != ""].duplicated().any()
        assert not f.duplicated(["brin", "leerlingnummer", "vakcode"]).any(), y


def test_eindcijfer_follows_half_up_rule_in_integer_tenths(frames):
    for y, f in frames.items():
        se, eind = tenths(f.se_cijfer), tenths(f.eindcijfer)
        ce = pd.concat([tenths(f[c]) for c in ("ce1", "ce2", "ce3")], axis=1).max(axis=1)
        with_ce = ce.notna() & eind.notna()
        assert with_ce.any() == (y != "2019-2020")
        assert (eind[with_ce] == (se[with_ce] + ce[with_ce] + 10) // 20 * 10).all(), y
        one_dec = f.se_cijfer.str.contains(",") & ce.isna() & eind.notna()
        assert (eind[one_dec] == (se[one_dec] + 5) // 10 * 10).all(), y
        whole = (f.se_cijfer != "") & ~f.se_cijfer.str.contains(",")
        assert (eind[whole] == se[whole]).all(), y
        assert f.eindcijfer.isin([""] + [str(v) for v in range(1, 11)]).all()
        grades = pd.concat([se, ce]).dropna()
        assert grades.between(10, 100).all()


def test_school_year_effects(frames):
    assert (frames["2019-2020"][["ce1", "ce2", "ce3"]] == "").all().all()
    for y in ("2020-2021", "2021-2022", "2024-2025"):
        f = frames[y]
        pv = f.vakcode.isin(["1200", "1300", "1400", "1500", "1600", "1700", "1800", "1900", "2000", "2100"])
        if y == "2024-2025":
            assert (f.ce1[pv & (f.eindcijfer != "")] != "").all()        # cspe
        else:
            assert (f.ce1[pv] == "").all() and f.se_cijfer[pv].str.contains(",").all()
        herk = f[(f.ce2 != "") | (f.ce3 != "")].groupby(["brin", "leerlingnummer"]).size()
        assert herk.max() == (1 if y == "2024-2025" else 2), y
    for y, graded in (("2018-2019", {"HAVO": True, "VWO": False}), ("2019-2020", {"HAVO": True, "VWO": True})):
        f = frames[y]
        ckv = f[f.vakcode == "1020"]
        lw = ckv.opleidingscode.map(leerweg)
        for name, is_graded in graded.items():
            part = ckv[lw == name]
            assert (part.se_beoordeling == "").all() == is_graded, (y, name)
            assert (part.combinatiecijfer_vak == "J").all() == is_graded, (y, name)


def test_uitslag_distribution_and_datum(frames):
    for y, f in frames.items():
        ex = exams(f)
        counts = ex.uitslag.value_counts(normalize=True)
        assert set(ex.uitslag) == {"G", "A", "T", "S", "D", ""}, y
        decided = counts["A"] / (counts["A"] + counts["G"])
        low = 0.02 if y in ("2019-2020", "2020-2021", "2021-2022") else 0.08
        assert low <= decided <= 0.13, (y, decided)
        dated = ex.datum_uitslag != ""
        assert (dated == ~ex.uitslag.isin(["", "S"])).all()
        d = pd.to_datetime(ex.datum_uitslag[dated])
        assert (d.dt.year == int(y[-4:])).all() and d.dt.month.isin([6, 7]).all()
        cert = f.certificaat != ""
        assert f.uitslag[cert].isin(["A", "D"]).all()
        assert (f.examendeel[~f.opleidingscode.map(leerweg).isin(HV)] == "").all()


def combinatiecijfer(rows: pd.DataFrame, lw: str) -> int | None:
    """Recompute the combinatiecijfer row-wise (slaag-zak.md §2.3), as a reviewer would."""
    comp = rows[rows.combinatiecijfer_vak == "J"]
    e = [int(v) for v in comp.eindcijfer]
    if lw in HV:
        e.append(int(rows.werkstuk_cijfer.iloc[0]))
        total, count = sum(e), len(e)
    elif lw == "VMBO-GL":
        pv = comp.vakcode.str.endswith("00")
        kv = [int(v) for v in comp.eindcijfer[~pv]]
        k = len(kv)
        total, count = sum(kv) + k * sum(int(v) for v in comp.eindcijfer[pv]), k + k * pv.sum()
    else:
        total, count = sum(e), len(e)
    if not count:
        return None
    tenth = total * 10 // count                       # truncated to one decimal, then half up
    return tenth // 10 + (tenth % 10 >= 5)


def slaagt(rows: pd.DataFrame, lw: str, y: str) -> bool:
    """Row-wise slaag-zakregeling over the diplomavakken (an independent second reading)."""
    rows = rows[rows.diplomavak == "J"]
    if y == "2018-2019":  # the rekentoets must be taken; its grade does not count
        assert (rows.vakcode == "1107").any()
        rows = rows[rows.vakcode != "1107"]
    if (rows.se_beoordeling == "O").any() or (rows.werkstuk_beoordeling.iloc[0] == "O"):
        return False
    graded = rows[rows.eindcijfer != ""]
    comp = graded.combinatiecijfer_vak == "J"
    if comp.any() and (graded[comp & ~graded.vakcode.str.endswith("00")].eindcijfer.astype(int) < 4).any():
        return False
    if lw in HV and int(rows.werkstuk_cijfer.iloc[0]) < 4:
        return False
    items = [int(v) for v in graded[~comp].eindcijfer]
    if rows.combinatiecijfer.iloc[0] != "":
        items.append(int(rows.combinatiecijfer.iloc[0]))
    if y != "2019-2020":
        ce = graded[["ce1", "ce2", "ce3"]].apply(tenths).max(axis=1).dropna()
        if len(ce) and ce.sum() < 55 * len(ce):
            return False
    n4, n5, low = items.count(4), items.count(5), min(items)
    if low <= 3:
        return False
    if lw in HV:
        kern = graded[graded.vakcode.isin(["1001", "1002", "1024", "1025", "1026"])].eindcijfer.astype(int)
        if (kern <= 4).any() or (kern == 5).sum() > 1:
            return False
        compensated = sum(items) >= 6 * len(items)
        return (n4 == 0 and n5 <= 1) or (compensated and (n4, n5) in ((1, 0), (0, 2), (1, 1)))
    ne = graded[graded.vakcode == "0011"].eindcijfer.astype(int)
    if (ne < 5).any():
        return False
    return (n4 == 0 and n5 <= 1) or (max(items) >= 7 and (n4, n5) in ((1, 0), (0, 2)))


@pytest.mark.parametrize("y", ["2018-2019", "2019-2020", "2020-2021", "2024-2025"])
def test_uitslag_and_combinatiecijfer_match_a_rowwise_reading_of_the_rules(frames, y):
    f = frames[y]
    decided = f[f.uitslag.isin(["G", "A"])]
    checked = 0
    for (_, _), rows in decided.groupby(["brin", "leerlingnummer"], sort=False):
        lw = leerweg(rows.opleidingscode.iloc[0])
        if rows.combinatiecijfer.iloc[0] != "":
            assert combinatiecijfer(rows, lw) == int(rows.combinatiecijfer.iloc[0])
        assert slaagt(rows, lw, y) == (rows.uitslag.iloc[0] == "G"), rows.iloc[0].leerlingnummer
        checked += 1
    assert checked > 2500


def test_extra_vakken_and_herkansingen_occur(frames):
    f = frames["2024-2025"]
    ex = exams(f)
    n = f[f.uitslag != "D"].groupby(["brin", "leerlingnummer"]).size()
    assert n.min() >= 8 and n.max() >= 12
    assert 0.02 < ((f.ce2 != "") | (f.ce3 != "")).groupby([f.brin, f.leerlingnummer]).any().mean() < 0.2
    assert (f.ce3 != "").sum() < (f.ce2 != "").sum() / 5
    assert (f.diplomavak == "N").any()
    assert ex.opleidingscode.str.match(r"6\d[567]5").any()                  # LWOO variants


def test_codes_exist_in_codetables_with_matching_attributes(frames):
    codetables = pytest.importorskip("examenbron.engine.inputs.codetables", reason="engine.inputs.codetables not available yet")
    for y, f in frames.items():
        ct = codetables.load(y)
        opl = ct.opleidingen.set_index("opleidingscode")
        codes = f.opleidingscode.unique()
        assert set(codes) <= set(opl.index), y
        assert all(opl.loc[c, "leerweg"] == leerweg(c) and opl.loc[c, "examen"] for c in codes), y
        for lw, rows in f[f.vakcode != "8888"].groupby(f.opleidingscode.map(leerweg)):
            vak = ct.vakken_voor(lw).set_index("vakcode")
            assert set(rows.vakcode) <= set(vak.index), (y, lw, set(rows.vakcode) - set(vak.index))
            attrs = vak.loc[rows.vakcode]
            graded = (rows.se_cijfer != "").to_numpy()
            assert ((attrs.beoordeling.to_numpy() == "VGO") == ~graded).all(), (y, lw)
            has_dec = rows.se_cijfer.str.contains(",").to_numpy()
            assert (attrs.heeft_ce.to_numpy()[graded] == has_dec[graded]).all(), (y, lw)
            keuze = (attrs.beroepsgericht.to_numpy() == "keuzevak")
            assert (rows.combinatiecijfer_vak.to_numpy()[keuze & (rows.diplomavak == "J").to_numpy()] == "J").all()


def test_planted_errors_are_exactly_the_manifest(tmp_path):
    clean = generate(300, "2024-2025", seed=2025).frame
    result = generate(300, "2024-2025", seed=2025, fouten=True)
    planted, fouten = result.frame, result.fouten
    assert 10 <= len(fouten) <= 15
    assert len({(x.brin, x.leerlingnummer) for x in fouten}) == len(fouten)
    by_soort = {x.soort: x for x in fouten}
    assert len(by_soort) == len(fouten)
    # the only extra row is the duplicated vak, right after its original
    dup = by_soort["vak_dubbel"]
    assert len(planted) == len(clean) + 1
    key = planted[["leerlingnummer", "vakcode"]].apply(tuple, axis=1)
    second = np.flatnonzero(key.duplicated().to_numpy())
    assert len(second) == 1 and tuple(key.iloc[second[0]]) == (dup.leerlingnummer, dup.vakcode)
    assert planted.iloc[second[0]].equals(planted.iloc[second[0] - 1].rename(planted.index[second[0]]))
    body = planted.drop(planted.index[second[0]]).reset_index(drop=True)
    diff = body.ne(clean)
    changed = {(body.leerlingnummer[r] if c != "leerlingnummer" else clean.leerlingnummer[r], body.columns[c])
               for r, c in zip(*np.nonzero(diff.to_numpy()))}
    expected = {(x.leerlingnummer, x.kolom) for x in fouten if x.soort != "vak_dubbel"}
    side = {(by_soort["uitslag_g_bij_afgewezen"].leerlingnummer, "certificaat")}
    assert changed == expected | side
    cell = {x.soort: body[(body.leerlingnummer == x.leerlingnummer)
                          & ((body.vakcode == x.vakcode) if x.vakcode else True)][x.kolom] for x in fouten}
    assert not stdnum_bsn.is_valid(cell["bsn_elfproef"].iloc[0])
    assert (cell["geen_bsn_of_onderwijsnummer"] == "").all()
    assert body.loc[cell["geen_bsn_of_onderwijsnummer"].index, "onderwijsnummer"].eq("").all()
    assert cell["onbekende_vakcode"].iloc[0] == "8888"
    assert cell["cijfer_twee_decimalen"].str.fullmatch(r"\d+,\d\d").all()
    assert cell["cijfer_buiten_bereik"].iloc[0] == "11,0"
    assert (cell["datum_uitslag_leeg"] == "").all()
    assert cell["certificaat_bij_geslaagd"].iloc[0] == "J"
    truth = exams(clean).set_index("leerlingnummer").uitslag
    assert truth[by_soort["uitslag_g_bij_afgewezen"].leerlingnummer] == "A"
    assert truth[by_soort["uitslag_a_bij_geslaagd"].leerlingnummer] == "G"
    inconsistent = body.groupby("leerlingnummer").geboortedatum.nunique()
    assert list(inconsistent[inconsistent > 1].index) == [by_soort["examenniveau_ongelijk"].leerlingnummer]
    e = by_soort["eindcijfer_afwijkend"]
    row = body[(body.leerlingnummer == e.leerlingnummer) & (body.vakcode == e.vakcode)].iloc[0]
    best = max(tenths(pd.Series([row.ce1, row.ce2, row.ce3])).dropna())
    assert int(row.eindcijfer) * 10 != (tenths(pd.Series([row.se_cijfer]))[0] + best + 10) // 20 * 10


def test_bundled_example_is_the_generators_output():
    from pathlib import Path
    example = Path(__file__).resolve().parents[1] / "examples" / "resultaten-2024-2025.csv"
    frame = pd.read_csv(example, sep=";", dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(frame, generate(300, "2024-2025", seed=2025, fouten=True).frame)


def test_rejects_unsupported_school_year():
    with pytest.raises(ValueError):
        generate(10, "2017-2018")
    with pytest.raises(ValueError):
        generate(10, "2024")


def test_vectorised_speed():
    start = time.perf_counter()
    frame = generate(50_000, "2024-2025").frame
    assert len(frame) > 450_000
    assert time.perf_counter() - start < 60          # ~3 s on an idle machine
