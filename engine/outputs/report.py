"""Render an Outcome as text (for people), JSON and CSV (for vendors) and HTML (a report to open).

Every format is built from the same findings table and candidate table. BSNs never appear in
full: the findings already carry masked values, and candidate rows carry no BSN at all.
"""

from __future__ import annotations

import io
import json
from collections import Counter

from examenbron.engine.outputs.neutralise import spreadsheet_cell
from examenbron.engine.outputs.findings import FINDINGS_COLUMNS

PUBLIC_FINDINGS_COLUMNS = [c for c in FINDINGS_COLUMNS if c != "exam_id"]
ERNST_ORDER = ("afkeur", "attentie", "info")
UITSLAG_ORDER = ("geslaagd", "afgewezen", "onvolledig", "niet_bepaald")


def exit_code(outcome) -> int:
    """0 when there is no afkeur finding, 1 when there is at least one."""
    return 1 if (outcome.findings["ernst"] == "afkeur").any() else 0


def summary(outcome) -> dict:
    """Counts per ernst, per rule, per leerweg and per computed uitslag."""
    findings, kandidaten = outcome.findings, outcome.kandidaten
    per_regel = (findings.groupby(["regel", "code", "ernst"], dropna=False).size()
                 .sort_values(ascending=False, kind="stable"))
    leerweg = kandidaten["leerweg"].fillna("onbekend")
    per_leerweg = {}
    for name, group in kandidaten.groupby(leerweg, sort=True):
        per_leerweg[name] = {"kandidaten": int(len(group)),
                             **{u: int((group["uitslag_berekend"] == u).sum()) for u in UITSLAG_ORDER}}
    blocked = findings.loc[findings["ernst"] == "afkeur", "exam_id"].nunique()
    return {
        "kandidaten": int(len(kandidaten)),
        "vakrijen": int(len(outcome.results.vakken)),
        "kandidaten_met_afkeur": int(blocked),
        "bevindingen_per_ernst": {e: int((findings["ernst"] == e).sum()) for e in ERNST_ORDER},
        "bevindingen_per_regel": [{"regel": r, "code": c, "ernst": e, "aantal": int(n)}
                                  for (r, c, e), n in per_regel.items()],
        "per_leerweg": per_leerweg,
        "uitslag_berekend": {u: int((kandidaten["uitslag_berekend"] == u).sum()) for u in UITSLAG_ORDER},
        "overgeslagen_regels": outcome.skipped,
    }


def to_json(outcome, *, peildatum) -> str:
    """One document with stable keys (see docs/datamodel.md §3); large tables go through pandas' C encoder."""
    kandidaten = outcome.kandidaten.drop(columns=["exam_id"])
    head = {
        "schooljaar": outcome.schooljaar,
        "regelset": {"naam": outcome.ruleset.naam, "versie": outcome.ruleset.versie,
                     "status": outcome.ruleset.metadata.get("status")},
        "bestand": outcome.results.source,
        "peildatum": peildatum.isoformat(),
    }
    parts = [json.dumps(head, ensure_ascii=False)[:-1],
             ', "kandidaten": ', kandidaten.to_json(orient="records", force_ascii=False),
             ', "bevindingen": ', outcome.findings[PUBLIC_FINDINGS_COLUMNS].to_json(orient="records", force_ascii=False),
             ', "samenvatting": ', json.dumps(summary(outcome), ensure_ascii=False, default=_json_default), "}\n"]
    return "".join(parts)


def _json_default(value):
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def to_csv(outcome) -> str:
    """The findings table as CSV (`;`, UTF-8), one finding per line; no cell starts a formula."""
    buffer = io.StringIO()
    table = outcome.findings[PUBLIC_FINDINGS_COLUMNS]
    table = table.apply(lambda column: column.map(spreadsheet_cell) if column.dtype == object else column)
    table.to_csv(buffer, sep=";", index=False)
    return buffer.getvalue()


def to_text(outcome, *, peildatum, limit: int = 15) -> str:
    """A summary a person reads at a glance, then the first findings."""
    s = summary(outcome)
    ernst = s["bevindingen_per_ernst"]
    lines = [
        f"examenbron — {outcome.results.source}",
        f"Schooljaar {outcome.schooljaar} (regels {outcome.ruleset.versie}, "
        f"{outcome.ruleset.metadata.get('status')}), peildatum {peildatum:%d-%m-%Y}",
        f"{s['kandidaten']} kandidaten, {s['vakrijen']} vakrijen",
        "",
        f"Bevindingen: {ernst['afkeur']} afkeur, {ernst['attentie']} attentie, {ernst['info']} info"
        f" — {s['kandidaten_met_afkeur']} kandidaten met een afkeur worden niet uitgewisseld",
    ]
    lines += ["", f"{'leerweg':<9} {'kandidaten':>10} {'geslaagd':>9} {'afgewezen':>10} "
                  f"{'onvolledig':>11} {'niet bepaald':>13}"]
    for name, row in s["per_leerweg"].items():
        lines.append(f"{name:<9} {row['kandidaten']:>10} {row['geslaagd']:>9} {row['afgewezen']:>10} "
                     f"{row['onvolledig']:>11} {row['niet_bepaald']:>13}")
    if s["bevindingen_per_regel"]:
        lines += ["", "Per regel:"]
        for row in s["bevindingen_per_regel"][:20]:
            lines.append(f"  {row['aantal']:>7}  {row['ernst']:<8} {row['code']:<6} {row['regel']}")
    if outcome.skipped:
        lines += ["", "Overgeslagen regels (niet uitgevoerd, dus ook niet goedgekeurd):"]
        lines += [f"  {item['regel']}: {item['reden']}" for item in outcome.skipped]
    findings = outcome.findings
    if len(findings):
        shown = findings.head(limit)
        lines += ["", f"Eerste {len(shown)} van {len(findings)} bevindingen:"]
        for row in shown.itertuples(index=False):
            vak = f" vak {row.vakcode}" if isinstance(row.vakcode, str) else ""
            lines.append(f"  rij {row.bron_rij}: leerling {row.leerlingnummer}{vak} [{row.ernst} {row.code}] "
                         f"{row.melding}")
        if len(findings) > limit:
            lines.append("  … gebruik --format csv, json of html voor alle bevindingen")
    return "\n".join(lines) + "\n"


def to_html(outcome, *, peildatum) -> str:
    """A self-contained HTML report a school administrator can open in a browser."""
    from jinja2 import Environment, PackageLoader, select_autoescape
    env = Environment(loader=PackageLoader("examenbron.engine.outputs", "templates"), autoescape=select_autoescape(["html"]))
    findings = outcome.findings[PUBLIC_FINDINGS_COLUMNS].head(5000)
    findings = findings.astype(object).where(findings.notna(), "")
    afgewezen = outcome.kandidaten[outcome.kandidaten["uitslag_berekend"] != "geslaagd"]
    return env.get_template("rapport.html").render(
        outcome=outcome, s=summary(outcome), peildatum=peildatum, findings=findings.to_dict("records"),
        total=len(outcome.findings), afwijkend=afgewezen.head(2000).to_dict("records"),
        codes=Counter(outcome.findings["code"]),
    )


RENDERERS = {"text": to_text, "json": to_json, "html": to_html}
