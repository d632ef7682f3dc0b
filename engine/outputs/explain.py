"""Explain candidates' uitslag: every vak, the derived values of their leerweg, every voorwaarde, in Dutch.

`explain_many` renders many candidates at once (the HTML report explains up to a thousand): each
value is turned into text once for all the candidates' rows, then the texts are assembled. The
output uses only characters that a Windows (cp1252) console can show.
"""

from __future__ import annotations

import textwrap

import numpy as np

from examenbron.engine.evaluation.check import read_names
from examenbron.engine.evaluation.decide import STATUS_NAMES
from examenbron.engine.outputs.texts import fill, name_values, value_texts

STATUS_TEXT = {"gehaald": "gehaald", "niet gehaald": "NIET GEHAALD", "onbepaald": "onbepaald (gegevens ontbreken)"}
LEEG = "onbekend"
NAAM_BREEDTE = 34


def exam_ids(outcome, leerlingnummer: str, brin: str | None = None, vestiging: str | None = None) -> list[int]:
    """The candidate exams of a leerlingnummer (one per opleiding), optionally at one school."""
    k = outcome.kandidaten
    pick = k["leerlingnummer"] == leerlingnummer
    if brin:
        pick &= k["brin"].str.upper() == brin.upper()
    if vestiging:
        pick &= k["vestiging"] == vestiging
    return k.loc[pick, "exam_id"].tolist()


def explain(outcome, exam_id: int) -> str:
    """A readable account of how the uitslag of one candidate exam was computed."""
    return explain_many(outcome, [exam_id])[0]


def explain_many(outcome, ids) -> list[str]:
    """The explanation of each candidate exam in `ids`, in that order."""
    ids = np.asarray(list(ids), dtype="int64")
    if not len(ids):
        return []
    ctx, rs = outcome.context, outcome.ruleset
    kandidaten = outcome.kandidaten.set_index("exam_id").loc[ids].reset_index().to_dict("records")
    out = [[] for _ in ids]
    for pos, k in enumerate(kandidaten):
        out[pos] += [f"Leerling {k['leerlingnummer']} - BRIN {k['brin']} vestiging {k['vestiging']}, opleiding "
                     f"{k['opleidingscode']} ({k['leerweg'] or 'leerweg onbekend'}), examenjaar {k['examenjaar']}",
                     f"Schooljaar {outcome.schooljaar}, regelset {rs.metadata.get('status') or ''} "
                     f"versie {str(rs.versie)[:12]}", ""]
    for pos, lines in enumerate(_vakken(ctx, rs.rollen, ids)):
        out[pos] += lines
    relevant = _relevant_names(rs)
    values = ctx.kandidaat.values
    derived = [(d, value_texts(values[d.naam], ids, d.naam, personal=ctx.personal)) for d in rs.afleidingen
               if d.niveau == "kandidaat" and d.naam in values]
    for pos, k in enumerate(kandidaten):
        names = relevant(k["leerweg"])
        out[pos] += ["", f"Afgeleide waarden voor {k['leerweg'] or 'deze kandidaat'}:"]
        out[pos] += [f"  {d.naam:<28} {_empty(text[pos]):<10} {_short(d.omschrijving)}"
                     for d, text in derived if d.naam in names]
        out[pos] += ["", "Voorwaarden (slaag-zakregeling):"]
    lookup = lambda name: ctx.lookup(name, "kandidaat")  # noqa: E731
    for rule in rs.voorwaarden:
        status = outcome.decision.status.get(rule.id)
        if status is None:
            continue
        states = np.asarray(status)[ids]
        if not states.any():
            continue
        waarden = name_values(read_names(rule), lookup, ids, ctx.personal)
        meldingen = fill(rule.melding, lookup, ids, ctx.personal) if (states > 1).any() else None
        for pos in np.flatnonzero(states):
            state = STATUS_NAMES[states[pos]]
            lines = out[pos]
            lines.append(f"  [{STATUS_TEXT[state]}] {rule.id}: {' '.join(rule.omschrijving.split())}")
            lines.append(f"      waarden: {_empty_values(waarden[pos])}")
            if state != "gehaald":
                lines.append(f"      melding: {meldingen[pos]}")
            lines.append(f"      grondslag: {rule.grondslag}  [{rule.file}:{rule.line}]")
            lines.extend(f"      referentie: {url}" for url in rule.referentie)
            if rule.toelichting:
                lines.append(f"      toelichting: {' '.join(rule.toelichting.split())}")
    bevindingen = outcome.bevindingen[outcome.bevindingen["exam_id"].isin(ids)]
    lines = ("  [" + bevindingen["ernst"].astype(str) + " " + bevindingen["code"].fillna("").astype(str) + "] "
             + bevindingen["melding"].astype(str))
    per_exam = lines.groupby(bevindingen["exam_id"].to_numpy()).agg(list).to_dict()
    for pos, (eid, k) in enumerate(zip(ids.tolist(), kandidaten)):
        out[pos] += ["", _verdict(k, outcome.decision, eid, rs)]
        if eid in per_exam:
            out[pos] += ["", "Bevindingen:", *per_exam[eid]]
    return ["\n".join(lines) + "\n" for lines in out]


def _short(text: str) -> str:
    return " ".join(str(text or "").split())


def _empty(text: str) -> str:
    return LEEG if text == "leeg" else text


def _empty_values(text: str) -> str:
    """'a=leeg; b=5' -> 'a=onbekend; b=5'."""
    return "; ".join(part[:-4] + LEEG if part.endswith("=leeg") else part for part in text.split("; "))


def _relevant_names(rs):
    """leerweg -> the derived names its voorwaarden read, directly or through other afleidingen."""
    by_name = {d.naam: d for d in rs.afleidingen}
    extra = set(rs.metadata.get("rapporteer") or [])
    cache = {}

    def for_leerweg(leerweg):
        if leerweg not in cache:
            todo = set(extra)
            for rule in rs.voorwaarden:
                if rule.leerwegen is None or leerweg in rule.leerwegen:
                    todo |= rule.voorwaarde.names()
                    if rule.wanneer is not None:
                        todo |= rule.wanneer.names()
            seen = set()
            while todo:
                name = todo.pop()
                if name in seen or name not in by_name:
                    continue
                seen.add(name)
                for leerwegen, node, _ in by_name[name].variants:
                    if leerwegen is None or leerweg in leerwegen:
                        todo |= node.names()
            cache[leerweg] = seen
        return cache[leerweg]
    return for_leerweg


def _vakken(ctx, rollen: dict, ids) -> list[list[str]]:
    """The vak table of each candidate; computed values are read through the rule set's roles."""
    starts, counts = np.asarray(ctx.starts)[ids], np.asarray(ctx.counts)[ids]
    rows = np.concatenate([np.arange(s, s + c) for s, c in zip(starts, counts)]) if len(ids) else np.zeros(0, int)
    vak = ctx.vak.values

    def col(name):
        return value_texts(vak[name], rows, name, personal=ctx.personal) if name in vak else np.full(len(rows), "leeg", dtype=object)

    codes, names, se = col("vakcode"), col("vaknaam"), col("se_cijfer")
    ce = (col("ce1"), col("ce2"), col("ce3"))
    beoordeling, gemeld, berekend = col("se_beoordeling"), col("eindcijfer"), col(rollen["eindcijfer"])
    header = (f"  {'vak':<6} {'naam':<{NAAM_BREEDTE}} {'SE':>5} {'CE1':>5} {'CE2':>5} {'CE3':>5} {'gemeld':>6} "
              f"{'berekend':>8}  telt mee als")
    out, at = [], 0
    for count in counts:
        lines = ["Vakken:", header]
        for i in range(at, at + count):
            r = rows[i]
            se_text = se[i] if se[i] != "leeg" else (beoordeling[i] if beoordeling[i] != "leeg" else "-")
            name_lines = textwrap.wrap(names[i] if names[i] != "leeg" else LEEG, NAAM_BREEDTE) or [""]
            lines.append(f"  {codes[i]:<6} {name_lines[0]:<{NAAM_BREEDTE}} {se_text:>5} "
                         + " ".join(f"{_dash(c[i]):>5}" for c in ce)
                         + f" {_dash(gemeld[i]):>6} {_dash(berekend[i]):>8}  {_role(vak, rollen, r)}")
            lines += [f"  {'':<6} {more}" for more in name_lines[1:]]
            how = _how(vak, rollen, r)
            if how:
                lines.append(f"  {'':<6} {how}")
        out.append(lines)
        at += count
    return out


def _dash(text: str) -> str:
    return "-" if text == "leeg" else text


def _flag(vak, name, r) -> bool:
    value = vak.get(name)
    return value is not None and not np.asarray(value.null)[r] and bool(np.asarray(value.val)[r])


DEEL_TEXT = {"G": "gemeenschappelijk deel", "P": "profieldeel", "V": "vrije deel"}


def _role(vak, rollen: dict, r) -> str:
    """How the vak counts, and which onderdeel of the exam it fills (samenstelling)."""
    role = _counts_as(vak, rollen, r)
    onderdeel = vak.get("samenstelling_onderdeel")
    if onderdeel is not None and not np.asarray(onderdeel.null)[r]:
        deel = DEEL_TEXT.get(vak["examendeel_afgeleid"].val[r], "")
        return f"{role}; {deel}: {onderdeel.val[r]}"
    if _flag(vak, "is_extra", r):
        return f"{role}; extra vak"
    return role


def _counts_as(vak, rollen: dict, r) -> str:
    if not _flag(vak, rollen["telt_mee"], r):
        return "niet in de uitslag (diplomavak N of weggelaten)"
    if _flag(vak, rollen["combinatieonderdeel"], r):
        return "onderdeel combinatiecijfer"
    if _flag(vak, rollen["eigen_eindcijfer"], r):
        return "eigen eindcijfer"
    return "voldoende/goed-vak" if vak["beoordelingswijze"].val[r] == "VGO" else "-"


def _how(vak, rollen: dict, r) -> str:
    """Where the computed eindcijfer comes from: the SE and CE it is computed from, and the afleiding."""
    ce, eindcijfer = vak.get(rollen["ce_cijfer"]), vak.get(rollen["eindcijfer"])
    if any(v is None or np.asarray(v.null)[r] for v in (vak["se_cijfer"], ce, eindcijfer)):
        return ""
    row = np.array([r])
    return (f"eindcijfer {value_texts(eindcijfer, row, rollen['eindcijfer'])[0]} uit SE "
            f"{value_texts(vak['se_cijfer'], row, 'se_cijfer')[0]} en CE {value_texts(ce, row, rollen['ce_cijfer'])[0]} "
            f"(afleiding {rollen['eindcijfer']})")


def _verdict(k, decision, exam_id, rs) -> str:
    uitslag = k["uitslag_berekend"]
    text = {"geslaagd": "GESLAAGD", "afgewezen": "AFGEWEZEN", "onvolledig": "ONVOLLEDIG (gegevens ontbreken)",
            "niet_bepaald": f"NIET BEPAALD (uitslag school {k['uitslag_school']}: teruggetrokken, "
                            "deeleindexamen of gespreid examen)"}[uitslag]
    line = f"Berekende uitslag: {text}; uitslag school: {k['uitslag_school'] or 'nog niet bepaald'}"
    if decision.weglaten_rij[exam_id] >= 0:
        regel = next((r for r in rs.weglaten if r.id == decision.weglaatregel[exam_id]), None)
        rows = decision.weglaten_rijen[exam_id] if decision.weglaten_rijen else (decision.weglaten_rij[exam_id],)
        wat = "vak" if len(rows) == 1 else "vakken"
        line += (f"\n  geslaagd door {wat} {k['weglaten_vak']} buiten de uitslag te laten "
                 f"({decision.weglaatregel[exam_id]}; {regel.grondslag if regel else ''})")
    return line
