"""The weekly progress table (活动进展情况统计表) as XLSX and CSV, from the statistics;
and a hazard list as XLSX (the console's 导出Excel)."""

import csv
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from server.services.workdays import SHANGHAI

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


# The one time a workbook's file records: its figures alone make its bytes, so the same
# week downloaded twice, or from the console and from the API, is the same file.
STILL = datetime(1980, 1, 1)  # the earliest time a zip entry can hold


class _StillZip(ZipFile):
    """A zip archive whose entries all carry the same time (STILL)."""

    @staticmethod
    def _still(name: str | ZipInfo) -> ZipInfo:
        if isinstance(name, ZipInfo):
            return name
        info = ZipInfo(name, date_time=STILL.timetuple()[:6])
        info.compress_type = ZIP_DEFLATED
        return info

    def writestr(self, zinfo_or_arcname: str | ZipInfo, data: Any, *args: Any, **kw: Any) -> None:
        super().writestr(self._still(zinfo_or_arcname), data, *args, **kw)

    def write(self, filename: Any, arcname: Any = None, *args: Any, **kw: Any) -> None:
        # openpyxl writes each sheet to a temporary file first: its time is not the sheet's.
        with open(filename, "rb") as file:
            self.writestr(arcname or str(filename), file.read())


def _saved(workbook: Workbook) -> bytes:
    """Return a workbook's bytes, the same every time for the same cells (openpyxl's
    save stamps the document and each zip entry with the moment it runs)."""
    workbook.properties.created = workbook.properties.modified = STILL
    buffer = io.BytesIO()
    ExcelWriter(workbook, _StillZip(buffer, "w", ZIP_DEFLATED, allowZip64=True)).save()
    return buffer.getvalue()


# One sheet of the weekly workbook: (sheet name, title, rows, total, columns).
WeeklySheet = tuple[str, str, Iterable[Figures], Figures, Sequence[Column]]


def weekly_sheets(
    title: str,
    rows: Iterable[Figures],
    total: Figures,
    departments: Iterable[tuple[str, Iterable[Figures], Figures]] = (),
    inspections: tuple[Iterable[Figures], Figures] | None = None,
) -> list[WeeklySheet]:
    """Return the weekly workbook's sheets in order: the district (全区), the inspections
    (检查情况) when `inspections` = (rows, total) is given, then one per department. The
    XLSX and its JSON preview are both made from this list, so they hold the same cells."""
    sheets: list[WeeklySheet] = [("全区", title, rows, total, COLUMNS)]
    if inspections is not None:
        inspection_rows, inspection_total = inspections
        sheets.append(
            (
                "检查情况",
                f"{title}（场所检查情况）",
                inspection_rows,
                inspection_total,
                INSPECTION_COLUMNS,
            )
        )
    for name, department_rows, department_total in departments:
        sheets.append((name[:31], f"{title}（{name}）", department_rows, department_total, COLUMNS))
    return sheets


def to_xlsx(sheets: Sequence[WeeklySheet]) -> bytes:
    """Return the workbook bytes of weekly_sheets, a sheet each."""
    workbook = Workbook()
    for number, (name, title, rows, total, columns) in enumerate(sheets):
        sheet = workbook.active if number == 0 else workbook.create_sheet(name)
        _sheet(sheet, title, rows, total, columns)
        sheet.title = name
    return _saved(workbook)


# The hazard list as the console shows it (导出Excel): the words of its cells.
STATUS_NAMES = {
    "reported": "待分派",
    "assigned": "待签收",
    "accepted": "已签收",
    "rectifying": "整改中",
    "rectified": "待复核",
    "verified": "已复核",
    "closed": "已销号",
    "invalid": "无效",
    "duplicate": "重复",
}
SEVERITY_NAMES = {"general": "一般隐患", "major": "重大隐患"}
# (header, width, the cell's value from a hazard record)
HazardColumn = tuple[str, int, Callable[[Mapping[str, Any]], Cell | datetime]]


def _local(moment: datetime | None) -> datetime | None:
    """A moment as Beijing wall time without a zone: Excel has no time zones."""
    return moment.astimezone(SHANGHAI).replace(tzinfo=None) if moment else None


HAZARD_COLUMNS: list[HazardColumn] = [
    ("隐患类别", 18, lambda h: h["category_name"]),
    ("隐患等级", 10, lambda h: SEVERITY_NAMES.get(h["severity"], h["severity"])),
    ("隐患描述", 40, lambda h: h["description"]),
    ("地址", 30, lambda h: h["address"]),
    ("街道乡镇", 12, lambda h: h["street_name"]),
    ("社区村", 14, lambda h: h["community_name"]),
    ("网格", 18, lambda h: h["grid"]),
    ("责任部门", 18, lambda h: h["lead_department_name"]),
    ("状态", 10, lambda h: STATUS_NAMES.get(h["status"], h["status"])),
    ("上报时间", 17, lambda h: _local(h["received_at"])),
    ("整改期限", 17, lambda h: _local(h["deadline"])),
    ("是否超期", 9, lambda h: "超期" if h["overdue"] else ""),
    ("督办级别", 9, lambda h: f"{h['escalation']}级督办" if h["escalation"] else ""),
    ("销号时间", 17, lambda h: _local(h["closed_at"])),
]
# The reporter's columns: the office's only (举报人保密, SPEC §5).
REPORTER_COLUMNS: list[HazardColumn] = [
    ("上报人", 12, lambda h: (h["reporter"] or {}).get("display_name")),
    ("上报人电话", 14, lambda h: (h["reporter"] or {}).get("phone")),
]
PHOTO_HEADERS = {"report": "上报照片", "after": "整改后照片"}


def hazards_xlsx(
    records: Sequence[Mapping[str, Any]],
    *,
    page_url: Callable[[Any], str],
    photo_url: Callable[[str], str],
    with_reporter: bool,
) -> bytes:
    """Return a workbook of hazard records, one row each, headers in Chinese: what a
    hazard list shows, a link to each hazard's page and one to each of its before and
    after photos, and the reporter only `with_reporter` (the office)."""
    columns = [*HAZARD_COLUMNS, *(REPORTER_COLUMNS if with_reporter else [])]
    shots = {
        phase: max(
            (sum(1 for p in h["photo_details"] if p["phase"] == phase) for h in records),
            default=0,
        )
        for phase in PHOTO_HEADERS
    }
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "隐患清单"
    headers = ["序号", *(header for header, _, _ in columns), "隐患页面"]
    for phase, most in shots.items():
        headers += [f"{PHOTO_HEADERS[phase]}{n}" for n in range(1, most + 1)]
    sheet.append(headers)
    link_font = Font(color="0563C1", underline="single")
    first_link = len(columns) + 2  # after 序号 and the record's columns
    for number, record in enumerate(records, start=1):
        sheet.append([number, *(value(record) for _, _, value in columns)])
        row = sheet.max_row
        for cell in sheet[row]:
            if isinstance(cell.value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
        links = [("查看", page_url(record["id"]))]
        for phase, most in shots.items():
            mine = [p for p in record["photo_details"] if p["phase"] == phase]
            links += [(f"照片{n}", photo_url(p["sha256"])) for n, p in enumerate(mine, 1)]
            links += [("", "")] * (most - len(mine))
        for offset, (text, url) in enumerate(links):
            if url:
                cell = sheet.cell(row, first_link + offset, text)
                cell.hyperlink = url
                cell.font = link_font
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = header_fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    widths = [6, *(width for _, width, _ in columns)] + [10] * (len(headers) - len(columns) - 1)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "B2"
    sheet.auto_filter.ref = sheet.dimensions
    return _saved(workbook)
