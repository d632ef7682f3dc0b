"""A canonical, loader-independent form of a resolved rule set (used by the overlay snapshot test).

Every rule, parameter, afleiding, weglaatregel and test case becomes plain text keyed by its id or
name, so two loaders (or a folder before and after a migration to overlays) can be compared entry by
entry. Values are compared as the text the pipeline reads (2024 and "2024" are the same value).
"""

from __future__ import annotations

import datetime
import hashlib
import json
from fractions import Fraction


def text(value):
    """Plain JSON-able form; scalars become the text a results file would hold."""
    if isinstance(value, dict):
        return {str(k): text(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [text(v) for v in value]
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Fraction)):
        value = Fraction(value)
        return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def grondslag(item) -> str | None:
    """The grondslag with its internal source tag, as one text: issue 11 moved the trailing tags of
    a grondslag such as "... [S15]" into `bron`, which changes nothing a rule means."""
    text, bron = (item.get("grondslag"), item.get("bron")) if isinstance(item, dict) else \
        (item.grondslag, getattr(item, "bron", ""))
    return f"{text} [{bron}]" if bron else text


def entries(ruleset) -> dict:
    """{'kind:key': canonical content} for everything a rule set resolves to."""
    out = {"regelset:metadata": text({k: v for k, v in ruleset.metadata.items()})}
    specs = ruleset.sections.get("parameters", {})
    for name, value in ruleset.parameters.items():
        spec = specs.get(name, {})
        out[f"parameter:{name}"] = text({"waarde": value, **{k: spec.get(k) for k in ("omschrijving", "eenheid")},
                                         "grondslag": grondslag(spec)})
    for d in ruleset.afleidingen:
        out[f"afleiding:{d.naam}"] = text({"niveau": d.niveau, "omschrijving": d.omschrijving,
                                          "grondslag": grondslag(d),
                                          "varianten": [[lw, src] for lw, _, src in d.variants]})
    for rule in ruleset.controles + ruleset.voorwaarden:
        out[f"{rule.soort}:{rule.id}"] = text({
            k: grondslag(rule) if k == "grondslag" else getattr(rule, k)
            for k in ("omschrijving", "niveau", "voorwaarde_tekst", "melding", "grondslag",
                      "leerwegen", "opleidingen", "wanneer_tekst", "code", "ernst", "fase",
                      "geldig_van", "geldig_tot", "waarden", "toelichting")})
    for w in ruleset.weglaten:
        out[f"weglaten:{w.id}"] = text({"omschrijving": w.omschrijving, "tekst": w.tekst,
                                        "grondslag": grondslag(w), "leerwegen": w.leerwegen})
    for case in ruleset.testgevallen:
        content = text(dict(case))
        # The rows of a test case are a set: their order in the file does not change any result.
        content["vakken"] = sorted(content["vakken"], key=lambda v: json.dumps(v, sort_keys=True))
        out[f"testgeval:{case['naam']}"] = content
    return out


def digest(content) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]
