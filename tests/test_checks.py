"""Bevinding details a user relies on, beyond the per-controle cases in rules/<jaar>/tests/controles.yaml."""

from examenbron.engine.rulesets.ruletests import run_case

HAVO = [
    {"vakcode": "1001", "se_cijfer": 6.5, "ce1": 6.1}, {"vakcode": "1002", "se_cijfer": 7.0, "ce1": 6.0},
    {"vakcode": "1019", "se_cijfer": 7}, {"vakcode": "1020", "se_cijfer": 7},
    {"vakcode": "0353", "se_beoordeling": "V"}, {"vakcode": "1024", "se_cijfer": 6.0, "ce1": 5.5},
    {"vakcode": "1022", "se_cijfer": 6.0, "ce1": 6.0}, {"vakcode": "1021", "se_cijfer": 6.0, "ce1": 6.0},
    {"vakcode": "1005", "se_cijfer": 6.0, "ce1": 6.0}, {"vakcode": "0131", "se_cijfer": 6.0, "ce1": 6.0},
]


def outcome_of(year, kandidaat, vakken):
    case = {"naam": "havo", "opleidingscode": "0372", "kandidaat": {"uitslag": "G", "werkstuk_cijfer": 7, **kandidaat},
            "vakken": vakken, "verwacht": {}}
    return run_case(case, *year, 1).outcome


def test_could_have_passed_names_the_vak_to_leave_out(year):
    outcome = outcome_of(year, {"uitslag": "A"}, HAVO + [{"vakcode": "1028", "se_cijfer": 3.0, "ce1": 3.0}])
    k = outcome.kandidaten.iloc[0]
    assert k["uitslag_berekend"] == "geslaagd"
    assert k["weglaten_vak"] == "1028 Scheikunde"
    assert k["weglaten_regel"] == "WEG-EXTRA-VAK"
    codes = set(outcome.bevindingen["code"])
    assert "EB603" in codes and "EB602" not in codes


def test_bsn_is_masked_in_messages_and_values(year):
    outcome = outcome_of(year, {"bsn": "123456789"}, HAVO)
    bevinding = outcome.bevindingen[outcome.bevindingen["code"] == "EB102"].iloc[0]
    assert "123456789" not in bevinding["melding"] + bevinding["waarde"]
    assert "*****6789" in bevinding["melding"]


def test_bevinding_names_row_column_and_values(year):
    vakken = [({**v, "eindcijfer": 9} if v["vakcode"] == "1022" else v) for v in HAVO]
    outcome = outcome_of(year, {}, vakken)
    bevinding = outcome.bevindingen[outcome.bevindingen["code"] == "EB301"].iloc[0]
    assert bevinding["bron_rij"] == 8 and bevinding["vakcode"] == "1022"
    assert bevinding["kolom"] == "eindcijfer, se_cijfer, ce1, ce2, ce3"
    assert bevinding["waarde"] == "eindcijfer=9; eindcijfer_berekend=6; se_cijfer=6; ce1=6; ce2=leeg; ce3=leeg"
    assert bevinding["melding"] == "Eindcijfer 9 van vak 1022 moet 6 zijn (SE 6, hoogste CE 6)"
