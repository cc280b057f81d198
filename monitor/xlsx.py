"""A department's rectification list as an Excel workbook (openpyxl).

The format offices forward and fill in: one row per finding with the fields of RULES.md §7,
overdue rows filled red, new rows yellow, and columns for the department to return
(整改情况 with a drop-down, 整改说明, 完成日期, 整改人). Page text never becomes a formula:
every text cell is stored as a string, and characters Excel cannot hold are dropped.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from .config import Config
from .finding import SEVERITIES
from .worklist import FIELDS, DepartmentList, Row, row_fields, safe_url

RETURN_FIELDS = ["整改情况", "整改说明", "整改完成日期", "整改人"]
RETURN_CHOICES = ["已整改", "整改中", "无需整改（误报）"]
OMIT = {"todo": {"fixed_on", "ignored"}, "fixed": {"ignored", "deadline", "section"},
        "ignored": {"fixed_on", "deadline", "section"}}
WIDE = {"text": 24, "suggestion": 24, "note": 36, "context": 48, "page_title": 28, "url": 40, "parent_url": 40,
        "fingerprint": 14}
FILL = {"overdue": PatternFill("solid", fgColor="F8D7DA"), "new": PatternFill("solid", fgColor="FFF3BF")}
HEADER_FILL = PatternFill("solid", fgColor="DDDDDD")
MAX_CELL = 32_000  # Excel holds at most 32,767 characters in a cell


def _cell_value(value: Any) -> Any:
    if value is None or isinstance(value, (int, float, date)):
        return value
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    return text[:MAX_CELL]


def _write_rows(ws: Worksheet, rows: list[Row], keys: list[tuple[str, str]], config: Config, dept_name: str,
                returns: bool) -> None:
    headings = ["序号", *(label for _, label in keys), *(RETURN_FIELDS if returns else [])]
    ws.append(headings)
    for cell in ws[1]:
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    for n, row in enumerate(rows, start=1):
        values = row_fields(row, config, dept_name)
        ws.append([n, *(_cell_value(values[key]) for key, _ in keys), *([None] * len(RETURN_FIELDS) if returns else [])])
        line = ws.max_row
        for col, (key, _) in enumerate(keys, start=2):
            cell = ws.cell(line, col)
            if isinstance(cell.value, str):
                cell.data_type = "s"  # "=HYPERLINK(…)" from a web page stays text
            if isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
            if key in ("url", "parent_url") and cell.value and safe_url(cell.value) != "#":
                cell.hyperlink = cell.value
                cell.font = Font(color="1C4E9C", underline="single")
            cell.alignment = Alignment(vertical="top", wrap_text=key in WIDE)
            if row.section in FILL:
                cell.fill = FILL[row.section]
    for col, (key, _) in enumerate(keys, start=2):
        ws.column_dimensions[get_column_letter(col)].width = WIDE.get(key, 12)
    ws.column_dimensions["A"].width = 6
    ws.freeze_panes = "C2"
    # printable as delivered: A4 landscape, all columns on the page width, the header on every page
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.print_title_rows = "1:1"
    if rows:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(headings))}{ws.max_row}"
    if returns:
        first = len(keys) + 2
        for offset in range(len(RETURN_FIELDS)):
            ws.column_dimensions[get_column_letter(first + offset)].width = 16
        if rows:
            choice = DataValidation(type="list", formula1='"' + ",".join(RETURN_CHOICES) + '"', allow_blank=True)
            ws.add_data_validation(choice)
            choice.add(f"{get_column_letter(first)}2:{get_column_letter(first)}{ws.max_row}")


def write_department_xlsx(dl: DepartmentList, config: Config, path: Path, scan_date: date,
                          generated: date) -> Path:
    """Write `path` (.xlsx): 整改清单 (to fix), 已整改, 已忽略 and 说明 sheets."""
    wb = Workbook()
    todo = wb.active
    todo.title = "整改清单"
    keys = [(k, label) for k, label in FIELDS if k not in OMIT["todo"]]
    _write_rows(todo, dl.todo, keys, config, dl.name, returns=True)
    for name, section in (("已整改", "fixed"), ("已忽略", "ignored")):
        ws = wb.create_sheet(name)
        keys = [(k, label) for k, label in FIELDS if k not in OMIT[section]]
        _write_rows(ws, dl.section(section), keys, config, dl.name, returns=False)
    about = wb.create_sheet("说明")
    counts = dl.section_counts
    lines: list[tuple[str, Any]] = [
        ("责任单位", _cell_value(dl.name)),
        ("扫描日期", scan_date),
        ("生成日期", generated),
        ("待整改问题", len(dl.todo)),
        *((f"其中{SEVERITIES[s]}", dl.counts[s]) for s in SEVERITIES),
        ("逾期未整改", counts["overdue"]),
        ("新发现", counts["new"]),
        ("最近一次扫描确认已整改", counts["fixed"]),
        ("已忽略", counts["ignored"]),
        ("整改期限", "、".join(f"{label} {config.deadlines.days_for(s)} 天" for s, label in SEVERITIES.items())
         + "（自首次发现或再次出现之日起）"),
        ("填写说明", "请在“整改清单”表最后四列填写整改情况后回传；已整改的问题在下次完整扫描后自动确认。"),
    ]
    for label, value in lines:
        about.append([label, value])
        about.cell(about.max_row, 1).font = Font(bold=True)
        if isinstance(value, date):
            about.cell(about.max_row, 2).number_format = "yyyy-mm-dd"
        elif isinstance(value, str):
            about.cell(about.max_row, 2).data_type = "s"
    about.column_dimensions["A"].width = 16
    about.column_dimensions["B"].width = 80
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    wb.save(tmp)
    tmp.replace(path)
    return path
