"""The names rule expressions may read before any afleiding: input columns, code-table
attributes joined by the engine, and the engine's own per-run values."""

from examenbron.engine.inputs.columns import COLUMNS
from examenbron.engine.language.expr import Symbol

# Canonical input columns (engine.inputs.columns). Grades are tenths (den 10).
INPUT_COLUMNS = {c.naam: (c.type, c.niveau, c.den) for c in COLUMNS.values()}
# Absent optional columns with a default (diplomavak J) do not make a rule skip.
SKIPPABLE_COLUMNS = frozenset(c.naam for c in COLUMNS.values() if not c.verplicht and c.standaard is None)


def _table(niveau: str, **names_per_type) -> dict:
    """{name: (type, niveau, 1)} from type="name name …" (denominator 1: no grades in these tables)."""
    return {name: (kind, niveau, 1) for kind, names in names_per_type.items() for name in names.split()}


# Joined from the school year's code tables by engine.evaluation.prepare (docs/datamodel.md §2).
CODETABLE_COLUMNS = {
    **_table("kandidaat", str="leerweg profiel opleidingscategorie schoolsoort",
             bool="lwoo opleiding_bekend examenopleiding"),
    **_table("vak", bool="vak_bekend vak_bekend_andere_schoolsoort heeft_ce combinatiecijfer_component",
             str="vaknaam kernvak beoordelingswijze beroepsgericht"),
}
# Set by the engine itself: the peildatum of the run, whether the code tables are DUO's official ones
# for the school year (metadata `officieel`), and the uitslag step's results.
ENGINE_COLUMNS = {**_table("kandidaat", date="peildatum", str="weglaatregel", bool="codetabel_officieel"),
                  **_table("vak", bool="vak_dubbel weggelaten")}
# Written by the samenstelling step (engine.evaluation.samenstelling): which onderdeel of a complete
# exam each vak fills. Empty for candidates whose composition is not in the rules.
SAMENSTELLING_COLUMNS = {
    **_table("vak", str="samenstelling_onderdeel examendeel_afgeleid", bool="is_extra kan_vervallen kernvakplaats"),
    **_table("kandidaat", bool="samenstelling_bekend samenstelling_volledig", str="samenstelling_ontbreekt"),
}
UITSLAG_COLUMNS = _table("kandidaat", bool="geslaagd_door_weglaten",
                         str="uitslag_berekend voorwaarden_niet_gehaald voorwaarden_onbepaald weglaten_vak weglaten_regel")


def base_symbols(*, after_uitslag: bool = False) -> dict[str, Symbol]:
    """Symbols available to every rule file (plus the uitslag results after the decide step)."""
    tables = [INPUT_COLUMNS, CODETABLE_COLUMNS, ENGINE_COLUMNS, SAMENSTELLING_COLUMNS]
    if after_uitslag:
        tables.append(UITSLAG_COLUMNS)
    return {name: Symbol(name, kind, level, den)
            for table in tables for name, (kind, level, den) in table.items()}
