"""Explain one candidate's uitslag: every vak, every derivation and every voorwaarde, in Dutch terms."""

from __future__ import annotations

import numpy as np

from examenbron.engine.evaluation.check import read_names
from examenbron.engine.evaluation.decide import STATUS_NAMES
from examenbron.engine.outputs.texts import fill, name_values, value_texts

STATUS_TEXT = {"gehaald": "gehaald", "niet gehaald": "NIET GEHAALD", "onbepaald": "onbepaald (gegevens ontbreken)"}


def exam_ids(outcome, leerlingnummer: str) -> list[int]:
    """The candidate exams of a leerlingnummer (one per opleiding)."""
    kandidaten = outcome.kandidaten
    return kandidaten.loc[kandidaten["leerlingnummer"] == leerlingnummer, "exam_id"].tolist()


def explain(outcome, exam_id: int) -> str:
    """A readable account of how the uitslag of one candidate exam was computed."""
    ctx, rs = outcome.context, outcome.ruleset
    k = outcome.kandidaten.iloc[exam_id]
    lines = [f"Leerling {k['leerlingnummer']} — BRIN {k['brin']} vestiging {k['vestiging']}, opleiding "
             f"{k['opleidingscode']} ({k['leerweg'] or 'onbekende leerweg'}), examenjaar {k['examenjaar']}",
             f"Schooljaar {outcome.schooljaar}, regels {rs.versie}", ""]
    lines += _vakken(ctx, rs.rollen, exam_id)
    lines += ["", "Afgeleide waarden:"]
    row = np.array([exam_id])
    for derivation in rs.derivations:
        if derivation.niveau != "kandidaat":
            continue
        value = ctx.kandidaat.values.get(derivation.naam)
        if value is None or (np.asarray(value.null)[exam_id] and derivation.naam not in _used(rs)):
            continue
        lines.append(f"  {derivation.naam:<28} {value_texts(value, row, derivation.naam)[0]:<10} "
                     f"{' '.join(derivation.omschrijving.split())[:90]}")
    lines += ["", "Voorwaarden (slaag-zakregeling):"]
    lookup = lambda name: ctx.lookup(name, "kandidaat")  # noqa: E731
    for rule in rs.voorwaarden:
        status = outcome.decision.status.get(rule.id)
        if status is None or not status[exam_id]:
            continue
        state = STATUS_NAMES[status[exam_id]]
        lines.append(f"  [{STATUS_TEXT[state]}] {rule.id}: {' '.join(rule.omschrijving.split())}")
        lines.append(f"      waarden: {name_values(read_names(rule), lookup, row)[0]}")
        if state != "gehaald":
            lines.append(f"      melding: {fill(rule.melding, lookup, row)[0]}")
        lines.append(f"      grondslag: {rule.grondslag}  [{rule.file}:{rule.line}]")
        if rule.toelichting:
            lines.append(f"      toelichting: {' '.join(rule.toelichting.split())}")
    lines += ["", _verdict(k, outcome.decision, exam_id)]
    findings = outcome.findings[outcome.findings["exam_id"] == exam_id]
    if len(findings):
        lines += ["", "Bevindingen:"]
        lines += [f"  [{f.ernst} {f.code}] {f.melding}" for f in findings.itertuples(index=False)]
    return "\n".join(lines) + "\n"


def _used(rs) -> set:
    names = set()
    for rule in rs.voorwaarden:
        names |= rule.voorwaarde.names()
    return names


def _vakken(ctx, rollen: dict, exam_id: int) -> list[str]:
    """The vak table; computed values are read through the rule set's roles (engine.rulesets.roles)."""
    rows = np.arange(ctx.starts[exam_id], ctx.starts[exam_id] + ctx.counts[exam_id])
    vak = ctx.vak.values

    def col(name):
        return value_texts(vak[name], rows, name) if name in vak else np.full(len(rows), "")

    header = f"  {'vak':<6} {'naam':<34} {'SE':>5} {'CE1':>5} {'CE2':>5} {'CE3':>5} {'gemeld':>6} " \
             f"{'berekend':>8}  telt mee als"
    lines = ["Vakken:", header]
    codes, names, se, ce = col("vakcode"), col("vaknaam"), col("se_cijfer"), (col("ce1"), col("ce2"), col("ce3"))
    beoordeling, gemeld, berekend = col("se_beoordeling"), col("eindcijfer"), col(rollen["eindcijfer"])
    for i, r in enumerate(rows):
        se_text = se[i] if se[i] != "leeg" else (beoordeling[i] if beoordeling[i] != "leeg" else "-")
        lines.append(f"  {codes[i]:<6} {str(names[i])[:34]:<34} {se_text:>5} "
                     + " ".join(f"{c[i] if c[i] != 'leeg' else '-':>5}" for c in ce)
                     + f" {gemeld[i] if gemeld[i] != 'leeg' else '-':>6} {berekend[i] if berekend[i] != 'leeg' else '-':>8}"
                     + f"  {_counts_as(vak, rollen, r)}")
        how = _how(vak, rollen, r)
        if how:
            lines.append(f"  {'':<6} {how}")
    return lines


def _flag(vak, name, r) -> bool:
    value = vak.get(name)
    return value is not None and not np.asarray(value.null)[r] and bool(np.asarray(value.val)[r])


def _counts_as(vak, rollen: dict, r) -> str:
    if not _flag(vak, rollen["telt_mee"], r):
        return "niet in de uitslag (diplomavak N of weggelaten)"
    if _flag(vak, rollen["combinatieonderdeel"], r):
        return "onderdeel combinatiecijfer"
    if _flag(vak, rollen["eigen_eindcijfer"], r):
        return "eigen eindcijfer"
    return "voldoende/goed-vak" if vak["beoordelingswijze"].val[r] == "VGO" else "-"


def _how(vak, rollen: dict, r) -> str:
    """Where the computed eindcijfer comes from: the SE and CE it is computed from, and the derivation."""
    ce, eindcijfer = vak.get(rollen["ce_cijfer"]), vak.get(rollen["eindcijfer"])
    if any(v is None or np.asarray(v.null)[r] for v in (vak["se_cijfer"], ce, eindcijfer)):
        return ""
    row = np.array([r])
    return (f"eindcijfer {value_texts(eindcijfer, row, rollen['eindcijfer'])[0]} uit SE "
            f"{value_texts(vak['se_cijfer'], row, 'se_cijfer')[0]} en CE {value_texts(ce, row, rollen['ce_cijfer'])[0]} "
            f"(afleiding {rollen['eindcijfer']})")


def _verdict(k, decision, exam_id) -> str:
    uitslag = k["uitslag_berekend"]
    text = {"geslaagd": "GESLAAGD", "afgewezen": "AFGEWEZEN", "onvolledig": "ONVOLLEDIG (gegevens ontbreken)",
            "niet_bepaald": f"NIET BEPAALD (uitslag school {k['uitslag_school']}: teruggetrokken, "
                            "deeleindexamen of gespreid examen)"}[uitslag]
    line = f"Berekende uitslag: {text}; uitslag school: {k['uitslag_school'] or 'nog niet bepaald'}"
    if decision.weglaten_rij[exam_id] >= 0:
        line += f"\n  geslaagd door vak {k['weglaten_vak']} buiten de uitslag te laten ({decision.weglaatregel[exam_id]})"
    return line
