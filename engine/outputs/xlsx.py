"""The Excel report: sheets samenvatting, bevindingen, kandidaten and per school (openpyxl, write-only).

Every sheet has a frozen, bold header row, an autofilter and column widths that fit; ernst cells are
coloured. Text that a spreadsheet would read as a formula is neutralised (texts.spreadsheet_safe).
"""

from __future__ import annotations

import io

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from examenbron.engine.outputs import charts
from examenbron.engine.outputs.report import (LEGENDA, PUBLIC_BEVINDINGEN_COLUMNS, peildatum_notes, per_school_rows,
                                              regelset_text, rule_rows, summary)
from examenbron.engine.outputs.texts import FORMULA_START, spreadsheet_safe
from examenbron.engine.vocabulary import ERNST, UITSLAGEN

ERNST_FILL = dict(zip(ERNST, ("F8D7DA", "FFE8CC", "DCEBFA")))
HEADER_FILL = PatternFill("solid", fgColor="1D2B3A")
HEADER_FONT = Font(bold=True, color="FFFFFF")
MAX_WIDTH = 60


def to_xlsx(outcome, *, peildatum, standaard_peildatum: bool = False) -> bytes:
    """The workbook as bytes."""
    book = Workbook(write_only=True)
    _summary_sheet(book, outcome, peildatum, standaard_peildatum)
    bevindingen = outcome.bevindingen[PUBLIC_BEVINDINGEN_COLUMNS].copy()
    bevindingen.insert(0, "school", charts.school_keys(bevindingen))
    _table_sheet(book, "bevindingen", bevindingen, ernst_column="ernst")
    _table_sheet(book, "kandidaten", _candidates(outcome))
    _table_sheet(book, "per school", pd.DataFrame(per_school_rows(outcome)).rename(columns={
        "school": "BRIN en vestiging", "niet_bepaald": "niet bepaald", "afkeur": "met afkeur"}))
    rules = pd.DataFrame(rule_rows(outcome)).rename(columns={"aantal": "bevindingen", "bron": "bestand"})
    _table_sheet(book, "regels", rules, ernst_column="ernst")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _candidates(outcome) -> pd.DataFrame:
    k = outcome.kandidaten
    frame = pd.DataFrame({
        "school": charts.school_keys(k), "leerlingnummer": k["leerlingnummer"], "opleidingscode": k["opleidingscode"],
        "examenjaar": k["examenjaar"], "leerweg": k["leerweg"], "uitslag school": k["uitslag_school"],
        "uitslag berekend": k["uitslag_berekend"].str.replace("_", " "),
        "afwijkend": charts.disagreement(k).map({True: "ja", False: ""}),
        "voorwaarden niet gehaald": k["voorwaarden_niet_gehaald"].map(", ".join),
        "voorwaarden onbepaald": k["voorwaarden_onbepaald"].map(", ".join),
        "weggelaten vak": k["weglaten_vak"],
    })
    afwijkend_eerst = frame["afwijkend"] != "ja"
    return frame.assign(_order=afwijkend_eerst).sort_values("_order", kind="stable").drop(columns="_order")


def _summary_sheet(book, outcome, peildatum, standaard):
    s = summary(outcome)
    sheet = _new_sheet(book, "samenvatting")
    sheet.column_dimensions["A"].width = 34
    for column in "BCDEFG":
        sheet.column_dimensions[column].width = 14
    bold = Font(bold=True)

    def row(*values, font=None):
        sheet.append([_cell(sheet, v, font=font) for v in values])

    row("Controle examenresultaten", font=Font(bold=True, size=14))
    row("bestand", str(outcome.results.source))
    row("regelset", regelset_text(outcome))
    row("peildatum", peildatum.strftime("%d-%m-%Y"))
    for note in peildatum_notes(outcome, peildatum, standaard):
        row("", note)
    row("kandidaten", s["kandidaten"])
    row("vakrijen", s["vakrijen"])
    row("kandidaten met afkeur", s["kandidaten_met_afkeur"])
    row("uitslag school anders dan berekend", int(charts.disagreement(outcome.kandidaten).sum()))
    row()
    row("bevindingen per ernst", font=bold)
    for ernst, n in s["bevindingen_per_ernst"].items():
        sheet.append([_cell(sheet, ernst, fill=ERNST_FILL.get(ernst)), n])
    row()
    row("berekende uitslag per leerweg", font=bold)
    row("leerweg", "kandidaten", *(u.replace("_", " ") for u in UITSLAGEN), font=bold)
    for name, counts in s["per_leerweg"].items():
        row(name, counts["kandidaten"], *(counts[u] for u in UITSLAGEN))
    for text in LEGENDA.values():
        row("", text)
    row()
    row("bevindingen per regel", font=bold)
    row("regel", "code", "ernst", "aantal", "omschrijving", font=bold)
    for item in s["bevindingen_per_regel"]:
        sheet.append([_cell(sheet, item["regel"]), _cell(sheet, item["code"]),
                      _cell(sheet, item["ernst"], fill=ERNST_FILL.get(item["ernst"])), item["aantal"],
                      _cell(sheet, item["omschrijving"])])
    if outcome.overgeslagen_regels:
        row()
        row("overgeslagen regels (niet uitgevoerd, dus ook niet goedgekeurd)", font=bold)
        for item in outcome.overgeslagen_regels:
            row(item["regel"], item["reden"])


def _new_sheet(book, name: str):
    """A sheet that prints (or converts to PDF) landscape with all columns on one page width."""
    sheet = book.create_sheet(name)
    sheet.page_setup.orientation = "landscape"
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    return sheet


def _cell(sheet, value, *, font=None, fill=None):
    if isinstance(value, str) and value.startswith(FORMULA_START):
        value = "'" + value
    cell = WriteOnlyCell(sheet, value=value)
    if font is not None:
        cell.font = font
    if fill:
        cell.fill = PatternFill("solid", fgColor=fill)
    return cell


def _table_sheet(book, name: str, frame: pd.DataFrame, ernst_column: str | None = None):
    """One table: header frozen and filtered, widths from the content, ernst coloured."""
    sheet = _new_sheet(book, name)
    frame = spreadsheet_safe(frame.astype(object).where(frame.notna(), None))
    columns = list(frame.columns)
    for i, column in enumerate(columns, start=1):
        sample = frame[column].head(2000).map(lambda v: len(str(v)) if v is not None else 0)
        width = max(len(str(column)) + 3, int(sample.quantile(0.95)) + 2 if len(sample) else 0)
        sheet.column_dimensions[get_column_letter(i)].width = min(width, MAX_WIDTH)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(frame) + 1}"
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=str(column))
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(vertical="top")
        header.append(cell)
    sheet.append(header)
    fills = {e: PatternFill("solid", fgColor=c) for e, c in ERNST_FILL.items()}
    at = columns.index(ernst_column) if ernst_column in columns else -1
    for values in frame.itertuples(index=False, name=None):
        values = list(values)
        if at >= 0 and values[at] in fills:
            cell = WriteOnlyCell(sheet, value=values[at])
            cell.fill = fills[values[at]]
            values[at] = cell
        sheet.append(values)
