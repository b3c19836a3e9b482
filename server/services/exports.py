"""The weekly progress table (活动进展情况统计表) as XLSX and CSV, from the statistics."""

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

# (header, figure, kind): kind 'n' counts, '%' a rate, 'h' hours.
Column = tuple[str, str | tuple[str, str], str]
# One street's (or the total's) figures, as the statistics give them.
Figures = Mapping[str, Any]
Cell = str | int | float | None

COLUMNS: list[Column] = [
    ("街道乡镇", "label", "text"),
    ("排查隐患数", "reported", "n"),
    ("有效隐患数", "valid", "n"),
    ("已分派数", "assigned", "n"),
    ("已整改数", "rectified", "n"),
    ("整改率", ("rectified", "valid"), "%"),
    ("已复核数", "verified", "n"),
    ("已销号数", "closed", "n"),
    ("销号率", "closure_rate", "%"),
    ("按期销号率", "on_time_rate", "%"),
    ("未完成数", "open", "n"),
    ("超期未整改数", "open_overdue", "n"),
    ("复查不合格或重新打开数", "reopened", "n"),
    ("退回数", "returned", "n"),
    ("随手拍举报数", "by_volunteers", "n"),
    ("网格员上报数", "by_grid_workers", "n"),
    ("照片存疑数", "photos_flagged", "n"),
    ("销号用时中位数（工作小时）", ("working_hours_to_close", "p50"), "h"),
    ("销号用时90分位（工作小时）", ("working_hours_to_close", "p90"), "h"),
]


# The inspections sheet (检查情况): one row per street, from the inspection statistics.
INSPECTION_COLUMNS: list[Column] = [
    ("街道乡镇", "label", "text"),
    ("检查场所数", "places_inspected", "n"),
    ("检查次数", "inspections", "n"),
    ("检查项数", "items_answered", "n"),
    ("合格项数", "passed", "n"),
    ("不合格项数", "failed", "n"),
    ("不适用项数", "not_applicable", "n"),
    ("合格率", "pass_rate", "%"),
    ("发现隐患数", "hazards_found", "n"),
    ("每次检查发现隐患数", "hazards_per_inspection", "r"),
]


def cell_value(row: Figures, figure: str | tuple[str, str], kind: str) -> Cell:
    """Return the value of one column for one row of figures."""
    if kind == "%" and isinstance(figure, tuple):
        numerator, denominator = row[figure[0]], row[figure[1]]
        return round(numerator / denominator, 4) if denominator else None
    if kind in ("%", "r"):
        assert isinstance(figure, str)  # a rate read as it is names one figure
        return row[figure]["value"]
    if isinstance(figure, tuple):
        value = row[figure[0]][figure[1]]
        return round(value, 1) if value is not None else None
    return row[figure]


def table(
    rows: Iterable[Figures], total: Figures, columns: Sequence[Column] = COLUMNS
) -> list[list[Cell]]:
    """Return the table as lists of cell values: header, one row per street, totals."""
    body = [[cell_value(r, figure, kind) for _, figure, kind in columns] for r in rows]
    return [
        [header for header, _, _ in columns],
        *body,
        [cell_value(total, figure, kind) for _, figure, kind in columns],
    ]


def to_csv(title: str, rows: Iterable[Figures], total: Figures) -> str:
    """Return the table as CSV text (UTF-8 with BOM, so Excel reads the Chinese)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([title])
    for line in table(rows, total):
        writer.writerow(["" if v is None else v for v in line])
    return "\ufeff" + buffer.getvalue()


def _sheet(
    sheet: Worksheet,
    title: str,
    rows: Iterable[Figures],
    total: Figures,
    columns: Sequence[Column] = COLUMNS,
) -> None:
    sheet.append([title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(columns))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    lines = table(rows, total, columns)
    for line in lines:
        sheet.append(line)
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.fill = header_fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for index, (header, _, kind) in enumerate(columns, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = (
            18 if kind == "text" else max(10, len(header) * 2 + 2)
        )
        number_format = {"n": "0", "%": "0.0%", "h": "0.0", "r": "0.00"}.get(kind)
        if number_format:
            for row in range(3, sheet.max_row + 1):
                sheet[f"{letter}{row}"].number_format = number_format
    sheet.row_dimensions[2].height = 36
    sheet.freeze_panes = "B3"  # the header and the street column stay in view


def to_xlsx(
    title: str,
    rows: Iterable[Figures],
    total: Figures,
    departments: Iterable[tuple[str, Iterable[Figures], Figures]] = (),
    inspections: tuple[Iterable[Figures], Figures] | None = None,
) -> bytes:
    """Return the workbook bytes: the district sheet, the inspections sheet (检查情况)
    when `inspections` = (rows, total) is given, then one sheet per department."""
    workbook = Workbook()
    _sheet(workbook.active, title, rows, total)
    workbook.active.title = "全区"
    if inspections is not None:
        _sheet(
            workbook.create_sheet("检查情况"),
            f"{title}（场所检查情况）",
            *inspections,
            columns=INSPECTION_COLUMNS,
        )
    for name, department_rows, department_total in departments:
        _sheet(
            workbook.create_sheet(name[:31]),
            f"{title}（{name}）",
            department_rows,
            department_total,
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
