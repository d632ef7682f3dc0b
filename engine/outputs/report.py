"""Render an Outcome as text (for people), JSON and CSV (for vendors) and HTML (a report to open).

Every format is built from the same bevindingen table and candidate table. BSNs never appear in
full: the bevindingen already carry masked values, and candidate rows carry no BSN at all.
"""

from __future__ import annotations

import datetime
import io
import json
import re
from dataclasses import replace

import numpy as np
import pandas as pd
from pandas.io.json import ujson_dumps

from examenbron.engine.outputs.charts import disagreement, number_values, school_keys
from examenbron.engine.outputs.bevindingen import BEVINDINGEN_COLUMNS
from examenbron.engine.outputs.texts import aantal, spreadsheet_safe
from examenbron.engine.vocabulary import AFKEUR, ERNST, UITSLAGEN

PUBLIC_BEVINDINGEN_COLUMNS = [c for c in BEVINDINGEN_COLUMNS if c != "exam_id"]
FORMAAT_VERSIE = "1.0"
# The candidate keys of the JSON contract; values a rule set adds with `rapporteer:` go under "extra".
KANDIDAAT_KEYS = ("brin", "vestiging", "leerlingnummer", "opleidingscode", "examenjaar", "leerweg",
                  "uitslag_school", "uitslag_berekend", "voorwaarden_niet_gehaald", "voorwaarden_onbepaald",
                  "weglaten_vak", "weglaten_regel")
LEGENDA = {
    "onvolledig": "onvolledig: de uitslag kan niet worden berekend omdat gegevens ontbreken "
                  "(bijvoorbeeld een cijfer of het combinatiecijfer); dit is geen afwijzing",
    "niet bepaald": "niet bepaald: de school meldt T (teruggetrokken), D (deeleindexamen) of S (gespreid "
                    "examen); examenbron berekent dan geen uitslag",
}
TERMIJN_REGELS = "TERMIJN-"  # rules whose outcome depends on the peildatum


def exit_code(outcome, fail_on: str = AFKEUR) -> int:
    """0 when no bevinding is at least as severe as `fail_on` ('afkeur' or 'attentie'), else 1."""
    failing = ERNST[:ERNST.index(fail_on) + 1]
    return 1 if outcome.bevindingen["ernst"].isin(failing).any() else 0


def select_bevindingen(outcome, select=(), ignore=()):
    """The outcome with only the bevindingen of the selected rules (ids or codes), minus the ignored ones.

    Raises InputError for a selector that names no rule or code of this run.
    """
    from examenbron.engine.errors import InputError
    if not select and not ignore:
        return outcome
    f = outcome.bevindingen
    known = {str(v).upper() for v in f["regel"].dropna()} | {str(v).upper() for v in f["code"].dropna()}
    for rule in [*outcome.ruleset.controles, *outcome.ruleset.voorwaarden]:
        known |= {rule.id.upper(), str(rule.code or "").upper()}
    unknown = [s for s in (*select, *ignore) if s.upper() not in known]
    if unknown:
        raise InputError(f"onbekende regel of signaalcode: {', '.join(unknown)} "
                         f"(zie `examenbron rules lint {outcome.schooljaar}` voor de regels)")

    def matches(selectors):
        wanted = {s.upper() for s in selectors}
        return f["regel"].astype(str).str.upper().isin(wanted) | f["code"].astype(str).str.upper().isin(wanted)

    keep = matches(select) if select else pd.Series(True, index=f.index)
    if ignore:
        keep &= ~matches(ignore)
    return replace(outcome, bevindingen=f[keep].reset_index(drop=True))


def regelset_text(outcome) -> str:
    """'2024-2025 (definitief, versie 652633fc)': the rule set by year, status and version."""
    status = outcome.ruleset.metadata.get("status") or "status onbekend"
    return f"{outcome.schooljaar} ({status}, versie {str(outcome.ruleset.versie)[:12]})"


def peildatum_notes(outcome, peildatum: datetime.date, standaard: bool) -> list[str]:
    """What the reader must know about the peildatum: the default, and a late one."""
    notes = []
    if standaard:
        notes.append(f"Peildatum {peildatum:%d-%m-%Y} is de datum van vandaag (standaard; kies een andere "
                     "met --peildatum).")
    jaren = outcome.kandidaten["examenjaar"].dropna()
    if len(jaren):
        examenjaar = int(jaren.mode().iloc[0])
        if peildatum > datetime.date(examenjaar, 12, 31):
            notes.append(f"Let op: de peildatum ligt ruim na examenjaar {examenjaar}. De termijncontroles "
                         "(regels TERMIJN-…) hangen van de peildatum af; kies met --peildatum de dag van "
                         "uitwisseling om die bevindingen te laten kloppen.")
    return notes


def summary(outcome) -> dict:
    """Counts per ernst, per rule (with its omschrijving), per leerweg and per computed uitslag."""
    bevindingen, kandidaten = outcome.bevindingen, outcome.kandidaten
    per_regel = (bevindingen.groupby(["regel", "code", "ernst"], dropna=False).size()
                 .sort_values(ascending=False, kind="stable"))
    leerweg, leerwegen = pd.factorize(kandidaten["leerweg"].fillna("onbekend"), sort=True)
    uitslag = pd.Index(UITSLAGEN).get_indexer(kandidaten["uitslag_berekend"])  # -1: none of them
    counts = np.bincount(leerweg * (len(UITSLAGEN) + 1) + uitslag + 1,
                         minlength=len(leerwegen) * (len(UITSLAGEN) + 1)).reshape(len(leerwegen), len(UITSLAGEN) + 1)
    per_leerweg = {name: {"kandidaten": int(row.sum()), **dict(zip(UITSLAGEN, map(int, row[1:])))}
                   for name, row in zip(leerwegen, counts)}
    blocked = bevindingen.loc[bevindingen["ernst"] == AFKEUR, "exam_id"].nunique()
    return {
        "kandidaten": int(len(kandidaten)),
        "vakrijen": int(len(outcome.results.vakken)),
        "kandidaten_met_afkeur": int(blocked),
        "bevindingen_per_ernst": {e: int((bevindingen["ernst"] == e).sum()) for e in ERNST},
        "bevindingen_per_regel": [{"regel": r, "code": c, "ernst": e, "aantal": int(n),
                                   "omschrijving": omschrijving(outcome, r)}
                                  for (r, c, e), n in per_regel.items()],
        "per_leerweg": per_leerweg,
        "uitslag_berekend": dict(zip(UITSLAGEN, map(int, counts[:, 1:].sum(axis=0)))),
        "overgeslagen_regels": outcome.overgeslagen_regels,
    }


def _rules_by_id(outcome) -> dict:
    return {r.id: r for r in [*outcome.ruleset.controles, *outcome.ruleset.voorwaarden]}


def omschrijving(outcome, regel: str) -> str:
    """A rule's omschrijving on one line; the reading checks (INV-…) are described in normalise.RULES."""
    from examenbron.engine.inputs.normalise import RULES
    rule = _rules_by_id(outcome).get(regel)
    if rule is not None:
        return _one_line(rule.omschrijving)
    return f"Bij het inlezen: {RULES[regel][1]}" if regel in RULES else ""


def _one_line(text) -> str:
    return " ".join(str(text or "").split())


def kandidaten_json(outcome, block: int = 20_000):
    """The candidate table as the contract's JSON array, in pieces of `block` candidates; rule-set
    extras nested under 'extra'.

    Written as pandas' ``to_json(orient="records")`` writes it, value for value (`kandidaat_rows`).
    An outcome combined from several processes may carry its rows already written there
    (``kandidaat_json``: the candidate table they were written for, and the rows).
    """
    k = outcome.kandidaten
    written = getattr(outcome, "kandidaat_json", None)
    if written is not None and written[0] is k:
        blocks = (written[1][start:start + block] for start in range(0, len(k), block))
    else:
        blocks = _row_blocks(outcome, block)
    for number, rows in enumerate(blocks):
        yield ("[" if number == 0 else ",") + ",".join(rows.tolist())
    yield "]" if len(k) else "[]"


def kandidaat_rows(outcome) -> np.ndarray:
    """Each candidate as the JSON object `kandidaten_json` writes for it."""
    k = outcome.kandidaten
    return np.concatenate(list(_row_blocks(outcome, max(len(k), 1)))) if len(k) else np.empty(0, dtype=object)


def _row_blocks(outcome, block: int):
    """The candidates' JSON objects in arrays of `block`: each column's distinct values are encoded
    once (by pandas' own encoder), neighbouring fields whose value combinations are few are joined
    once per combination (`_segments`), and each row is the concatenation of its few segment texts."""
    k = outcome.kandidaten
    extras = [c for c in k.columns if c not in KANDIDAAT_KEYS and c != "exam_id"]
    values = outcome.context.kandidaat.values
    columns = [_json_texts(k[name].to_numpy()) for name in KANDIDAAT_KEYS]
    for name in extras:
        value = values.get(name)
        if value is not None and value.kind == "num":  # a number, not its integer numerator
            columns.append(_json_texts(number_values(value, len(k))))
        else:
            columns.append(_json_texts(k[name].astype(object).where(k[name].notna(), None).to_numpy()))
    keys = [_json_scalar(name) + ":" for name in (*KANDIDAAT_KEYS, *extras)]
    prefixes = ["{" + keys[0]] + ["," + key for key in keys[1:]]
    if extras:
        prefixes[len(KANDIDAAT_KEYS)] = ',"extra":{' + keys[len(KANDIDAAT_KEYS)]
    closing = "}}" if extras else ',"extra":{}}'
    fields = [(codes, _prefixed(prefix, texts)) for (codes, texts), prefix in zip(columns, prefixes)]
    fields[-1] = (fields[-1][0], _prefixed("", fields[-1][1], closing))
    segments = _segments(fields, len(k))
    for start in range(0, len(k), block):
        codes, texts = segments[0]
        rows = texts[codes[start:start + block]]
        for codes, texts in segments[1:]:
            rows = rows + texts[codes[start:start + block]]
        yield rows


def _prefixed(prefix: str, texts: np.ndarray, suffix: str = "") -> np.ndarray:
    out = np.empty(len(texts), dtype=object)
    out[:] = [prefix + text + suffix for text in texts]
    return out


def _segments(fields: list, rows: int) -> list:
    """Neighbouring fields (codes per row, text per code) joined while their distinct combinations stay
    below a quarter of the rows: each combination's text is built once instead of once per row."""
    segments = [fields[0]]
    for codes, texts in fields[1:]:
        before_codes, before_texts = segments[-1]
        joint, combinations = pd.factorize(before_codes.astype(np.int64) * len(texts) + codes)
        if len(combinations) * 4 <= rows:
            segments[-1] = (joint, before_texts[combinations // len(texts)] + texts[combinations % len(texts)])
        else:
            segments.append((codes, texts))
    return segments


# Printable ASCII except " / and backslash: pandas writes such a text between quotes as it is.
_PLAIN_TEXT = re.compile(r"[ !#-.0-\[\]-~]*")


def _json_texts(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each value as JSON text, as pandas' to_json writes it: (a code per value, the text per code).
    Every distinct value is encoded once; the last code is null (None, NaN, NA, NaT)."""
    codes, uniques = pd.factorize(values)
    texts = np.empty(len(uniques) + 1, dtype=object)
    uniques = list(uniques)
    if all(type(u) is str for u in uniques) and _PLAIN_TEXT.fullmatch("".join(uniques)):
        texts[:-1] = ['"' + u + '"' for u in uniques]  # all plain: one test for the whole column
    else:
        texts[:-1] = [f'"{u}"' if type(u) is str and _PLAIN_TEXT.fullmatch(u) else _json_scalar(u) for u in uniques]
    texts[-1] = "null"
    codes[codes < 0] = len(uniques)
    return codes, texts


def _json_scalar(value) -> str:
    """One value with the encoder and options of pandas' to_json (escaped '/', 10 significant digits)."""
    return ujson_dumps(value, orient="records", double_precision=10, ensure_ascii=False, date_unit="ms",
                       iso_dates=False, default_handler=None)


def to_json(outcome, *, peildatum, standaard_peildatum: bool = False) -> str:
    """One document following schemas/rapport-1.json (docs/json-formaat.md)."""
    return "".join(json_parts(outcome, peildatum=peildatum, standaard_peildatum=standaard_peildatum))


def json_parts(outcome, *, peildatum, standaard_peildatum: bool = False):
    """The document of `to_json` in pieces, to write a large report without holding it whole."""
    head = {
        "formaat_versie": FORMAAT_VERSIE,
        "geldig": exit_code(outcome) == 0,
        "schooljaar": outcome.schooljaar,
        "regelset": {"naam": outcome.ruleset.naam, "versie": outcome.ruleset.versie,
                     "status": outcome.ruleset.metadata.get("status")},
        "bestand": str(outcome.results.source),
        "peildatum": peildatum.isoformat(),
        "peildatum_standaard": bool(standaard_peildatum),
    }
    yield json.dumps(head, ensure_ascii=False)[:-1] + ', "kandidaten": '
    yield from kandidaten_json(outcome)
    yield ', "bevindingen": ' + outcome.bevindingen[PUBLIC_BEVINDINGEN_COLUMNS].to_json(orient="records",
                                                                                         force_ascii=False)
    yield ', "samenvatting": ' + json.dumps(summary(outcome), ensure_ascii=False, default=_json_default) + "}\n"


def _json_default(value):
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def to_csv(outcome, **_) -> str:
    """The bevindingen table as CSV for Excel: UTF-8 with BOM, `;` separated, one bevinding per line.

    Text that would start a formula in a spreadsheet is prefixed with a quote (see spreadsheet_safe).
    """
    buffer = io.StringIO()
    buffer.write("\ufeff")
    spreadsheet_safe(outcome.bevindingen[PUBLIC_BEVINDINGEN_COLUMNS]).to_csv(buffer, sep=";", index=False)
    return buffer.getvalue()


def to_text(outcome, *, peildatum, standaard_peildatum: bool = False, limit: int = 15) -> str:
    """A summary a person reads at a glance, then the first bevindingen."""
    s = summary(outcome)
    ernst = s["bevindingen_per_ernst"]
    lines = [
        f"examenbron - {outcome.results.source}",
        f"Schooljaar {outcome.schooljaar}: regelset {outcome.ruleset.metadata.get('status') or 'status onbekend'}, "
        f"versie {str(outcome.ruleset.versie)[:12]}; peildatum {peildatum:%d-%m-%Y}",
        *peildatum_notes(outcome, peildatum, standaard_peildatum),
        f"{aantal(s['kandidaten'], 'kandidaat', 'kandidaten')}, {aantal(s['vakrijen'], 'vakrij', 'vakrijen')}",
        "",
        f"Bevindingen: {ernst['afkeur']} afkeur, {ernst['attentie']} attentie, {ernst['info']} info",
    ]
    if s["kandidaten_met_afkeur"]:
        lines.append(f"{aantal(s['kandidaten_met_afkeur'], 'kandidaat', 'kandidaten')} met een afkeur "
                     f"{'wordt' if s['kandidaten_met_afkeur'] == 1 else 'worden'} niet uitgewisseld met BRON")
    lines += ["", "Berekende uitslag per leerweg:",
              f"{'leerweg':<9} {'kandidaten':>10} {'geslaagd':>9} {'afgewezen':>10} "
              f"{'onvolledig':>11} {'niet bepaald':>13}"]
    for name, row in s["per_leerweg"].items():
        lines.append(f"{name:<9} {row['kandidaten']:>10} {row['geslaagd']:>9} {row['afgewezen']:>10} "
                     f"{row['onvolledig']:>11} {row['niet_bepaald']:>13}")
    lines += [f"  {text}" for text in LEGENDA.values()]
    if s["bevindingen_per_regel"]:
        lines += ["", "Bevindingen per regel:"]
        for row in s["bevindingen_per_regel"]:
            lines.append(f"  {row['aantal']:>7}  {row['ernst']:<8} {row['code'] or '':<6} {row['regel']}: "
                         f"{row['omschrijving'] or '(geen omschrijving)'}")
    if outcome.overgeslagen_regels:
        lines += ["", "Overgeslagen regels (niet uitgevoerd, dus ook niet goedgekeurd):"]
        lines += [f"  {item['regel']}: {item['reden']}" for item in outcome.overgeslagen_regels]
    bevindingen = outcome.bevindingen
    if len(bevindingen):
        shown = bevindingen.head(limit)
        lines += ["", f"Eerste {len(shown)} van {aantal(len(bevindingen), 'bevinding', 'bevindingen')}:"]
        for row in shown.itertuples(index=False):
            vak = f" vak {row.vakcode}" if isinstance(row.vakcode, str) else ""
            lines.append(f"  rij {row.bron_rij}: leerling {row.leerlingnummer}{vak} [{row.ernst} {row.code}] "
                         f"{row.melding}")
        if len(bevindingen) > limit:
            lines.append("  ... alle bevindingen: --format html (rapport), xlsx, csv of json")
    return "\n".join(lines) + "\n"


def rule_rows(outcome) -> list[dict]:
    """Every check and voorwaarde (and reading check) with its omschrijving, grondslag and number of bevindingen."""
    counts = outcome.bevindingen.groupby(["regel", "ernst"]).size()
    skipped = {item["regel"]: item["reden"] for item in outcome.overgeslagen_regels}
    rows = []
    for rule in [*outcome.ruleset.controles, *outcome.ruleset.voorwaarden]:
        per = {e: int(counts.get((rule.id, e), 0)) for e in ERNST}
        rows.append({"id": rule.id, "code": rule.code or "", "ernst": rule.ernst or "",
                     "soort": rule.soort, "omschrijving": " ".join(rule.omschrijving.split()),
                     "grondslag": rule.grondslag or "", "referentie": " ".join(rule.referentie),
                     "bron": f"{rule.file}:{rule.line}",
                     "aantal": sum(per.values()), "overgeslagen": skipped.get(rule.id, "")})
    known = {r["id"] for r in rows}
    for (regel, ernst), n in counts.items():  # bevindingen of reading the file (INV-…) carry no rule object
        if regel not in known:
            known.add(regel)
            rows.append({"id": regel, "code": "", "ernst": ernst, "soort": "invoer",
                         "omschrijving": omschrijving(outcome, regel), "grondslag": "", "referentie": "",
                         "bron": "",
                         "aantal": int(counts[regel].sum()), "overgeslagen": ""})
    return sorted(rows, key=lambda r: (-r["aantal"], r["id"]))


def per_school_rows(outcome) -> list[dict]:
    """Per school (brin + vestiging): candidates per computed uitslag, disagreements, afkeur."""
    k = outcome.kandidaten
    f = outcome.bevindingen
    frame = pd.DataFrame({"school": school_keys(k), "uitslag": k["uitslag_berekend"],
                          "afwijkend": disagreement(k),
                          "afkeur": k["exam_id"].isin(f.loc[f["ernst"] == AFKEUR, "exam_id"])})
    rows = []
    for school, group in frame.groupby("school", sort=True):
        rows.append({"school": school, "kandidaten": len(group),
                     **{u: int((group["uitslag"] == u).sum()) for u in UITSLAGEN},
                     "afwijkend": int(group["afwijkend"].sum()), "afkeur": int(group["afkeur"].sum())})
    return rows


def to_html(outcome, **options) -> str:
    """The HTML report (engine/outputs/html.py)."""
    from examenbron.engine.outputs.html import to_html as render
    return render(outcome, **options)


def to_xlsx(outcome, **options) -> bytes:
    """The Excel report (engine/outputs/xlsx.py)."""
    from examenbron.engine.outputs.xlsx import to_xlsx as render
    return render(outcome, **options)


RENDERERS = {"text": to_text, "json": to_json, "csv": to_csv, "html": to_html, "xlsx": to_xlsx}
