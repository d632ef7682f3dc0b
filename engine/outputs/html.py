"""The HTML report: one self-contained file (charts, tables, explanations) that works offline.

Tables are shipped as JSON inside the page and drawn page by page by the inlined script
(templates/rapport.js), so every candidate and every bevinding is in the file however large the
run is. Only the written-out explanation is limited (UITLEG_LIMIET candidates, those that need
attention first); the page says so and names the command that explains any other candidate.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from examenbron.engine.outputs import charts
from examenbron.engine.outputs.report import (LEGENDA, peildatum_notes, per_school_rows,
                                              regelset_text, rule_rows, summary)
from examenbron.engine.outputs.texts import aantal
from examenbron.engine.vocabulary import AFKEUR, ATTENTIE, ERNST

UITLEG_LIMIET = 1000
CHART_TITLES = {
    "uitslag": "Uitslag per leerweg: school en berekend",
    "bevindingen": "Bevindingen per regel en ernst",
    "per_school": "Berekende uitslag per school (BRIN en vestiging)",
    "eindcijfers": "Verdeling van de eindcijfers per leerweg",
    "ce_gemiddelde": "Verdeling van het CE-gemiddelde per leerweg",
    "se_ce": "Verschil SE − CE per vak en leerweg",
}


def to_html(outcome, *, peildatum, standaard_peildatum: bool = False, bron_bestand: str | None = None) -> str:
    """Render the report; `bron_bestand` is the input file name shown in the explain command."""
    from jinja2 import Environment, PackageLoader, select_autoescape
    env = Environment(loader=PackageLoader("examenbron.engine.outputs", "templates"),
                      autoescape=select_autoescape(["html"]))
    env.filters["aantal"] = lambda n, een, meer: aantal(int(n), een, meer)
    env.filters["getal"] = lambda n: f"{int(n):,}".replace(",", ".")
    k = outcome.kandidaten
    order = _candidate_order(outcome)
    uitleg, uitgelegd = _explanations(outcome, order)
    data = {
        "kandidaten": _candidate_rows(outcome, order, uitgelegd),
        "bevindingen": _bevinding_rows(outcome),
        "uitleg": uitleg,
        "grafieken": charts.chart_specs(outcome),
        "locale": charts.FORMAT_LOCALE,
    }
    s = summary(outcome)
    schools = sorted(charts.school_keys(k).unique())
    return env.get_template("rapport.html").render(
        outcome=outcome, s=s, peildatum=peildatum, notes=peildatum_notes(outcome, peildatum, standaard_peildatum),
        regelset=regelset_text(outcome), legenda=LEGENDA, titles=CHART_TITLES, schools=schools,
        per_school=per_school_rows(outcome), regels=rule_rows(outcome),
        n_afwijkend=int(charts.disagreement(k).sum()), n_uitleg=len(uitleg), n_kandidaten=len(k),
        n_aandacht=int(_needs_attention(outcome).sum()), uitleg_limiet=UITLEG_LIMIET,
        bron_bestand=bron_bestand or str(outcome.results.source), se_ce_grens=charts.SE_CE_GRENS,
        data_json=_script_json(data), vega_js=charts.javascript_bundle(),
    )


def _script_json(value) -> str:
    """JSON that is safe inside a <script> element."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_plain)
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _plain(value):
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def _needs_attention(outcome) -> pd.Series:
    """Candidates whose uitslag disagrees, who have an afkeur, or who did not (surely) pass."""
    k = outcome.kandidaten
    afkeur = k["exam_id"].isin(outcome.bevindingen.loc[outcome.bevindingen["ernst"] == AFKEUR, "exam_id"])
    return charts.disagreement(k) | afkeur | (k["uitslag_berekend"] != "geslaagd")


def _candidate_order(outcome) -> np.ndarray:
    """Positions in kandidaten: disagreements first, then afkeur, then not geslaagd, then the rest."""
    k = outcome.kandidaten
    f = outcome.bevindingen
    afkeur = k["exam_id"].map(f[f["ernst"] == AFKEUR].groupby("exam_id").size()).fillna(0)
    keys = pd.DataFrame({"afwijkend": ~charts.disagreement(k), "afkeur": -afkeur,
                         "geslaagd": k["uitslag_berekend"] == "geslaagd",
                         "school": charts.school_keys(k), "leerling": k["leerlingnummer"].fillna("")})
    return keys.sort_values(list(keys.columns), kind="stable").index.to_numpy()


def _explanations(outcome, order) -> tuple[list[str], dict[int, int]]:
    """Explain texts for the first UITLEG_LIMIET candidates that need attention, in report order."""
    from examenbron.engine.outputs.explain import explain_many
    attention = _needs_attention(outcome).to_numpy()
    chosen = [int(i) for i in order if attention[i]][:UITLEG_LIMIET]
    exam_ids = outcome.kandidaten["exam_id"].to_numpy()
    return explain_many(outcome, exam_ids[chosen]), {i: n for n, i in enumerate(chosen)}


def _candidate_rows(outcome, order, uitgelegd) -> dict:
    k = outcome.kandidaten
    f = outcome.bevindingen
    per_ernst = {e: k["exam_id"].map(f[f["ernst"] == e].groupby("exam_id").size()).fillna(0).astype(int)
                 for e in (AFKEUR, ATTENTIE)}
    columns = {
        "school": charts.school_keys(k), "leerling": k["leerlingnummer"].fillna(""),
        "opleiding": k["opleidingscode"].fillna(""), "leerweg": k["leerweg"].fillna("onbekend"),
        "uitslag school": k["uitslag_school"].fillna(""),
        "berekend": k["uitslag_berekend"].str.replace("_", " "),
        "afwijkend": charts.disagreement(k).map({True: "ja", False: ""}),
        "afkeur": per_ernst["afkeur"], "attentie": per_ernst["attentie"],
        "niet gehaald": k["voorwaarden_niet_gehaald"].map(", ".join),
        "onbepaald": k["voorwaarden_onbepaald"].map(", ".join),
    }
    frame = pd.DataFrame(columns).iloc[order]
    frame["uitleg"] = [uitgelegd.get(int(i), -1) for i in order]
    return {"kolommen": list(frame.columns), "rijen": frame.to_numpy().tolist()}


def _bevinding_rows(outcome) -> dict:
    f = outcome.bevindingen
    rank = f["ernst"].map({e: i for i, e in enumerate(ERNST)}).fillna(len(ERNST))
    f = f.assign(_rank=rank).sort_values(["_rank"], kind="stable")
    frame = pd.DataFrame({
        "school": charts.school_keys(f), "rij": f["bron_rij"], "leerling": f["leerlingnummer"],
        "vak": f["vakcode"], "ernst": f["ernst"], "code": f["code"], "regel": f["regel"],
        "melding": f["melding"], "waarden": f["waarde"],
    })
    frame = frame.astype(object).where(frame.notna(), "")
    return {"kolommen": list(frame.columns), "rijen": frame.to_numpy().tolist()}
