"""Explain one candidate's uitslag: every vak, every derivation and every voorwaarde, in Dutch terms."""

from __future__ import annotations

import numpy as np

from examenbron.engine.evaluation.check import read_names
from examenbron.engine.evaluation.decide import STATUS_NAMES
from examenbron.engine.outputs.texts import fill, name_values, number_text, value_texts

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
    lines += _vakken(ctx, exam_id)
    lines += ["", "Afgeleide waarden:"]
    row = np.array([exam_id])
    for derivation in rs.derivations:
        if derivation.niveau != "kandidaat":
            continue
        value = ctx.kandidaat.values.get(derivation.naam)
        if value is None or (np.asarray(value.null)[exam_id] and derivation.naam not in _used(rs)):
            continue
        lines.append(f"  {derivation.naam:<28} {value_texts(value, row, derivation.naam, personal=ctx.personal)[0]:<10} "
                     f"{' '.join(derivation.omschrijving.split())[:90]}")
    lines += ["", "Voorwaarden (slaag-zakregeling):"]
    lookup = lambda name: ctx.lookup(name, "kandidaat")  # noqa: E731
    for rule in rs.voorwaarden:
        status = outcome.decision.status.get(rule.id)
        if status is None or not status[exam_id]:
            continue
        state = STATUS_NAMES[status[exam_id]]
        lines.append(f"  [{STATUS_TEXT[state]}] {rule.id}: {' '.join(rule.omschrijving.split())}")
        lines.append(f"      waarden: {name_values(read_names(rule), lookup, row, ctx.personal)[0]}")
        if state != "gehaald":
            lines.append(f"      melding: {fill(rule.melding, lookup, row, ctx.personal)[0]}")
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


def _vakken(ctx, exam_id: int) -> list[str]:
    rows = np.arange(ctx.starts[exam_id], ctx.starts[exam_id] + ctx.counts[exam_id])
    vak = ctx.vak.values

    def col(name):
        return value_texts(vak[name], rows, name, personal=ctx.personal) if name in vak else np.full(len(rows), "")

    header = f"  {'vak':<6} {'naam':<34} {'SE':>5} {'CE1':>5} {'CE2':>5} {'CE3':>5} {'gemeld':>6} " \
             f"{'berekend':>8}  telt mee als"
    lines = ["Vakken:", header]
    codes, names, se, ce = col("vakcode"), col("vaknaam"), col("se_cijfer"), (col("ce1"), col("ce2"), col("ce3"))
    beoordeling, gemeld, berekend = col("se_beoordeling"), col("eindcijfer"), col("eindcijfer_berekend")
    for i, r in enumerate(rows):
        se_text = se[i] if se[i] != "leeg" else (beoordeling[i] if beoordeling[i] != "leeg" else "-")
        lines.append(f"  {codes[i]:<6} {str(names[i])[:34]:<34} {se_text:>5} "
                     + " ".join(f"{c[i] if c[i] != 'leeg' else '-':>5}" for c in ce)
                     + f" {gemeld[i] if gemeld[i] != 'leeg' else '-':>6} {berekend[i] if berekend[i] != 'leeg' else '-':>8}"
                     + f"  {_role(vak, r)}")
        how = _how(vak, r)
        if how:
            lines.append(f"  {'':<6} {how}")
    return lines


def _flag(vak, name, r) -> bool:
    value = vak.get(name)
    return value is not None and not np.asarray(value.null)[r] and bool(np.asarray(value.val)[r])


def _role(vak, r) -> str:
    if not _flag(vak, "in_uitslag", r):
        return "niet in de uitslag (diplomavak N of weggelaten)"
    if _flag(vak, "is_combi", r):
        return "onderdeel combinatiecijfer"
    if _flag(vak, "telt_als_vak", r):
        return "eigen eindcijfer"
    return "voldoende/goed-vak" if vak["beoordelingswijze"].val[r] == "VGO" else "-"


def _how(vak, r) -> str:
    """The eindcijfer computation written out: (SE + CE) / 2 = x → y."""
    if "ce_hoogste" not in vak or np.asarray(vak["se_cijfer"].null)[r] or np.asarray(vak["ce_hoogste"].null)[r]:
        return ""
    se, ce = int(vak["se_cijfer"].val[r]), int(vak["ce_hoogste"].val[r])
    total = number_text(se + ce, 20)
    rounded = (se + ce + 10) // 20
    return f"eindcijfer = (SE {number_text(se, 10)} + CE {number_text(ce, 10)}) / 2 = {total} → {rounded}"


def _verdict(k, decision, exam_id) -> str:
    uitslag = k["uitslag_berekend"]
    text = {"geslaagd": "GESLAAGD", "afgewezen": "AFGEWEZEN", "onvolledig": "ONVOLLEDIG (gegevens ontbreken)",
            "niet_bepaald": f"NIET BEPAALD (uitslag school {k['uitslag_school']}: teruggetrokken, "
                            "deeleindexamen of gespreid examen)"}[uitslag]
    line = f"Berekende uitslag: {text}; uitslag school: {k['uitslag_school'] or 'nog niet bepaald'}"
    if decision.weglaten_rij[exam_id] >= 0:
        line += f"\n  geslaagd door vak {k['weglaten_vak']} buiten de uitslag te laten ({decision.weglaatregel[exam_id]})"
    return line
