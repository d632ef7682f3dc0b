"""The names rule expressions may read before any afleiding: input columns, code-table
attributes joined by the engine, and the engine's own per-run values."""

from examenbron.engine.language.expr import Symbol

# Canonical input columns (docs/datamodel.md §1). Grades are tenths (den 10).
INPUT_COLUMNS = {
    # exam level
    "brin": ("str", "kandidaat", 1), "vestiging": ("str", "kandidaat", 1),
    "leerlingnummer": ("str", "kandidaat", 1), "bsn": ("str", "kandidaat", 1),
    "onderwijsnummer": ("str", "kandidaat", 1), "opleidingscode": ("str", "kandidaat", 1),
    "examenjaar": ("num", "kandidaat", 1), "uitslag": ("str", "kandidaat", 1),
    "datum_uitslag": ("date", "kandidaat", 1), "onderwijsaanbieder": ("str", "kandidaat", 1),
    "werkstuk_titel": ("str", "kandidaat", 1), "werkstuk_cijfer": ("num", "kandidaat", 10),
    "werkstuk_beoordeling": ("str", "kandidaat", 1), "combinatiecijfer": ("num", "kandidaat", 10),
    "geboortedatum": ("date", "kandidaat", 1),
    # vak level
    "vakcode": ("str", "vak", 1), "se_cijfer": ("num", "vak", 10), "se_beoordeling": ("str", "vak", 1),
    "ce1": ("num", "vak", 10), "ce2": ("num", "vak", 10), "ce3": ("num", "vak", 10),
    "eindcijfer": ("num", "vak", 10), "diplomavak": ("bool", "vak", 1),
    "combinatiecijfer_vak": ("bool", "vak", 1), "examendeel": ("str", "vak", 1),
    "certificaat": ("bool", "vak", 1),
}

OPTIONAL_COLUMNS = frozenset({
    "onderwijsaanbieder", "werkstuk_titel", "werkstuk_cijfer", "werkstuk_beoordeling",
    "combinatiecijfer", "geboortedatum", "diplomavak", "combinatiecijfer_vak", "examendeel",
    "certificaat",
})
# Absent optional columns with a default (diplomavak J) do not make a rule skip.
SKIPPABLE_COLUMNS = OPTIONAL_COLUMNS - {"diplomavak"}

# Joined from the school year's code tables by engine.evaluation.prepare (docs/datamodel.md §2).
CODETABLE_COLUMNS = {
    "leerweg": ("str", "kandidaat", 1), "profiel": ("str", "kandidaat", 1),
    "opleidingscategorie": ("str", "kandidaat", 1),
    "lwoo": ("bool", "kandidaat", 1), "opleiding_bekend": ("bool", "kandidaat", 1),
    "examenopleiding": ("bool", "kandidaat", 1), "schoolsoort": ("str", "kandidaat", 1),
    "vak_bekend": ("bool", "vak", 1), "vak_bekend_andere_schoolsoort": ("bool", "vak", 1),
    "vaknaam": ("str", "vak", 1), "kernvak": ("str", "vak", 1), "heeft_ce": ("bool", "vak", 1),
    "beoordelingswijze": ("str", "vak", 1), "combinatiecijfer_component": ("bool", "vak", 1),
    "beroepsgericht": ("str", "vak", 1),
}

# Set by the engine itself: the peildatum of the run, and the uitslag step's results.
ENGINE_COLUMNS = {
    "peildatum": ("date", "kandidaat", 1),
    "vak_dubbel": ("bool", "vak", 1),
    "weggelaten": ("bool", "vak", 1),
    "weglaatregel": ("str", "kandidaat", 1),
}
# Written by the samenstelling step (engine.evaluation.samenstelling): which onderdeel of a complete
# exam each vak fills. Empty for candidates whose composition is not in the rules.
SAMENSTELLING_COLUMNS = {
    "samenstelling_onderdeel": ("str", "vak", 1),
    "examendeel_afgeleid": ("str", "vak", 1),
    "is_extra": ("bool", "vak", 1),
    "kan_vervallen": ("bool", "vak", 1),
    "kernvakplaats": ("bool", "vak", 1),
    "samenstelling_bekend": ("bool", "kandidaat", 1),
    "samenstelling_volledig": ("bool", "kandidaat", 1),
    "samenstelling_ontbreekt": ("str", "kandidaat", 1),
}
UITSLAG_COLUMNS = {
    "uitslag_berekend": ("str", "kandidaat", 1),
    "voorwaarden_niet_gehaald": ("str", "kandidaat", 1),
    "voorwaarden_onbepaald": ("str", "kandidaat", 1),
    "geslaagd_door_weglaten": ("bool", "kandidaat", 1),
    "weglaten_vak": ("str", "kandidaat", 1),
    "weglaten_regel": ("str", "kandidaat", 1),
}

LEERWEGEN = ("VWO", "HAVO", "VMBO-TL", "VMBO-GL", "VMBO-KB", "VMBO-BB")
PERSONAL = frozenset({"bsn", "onderwijsnummer"})


def base_symbols(*, after_uitslag: bool = False) -> dict[str, Symbol]:
    """Symbols available to every rule file (plus the uitslag results after the decide step)."""
    tables = [INPUT_COLUMNS, CODETABLE_COLUMNS, ENGINE_COLUMNS, SAMENSTELLING_COLUMNS]
    if after_uitslag:
        tables.append(UITSLAG_COLUMNS)
    return {name: Symbol(name, kind, level, den)
            for table in tables for name, (kind, level, den) in table.items()}
