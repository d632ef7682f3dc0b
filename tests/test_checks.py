"""Each BRON data-quality check of 2024-2025: a candidate that passes it and one that trips it."""

import datetime

import pytest

from engine import codetables, rules
from engine.ruletests import run_case

HAVO = [
    {"vakcode": "1001", "se_cijfer": 6.5, "ce1": 6.1}, {"vakcode": "1002", "se_cijfer": 7.0, "ce1": 6.0},
    {"vakcode": "1019", "se_cijfer": 7}, {"vakcode": "1020", "se_cijfer": 7},
    {"vakcode": "0353", "se_beoordeling": "V"}, {"vakcode": "1024", "se_cijfer": 6.0, "ce1": 5.5},
    {"vakcode": "1022", "se_cijfer": 6.0, "ce1": 6.0}, {"vakcode": "1021", "se_cijfer": 6.0, "ce1": 6.0},
    {"vakcode": "1005", "se_cijfer": 6.0, "ce1": 6.0}, {"vakcode": "0131", "se_cijfer": 6.0, "ce1": 6.0},
]
BASE = {"naam": "havo", "opleidingscode": "0372", "kandidaat": {"uitslag": "G", "werkstuk_cijfer": 7},
        "vakken": HAVO, "verwacht": {}}


@pytest.fixture(scope="module")
def year():
    return rules.load("2024-2025"), codetables.load("2024-2025")


def codes(year, case):
    ruleset, tables = year
    outcome = run_case(case, ruleset, tables, 1).outcome
    return set(outcome.findings["code"]), outcome


def variant(kandidaat=None, vakken=None, **extra):
    case = {**BASE, **extra, "kandidaat": {**BASE["kandidaat"], **(kandidaat or {})}}
    case["vakken"] = vakken if vakken is not None else HAVO
    return case


def with_vak(code, **changes):
    return [({**v, **changes} if v["vakcode"] == code else v) for v in HAVO]


def test_the_base_candidate_is_clean_and_geslaagd(year):
    found, outcome = codes(year, BASE)
    assert found == set()
    assert outcome.kandidaten.iloc[0]["uitslag_berekend"] == "geslaagd"


CASES = {
    "EB101": variant({"bsn": None}),
    "EB102": variant({"bsn": "123456789"}),
    "EB103": variant({"bsn": None, "onderwijsnummer": "101222332"}),
    "EB104": variant({"brin": "1234"}),
    "EB106": variant({"onderwijsaanbieder": "12345"}),
    "EB107": variant({"onderwijsaanbieder": None}),
    "EB201": variant(opleidingscode="9999"),
    "EB202": variant(opleidingscode="0015"),
    "EB203": variant(vakken=with_vak("0131", vakcode="9998")),
    "EB204": variant(vakken=with_vak("0131", vakcode="0173")),
    "206": variant(vakken=with_vak("1022", eindcijfer=None)),
    "EB301": variant(vakken=with_vak("1022", eindcijfer=9)),
    "EB302": variant(vakken=HAVO + [HAVO[-1]]),
    "EB303": variant(vakken=with_vak("1019", se_cijfer=7.5)),
    "EB304": variant(vakken=with_vak("0353", se_beoordeling=None)),
    "EB305": variant(vakken=with_vak("1019", ce1=6.0)),
    "945": variant({"combinatiecijfer": 7, "werkstuk_cijfer": None},
                   vakken=[{**v, "combinatiecijfer_vak": "N"} for v in HAVO]),
    "946": variant({"combinatiecijfer": 9}),
    "EB401": variant({"datum_uitslag": None}),
    "EB402": variant({"uitslag": None, "datum_uitslag": datetime.date(2025, 6, 15)}),
    "EB403": variant({"datum_uitslag": datetime.date(2024, 6, 15)}),
    "EB404": variant(vakken=with_vak("1022", certificaat="J")),
    "EB405": variant({"examenjaar": 2024, "datum_uitslag": datetime.date(2024, 6, 15)}),
    "EB501": variant(peildatum=datetime.date(2025, 7, 20)),
    "EB502": variant(vakken=with_vak("1022", se_cijfer=None)),
    "EB601": variant(vakken=with_vak("1024", ce1=1.0)),
    "EB602": variant({"uitslag": "A"}),
    "EB603": variant({"uitslag": "A"}, vakken=HAVO + [{"vakcode": "1028", "se_cijfer": 3.0, "ce1": 3.0}]),
    "EB604": variant({"werkstuk_cijfer": None}),
}


@pytest.mark.parametrize("code", sorted(CASES))
def test_check_trips_on_its_violation(year, code):
    found, outcome = codes(year, CASES[code])
    assert code in found, outcome.findings[["code", "melding"]].to_string()


def test_examendeel_only_for_havo_vwo(year):
    found, _ = codes(year, variant(vakken=with_vak("1022", examendeel="P")))
    assert "947" not in found
    tl = {"naam": "tl", "opleidingscode": "0400", "kandidaat": {"uitslag": "G", "werkstuk_beoordeling": "V"},
          "vakken": [{"vakcode": "0011", "se_cijfer": 6.5, "ce1": 6.5, "examendeel": "P"}], "verwacht": {}}
    found, _ = codes(year, tl)
    assert "947" in found


def test_could_have_passed_names_the_vak_to_leave_out(year):
    _, outcome = codes(year, CASES["EB603"])
    k = outcome.kandidaten.iloc[0]
    assert k["uitslag_berekend"] == "geslaagd"
    assert k["weglaten_vak"].startswith("1028")
    assert "EB602" not in set(outcome.findings["code"])


def test_bsn_is_masked_in_messages(year):
    _, outcome = codes(year, CASES["EB102"])
    text = " ".join(outcome.findings["melding"]) + " ".join(outcome.findings["waarde"])
    assert "123456789" not in text and "789" in text
