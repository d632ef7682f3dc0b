"""The schema of rule files: which sections and keys exist, their types and allowed values.

Written as data so that docs/rule-files.md can be checked against it and every message can list
the keys and values that are allowed.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from fractions import Fraction

from examenbron.engine.errors import suggestion
from examenbron.engine.vocabulary import ERNST, LEERWEGEN, UITSLAGEN


@dataclass(frozen=True)
class Field:
    """One key of a YAML mapping."""

    kind: type | tuple
    required: bool = False
    choices: tuple | None = None
    pattern: str | None = None
    item_kind: type | tuple | None = None
    example: str = ""


TEXT, DATE, NUMBER = str, datetime.date, (int, Fraction)
ID_PATTERN = r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$"
NAME_PATTERN = r"^[a-z][a-z0-9_]*$"

YEAR_PATTERN = r"^\d{4}-\d{4}$"
REGELSET = {
    "basis": Field(TEXT, pattern=YEAR_PATTERN, example="2024-2025"),
    "schooljaar": Field(TEXT, pattern=YEAR_PATTERN, example="2024-2025"),
    "examenjaar": Field(int, example="2025"),
    "status": Field(TEXT, choices=("definitief", "voorlopig")),
    "geldig_van": Field(DATE, example="2024-08-01"),
    "geldig_tot": Field(DATE, example="2025-07-31"),
    "wettelijke_basis": Field(list, item_kind=TEXT),
    "toelichting": Field(TEXT),
    "rapporteer": Field(list, item_kind=TEXT, example="[cum_laude]"),
}
# Where a rule comes from: `bron` is the internal source tag (research notes, never shown as the
# grondslag), `referentie` the public URLs a user can follow (shown in explain and the report).
SOURCES = {
    "bron": Field(TEXT, example="slaag-zak.md S15"),
    "referentie": Field(list, item_kind=TEXT, example="[https://wetten.overheid.nl/BWBR0043534/2020-07-02]"),
}
# A grondslag reaches users: internal tags such as [S15], bron.md §5.3 or a file path belong in `bron`.
READ_BY_USERS = ("omschrijving", "toelichting")   # texts shown by explain, rules show and the reports
INTERNAL_TAG = re.compile(r"\[[^\]]*\]|\b[\w-]+\.md\b|\bcodetables/|\brules/")
URL_PATTERN = r"^https://[^\s]+$"
PARAMETER = {
    "waarde": Field((int, Fraction, str, bool, list, datetime.date), True),
    "omschrijving": Field(TEXT, True),
    "eenheid": Field(TEXT, choices=("cijfer", "aantal", "dagen", "datum", "tekst", "codes", "ja/nee")),
    "grondslag": Field(TEXT),
    **SOURCES,
}
AFLEIDING = {
    "naam": Field(TEXT, True, pattern=NAME_PATTERN, example="gemiddelde_ce"),
    "niveau": Field(TEXT, True, choices=("vak", "kandidaat")),
    "omschrijving": Field(TEXT, True),
    "formule": Field((str, int, Fraction, bool), True, example="round((se_cijfer + ce1) / 2)"),
    "leerwegen": Field(list, item_kind=TEXT),
    "grondslag": Field(TEXT),
    **SOURCES,
}
_RULE_COMMON = {
    "id": Field(TEXT, True, pattern=ID_PATTERN, example="BRON-206"),
    "omschrijving": Field(TEXT, True),
    "leerwegen": Field(list, item_kind=TEXT),
    "opleidingen": Field(list, item_kind=TEXT),
    "wanneer": Field((str, bool), example="ce1 is not null"),
    "voorwaarde": Field((str, bool), True, example="eindcijfer is not null"),
    "melding": Field(TEXT, True),
    "grondslag": Field(TEXT, True),
    **SOURCES,
    "toelichting": Field(TEXT),
    "waarden": Field(list, item_kind=TEXT),
}
CONTROLE = {
    **_RULE_COMMON,
    "niveau": Field(TEXT, True, choices=("vak", "kandidaat")),
    "code": Field((str, int), True, pattern=r"^(\d{3}|EB\d{3})$", example="206 of EB301"),
    "ernst": Field(TEXT, True, choices=ERNST),
    "fase": Field(TEXT, choices=("invoer", "uitslag")),
    "geldig_van": Field(DATE),
    "geldig_tot": Field(DATE),
}
VOORWAARDE = {**_RULE_COMMON}
WEGLATEN = {
    "id": Field(TEXT, True, pattern=ID_PATTERN),
    "omschrijving": Field(TEXT, True),
    "leerwegen": Field(list, item_kind=TEXT),
    "vak_mag_vervallen": Field(TEXT, True, example="diplomavak and kernvak is null"),
    "grondslag": Field(TEXT, True),
    **SOURCES,
    "meerdere": Field(bool),
}
SAMENSTELLING = {
    "meedoen": Field(TEXT, example="diplomavak"),
    "voorkeur": Field(TEXT, example="eindcijfer"),
    "gemeld_examendeel": Field(TEXT, example="examendeel"),
}
ONDERDEEL = {
    "id": Field(TEXT, True, pattern=ID_PATTERN, example="HV-NT-PROFIELKEUZEVAK"),
    "naam": Field(TEXT, True, example="profielkeuzevak"),
    "leerwegen": Field(list, True, item_kind=TEXT),
    "profielen": Field(list, item_kind=TEXT),
    "opleidingen": Field(list, item_kind=TEXT),
    "examendeel": Field(TEXT, choices=("G", "P", "V")),
    "vakken": Field(list, item_kind=TEXT),
    "waar": Field(TEXT, example='beroepsgericht == "keuzevak"'),
    "behalve": Field(list, item_kind=TEXT),
    "aantal": Field(int),
    "meer_tellen_mee": Field(bool),
    "kernvak": Field(bool),
    "apart": Field(bool),
    "geverifieerd": Field(bool),
    "toelichting": Field(TEXT),
}
TESTGEVAL = {
    "naam": Field(TEXT, True),
    "zoals": Field(TEXT, example="havo-1 (a name under kandidaten)"),
    "opleidingscode": Field(TEXT, pattern=r"^\d{4}$"),
    "kandidaat": Field(dict),
    "vakken": Field(list, item_kind=dict),
    "vakken_wijzig": Field(dict, example='{"1022": {se_cijfer: 5.3}}'),
    "vakken_weg": Field(list, item_kind=TEXT),
    "vakken_erbij": Field(list, item_kind=dict),
    "verwacht": Field(dict, True),
    "peildatum": Field((DATE, str), example="2025-06-20 or \"{se_deadline + 1}\""),
    "codetabel_officieel": Field(bool),
}
# A shared candidate of the test files (`kandidaten:`), which a case starts from with `zoals:`.
KANDIDAAT = {
    "opleidingscode": Field(TEXT, True, pattern=r"^\d{4}$"),
    "kandidaat": Field(dict),
    "vakken": Field(list, True, item_kind=dict),
}
VERWACHT = {
    "uitslag": Field(TEXT, choices=UITSLAGEN),
    "niet_gehaald": Field(list, item_kind=TEXT),
    "signalen": Field(list, item_kind=(str, int)),
    "geen_signalen": Field(list, item_kind=(str, int)),
    "waarden": Field(dict),
    "weglaten_vak": Field(TEXT),
}

AANVULLEN = {"vakken": Field(list, True, item_kind=dict)}
# Keys the resolved regelset must have (from the year itself or its basis).
REGELSET_REQUIRED = ("status", "wettelijke_basis")
TEST_SECTIONS = {"testgevallen", "testgevallen_aanvullen", "kandidaten"}

SECTIONS = {
    "regelset": ("mapping", REGELSET),
    "vervallen": ("names", None),
    "testgevallen_aanvullen": ("mapping", AANVULLEN),
    "parameters": ("parameters", PARAMETER),
    "afleidingen": ("list", AFLEIDING),
    "controles": ("list", CONTROLE),
    "voorwaarden": ("list", VOORWAARDE),
    "weglaten": ("list", WEGLATEN),
    "samenstelling": ("mapping", SAMENSTELLING),
    "onderdelen": ("list", ONDERDEEL),
    "testgevallen": ("list", TESTGEVAL),
    "kandidaten": ("kandidaten", KANDIDAAT),
    "rollen": ("rollen", None),
}
# The Dutch name of each YAML value type, as a policy officer reads it in a message.
_KIND_NAMES = {str: "tekst", datetime.date: "een datum (JJJJ-MM-DD)", int: "een geheel getal",
               Fraction: "een getal", bool: "true of false", list: "een lijst",
               dict: "een reeks sleutels met waarden (sleutel: waarde)"}


def _internal_tag(label: str, key: str, value: str, where):
    """The error for a research tag ([S15], slaag-zak.md, a file path) in a text users read."""
    tag = INTERNAL_TAG.search(value).group(0)
    offset = 0 if where.style in ("|", ">") else value.find(tag)   # a block's lines are folded: its first line
    return where.error(f"{label}: de {key} bevat de interne bronverwijzing {tag!r}; die tekst leest de "
                       f"gebruiker. Zet de verwijzing in 'bron:' (of in een commentaarregel met #)", offset)


def check_file(data, *, in_tests: bool, is_regelset: bool) -> list:
    """Check a loaded rule file against the schema; return every error found."""
    errors = []
    if not isinstance(data, dict):
        return [data.where.error("een regelbestand bestaat uit sleutels met waarden: 'omschrijving' en secties")]
    allowed = {"omschrijving", "vervallen"} | (TEST_SECTIONS if in_tests else set(SECTIONS) - TEST_SECTIONS)
    if not is_regelset:
        allowed -= {"regelset", "rollen"}
    for key in data:
        if key not in allowed:
            errors.append(data.key_where[key].error(_unknown(key, allowed, "sectie")))
    if "omschrijving" not in data:
        errors.append(data.where.error("de sleutel 'omschrijving' ontbreekt (een beschrijving van dit bestand "
                                       "in één regel)"))
    elif isinstance(data["omschrijving"], str) and INTERNAL_TAG.search(data["omschrijving"]):
        errors.append(_internal_tag("het bestand", "omschrijving", data["omschrijving"],
                                    data.value_where["omschrijving"]))
    if is_regelset and "regelset" not in data:
        errors.append(data.where.error("regelset.yaml heeft een sectie 'regelset' nodig"))
    for section, value in data.items():
        if section not in SECTIONS or section not in allowed:
            continue
        shape, fields = SECTIONS[section]
        where = data.value_where[section]
        if shape == "list":
            if not isinstance(value, list):
                errors.append(where.error(f"'{section}' moet een lijst zijn (elk onderdeel begint met '- ')"))
                continue
            for item, item_where in zip(value, value.item_where):
                errors.extend(_check_mapping(item, item_where, fields, section))
                if section == "testgevallen" and not _errors_for(item):
                    errors.extend(_check_testcase(item))
                if section == "onderdelen" and not _errors_for(item):
                    errors.extend(_check_onderdeel(item, item_where))
        elif shape == "mapping":
            errors.extend(_check_mapping(value, where, fields, section))
        elif shape == "names":
            if not isinstance(value, list) or any(not isinstance(v, (str, int)) or isinstance(v, bool) for v in value):
                errors.append(where.error(f"'{section}' moet een lijst van regel-id's of namen zijn, "
                                          "bijvoorbeeld [BRON-206]"))
        elif shape == "rollen":
            errors.extend(_check_roles(value, where))
        elif shape == "kandidaten":
            if not isinstance(value, dict):
                errors.append(where.error("'kandidaten' koppelt een naam aan een kandidaat (opleidingscode, vakken)"))
                continue
            for name, spec in value.items():
                errors.extend(_check_mapping(spec, value.value_where[name], fields, f"kandidaat {name}"))
        else:
            if not isinstance(value, dict):
                errors.append(where.error("'parameters' moet bij elke parameternaam een waarde en een omschrijving geven"))
                continue
            for name, spec in value.items():
                if not re.match(NAME_PATTERN, name):
                    errors.append(value.key_where[name].error(
                        f"de parameternaam {name!r} mag alleen kleine letters, cijfers en '_' bevatten"))
                errors.extend(_check_mapping(spec, value.value_where[name], fields, f"parameter {name}"))
    return errors


def _check_roles(value, where) -> list:
    """`rollen` maps each role name to the name of a afleiding (checked against both in load)."""
    if not isinstance(value, dict):
        return [where.error("'rollen' moet elke rol aan de naam van een afleiding koppelen, "
                            "bijvoorbeeld rollen: {eindcijfer: <naam van de afleiding>}")]
    return [value.value_where[role].error(f"rol {role!r}: de naam van een afleiding verwacht, niet {name!r}")
            for role, name in value.items() if not isinstance(name, str) or not re.match(NAME_PATTERN, name)]


def entry_errors(section: str, value, where) -> list:
    """The schema errors of one inheritable entry (a list item, or one key of a mapping section)."""
    shape, fields = SECTIONS[section]
    if shape == "list":
        errors = _check_mapping(value, where, fields, section)
        if section == "testgevallen" and not errors:
            errors = _check_testcase(value)
        if section == "onderdelen" and not errors:
            errors = _check_onderdeel(value, where)
        return errors
    if shape == "parameters":
        return _check_mapping(value, where, fields, "parameter")
    if shape == "kandidaten":
        return _check_mapping(value, where, fields, "kandidaat")
    return []


def _errors_for(item) -> bool:
    return not isinstance(item, dict)


def _check_mapping(item, where, fields, context) -> list:
    if not isinstance(item, dict):
        return [where.error(f"elk onderdeel van {context} bestaat uit sleutels met waarden ({', '.join(fields)})")]
    errors = []
    label = f"{context} {item.get('id') or item.get('naam') or ''}".strip()
    for key, value in item.items():
        field = fields.get(key)
        if field is None:
            errors.append(item.key_where[key].error(_unknown(key, fields, "sleutel", f" in {label}")))
            continue
        errors.extend(_check_value(key, value, field, item.value_where[key], label))
    for key, field in fields.items():
        if field.required and key not in item:
            example = f", bijvoorbeeld {key}: {field.example}" if field.example else ""
            errors.append(item.where.error(f"{label}: de verplichte sleutel {key!r} ontbreekt{example}"))
    return errors


def _check_value(key, value, field, where, label) -> list:
    kinds = field.kind if isinstance(field.kind, tuple) else (field.kind,)
    if isinstance(value, bool) and bool not in kinds:
        ok = False
    else:
        ok = isinstance(value, kinds) and not (isinstance(value, datetime.datetime) and datetime.datetime not in kinds)
    if not ok:
        expected = " of ".join(_KIND_NAMES.get(k, k.__name__) for k in kinds)
        return [where.error(f"{label}: {key} moet {expected} zijn, niet {value!r}")]
    if field.choices and value not in field.choices:
        hint = suggestion(str(value), field.choices)
        return [where.error(f"{label}: {key} moet één van {', '.join(field.choices)} zijn, niet {value!r}{hint}")]
    if field.pattern and not re.match(field.pattern, str(value)):
        example = f" (bijvoorbeeld {field.example})" if field.example else ""
        return [where.error(f"{label}: {key} {value!r} heeft niet de goede vorm{example}")]
    if key == "grondslag" and INTERNAL_TAG.search(value):
        tag = INTERNAL_TAG.search(value).group(0)
        return [where.error(f"{label}: de grondslag bevat de interne bronverwijzing {tag!r}; de grondslag is wat "
                            f"de gebruiker leest (wet, regeling of publicatie). Zet de verwijzing in 'bron:' en "
                            f"een openbare URL in 'referentie:'", value.find(tag))]
    if key in READ_BY_USERS and isinstance(value, str) and INTERNAL_TAG.search(value):
        return [_internal_tag(label, key, value, where)]
    if field.item_kind is not None and isinstance(value, list):
        errors = []
        for item, item_where in zip(value, value.item_where):
            if not isinstance(item, field.item_kind) or isinstance(item, bool):
                errors.append(item_where.error(f"{label}: elke waarde in {key} moet "
                                               f"{_KIND_NAMES.get(field.item_kind, 'tekst')} zijn"))
            elif key == "referentie" and not re.match(URL_PATTERN, item):
                errors.append(item_where.error(f"{label}: referentie {item!r} is geen https-URL (bijvoorbeeld "
                                               f"https://wetten.overheid.nl/BWBR0043534/2020-07-02)"))
            elif key == "leerwegen" and item not in LEERWEGEN:
                errors.append(item_where.error(f"{label}: onbekende leerweg {item!r}{suggestion(item, LEERWEGEN)}; "
                                               f"toegestaan zijn: {', '.join(LEERWEGEN)}"))
        return errors
    return []


def _check_testcase(item) -> list:
    errors = []
    if "zoals" not in item:
        errors.extend(item.where.error(f"test {item.get('naam', '')!r}: {key!r} ontbreekt (of geef 'zoals: "
                                       f"<kandidaat>')") for key in ("opleidingscode", "vakken") if key not in item)
    if "verwacht" in item:
        errors.extend(_check_mapping(item["verwacht"], item.value_where["verwacht"], VERWACHT,
                                     f"verwacht van testgeval {item.get('naam', '')!r}"))
    return errors


def _check_onderdeel(item, where) -> list:
    """One onderdeel of the samenstelling names its vakken (`vakken` or `waar`) and a sane `aantal`."""
    errors = []
    if isinstance(item, dict) and "vakken" not in item and "waar" not in item:
        errors.append(where.error(f"onderdeel {item.get('naam', '')!r}: geef 'vakken' (vakcodes) of "
                                  "'waar' (een voorwaarde op de vakkentabel) op"))
    if isinstance(item, dict) and "examendeel" not in item and item.get("apart") is not True:
        errors.append(where.error(f"onderdeel {item.get('naam', '')!r}: geef 'examendeel' op (G, P of V); "
                                  "alleen een onderdeel met 'apart: true' heeft er geen"))
    if isinstance(item, dict) and isinstance(item.get("aantal"), int) and item["aantal"] < 1:
        errors.append(item.value_where["aantal"].error(f"onderdeel {item.get('naam', '')!r}: aantal moet minstens 1 zijn"))
    return errors


def _unknown(key, allowed, what, context="") -> str:
    return f"onbekende {what} {key!r}{context}{suggestion(key, allowed)}; toegestaan zijn: {', '.join(sorted(allowed))}"
