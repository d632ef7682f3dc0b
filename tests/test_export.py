"""Tests for the export step (engine.outputs.export, engine.outputs.bron_xml)."""

import datetime
import functools
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from examenbron.engine import pipeline
from examenbron.engine.inputs import codetables
from examenbron.engine.outputs import bron_xml
from examenbron.engine.inputs.columns import mask_bsn
from examenbron.engine.outputs.export import LOG, MANIFEST, TIJDVAK_ROLES, ExportError, export_results, file_name
from examenbron.engine.outputs.bevindingen import empty_bevindingen, make_bevindingen
from examenbron.engine.inputs.normalise import Results
from examenbron.engine.rulesets import load as rules

NS = {"e": bron_xml.NAMESPACE}
VAKCODES = ["0011", "0012", "0013", "0024", "0055", "1019", "0301", "0062", "0080", "0099"]


def make_results(n, *, vakken=7, variant=0, seed=1):
    """n candidate exams with ``vakken`` vakken each; ``variant`` shifts grades so messages differ."""
    rng = np.random.default_rng(seed)
    ids = np.arange(n, dtype=np.int64)
    odd = ids % 2 == 1
    examens = pd.DataFrame({
        "exam_id": ids,
        "bron_rij": 2 + ids * vakken,
        "brin": np.where(ids % 3 == 0, "01OE", "00AA").astype(object),
        "vestiging": np.where(ids % 5 == 0, "01", "00").astype(object),
        "leerlingnummer": [f"L{100000 + i}" for i in ids],
        "bsn": [None if o else f"2{i:08d}" for i, o in zip(ids, odd)],
        "onderwijsnummer": [f"10{i:07d}" if o else None for i, o in zip(ids, odd)],
        "opleidingscode": np.where(ids % 2 == 0, "0170", "0370").astype(object),
        "onderwijsaanbieder": "123A456",
        "werkstuk_titel": [f"Werkstuk {i}" for i in ids],
        "werkstuk_beoordeling": None,
        "examenjaar": pd.array([2025] * n, dtype="Int64"),
        "uitslag": np.where(ids % 4 == 3, "A", "G").astype(object),
        "datum_uitslag": pd.Series([pd.Timestamp("2025-06-11")] * n, dtype="datetime64[ns]"),
        "geboortedatum": pd.Series([pd.NaT] * n, dtype="datetime64[ns]"),
        "werkstuk_cijfer": pd.array([75 - variant] * n, dtype="Int64"),
        "combinatiecijfer": pd.array([70] * n, dtype="Int64"),
    })
    m = n * vakken
    se = rng.integers(40, 95, m)
    ce1 = rng.integers(30, 100, m)
    has_ce = rng.random(m) < 0.8
    has_ce2 = has_ce & (rng.random(m) < 0.1)
    se = np.where(has_ce, se, (se // 10) * 10)
    ec = np.where(has_ce, (se + ce1 + 10) // 20 * 10, se)
    vk = pd.DataFrame({
        "exam_id": np.repeat(ids, vakken),
        "bron_rij": 2 + np.arange(m, dtype=np.int64),
        "vakcode": np.tile(np.array(VAKCODES[:vakken], dtype=object), n),
        "se_cijfer": pd.array(se, dtype="Int64"),
        "ce1": pd.array(np.where(has_ce, ce1 - variant, 0), dtype="Int64"),
        "ce2": pd.array(np.where(has_ce2, ce1, 0), dtype="Int64"),
        "ce3": pd.array([None] * m, dtype="Int64"),
        "eindcijfer": pd.array(ec, dtype="Int64"),
        "se_beoordeling": None,
        "diplomavak": pd.array([True] * m, dtype="boolean"),
        "combinatiecijfer_vak": pd.array(np.tile([v in ("1019", "0301") for v in VAKCODES[:vakken]], n),
                                         dtype="boolean"),
        "certificaat": pd.array([None] * m, dtype="boolean"),
        "examendeel": None,
    })
    vk.loc[~has_ce, "ce1"] = pd.NA
    vk.loc[~has_ce2, "ce2"] = pd.NA
    return Results(source="uitslagen.csv", examens=examens, vakken=vk, bevindingen=empty_bevindingen(),
                   columns_present=frozenset())


def bevindingen_for(exam_ids, ernst="afkeur", code="206"):
    ids = list(exam_ids)
    return make_bevindingen(exam_id=pd.Series(ids, dtype=object), ernst=ernst, code=code, regel=f"BRON-{code}",
                         schooljaar="2024-2025")


@functools.lru_cache(maxsize=None)
def rule_year():
    return rules.load("2024-2025"), codetables.load("2024-2025")


def eindcijfers(results):
    """The eindcijfer per tijdvak as the 2024-2025 rule set computes it (its eindcijfer1..3 roles)."""
    return pipeline.derive_vak_roles(results, *rule_year(), TIJDVAK_ROLES, peildatum=datetime.date(2025, 6, 20))


def export(results, bevindingen, out, **kw):
    kw.setdefault("eindcijfers", eindcijfers(results))
    kw.setdefault("schooljaar", "2024-2025")
    kw.setdefault("regelset_versie", "2025.1")
    kw.setdefault("input_sha256", "ab" * 32)
    return export_results(results, bevindingen, out_dir=out, **kw)


def xml_files(out):
    return sorted(p.name for p in Path(out).iterdir() if p.suffix == ".xml" and not p.name.startswith("."))


def snapshot(out):
    """Every visible file's bytes, except the log (it holds a timestamp per run)."""
    return {p.name: p.read_bytes() for p in sorted(Path(out).iterdir())
            if not p.name.startswith(".") and p.name != LOG}


def leerlingnummers(out):
    found = set()
    for name in xml_files(out):
        tree = etree.parse(str(Path(out) / name))
        found.add(tree.findtext("e:leerlingnummer", namespaces=NS))
    return found


# --- message content ------------------------------------------------------------------------

def test_message_fields_and_grade_encoding(tmp_path):
    res = make_results(2, vakken=2)
    vk = res.vakken
    vk.loc[0, ["se_cijfer", "ce1", "ce2", "ce3", "eindcijfer"]] = [65, 54, 75, 100, 60]
    vk.loc[1, ["se_cijfer", "ce1", "ce2", "eindcijfer"]] = [70, pd.NA, pd.NA, 70]
    vk.loc[1, ["se_beoordeling"]] = "G"
    vk.loc[1, "certificaat"] = False
    export(res, empty_bevindingen(), tmp_path)
    tree = etree.parse(str(tmp_path / file_name("01OE", "01", "L100000", "0170", 2025)))
    root = tree.getroot()
    assert root.tag == f"{{{bron_xml.NAMESPACE}}}examenresultaat"
    t = lambda path, el=root: el.findtext(path, namespaces=NS)  # noqa: E731
    assert t("e:persoonsgebondenNummer/e:bsn") == "200000000"
    assert root.find("e:persoonsgebondenNummer/e:onderwijsnummer", NS) is None
    assert (t("e:brin"), t("e:vestiging"), t("e:opleidingscode"), t("e:examenjaar")) == ("01OE", "01", "0170", "2025")
    assert (t("e:datumUitslag"), t("e:uitslag"), t("e:onderwijsaanbieder")) == ("2025-06-11", "G", "123A456")
    assert (t("e:werkstuk/e:titel"), t("e:werkstuk/e:cijfer"), t("e:combinatiecijfer")) == ("Werkstuk 0", "075", "07")
    v1, v2 = root.findall("e:vak", NS)
    # SE 6,5 + CE1 5,4 = 5,95 -> 6; + CE2 7,5 -> 7,0 -> 7; + CE3 10,0 -> 8,25 -> 8
    assert [t(f, v1) for f in ("e:vakcode", "e:cijferSE", "e:cijferCE1", "e:cijferCE2", "e:cijferCE3",
                               "e:eindcijfer1", "e:eindcijfer2", "e:eindcijfer3", "e:cijferCijferlijst",
                               "e:diplomavak", "e:indicatieCombinatiecijfer")] == \
        ["0011", "065", "054", "075", "100", "06", "07", "08", "06", "J", "N"]
    assert t("e:eindcijfer1", v2) is None and t("e:cijferCijferlijst", v2) == "07"
    assert (t("e:beoordelingSE", v2), t("e:certificaat", v2)) == ("G", "N")
    odd = etree.parse(str(tmp_path / file_name("00AA", "00", "L100001", "0370", 2025))).getroot()
    assert odd.findtext("e:persoonsgebondenNummer/e:onderwijsnummer", namespaces=NS) == "100000001"
    assert odd.find("e:persoonsgebondenNummer/e:bsn", NS) is None


def test_eindcijfer_rounds_half_up_on_first_decimal(tmp_path):
    res = make_results(1, vakken=3)
    res.vakken.loc[:, "se_cijfer"] = [54, 55, 64]
    res.vakken.loc[:, "ce1"] = [55, 54, 65]   # 5,45 -> 5 ; 5,45 -> 5 ; 6,45 -> 6
    res.vakken.loc[:, "ce2"] = [56, 55, 66]   # 5,5 -> 6 ; 5,5 -> 6 ; 6,5 -> 7
    res.vakken.loc[:, "eindcijfer"] = [60, 60, 70]
    export(res, empty_bevindingen(), tmp_path)
    root = etree.parse(str(tmp_path / xml_files(tmp_path)[0])).getroot()
    got = [(v.findtext("e:eindcijfer1", namespaces=NS), v.findtext("e:eindcijfer2", namespaces=NS))
           for v in root.findall("e:vak", NS)]
    assert got == [("05", "06"), ("05", "06"), ("06", "07")]


def test_every_written_message_validates_from_disk(tmp_path):
    export(make_results(300), empty_bevindingen(), tmp_path)
    schema = etree.XMLSchema(etree.parse(str(bron_xml.SCHEMA_FILE)))
    files = xml_files(tmp_path)
    assert len(files) == 300
    for name in files:
        schema.assertValid(etree.parse(str(tmp_path / name)))


def test_xsd_carries_version_and_mapping_note():
    root = etree.parse(str(bron_xml.SCHEMA_FILE)).getroot()
    assert root.get("version") == bron_xml.SCHEMA_VERSION
    assert root.get("targetNamespace").endswith(bron_xml.SCHEMA_VERSION)
    assert "not public" in "".join(root.itertext())


@pytest.mark.parametrize("column, value, element", [
    ("se_cijfer", 105, "cijferSE"),        # grade above 10,0
    ("ce1", 5, "cijferCE1"),               # below 1,0
    ("eindcijfer", 65, "cijferCijferlijst"),  # cijferlijst is a whole grade
])
def test_malformed_message_refuses_only_that_candidate_and_names_it(tmp_path, column, value, element):
    """Issue 13: one value the XSD refuses blocks its candidate, never the whole run."""
    good = make_results(5)
    export(good, empty_bevindingen(), tmp_path)
    bad = make_results(5, variant=1)
    bad.vakken.loc[3, column] = value
    summary = export(bad, empty_bevindingen(), tmp_path)
    assert (summary.exported, summary.blocked, summary.exit_code) == (4, 1, 1)
    assert len(summary.refused) == 1 and element in summary.refused[0] and "L100000" in summary.refused[0]
    assert leerlingnummers(tmp_path) == {"L100001", "L100002", "L100003", "L100004"}
    manifest = json.loads((tmp_path / MANIFEST).read_text())
    entry = next(k for k in manifest["kandidaten"] if k["leerlingnummer"] == "L100000")
    assert entry["status"] == "geblokkeerd" and entry["codes"] == ["XSD"] and element in entry["melding"]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert len((tmp_path / LOG).read_text().splitlines()) == 2


def test_missing_persoonsgebonden_nummer_is_refused_and_bsn_masked_in_error(tmp_path):
    res = make_results(3)
    res.examens.loc[1, "onderwijsnummer"] = None
    res.examens.loc[0, "bsn"] = "20000000X"
    summary = export(res, empty_bevindingen(), tmp_path)
    text = "\n".join(summary.refused)
    assert len(summary.refused) == 2 and "persoonsgebondenNummer" in text
    assert "20000000X" not in text and "*****000X" in text
    assert "20000000X" not in (tmp_path / MANIFEST).read_text()
    assert leerlingnummers(tmp_path) == {"L100002"}


def test_control_characters_are_refused(tmp_path):
    res = make_results(2)
    res.examens.loc[0, "werkstuk_titel"] = "titel\x00"
    summary = export(res, empty_bevindingen(), tmp_path)
    assert "titel" in summary.refused[0] and leerlingnummers(tmp_path) == {"L100001"}


# --- gate -----------------------------------------------------------------------------------

def test_afkeur_blocks_attentie_does_not(tmp_path):
    res = make_results(6)
    bevindingen = pd.concat([bevindingen_for([1, 4]), bevindingen_for([2], ernst="attentie", code="945"),
                          bevindingen_for([4], code="153")], ignore_index=True)
    summary = export(res, bevindingen, tmp_path)
    assert (summary.candidates, summary.exported, summary.blocked, summary.exit_code) == (6, 4, 2, 1)
    assert leerlingnummers(tmp_path) == {"L100000", "L100002", "L100003", "L100005"}
    manifest = json.loads((tmp_path / MANIFEST).read_text())
    blocked = {k["leerlingnummer"]: k for k in manifest["kandidaten"] if k["status"] == "geblokkeerd"}
    assert blocked["L100004"]["codes"] == ["153", "206"] and blocked["L100004"]["bestand"] is None
    assert blocked["L100001"]["codes"] == ["206"]
    assert manifest["totalen"]["geblokkeerd"] == 2


def test_normalise_bevindingen_also_block_and_file_level_afkeur_blocks_all(tmp_path):
    res = make_results(3)
    res = Results(res.source, res.examens, res.vakken, bevindingen_for([0], code="EB001"), res.columns_present)
    summary = export(res, empty_bevindingen(), tmp_path / "a")
    assert summary.blocked == 1 and "L100000" not in leerlingnummers(tmp_path / "a")
    file_level = bevindingen_for([None], code="EB010")
    summary = export(make_results(3), file_level, tmp_path / "b")
    assert (summary.exported, summary.blocked) == (0, 3)
    assert xml_files(tmp_path / "b") == []


def test_everything_exported_gives_exit_code_0(tmp_path):
    summary = export(make_results(4), bevindingen_for([0, 1], ernst="attentie"), tmp_path)
    assert (summary.exported, summary.blocked, summary.exit_code, summary.written) == (4, 0, 0, 4)


def test_alles_of_niets_writes_nothing_and_keeps_previous_export(tmp_path):
    res = make_results(8)
    export(res, empty_bevindingen(), tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    changed = make_results(8, variant=2)
    summary = export(changed, bevindingen_for([5]), tmp_path, alles_of_niets=True)
    assert summary.nothing_written and summary.blocked == 1 and summary.exit_code == 1
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    fresh = tmp_path / "nieuw"
    export(changed, bevindingen_for([5]), fresh, alles_of_niets=True)
    assert not fresh.exists()
    summary = export(changed, bevindingen_for([5], ernst="attentie"), tmp_path, alles_of_niets=True)
    assert not summary.nothing_written and summary.exported == 8


def test_now_blocked_or_absent_candidates_are_removed(tmp_path):
    export(make_results(10), empty_bevindingen(), tmp_path)
    assert len(xml_files(tmp_path)) == 10
    fewer = make_results(7)  # L100007..9 no longer present
    summary = export(fewer, bevindingen_for([2]), tmp_path)
    assert summary.removed == 4
    assert leerlingnummers(tmp_path) == {f"L{100000 + i}" for i in range(7) if i != 2}
    listed = {k["bestand"] for k in json.loads((tmp_path / MANIFEST).read_text())["kandidaten"]} - {None}
    assert listed == set(xml_files(tmp_path))


def test_foreign_xml_directory_is_refused(tmp_path):
    (tmp_path / "iets.xml").write_text("<a/>")
    with pytest.raises(ExportError, match="niet van een examenbron-export"):
        export(make_results(2), empty_bevindingen(), tmp_path)
    assert (tmp_path / "iets.xml").read_text() == "<a/>"


def _frames_and_bevindingen():
    @st.composite
    def build(draw):
        n = draw(st.integers(0, 12))
        ernst = st.sampled_from(["afkeur", "attentie", "info"])
        rows = draw(st.lists(st.tuples(st.integers(0, max(n - 1, 0)), ernst), max_size=15)) if n else []
        previous = draw(st.lists(st.tuples(st.integers(0, max(n - 1, 0)), ernst), max_size=15)) if n else []
        return n, rows, previous
    return build()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=_frames_and_bevindingen())
def test_property_blocked_candidates_never_in_output(tmp_path_factory, case):
    n, rows, previous = case
    out = tmp_path_factory.mktemp("prop")
    res = make_results(n, vakken=2)

    def bevindingen(rs):
        if not rs:
            return empty_bevindingen()
        ids, ernst = zip(*rs)
        return make_bevindingen(exam_id=pd.Series(ids, dtype=object), ernst=list(ernst), code="206")

    export(res, bevindingen(previous), out)            # an earlier export with other bevindingen
    summary = export(res, bevindingen(rows), out)
    blocked = {i for i, e in rows if e == "afkeur"}
    present = leerlingnummers(out)
    assert present.isdisjoint({f"L{100000 + i}" for i in blocked})
    assert present == {f"L{100000 + i}" for i in range(n) if i not in blocked}
    assert (summary.blocked, summary.exported) == (len(blocked), n - len(blocked))
    manifest = json.loads((out / MANIFEST).read_text())
    assert {k["leerlingnummer"] for k in manifest["kandidaten"] if k["status"] == "geblokkeerd"} == \
        {f"L{100000 + i}" for i in blocked}


# --- files, manifest, log -------------------------------------------------------------------

def test_idempotent_byte_identical(tmp_path):
    res = make_results(50)
    bevindingen = bevindingen_for([3, 7])
    export(res, bevindingen, tmp_path / "a")
    first = snapshot(tmp_path / "a")
    summary = export(res, bevindingen, tmp_path / "a")
    assert summary.written == 0 and summary.unchanged == 48
    assert snapshot(tmp_path / "a") == first
    export(res, bevindingen, tmp_path / "b")          # a fresh directory gives the same bytes
    assert snapshot(tmp_path / "b") == first
    shuffled = Results(res.source, res.examens, res.vakken.sample(frac=1, random_state=3), res.bevindingen,
                       res.columns_present)
    export(shuffled, bevindingen, tmp_path / "c")     # vakken order in the input does not matter
    assert snapshot(tmp_path / "c") == first


def test_manifest_hashes_totals_and_masking(tmp_path):
    res = make_results(20)
    kandidaten = pd.DataFrame({"leerweg": ["HAVO" if i % 2 == 0 else "VWO" for i in range(19)],
                               "uitslag_berekend": "G"}, index=pd.Index(range(19), name="exam_id"))
    export(res, bevindingen_for([0]), tmp_path, kandidaten=kandidaten)
    raw = (tmp_path / MANIFEST).read_text()
    manifest = json.loads(raw)
    for k in manifest["kandidaten"]:
        if k["status"] == "geexporteerd":
            assert hashlib.sha256((tmp_path / k["bestand"]).read_bytes()).hexdigest() == k["sha256"]
    assert manifest["schema"]["versie"] == bron_xml.SCHEMA_VERSION
    totalen = manifest["totalen"]
    assert (totalen["kandidaten"], totalen["geexporteerd"], totalen["geblokkeerd"]) == (20, 19, 1)
    assert totalen["per_leerweg"]["HAVO"]["geblokkeerd"] == 1
    assert totalen["per_leerweg"]["onbekend"]["kandidaten"] == 1          # exam 19 has no kandidaten row
    assert sum(v["kandidaten"] for v in totalen["per_vestiging"].values()) == 20
    assert totalen["per_vestiging"]["01OE01"]["kandidaten"] == 2           # exams 0 and 15
    assert totalen["uitslag_geexporteerd"] == {"G": 14, "A": 5}
    log = (tmp_path / LOG).read_text()
    for i in range(20):
        for number in (f"2{i:08d}", f"10{i:07d}"):
            assert number not in raw and number not in log
    assert mask_bsn("200000012") == "*****0012"
    assert {k["persoonsgebonden_nummer"] for k in manifest["kandidaten"]} >= {"*****0012", "*****0013"}


def test_manifest_comes_after_every_message_is_synced_and_in_place(tmp_path, monkeypatch):
    """Messages are synced and renamed in a second thread while the manifest is built; the manifest
    (what a re-run after a crash trusts) must still be written after the one sync, after every
    message is renamed into place and after every stale file is removed."""
    from examenbron.engine.outputs import export as export_module
    export(make_results(30), empty_bevindingen(), tmp_path)          # 10 of these are stale below
    events, real_replace, real_unlink, real_sync = [], os.replace, os.unlink, export_module._sync_once

    def replace(src, dst):
        if str(dst).endswith(".xml"):
            time.sleep(0.005)    # a slow disk: the manifest is ready long before the messages are in place
        events.append(("replace", Path(dst).name))
        return real_replace(src, dst)

    def unlink(path, *args, **kwargs):
        events.append(("unlink", Path(path).name))
        return real_unlink(path, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(os, "unlink", unlink)
    monkeypatch.setattr(export_module, "_sync_once", lambda *a: (events.append(("sync", None)), real_sync(*a))[1])
    export(make_results(20, variant=1), empty_bevindingen(), tmp_path)
    messages = [k for k, (what, name) in enumerate(events) if what == "replace" and name.endswith(".xml")]
    stale = [k for k, (what, name) in enumerate(events) if what == "unlink" and name.endswith(".xml")]
    manifest = events.index(("replace", MANIFEST))
    assert (len(messages), len(stale)) == (20, 10)
    assert events.index(("sync", None)) < min(messages) and max(messages + stale) < manifest


def test_log_appends_one_line_per_run(tmp_path):
    res = make_results(5)
    for run in range(3):
        export(res, bevindingen_for([run]), tmp_path, input_sha256=f"{run}" * 64)
    lines = [json.loads(line) for line in (tmp_path / LOG).read_text().splitlines()]
    assert [entry["invoer_sha256"] for entry in lines] == ["0" * 64, "1" * 64, "2" * 64]
    assert all(e["regelset_versie"] == "2025.1" and e["geblokkeerd"] == 1 and e["tijdstip"].endswith("+00:00")
               for e in lines)
    export(res, bevindingen_for([0]), tmp_path, alles_of_niets=True)   # refused: nothing, not even a log line
    assert len((tmp_path / LOG).read_text().splitlines()) == 3


def test_file_names_are_sanitised_and_unique():
    assert file_name("00AA", "00", "123", "0150", 2025) == "00AA00_123_0150_2025.xml"
    a, b = file_name("00AA", "00", "a/b", "0150", 2025), file_name("00AA", "00", "a_b", "0150", 2025)
    assert a != b and a.startswith("00AA00_a_b_0150_2025-") and "/" not in a
    assert file_name("00AA0", "0", "1", "0150", 2025) != file_name("00AA", "00", "1", "0150", 2025)
    assert file_name(None, None, None, None, None).endswith(".xml")
    assert not file_name("..", "..", "..", "..", None).startswith(".")


def test_duplicate_exam_key_is_refused(tmp_path):
    res = make_results(3)
    res.examens.loc[2, ["brin", "vestiging", "leerlingnummer", "opleidingscode"]] = \
        res.examens.loc[1, ["brin", "vestiging", "leerlingnummer", "opleidingscode"]].tolist()
    with pytest.raises(ExportError, match="dezelfde examensleutel"):
        export(res, empty_bevindingen(), tmp_path)


# --- interruption ---------------------------------------------------------------------------

N_KILL = 1500
CHILD = """
import os, sys, threading, time
sys.path[:0] = [{root!r}, {tests!r}]
from test_export import export, make_results, bevindingen_for
phase, calls, counting = {phase!r}, [], threading.Lock()
real_replace, real_unlink, real_write = os.replace, os.unlink, os.write

def pause_at(event):
    with counting:  # writer threads call os.write at the same time: exactly one of them sees the count
        calls.append(event)
        now = calls.count(phase) == (1 if phase in ("manifest", "log") else 300)
    if now:
        print("kill me", flush=True)
        time.sleep(30)

def replace(src, dst):
    name = os.path.basename(dst)
    pause_at({{"manifest.json": "manifest", "export-log.jsonl": "log"}}.get(name, "replace"))
    return real_replace(src, dst)

def unlink(path, *a, **kw):
    if str(path).endswith(".xml"):
        pause_at("unlink")
    return real_unlink(path, *a, **kw)

def write(fd, data):
    pause_at("staging")
    return real_write(fd, data)

os.replace, os.unlink, os.write = replace, unlink, write
res = make_results({n}, variant=3)
bevindingen = bevindingen_for(range(0, {n}, 7))
print("ready", flush=True)
export(res, bevindingen, {out!r})
print("done", flush=True)
"""


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The complete new export the child is writing."""
    out = tmp_path_factory.mktemp("reference")
    export(make_results(N_KILL, variant=3), bevindingen_for(range(0, N_KILL, 7)), out)
    return out


@pytest.mark.parametrize("phase", ["staging", "replace", "unlink", "manifest", "log"])
def test_sigkill_leaves_old_or_new_complete_export(tmp_path, reference, phase):
    """SIGKILL a child export at each phase: while temp files are written (at the 300th, before the
    one sync and before any rename), after 300 files were replaced, after 300 stale files were removed,
    just before the manifest and the log are replaced. Every visible file must then be an old or
    a new complete version, and a re-run must give exactly the new export."""
    new_files = {name: (reference / name).read_bytes() for name in xml_files(reference)}
    new_manifest = (reference / MANIFEST).read_bytes()
    out = tmp_path / "out"
    # previous export: 600 more candidates (absent now) and other blocked ones
    export(make_results(N_KILL + 600), bevindingen_for(range(0, N_KILL, 11)), out)
    old_files = {name: (out / name).read_bytes() for name in xml_files(out)}
    old_manifest = (out / MANIFEST).read_bytes()
    root = Path(__file__).resolve().parents[1]
    code = CHILD.format(root=str(root), tests=str(root / "tests"), n=N_KILL, out=str(out), phase=phase)
    with subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True) as child:
        try:
            assert child.stdout.readline().strip() == "ready"
            assert child.stdout.readline().strip() == "kill me"
        finally:
            child.send_signal(signal.SIGKILL)
    assert child.returncode == -signal.SIGKILL

    schema = etree.XMLSchema(etree.parse(str(bron_xml.SCHEMA_FILE)))
    manifest = (out / MANIFEST).read_bytes()
    assert manifest == (new_manifest if phase == "log" else old_manifest)
    changed = 0
    for name in xml_files(out):
        data = (out / name).read_bytes()
        assert data in (old_files.get(name), new_files.get(name)), name
        schema.assertValid(etree.fromstring(data))
        changed += data != old_files.get(name)
    if phase == "staging":
        assert changed == 0 and [e for e in out.iterdir() if e.name.endswith(".tmp")]
    if phase in ("unlink", "manifest", "log"):
        assert changed == sum(new_files[n] != old_files.get(n) for n in new_files)
    if phase in ("manifest", "log"):
        assert set(xml_files(out)) == set(new_files)       # stale files gone before the manifest
    for entry in out.iterdir():                             # besides these, only our temp files
        assert entry.name in (MANIFEST, LOG, ".examenbron-export") or entry.suffix == ".xml" \
            or (entry.name.startswith(".") and entry.name.endswith(".tmp"))
    assert len((out / LOG).read_text().splitlines()) == 1

    export(make_results(N_KILL, variant=3), bevindingen_for(range(0, N_KILL, 7)), out)   # re-run completes
    assert snapshot(out) == snapshot(reference)
    assert not [e for e in out.iterdir() if e.name.endswith(".tmp")]
    assert len((out / LOG).read_text().splitlines()) == 2


# --- message text ---------------------------------------------------------------------------

AWKWARD = ["gewoon", "R&D <oud> \"x\" 'y'", "regel\r\neen\ttab", "Œuvre – één 😀", "&amp;", "]]>"]


@pytest.mark.parametrize("titel", AWKWARD)
def test_message_text_is_what_lxml_would_write(titel):
    """Messages are built as text (issue 15); parsing one and letting lxml pretty-print it again must
    give the same bytes and the same text, for every escaping case, absent elements and no vakken."""
    exam = ("123456782", None, "L1", "12AB", "00", "100A490", "0372", 2025, "2025-06-11", "G",
            titel, None, "V", 70)
    vakken = [("1001", True, False, "G", None, 65, 60, None, None, 6, None, None, 60, None),
              ("0039", None, True, None, "G", None, None, None, None, None, None, None, None, False)]
    for rows in (vakken, []):
        data = bron_xml.build_message(exam, rows)
        again = etree.tostring(etree.fromstring(data), xml_declaration=True, encoding="UTF-8", pretty_print=True)
        assert data == again
        assert etree.fromstring(data).findtext(f"{{{bron_xml.NAMESPACE}}}werkstuk/{{{bron_xml.NAMESPACE}}}titel") \
            == titel
    # the export builds many messages at once, column by column: the same bytes, exam by exam
    exams = [exam, exam[:10] + (None, None, None, None), (None, "1234567", *exam[2:]),
             (exam[0], "1234567", *exam[2:]), (exam[0], "12\x01", *exam[2:]), exam[:9] + ("G\x01",) + exam[10:]]
    columns = {f: np.array(values, dtype=object) for f, values in zip(bron_xml.EXAM_FIELDS, zip(*exams))}
    vak_columns = {f: pd.array(values) if f in ("diplomavak", "combinatiecijfer_vak", "certificaat")
                   else np.array(values, dtype=object) for f, values in zip(bron_xml.VAK_FIELDS, zip(*vakken))}
    starts, ends = np.array([0, 2, 2, 1, 0, 0]), np.array([2, 2, 2, 2, 1, 1])
    built = bron_xml.build_messages(columns, vak_columns, starts, ends)
    for data, exam, start, end in zip(built[:5], exams, starts, ends):   # the 5th: its BSN is sent, not the onderwijsnummer
        assert data == bron_xml.build_message(exam, vakken[start:end]) and data is not None
    assert built[5] is None     # a control character: build_message says which element
    with pytest.raises(bron_xml.InvalidMessage, match="uitslag"):
        bron_xml.build_message(exams[5], vakken[:1])


def test_empty_text_is_an_empty_element_as_lxml_writes_it():
    exam = ("123456782", None, "L1", "12AB", "00", "100A490", "0372", 2025, "2025-06-11", "G", "", None, None, 70)
    assert b"<titel></titel>" in bron_xml.build_message(exam, [])


def test_batch_validation_names_each_refused_message():
    exam = ("123456782", None, "L1", "12AB", "00", "100A490", "0372", 2025, "2025-06-11", "G", None, None, None, 70)
    good = bron_xml.build_message(exam, [])
    bad = bron_xml.build_message(exam[:9] + ("X",) + exam[10:], [])
    refused = bron_xml.invalid_messages([good, bad, good, bad])
    assert sorted(refused) == [1, 3] and "uitslag" in refused[1]
    assert bron_xml.invalid_messages([good] * 300) == {}


@pytest.mark.parametrize("field, value", [("werkstuk_titel", " "), ("werkstuk_titel", "\n  "),
                                          ("leerlingnummer", " "), ("leerlingnummer", "\n    "), ("leerlingnummer", "L 1")])
def test_batch_verdict_on_whitespace_text_is_the_messages_own(field, value):
    """Messages are validated in batches; an element's own whitespace text (a titel of one space is
    valid, a leerlingnummer of spaces is not) must be judged as in the message on its own."""
    exam = dict(zip(bron_xml.EXAM_FIELDS, ("123456782", None, "L1", "12AB", "00", "100A490", "0372", 2025,
                                           "2025-06-11", "G", "Titel", 65, None, 70)), **{field: value})
    data = bron_xml.build_message(tuple(exam.values()), [])
    alone = bron_xml.schema().validate(etree.fromstring(data))
    assert (bron_xml.invalid_messages([data, data]) == {}) == alone
    assert alone == (field == "werkstuk_titel")


# Values per field, valid and not: the export knows most messages valid without validating them
# whole (bron_xml.checked_messages); that verdict must be the XSD's own for every combination.
EXAM_VALUES = {
    "bsn": ["123456782", "12", "12345678X", None], "onderwijsnummer": ["101234567", "1234567", None],
    "leerlingnummer": ["L1", " ", "L 1", "x" * 11, None], "brin": ["12AB", "12ab", None],
    "vestiging": ["00", "0", None], "onderwijsaanbieder": ["100A490", "100B490", None],
    "opleidingscode": ["0372", "372", None], "examenjaar": [2025, 20251, 999, None],
    "datum_uitslag": ["2025-06-11", "2025-02-30", None], "uitslag": ["G", "X", None],
    "werkstuk_titel": ["Titel", "", " ", "x" * 151, None], "werkstuk_cijfer": [75, 105, 5, None],
    "werkstuk_beoordeling": ["V", "X", None], "combinatiecijfer": [70, 65, 110, None],
}
VAK_VALUES = {
    "vakcode": ["1001", "10", None], "diplomavak": [True, False, None], "combinatiecijfer_vak": [True, None],
    "examendeel": ["A", "AB", None], "se_beoordeling": ["G", "Q", None], "se_cijfer": [65, 105, None],
    "ce1": [60, 5, None], "ce2": [100, None], "ce3": [10, 101, None], "eindcijfer1": [6, 11, 0, None],
    "eindcijfer2": [10, None], "eindcijfer3": [1, None], "eindcijfer": [60, 65, None], "certificaat": [False, None],
}


def _mostly_valid(values):
    """The first (valid) value most of the time, so that messages are often valid as a whole."""
    return st.one_of(st.just(values[0]), st.just(values[0]), st.sampled_from(values))


@settings(max_examples=60, deadline=None)
@given(exams=st.lists(st.fixed_dictionaries({f: _mostly_valid(v) for f, v in EXAM_VALUES.items()}), min_size=1,
                      max_size=12),
       vakken=st.lists(st.lists(st.fixed_dictionaries({f: _mostly_valid(v) for f, v in VAK_VALUES.items()}),
                                max_size=3), min_size=12, max_size=12))
def test_messages_known_valid_are_exactly_those_the_xsd_accepts(exams, vakken):
    """A message refused by the XSD must never be written, even though most messages are no longer
    validated whole: checked_messages' verdict is the XSD's verdict on the whole message."""
    rows = [vak for j in range(len(exams)) for vak in vakken[j]]
    ends = np.cumsum([len(vakken[j]) for j in range(len(exams))])
    starts = ends - [len(vakken[j]) for j in range(len(exams))]
    columns = {f: np.array([e[f] for e in exams] + [None], dtype=object)[:-1] for f in bron_xml.EXAM_FIELDS}
    vak_columns = {f: np.array([r[f] for r in rows] + [None], dtype=object)[:-1] for f in bron_xml.VAK_FIELDS}
    messages, known = bron_xml.checked_messages(columns, vak_columns, starts, ends)
    schema = etree.XMLSchema(etree.parse(str(bron_xml.SCHEMA_FILE)))
    for data, valid in zip(messages, known):
        if data is not None:
            assert valid == schema.validate(etree.fromstring(data)), data.decode()


def test_file_names_of_many_keys_are_file_name_of_each():
    from examenbron.engine.outputs.export import _file_names
    keys = [("00AA", "00", "123", "0150", 2025), ("00AA", "00", "a_b", "0150", 2025), ("00AA0", "0", "1", "0150", 2025),
            ("00AA", "00", "x" * 32, "0150", 2025), ("00AA", "00", "x" * 33, "0150", 2025), ("00AA", "00", "", "0150", 2025),
            (None, "00", "1", "0150", 2025), ("00AA", "00", "1", "0150", None), ("00AA", "00", "1", "0150", "2025"),
            ("00AA", "00", "1-2", "01 50", 2025), ("00Ä1", "00", "1", "0150", 2025), ("00AA", "00", "1", "0150", 20251)]
    assert _file_names(keys) == [file_name(*key) for key in keys]
