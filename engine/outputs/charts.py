"""Vega-Lite charts for the HTML report: aggregated data per school, specs, and the offline JS bundle.

Every chart's data is aggregated here (never one row per candidate), carries a `school` column
(brin + vestiging) and declares a `school` parameter, so one selector in the page filters all
charts. The Vega, Vega-Lite and vega-embed JavaScript comes from the installed vl-convert-python
package (bundled locally, nothing is downloaded), so the report works offline.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from examenbron.engine.cache import base_folder
from examenbron.engine.outputs.files import OutputError, atomic_write
from examenbron.engine.vocabulary import AFGEWEZEN, ERNST, GESLAAGD

VEGA_LITE_VERSION = "6.4"
SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
ALLE = "alle"
# The report flags a vak whose average SE exceeds or trails the average CE by more than this many
# grade points. 0,5 is the value commonly used for the Inspectie's SE-CE signal; not verified
# against a primary source (see docs/rapport.md).
SE_CE_GRENS = 0.5
UITSLAG_KLEUREN = {"geslaagd": "#2e7d32", "afgewezen": "#c62828", "onvolledig": "#f9a825",
                   "niet bepaald": "#9e9e9e", "onbekend": "#d7ccc8"}
ERNST_KLEUREN = dict(zip(ERNST, ("#c62828", "#ef6c00", "#1565c0")))
AFWIJKEND_KLEUR = "#6a1b9a"
SCHOOL_UITSLAG = {"G": "geslaagd", "A": "afgewezen", "T": "niet bepaald", "D": "niet bepaald",
                  "S": "niet bepaald"}
# Dutch number formatting inside the charts (decimal comma), handed to vega-embed.
FORMAT_LOCALE = {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["€ ", ""]}


@functools.lru_cache(maxsize=1)
def javascript_bundle() -> str:
    """Vega + Vega-Lite + vega-embed as one script, from the installed vl-convert-python (offline).

    Bundling takes seconds, so the result is kept in the user's cache folder, keyed by the
    vl-convert and Vega-Lite versions; without a writable cache folder it is simply rebuilt.
    """
    import vl_convert
    cache = base_folder() / f"vega-{getattr(vl_convert, '__version__', 'x')}-vl{VEGA_LITE_VERSION}.js"
    try:
        return cache.read_text(encoding="utf-8")
    except OSError:
        pass
    bundle = vl_convert.javascript_bundle(vl_version=VEGA_LITE_VERSION)
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)  # a cache folder of our own: created when missing
        atomic_write(cache, bundle)
    except (OSError, OutputError):
        pass
    return bundle


def school_keys(frame: pd.DataFrame) -> pd.Series:
    """'BRIN vestiging' per row, e.g. '48KY 00' ('onbekend' for a missing part)."""
    brin = frame["brin"].fillna("onbekend").astype(str)
    vestiging = frame["vestiging"].fillna("onbekend").astype(str)
    return brin + " " + vestiging


def disagreement(kandidaten: pd.DataFrame) -> pd.Series:
    """True where the school's uitslag (G/A) and the computed one (geslaagd/afgewezen) contradict."""
    school = kandidaten["uitslag_school"].map(SCHOOL_UITSLAG)
    berekend = kandidaten["uitslag_berekend"]
    decided = school.isin([GESLAAGD, AFGEWEZEN]) & berekend.isin([GESLAAGD, AFGEWEZEN])
    return decided & (school != berekend)


def number_values(value, n: int) -> np.ndarray:
    """A context Value as floats (NaN where empty)."""
    val = np.broadcast_to(np.asarray(value.val, dtype="float64"), n)
    den = np.broadcast_to(np.asarray(value.den, dtype="float64"), n)
    null = np.broadcast_to(np.asarray(value.null, dtype=bool), n)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = val / den
    return np.where(null | (den == 0), np.nan, out)


def chart_data(outcome) -> dict[str, pd.DataFrame]:
    """The aggregated tables behind every chart."""
    k = outcome.kandidaten
    school = school_keys(k)
    leerweg = k["leerweg"].fillna("onbekend")
    afwijkend = disagreement(k)
    data = {}

    base = pd.DataFrame({"school": school, "leerweg": leerweg})
    school_uitslag = k["uitslag_school"].map(SCHOOL_UITSLAG).fillna("onbekend")
    berekend = k["uitslag_berekend"].str.replace("_", " ")
    parts = [base.assign(bron="school", uitslag=school_uitslag),
             base.assign(bron="berekend", uitslag=berekend),
             base[afwijkend.to_numpy()].assign(bron="afwijkend", uitslag="afwijkend")]
    data["uitslag"] = _count(pd.concat(parts, ignore_index=True), ["school", "leerweg", "bron", "uitslag"])

    per_school = pd.DataFrame({"school": school, "uitslag": berekend})
    data["per_school"] = _count(per_school, ["school", "uitslag"])

    f = outcome.bevindingen
    bev = pd.DataFrame({
        "school": school_keys(f), "regel": f["regel"].fillna("onbekend"),
        "code": f["code"].fillna(""), "ernst": f["ernst"].fillna("onbekend"),
    })
    bev["label"] = np.where(bev["code"] != "", bev["code"] + " " + bev["regel"], bev["regel"])
    from examenbron.engine.outputs.report import omschrijving
    bev["omschrijving"] = bev["regel"].map({r: omschrijving(outcome, r) for r in bev["regel"].unique()})
    data["bevindingen"] = _count(bev, ["school", "label", "ernst", "omschrijving"])

    ctx, rollen = outcome.context, outcome.ruleset.rollen   # derived values through the roles
    n_k, n_v = ctx.kandidaat.n, ctx.vak.n
    ce_gem = number_values(ctx.kandidaat.values[rollen["gemiddelde_ce"]], n_k)
    ce = pd.DataFrame({"school": school.to_numpy(), "leerweg": leerweg.to_numpy(), "ce": ce_gem}).dropna()
    ce["klasse"] = np.floor(ce["ce"] * 4) / 4  # classes of 0,25
    data["ce_gemiddelde"] = _count(ce, ["school", "leerweg", "klasse"])

    rows_k = np.asarray(ctx.k)
    vak_school, vak_leerweg = school.to_numpy()[rows_k], leerweg.to_numpy()[rows_k]
    values = ctx.vak.values
    eind = number_values(values[rollen["eindcijfer"]], n_v)
    ec = pd.DataFrame({"school": vak_school, "leerweg": vak_leerweg, "cijfer": eind}).dropna()
    ec["cijfer"] = ec["cijfer"].round().astype(int)
    data["eindcijfers"] = _count(ec, ["school", "leerweg", "cijfer"])

    if {"se_cijfer", rollen["ce_cijfer"], "vakcode"} <= set(values):
        se, ce_h = number_values(values["se_cijfer"], n_v), number_values(values[rollen["ce_cijfer"]], n_v)
        names = np.broadcast_to(np.asarray(values["vaknaam"].val, dtype=object), n_v) if "vaknaam" in values \
            else np.full(n_v, "")
        codes = np.broadcast_to(np.asarray(values["vakcode"].val, dtype=object), n_v)
        sece = pd.DataFrame({"school": vak_school, "leerweg": vak_leerweg, "se": se, "ce": ce_h,
                             "vak": [f"{c} {v}" if isinstance(v, str) and v else str(c) for c, v in zip(codes, names)]})
        sece = sece.dropna(subset=["se", "ce"])
        data["se_ce"] = (sece.groupby(["school", "leerweg", "vak"], sort=True)
                         .agg(n=("se", "size"), som_se=("se", "sum"), som_ce=("ce", "sum")).reset_index())
    else:
        data["se_ce"] = pd.DataFrame(columns=["school", "leerweg", "vak", "n", "som_se", "som_ce"])
    return data


def _count(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return frame.groupby(keys, sort=True, dropna=False).size().rename("n").reset_index()


def _records(frame: pd.DataFrame) -> list[dict]:
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def _spec(data: pd.DataFrame, **spec) -> dict:
    """A top-level spec filtered by the page's school selector."""
    transforms = [{"filter": f"school == '{ALLE}' || datum.school == school"}, *spec.pop("transform", [])]
    return {"$schema": SCHEMA, "data": {"values": _records(data)},
            "params": [{"name": "school", "value": ALLE}], "transform": transforms,
            "config": {"font": "system-ui, sans-serif", "view": {"stroke": None}}, **spec}


def _scale(colors: dict) -> dict:
    return {"domain": list(colors), "range": list(colors.values())}


def chart_specs(outcome) -> dict[str, dict]:
    """Chart name -> Vega-Lite spec, in the order the report shows them."""
    data = chart_data(outcome)
    uitslag_kleuren = {**UITSLAG_KLEUREN, "afwijkend": AFWIJKEND_KLEUR}
    specs = {}
    bron_labels = {"school": "volgens school", "berekend": "berekend", "afwijkend": "tegenstrijdig"}
    specs["uitslag"] = _spec(
        data["uitslag"],
        transform=[{"aggregate": [{"op": "sum", "field": "n", "as": "aantal"}],
                    "groupby": ["leerweg", "bron", "uitslag"]},
                   {"joinaggregate": [{"op": "sum", "field": "aantal", "as": "totaal"}],
                    "groupby": ["leerweg", "bron"]},
                   {"calculate": " : ".join(f"datum.bron == '{k}' ? '{v}'" for k, v in bron_labels.items())
                    + " : datum.bron", "as": "volgens"}],
        facet={"row": {"field": "leerweg", "type": "nominal", "title": None,
                       "header": {"labelAngle": 0, "labelAlign": "left", "labelFontWeight": "bold"}}},
        spec={"width": 430, "height": {"step": 16}, "layer": [
            {"mark": {"type": "bar", "tooltip": True},
             "encoding": {
                 "color": {"field": "uitslag", "type": "nominal", "title": "uitslag",
                           "scale": _scale(uitslag_kleuren), "legend": {"orient": "bottom", "columns": 3}},
                 "order": {"field": "uitslag", "sort": "ascending"},
                 "tooltip": [{"field": "leerweg"}, {"field": "volgens"}, {"field": "uitslag"},
                             {"field": "aantal", "type": "quantitative"}]}},
            {"mark": {"type": "text", "align": "left", "dx": 4, "fontWeight": "bold"},
             "transform": [{"window": [{"op": "row_number", "as": "nr"}], "groupby": ["leerweg", "bron"]},
                           {"filter": "datum.nr == 1"}],
             "encoding": {"x": {"field": "totaal", "type": "quantitative"},
                          "text": {"field": "totaal", "type": "quantitative", "format": ",d"},
                          "color": {"condition": {"test": "datum.bron == 'afwijkend'", "value": AFWIJKEND_KLEUR},
                                    "value": "#333"}}},
        ], "encoding": {
            "y": {"field": "volgens", "type": "nominal", "title": None,
                  "sort": list(bron_labels.values())},
            "x": {"field": "aantal", "type": "quantitative", "stack": "zero", "title": "kandidaten"}}},
    )
    specs["per_school"] = _spec(
        data["per_school"], width=900, height={"step": 14},
        transform=[{"aggregate": [{"op": "sum", "field": "n", "as": "aantal"}], "groupby": ["school", "uitslag"]}],
        mark={"type": "bar", "tooltip": True},
        encoding={
            "y": {"field": "school", "type": "nominal", "title": "BRIN en vestiging"},
            "x": {"field": "aantal", "type": "quantitative", "stack": "normalize", "title": "aandeel kandidaten",
                  "axis": {"format": ".0%", "tickCount": 10}},
            "color": {"field": "uitslag", "type": "nominal", "title": "berekende uitslag",
                      "scale": _scale(UITSLAG_KLEUREN), "legend": {"orient": "top"}},
            "tooltip": [{"field": "school"}, {"field": "uitslag"}, {"field": "aantal", "type": "quantitative"}],
        },
    )
    specs["bevindingen"] = _spec(
        data["bevindingen"], width=380, height={"step": 18},
        transform=[{"aggregate": [{"op": "sum", "field": "n", "as": "aantal"}],
                    "groupby": ["label", "ernst", "omschrijving"]},
                   {"calculate": "datum.label + ' (' + format(datum.aantal, ',d') + ')'", "as": "regel"}],
        mark={"type": "bar", "tooltip": True},
        encoding={
            "y": {"field": "regel", "type": "nominal", "title": None,
                  "sort": {"field": "aantal", "op": "max", "order": "descending"}, "axis": {"labelLimit": 300}},
            "x": {"field": "aantal", "type": "quantitative", "title": "bevindingen (logaritmische schaal)",
                  "scale": {"type": "symlog"}, "axis": {"tickCount": 4, "format": ",d"}},
            "color": {"field": "ernst", "type": "nominal", "scale": _scale(ERNST_KLEUREN),
                      "legend": {"orient": "bottom"}},
            "tooltip": [{"field": "label", "title": "regel"}, {"field": "omschrijving"}, {"field": "ernst"},
                        {"field": "aantal", "type": "quantitative", "format": ",d"}],
        },
    )
    specs["eindcijfers"] = _spec(
        data["eindcijfers"],
        transform=[{"aggregate": [{"op": "sum", "field": "n", "as": "aantal"}], "groupby": ["leerweg", "cijfer"]},
                   {"joinaggregate": [{"op": "sum", "field": "aantal", "as": "totaal"}], "groupby": ["leerweg"]},
                   {"calculate": "datum.aantal / datum.totaal", "as": "aandeel"},
                   {"calculate": "datum.cijfer < 6 ? 'onvoldoende' : 'voldoende'", "as": "oordeel"}],
        facet={"field": "leerweg", "type": "nominal", "title": None}, columns=3,
        spec={"width": 200, "height": 110, "mark": {"type": "bar", "tooltip": True},
              "encoding": {
                  "x": {"field": "cijfer", "type": "ordinal", "title": "eindcijfer", "scale": {"domain": list(range(1, 11))},
                        "axis": {"labelAngle": 0}},
                  "y": {"field": "aandeel", "type": "quantitative", "title": "aandeel", "axis": {"format": ".0%"}},
                  "color": {"field": "oordeel", "type": "nominal", "title": None,
                            "scale": {"domain": ["onvoldoende", "voldoende"], "range": ["#ef6c00", "#1565c0"]}},
                  "tooltip": [{"field": "leerweg"}, {"field": "cijfer"}, {"field": "aantal", "type": "quantitative"},
                              {"field": "aandeel", "type": "quantitative", "format": ".1%"}]}},
    )
    specs["ce_gemiddelde"] = _spec(
        data["ce_gemiddelde"],
        transform=[{"aggregate": [{"op": "sum", "field": "n", "as": "aantal"}], "groupby": ["leerweg", "klasse"]},
                   {"calculate": "datum.klasse + 0.25", "as": "klasse_tot"}],
        facet={"field": "leerweg", "type": "nominal", "title": None}, columns=3,
        spec={"width": 200, "height": 110, "layer": [
            {"mark": {"type": "bar", "tooltip": True, "color": "#1565c0"},
             "encoding": {"x": {"field": "klasse", "type": "quantitative", "title": "CE-gemiddelde",
                                "bin": {"binned": True, "step": 0.25}, "scale": {"domain": [1, 10]}},
                          "x2": {"field": "klasse_tot"},
                          "y": {"field": "aantal", "type": "quantitative", "title": "kandidaten"},
                          "tooltip": [{"field": "leerweg"},
                                      {"field": "klasse", "title": "vanaf", "format": ".2f"},
                                      {"field": "aantal", "type": "quantitative"}]}},
            {"mark": {"type": "rule", "color": "#c62828", "strokeDash": [4, 3]},
             "encoding": {"x": {"datum": 5.5}}},
        ]},
    )
    specs["se_ce"] = _spec(
        data["se_ce"],
        transform=[{"aggregate": [{"op": "sum", "field": "n", "as": "aantal"},
                                  {"op": "sum", "field": "som_se", "as": "som_se"},
                                  {"op": "sum", "field": "som_ce", "as": "som_ce"}],
                    "groupby": ["leerweg", "vak"]},
                   {"calculate": "(datum.som_se - datum.som_ce) / datum.aantal", "as": "verschil"},
                   {"calculate": "datum.som_se / datum.aantal", "as": "se"},
                   {"calculate": "datum.som_ce / datum.aantal", "as": "ce"},
                   {"calculate": f"abs(datum.verschil) > {SE_CE_GRENS} ? 'groot verschil' : ''", "as": "signaal"}],
        height={"step": 16}, width={"step": 70},
        layer=[
            {"mark": {"type": "rect", "tooltip": True},
             "encoding": {
                 "color": {"field": "verschil", "type": "quantitative", "title": "SE − CE",
                           "scale": {"scheme": "redblue", "reverse": True, "domainMid": 0, "domain": [-1.5, 1.5],
                                     "clamp": True}},
                 "stroke": {"condition": {"test": f"abs(datum.verschil) > {SE_CE_GRENS}", "value": "#000"},
                            "value": None},
                 "strokeWidth": {"condition": {"test": f"abs(datum.verschil) > {SE_CE_GRENS}", "value": 2},
                                 "value": 0}}},
            {"mark": {"type": "text", "fontSize": 10},
             "encoding": {"text": {"field": "verschil", "type": "quantitative", "format": "+.1f"},
                          "color": {"condition": {"test": "abs(datum.verschil) > 1", "value": "#fff"},
                                    "value": "#000"}}},
        ],
        encoding={
            "y": {"field": "vak", "type": "nominal", "title": None, "axis": {"labelLimit": 320}},
            "x": {"field": "leerweg", "type": "nominal", "title": None, "axis": {"orient": "top", "labelAngle": 0}},
            "tooltip": [{"field": "vak"}, {"field": "leerweg"},
                        {"field": "se", "title": "gemiddeld SE", "type": "quantitative", "format": ".2f"},
                        {"field": "ce", "title": "gemiddeld CE", "type": "quantitative", "format": ".2f"},
                        {"field": "verschil", "title": "SE − CE", "type": "quantitative", "format": "+.2f"},
                        {"field": "aantal", "title": "vakrijen", "type": "quantitative"},
                        {"field": "signaal"}],
        },
    )
    return specs
