"""The office's statistics in the browser: the dashboard's figures are the API's, each
opens the list of exactly its hazards, that list exports to Excel as shown, the weekly
table downloads as the API's bytes, and a street office prints a rectification notice."""

import io
import re
import uuid
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from openpyxl import load_workbook
from playwright.sync_api import expect

import server.api.hazards as hazards_api
from server.extensions import db
from server.models import Hazard, utcnow
from server.services.workdays import SHANGHAI
from tests.helpers import file_report, login, report_body, take, upload
from tests.photos import SHARED, sha

BEFORE = [SHARED / "gps_DSCN0021.jpg", SHARED / "Canon_40D.jpg"]
AFTER = SHARED / "gps_DSCN0010.jpg"
SHOP = "西营社区新华大街12号 好运来超市"


def this_month():
    """This month in Shanghai, as the dashboard opens on it: (from, to)."""
    today = datetime.now(SHANGHAI).date()
    first = today.replace(day=1)
    after = (first + timedelta(days=32)).replace(day=1)
    return first.isoformat(), after.isoformat()


def a_month_of_work(app, client):
    """Reports filed this month and worked through the API: two closed, one invalid, one
    overdue, two at one shop for its street office. Returns the shop's hazards."""
    volunteer, fire, office = (login(client, who) for who in ("volunteer", "fire", "office"))
    photos = [path.read_bytes() for path in BEFORE]
    for photo in photos:
        assert upload(client, volunteer, photo).status_code == 201
    after = AFTER.read_bytes()
    assert upload(client, fire, after).status_code == 201

    def report(n, address=None, **fields):
        body = report_body(**fields)
        body["lat"] += 0.0007 * n  # apart: no two are possible duplicates
        body["address"] = address or f"中仓社区{n}号楼"
        return file_report(client, volunteer, **body)

    lanes = [report(n, photos=[sha(photos[0])]) for n in range(1, 5)]
    for hazard in lanes[:2]:
        for step in ("accept", "start"):
            take(client, fire, hazard["id"], step)
        take(client, fire, hazard["id"], "rectify", photos=[sha(after)])
        take(client, office, hazard["id"], "verify", result="pass")
        take(client, office, hazard["id"], "close")
    take(client, office, lanes[2]["id"], "invalidate", note="非安全隐患")
    with app.app_context():  # its deadline passed a week ago
        db.session.get(Hazard, uuid.UUID(lanes[3]["id"])).deadline = utcnow() - timedelta(days=7)
        db.session.commit()
    report(5, category="gas_no_alarm_or_valve", grid="110112001002G01")
    shop = [
        report(6, category="road_stall_occupation", grid="110112001002G02", address=SHOP,
               description="超市门前人行道堆放货物和促销摊位，行人被迫绕行机动车道。",
               photos=[sha(photos[0]), sha(photos[1])]),
        report(7, category="stairwell_clutter", grid="110112001002G02", address=SHOP,
               description="超市后门疏散通道堆放纸箱和杂物，通道宽度不足一米。",
               photos=[sha(photos[1])]),
    ]  # fmt: skip
    return shop


def percent(rate):
    return "—" if rate["value"] is None else f"{rate['value'] * 100:.1f}%"


def days(value):
    return "—" if value is None else f"{value:.1f}"


def list_total(page):
    """The count the hazard list shows ("共 N 条隐患")."""
    text = page.locator("[data-total]").inner_text()
    return int(re.fullmatch(r"共 (\d+) 条隐患", text).group(1))


def body_rows(page, label):
    return page.get_by_label(label, exact=True).locator(".el-table__body-wrapper tr.el-table__row")


def test_the_dashboard_shows_the_api_figures_and_each_opens_its_hazards(
    app, client, console_page, monkeypatch
):
    a_month_of_work(app, client)
    office = login(client, "office")
    start, end = this_month()
    api = client.get(
        f"/api/v1/stats/summary?from={start}&to={end}&group_by=street", headers=office
    ).json
    total = api["total"]
    assert total["closed"] >= 2 and total["open_overdue"] >= 1  # there is something to show

    page = console_page.sign_in("office")
    page.get_by_role("link", name="统计看板").click()
    expect(page.get_by_role("heading", name="统计看板")).to_be_visible()
    shown = {
        "reported": str(total["reported"]),
        "valid": str(total["valid"]),
        "closed": str(total["closed"]),
        "closureRate": percent(total["closure_rate"]),
        "onTimeRate": percent(total["on_time_rate"]),
        "openOverdue": str(total["open_overdue"]),
        "p50": days(total["days_to_close"]["p50"]),
        "p90": days(total["days_to_close"]["p90"]),
    }
    for name, value in shown.items():
        expect(page.locator(f'[data-figure="{name}"]')).to_have_text(value)
    # The table by street holds the API's rows, 合计 last.
    table = page.get_by_label("按街道乡镇统计表", exact=True)
    for row in api["rows"]:
        cells = table.locator("tr.el-table__row").filter(has_text=row["label"]).locator("td")
        expect(cells).to_have_text(
            [
                row["label"],
                str(row["reported"]),
                str(row["valid"]),
                str(row["closed"]),
                str(row["open_overdue"]),
                percent(row["closure_rate"]),
                percent(row["on_time_rate"]),
                days(row["days_to_close"]["p50"]),
                days(row["days_to_close"]["p90"]),
            ]
        )
    expect(table.locator(".el-table__footer td").first).to_have_text("合计")
    expect(page.get_by_label("按街道乡镇统计图").locator("svg")).to_be_visible()
    expect(page.get_by_label("随手拍排行榜")).to_contain_text("王志愿")  # the office's to see
    console_page.screenshot("dashboard")
    # By department, read when its tab opens: the API's rows too.
    page.get_by_role("tab", name="责任部门").click()
    departments = client.get(
        f"/api/v1/stats/summary?from={start}&to={end}&group_by=department", headers=office
    ).json["rows"]
    by_department = page.get_by_label("按责任部门统计表", exact=True)
    for row in departments:
        label = row["label"] or "未分派"
        cells = by_department.locator("tr.el-table__row").filter(has_text=label).locator("td")
        expect(cells.nth(1)).to_have_text(str(row["reported"]))
        expect(cells.nth(3)).to_have_text(str(row["closed"]))
    page.get_by_role("tab", name="街道乡镇").click()

    # A reporter's count on the leaderboard opens the reports it credits.
    board = client.get(f"/api/v1/stats/volunteers?from={start}&to={end}", headers=office).json
    mine = next(r for r in board if r["username"] == "volunteer")
    leader = page.get_by_label("随手拍排行榜", exact=True).locator("tr.el-table__row")
    leader.filter(has_text="王志愿").locator("td").nth(4).get_by_role("link").click()
    expect(page.locator("[data-total]")).to_have_text(f"共 {mine['valid']} 条隐患")
    expect(page.get_by_text("上报人：volunteer")).to_be_visible()
    page.go_back()

    # 超期未整改 opens the list of exactly those hazards.
    page.locator('[data-figure="openOverdue"]').click()
    expect(page).to_have_url(re.compile(r"/console/hazards\?.*figure=open_overdue"))
    expect(page.locator("[data-total]")).to_have_text(f"共 {total['open_overdue']} 条隐患")
    expect(body_rows(page, "全部隐患")).to_have_count(total["open_overdue"])
    page.go_back()

    # A street's 已销号数 opens its closed hazards; the list exports to Excel as shown.
    zhongcang = next(r for r in api["rows"] if r["label"] == "中仓街道")
    table.locator("tr.el-table__row").filter(has_text="中仓街道").locator("td").nth(3).get_by_role(
        "link"
    ).click()
    expect(page.locator("[data-total]")).to_have_text(f"共 {zhongcang['closed']} 条隐患")
    query = parse_qs(urlsplit(page.url).query)
    assert query["street"] == ["110112001"] and query["figure"] == ["closed"]
    assert (query["from"], query["to"]) == ([start], [end])
    listed = client.get(
        f"/api/v1/hazards?from={start}&to={end}&street=110112001&figure=closed&limit=200",
        headers=office,
    ).json["items"]
    expect(body_rows(page, "全部隐患")).to_have_count(len(listed))
    console_page.screenshot("hazard-list")
    with page.expect_download() as download:
        page.get_by_role("button", name="导出Excel").click()
    assert download.value.suggested_filename.startswith("隐患清单-")
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes()))["隐患清单"]
    headers = [c.value for c in sheet[1]]
    links = [row[headers.index("隐患页面")].hyperlink.target for row in sheet.iter_rows(min_row=2)]
    assert [link.rsplit("/", 1)[1] for link in links] == [h["id"] for h in listed]
    assert "上报人" in headers  # the office's export names reporters
    # A list too long for one workbook is refused with the reason, not saved as a file.
    monkeypatch.setattr(hazards_api, "EXPORT_MAX", 1)
    page.get_by_role("button", name="导出Excel").click()
    expect(page.get_by_role("alert")).to_contain_text("导出失败")
    console_page.assert_clean(expected=[(422, "figure=closed")])


def test_the_weekly_table_previews_and_downloads_the_apis_bytes(app, client, console_page):
    a_month_of_work(app, client)
    office = login(client, "office")
    year, week, _ = datetime.now(SHANGHAI).date().isocalendar()
    name = f"{year}-W{week:02d}"
    preview = client.get(f"/api/v1/stats/weekly?week={name}", headers=office).json

    page = console_page.sign_in("office")
    page.get_by_role("link", name="周报表").click()
    expect(page.get_by_role("heading", name="周报表")).to_be_visible()
    console_page.open(f"/console/weekly?week={name}")
    district = preview["sheets"][0]
    expect(page.get_by_role("heading", name=district["title"])).to_be_visible()
    totals = district["rows"][-1]
    shown = (
        page.get_by_label(district["title"], exact=True)
        .locator("tr.el-table__row")
        .last.locator("td")
    )
    expect(shown.first).to_have_text("合计")
    expect(shown.nth(1)).to_have_text(str(totals[1]))  # 排查隐患数
    console_page.screenshot("weekly-table")

    with page.expect_download() as xlsx:
        page.get_by_role("link", name="下载Excel").click()
    assert xlsx.value.suggested_filename == f"weekly-{name}.xlsx"
    api = client.get(f"/api/v1/stats/weekly.xlsx?week={name}", headers=office)
    with open(xlsx.value.path(), "rb") as downloaded:
        assert downloaded.read() == api.data
    with page.expect_download() as csv:
        page.get_by_role("link", name="下载CSV").click()
    assert csv.value.suggested_filename == f"weekly-{name}.csv"
    console_page.assert_clean()


def test_a_street_office_prints_a_notice_for_a_shops_hazards(app, client, console_page):
    shop = a_month_of_work(app, client)
    page = console_page.sign_in("zhongcang")
    page.get_by_role("link", name="隐患清单").click()
    expect(page.get_by_role("heading", name="本单位隐患")).to_be_visible()
    expect(page.get_by_text("王志愿")).to_have_count(0)  # never the reporter (举报人保密)
    # The shop's hazards by its name in the address, all ticked at once.
    page.get_by_label("地址").fill("好运来超市")
    page.get_by_label("地址").press("Enter")
    expect(page.locator("[data-total]")).to_have_text("共 2 条隐患")
    rows = body_rows(page, "本单位隐患")
    expect(rows.filter(has_text=SHOP)).to_have_count(2)
    page.get_by_label("本单位隐患", exact=True).locator("thead .el-checkbox").click()
    page.get_by_role("button", name="打印整改通知书（已选 2 条）").click()

    notice = page.get_by_role("article", name="安全隐患整改通知书")
    expect(notice).to_contain_text("中仓街道办事处")
    expect(notice).to_contain_text(f"{SHOP}：")
    expect(notice).to_contain_text("存在下列安全隐患 2 项")
    for hazard in shop:
        expect(notice).to_contain_text(hazard["description"])
    photos = notice.get_by_role("img")
    expect(photos).to_have_count(3)  # two of the first hazard, one of the second
    for n in range(3):
        expect(photos.nth(n)).to_have_js_property("complete", True)
        assert photos.nth(n).evaluate("img => img.naturalWidth") > 0
    expect(notice).not_to_contain_text("王志愿")
    page.get_by_label("文号").fill("中仓安改〔2026〕18号")
    expect(notice).to_contain_text("编号：中仓安改〔2026〕18号")
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="打印")).to_be_hidden()  # only the paper prints
    console_page.screenshot("rectification-notice")
    console_page.assert_clean()
