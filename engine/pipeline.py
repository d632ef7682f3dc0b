"""The whole run for one results file: prepare → derive → check → decide → check the uitslag.

Returns an `Outcome`: the findings table, one row per candidate exam (`kandidaten`), the rules
that were skipped and why, and the evaluation context (used by `explain`).
"""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass, field, replace

import pandas as pd

from examenbron.engine.errors import InputError
from examenbron.engine.evaluation.backends import checker
from examenbron.engine.evaluation.decide import Decision, decide
from examenbron.engine.evaluation.derive import derive
from examenbron.engine.evaluation.evaluate import Context, to_series
from examenbron.engine.outputs.findings import concat_findings
from examenbron.engine.evaluation.prepare import prepare
from examenbron.engine.outputs.texts import template_fields


@dataclass
class Outcome:
    """Everything a report, an explanation or the export needs."""

    schooljaar: str
    ruleset: object
    results: object
    findings: pd.DataFrame
    kandidaten: pd.DataFrame
    skipped: list
    context: Context
    decision: Decision
    timings: dict = field(default_factory=dict)


def schooljaar_of(examenjaar: int) -> str:
    """Examenjaar 2025 belongs to school year 2024-2025."""
    return f"{examenjaar - 1}-{examenjaar}"


def schooljaar_from(results) -> str:
    """The school year of the most frequent valid examenjaar in `results`."""
    years = results.examens["examenjaar"].dropna()
    if not len(years):
        raise InputError(f"{results.source}: geen geldig examenjaar in het bestand; "
                         "geef --schooljaar op, bijvoorbeeld --schooljaar 2024-2025")
    return schooljaar_of(int(years.mode().iloc[0]))


def missing_columns(rule, ruleset, columns_present) -> list:
    """The optional input columns a rule reads that the file does not have."""
    names = rule.voorwaarde.names() | (rule.wanneer.names() if rule.wanneer is not None else set())
    names |= set(rule.waarden) | set(template_fields(rule.melding))
    return ruleset.missing_optional(names, columns_present)


def skip_reason(rule, ruleset, columns_present, peildatum) -> str | None:
    """Why a rule cannot run on this file (an optional column is absent, or not in force)."""
    missing = missing_columns(rule, ruleset, columns_present)
    if missing:
        return f"kolom ontbreekt in het bestand: {', '.join(missing)}"
    return _not_in_force(rule, peildatum)


def _not_in_force(rule, peildatum) -> str | None:
    if rule.geldig_van and peildatum < rule.geldig_van:
        return f"nog niet van kracht op de peildatum (geldig vanaf {rule.geldig_van})"
    if rule.geldig_tot and peildatum > rule.geldig_tot:
        return f"niet meer van kracht op de peildatum (geldig tot {rule.geldig_tot})"
    return None


def run(results, ruleset, tables, *, peildatum: datetime.date | None = None, backend: str = "pandas") -> Outcome:
    """Validate `results` with `ruleset` and the year's code `tables` (checks by `backend`)."""
    peildatum = peildatum or datetime.date.today()
    run_checks = checker(backend)
    timings = {}
    clock = time.perf_counter()

    def lap(name):
        nonlocal clock
        now = time.perf_counter()
        timings[name] = now - clock
        clock = now

    ctx = prepare(results, tables, peildatum, ruleset.parameters)
    lap("voorbereiden")
    derive(ctx, ruleset.derivations)
    lap("afleiden")
    skipped, reasons = [], {}
    for rule in [*ruleset.checks, *ruleset.voorwaarden]:
        reason = skip_reason(rule, ruleset, results.columns_present, peildatum)
        if reason:
            reasons[rule.id] = reason
            skipped.append({"regel": rule.id, "reden": reason})
    skip = lambda rule: reasons.get(rule.id)  # noqa: E731
    invoer = [r for r in ruleset.checks if r.fase == "invoer"]
    findings = run_checks(ctx, invoer, schooljaar=ruleset.schooljaar, examens=results.examens, skip=skip)
    lap("controleren")
    # A voorwaarde that reads an absent optional column is not met or unmet: it is onbepaald
    # (uitslag onvolledig), never silently left out.
    onbepaalbaar = {r.id for r in ruleset.voorwaarden if r.id in reasons and not _not_in_force(r, peildatum)}
    for entry in skipped:
        if entry["regel"] in onbepaalbaar:
            entry["reden"] += "; de voorwaarde is daarom onbepaald (uitslag onvolledig)"
    voorwaarden = [r for r in ruleset.voorwaarden if r.id not in reasons or r.id in onbepaalbaar]
    decision = decide(ctx, _with_voorwaarden(ruleset, voorwaarden), onbepaalbaar=onbepaalbaar)
    lap("uitslag")
    na_uitslag = [r for r in ruleset.checks if r.fase == "uitslag"]
    uitslag_findings = run_checks(ctx, na_uitslag, schooljaar=ruleset.schooljaar,
                                  examens=results.examens, skip=skip)
    parse_findings = results.findings.assign(schooljaar=ruleset.schooljaar)
    findings = concat_findings([parse_findings, findings, uitslag_findings])
    findings = findings.sort_values(["exam_id", "bron_rij", "regel"], kind="stable", na_position="first")
    findings = findings.reset_index(drop=True)
    kandidaten = _kandidaten(ctx, results, decision, ruleset)
    lap("bevindingen")
    return Outcome(ruleset.schooljaar, ruleset, results, findings, kandidaten, skipped, ctx, decision, timings)


def _with_voorwaarden(ruleset, voorwaarden):
    """The rule set with only the voorwaarden that can run on this file."""
    return replace(ruleset, voorwaarden=voorwaarden)


def _kandidaten(ctx: Context, results, decision: Decision, ruleset) -> pd.DataFrame:
    """One row per candidate exam with the school's and the computed uitslag."""
    examens = results.examens
    n = len(examens)
    values = ctx.kandidaat.values
    frame = pd.DataFrame({
        "exam_id": examens["exam_id"].to_numpy(),
        "brin": examens["brin"].to_numpy(), "vestiging": examens["vestiging"].to_numpy(),
        "leerlingnummer": examens["leerlingnummer"].to_numpy(),
        "opleidingscode": examens["opleidingscode"].to_numpy(),
        "examenjaar": examens["examenjaar"].to_numpy(),
        "leerweg": to_series(values["leerweg"], n).to_numpy(),
        "uitslag_school": examens["uitslag"].to_numpy(),
        "uitslag_berekend": decision.uitslag,
        "voorwaarden_niet_gehaald": decision.niet_gehaald,
        "voorwaarden_onbepaald": decision.onbepaald,
        "weglaten_vak": to_series(values["weglaten_vak"], n).to_numpy(),
        "weglaten_regel": to_series(values["weglaten_regel"], n).to_numpy(),
    })
    for name in ruleset.metadata.get("rapporteer", []) or []:
        frame[name] = to_series(values[name], n).to_numpy()
    return frame
