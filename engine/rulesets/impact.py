"""Run one results file under two rule sets and report whose uitslag, cum laude or bevindingen change.

The question a policy maker asks before a change ("if the CE-gemiddelde minimum becomes 5,6, who
fails?"): totals per leerweg and per voorwaarde, and every candidate with old -> new.
"""

from __future__ import annotations

import csv
import io
import json

from examenbron.engine import pipeline
from examenbron.engine.inputs.columns import mask_numbers
from examenbron.engine.outputs.texts import aantal


def compare(results, ruleset_a, tables_a, ruleset_b, tables_b, *, peildatum) -> dict:
    """Both outcomes side by side: the candidates that change and the totals."""
    a = pipeline.run(results, ruleset_a, tables_a, peildatum=peildatum)
    b = pipeline.run(results, ruleset_b, tables_b, peildatum=peildatum)
    ka, kb = a.kandidaten.set_index("exam_id"), b.kandidaten.set_index("exam_id")
    fa, fb = _bevinding_codes(a.bevindingen), _bevinding_codes(b.bevindingen)
    cum_laude = "cum_laude" in ka.columns or "cum_laude" in kb.columns
    kandidaten, per_leerweg, per_voorwaarde = [], {}, {}
    for exam_id in ka.index:
        old, new = ka.loc[exam_id], kb.loc[exam_id]
        change = {}
        if old["uitslag_berekend"] != new["uitslag_berekend"]:
            change["uitslag"] = [old["uitslag_berekend"], new["uitslag_berekend"]]
        if cum_laude and _value(old.get("cum_laude")) != _value(new.get("cum_laude")):
            change["cum_laude"] = [_value(old.get("cum_laude")), _value(new.get("cum_laude"))]
        gone, came = sorted(fa.get(exam_id, set()) - fb.get(exam_id, set())), \
            sorted(fb.get(exam_id, set()) - fa.get(exam_id, set()))
        if gone or came:
            change["bevindingen"] = {"vervallen": gone, "nieuw": came}
        old_fail, new_fail = set(old["voorwaarden_niet_gehaald"]), set(new["voorwaarden_niet_gehaald"])
        for rule_id in new_fail - old_fail:
            per_voorwaarde.setdefault(rule_id, {"nu_niet_gehaald": 0, "nu_gehaald": 0})["nu_niet_gehaald"] += 1
        for rule_id in old_fail - new_fail:
            per_voorwaarde.setdefault(rule_id, {"nu_niet_gehaald": 0, "nu_gehaald": 0})["nu_gehaald"] += 1
        if not change:
            continue
        leerweg = str(new["leerweg"] or "onbekend")
        totals = per_leerweg.setdefault(leerweg, {"kandidaten": 0, "uitslag_anders": 0})
        totals["kandidaten"] += 1
        totals["uitslag_anders"] += "uitslag" in change
        kandidaten.append({"leerlingnummer": str(new["leerlingnummer"]), "opleidingscode": str(new["opleidingscode"]),
                           "leerweg": leerweg, **change})
    return {"van": _label(ruleset_a), "naar": _label(ruleset_b), "kandidaten_totaal": len(ka),
            "kandidaten_anders": len(kandidaten), "per_leerweg": dict(sorted(per_leerweg.items())),
            "per_voorwaarde": dict(sorted(per_voorwaarde.items())), "kandidaten": kandidaten}


def _label(ruleset) -> str:
    return f"{ruleset.folder} (als {ruleset.schooljaar})"


def _bevinding_codes(bevindingen) -> dict:
    out = {}
    for exam_id, regel, code in zip(bevindingen["exam_id"], bevindingen["regel"], bevindingen["code"].astype(str)):
        out.setdefault(exam_id, set()).add(f"{code} {regel}")
    return out


def _value(value):
    if value is None or value != value:
        return None
    return bool(value) if isinstance(value, (bool,)) or str(value) in ("True", "False") else value


def text(result: dict) -> str:
    lines = [f"Impact van {result['van']} naar {result['naar']}",
             f"{result['kandidaten_anders']} van {aantal(result['kandidaten_totaal'], 'kandidaat', 'kandidaten')} "
             f"{'krijgt' if result['kandidaten_anders'] == 1 else 'krijgen'} een andere uitslag, cum laude of andere "
             "bevindingen."]
    if result["per_leerweg"]:
        lines.append("Per leerweg:")
        lines += [f"  {lw}: {t['kandidaten']} anders, waarvan {t['uitslag_anders']} met een andere uitslag"
                  for lw, t in result["per_leerweg"].items()]
    if result["per_voorwaarde"]:
        lines.append("Per voorwaarde:")
        lines += [f"  {rule_id}: {t['nu_niet_gehaald']} nu niet gehaald, {t['nu_gehaald']} nu wel gehaald"
                  for rule_id, t in result["per_voorwaarde"].items()]
    if result["kandidaten"]:
        lines.append("Kandidaten:")
    for k in result["kandidaten"]:
        parts = []
        if "uitslag" in k:
            parts.append(f"uitslag {k['uitslag'][0]} -> {k['uitslag'][1]}")
        if "cum_laude" in k:
            parts.append(f"cum laude {_yes(k['cum_laude'][0])} -> {_yes(k['cum_laude'][1])}")
        if "bevindingen" in k:
            b = k["bevindingen"]
            parts += [f"nieuw: {c}" for c in b["nieuw"]] + [f"vervallen: {c}" for c in b["vervallen"]]
        lines.append(f"  {k['leerlingnummer']} ({k['leerweg']}, {k['opleidingscode']}): " + "; ".join(parts))
    return mask_numbers("\n".join(lines)) + "\n"


def _yes(value) -> str:
    return {True: "ja", False: "nee", None: "onbekend"}.get(value, str(value))


def as_json(result: dict) -> str:
    return json.dumps(result, ensure_ascii=False, indent=2, default=str) + "\n"


def as_csv(result: dict) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["leerlingnummer", "opleidingscode", "leerweg", "uitslag_oud", "uitslag_nieuw",
                     "cum_laude_oud", "cum_laude_nieuw", "bevindingen_nieuw", "bevindingen_vervallen"])
    for k in result["kandidaten"]:
        uitslag = k.get("uitslag") or [None, None]
        cum = k.get("cum_laude") or [None, None]
        b = k.get("bevindingen") or {"nieuw": [], "vervallen": []}
        writer.writerow([k["leerlingnummer"], k["opleidingscode"], k["leerweg"], uitslag[0] or "", uitslag[1] or "",
                         _yes(cum[0]) if "cum_laude" in k else "", _yes(cum[1]) if "cum_laude" in k else "",
                         " | ".join(b["nieuw"]), " | ".join(b["vervallen"])])
    return out.getvalue()
