"""Roles: which afleiding of a rule set the engine and the outputs read for what purpose.

Python never names a afleiding of the YAML. A rule set binds each role below to one of its
afleidingen in the `rollen:` section of regelset.yaml (`rollen: {eindcijfer: <naam van de afleiding>}`);
`rules lint` checks that every role is bound to an existing afleiding of the right level and kind.
Decide, explain, the rule-test runner and export read values through `RuleSet.rollen`.

Likewise the uitslag codes the engine does not decide (teruggetrokken, deeleindexamen, gespreid
examen) are the required parameter `UITSLAG_NIET_BEPALEN` of every rule set.
"""

from __future__ import annotations

from dataclasses import dataclass

from examenbron.engine.errors import RuleError, suggestion
from examenbron.engine.language.expr import KIND_NAMES


@dataclass(frozen=True)
class Role:
    """What a role is used for, and the level and kind its afleiding must have."""

    niveau: str
    kind: str
    omschrijving: str


ROLES = {
    "eindcijfer": Role("vak", "num", "het berekende eindcijfer van een vak (explain, rules test)"),
    "eindcijfer1": Role("vak", "num", "het eindcijfer met het CE van tijdvak 1 (BRON-bericht)"),
    "eindcijfer2": Role("vak", "num", "het eindcijfer met het CE van tijdvak 2 (BRON-bericht)"),
    "eindcijfer3": Role("vak", "num", "het eindcijfer met het CE van tijdvak 3 (BRON-bericht)"),
    "uitslagcijfer": Role("vak", "num", "het eindcijfer waarmee de uitslag wordt bepaald; van de vakken "
                                        "die weggelaten mogen worden, wordt het laagste genoemd"),
    "ce_cijfer": Role("vak", "num", "het CE-cijfer dat in het eindcijfer telt (explain)"),
    "telt_mee": Role("vak", "bool", "het vak telt mee voor de uitslag (explain)"),
    "combinatieonderdeel": Role("vak", "bool", "het vak is een onderdeel van het combinatiecijfer (explain)"),
    "eigen_eindcijfer": Role("vak", "bool", "het vak telt met een eigen eindcijfer in de uitslag (explain)"),
    "gemiddelde_ce": Role("kandidaat", "num", "het onafgeronde gemiddelde van de CE-cijfers (grafiek in het rapport)"),
}

UITSLAG_NIET_BEPALEN = "uitslag_niet_bepalen"


def check(declared, afleidingen: dict, parameters: dict, regelset_file: str) -> tuple[dict, list]:
    """(role -> afleiding name, errors) for the resolved `rollen` section.

    `declared` maps each role stated in `rollen` (here or in the basis) to (afleiding name, Where of
    the entry), None when no folder of the chain has the section; `afleidingen` maps each afleiding
    name to its Afleiding; `regelset_file` is where an error about a missing role or parameter points.
    """
    errors, bound, absent = [], {}, declared is None
    if absent:
        errors.append(RuleError("regelset.yaml mist de sectie 'rollen' (hier of in de basis); koppel elke rol "
                                f"aan een afleiding: {', '.join(ROLES)}", file=regelset_file, line=1))
        declared = {}
    for role, (name, where) in declared.items():
        if role not in ROLES:
            errors.append(where.error(f"onbekende rol {role!r}{suggestion(role, ROLES)}; bekende rollen: {', '.join(ROLES)}"))
            continue
        spec, afleiding = ROLES[role], afleidingen.get(str(name))
        if afleiding is None:
            errors.append(where.error(f"rol {role!r}: {name!r} is geen afleiding{suggestion(str(name), afleidingen)}"))
        elif afleiding.niveau != spec.niveau:
            errors.append(where.error(f"rol {role!r}: afleiding {name!r} is op niveau {afleiding.niveau}, "
                                      f"de rol vraagt niveau {spec.niveau}"))
        elif afleiding.kind != spec.kind:
            errors.append(where.error(f"rol {role!r}: afleiding {name!r} geeft "
                                      f"{KIND_NAMES.get(afleiding.kind, afleiding.kind)}, de rol vraagt "
                                      f"{KIND_NAMES[spec.kind]}"))
        else:
            bound[role] = str(name)
    missing = [role for role in ROLES if role not in declared]
    if missing and not absent:
        errors.append(RuleError("rollen: niet gekoppeld: " + ", ".join(
            f"{role} ({ROLES[role].omschrijving}; {ROLES[role].niveau}, {KIND_NAMES[ROLES[role].kind]})"
            for role in missing), file=regelset_file, line=1))
    codes = parameters.get(UITSLAG_NIET_BEPALEN)
    if not isinstance(codes, list) or not all(isinstance(code, str) for code in codes):
        errors.append(RuleError(
            f"parameter {UITSLAG_NIET_BEPALEN!r} ontbreekt of is geen lijst van uitslagcodes (hier of in de basis); "
            f"bijvoorbeeld {UITSLAG_NIET_BEPALEN}: {{waarde: [T, D, S], omschrijving: ..., eenheid: codes}}",
            file=regelset_file, line=1))
    return bound, errors
