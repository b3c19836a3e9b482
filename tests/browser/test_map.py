"""The map (隐患地图), the API's words in the reader's language, and grid workers' pages,
in a real browser."""

import re

from playwright.sync_api import expect

from bench.district_history import bulk_insert, references
from server.extensions import db
from tests.helpers import login, take

# The colours of the map's legend (web/src/composables/useBaseMap.js), by status.
COLOUR = {"assigned": "#e6a23c", "rectifying": "#409eff"}
STREETS = ("北苑街道", "中仓街道", "新华街道", "玉桥街道")
CJK = re.compile(r"[\u3400-\u9fff]")


def demo_hazard(client, headers, category):
    """The demo's hazard of `category` that `headers`' user may see."""
    items = client.get(f"/api/v1/hazards?category={category}", headers=headers).json["items"]
    return items[0]


def hazard_points(page):
    """The hazards drawn on the map: circles with a name (category · status)."""
    return page.locator(".leaflet-overlay-pane path[role=button]")


def choose(page, label, option):
    """Pick `option` in the select labelled `label`, as a person would."""
    page.get_by_label(label, exact=True).click(force=True)  # under its placeholder
    page.get_by_role("option", name=option, exact=True).click()
    page.keyboard.press("Escape")


def test_the_offices_map_shows_the_district_and_hazards_by_status(client, console_page):
    fire = login(client, "fire")
    lane = demo_hazard(client, fire, "fire_lane_blocked")
    take(client, fire, lane["id"], "accept")
    take(client, fire, lane["id"], "start")  # one hazard rectifying, the others assigned

    page = console_page.sign_in("office")
    page.get_by_role("link", name="隐患地图").click()
    expect(page.get_by_role("heading", name="隐患地图")).to_be_visible()
    points = hazard_points(page)
    expect(page.get_by_role("status")).to_have_text("当前范围内 9 个隐患")
    expect(points).to_have_count(9)
    # The base map is the district's own polygons: every street named on it, and the
    # communities and grids drawn too (4 + 12 + 30, and the district's outline).
    for street in STREETS:
        expect(page.locator(".area-label", has_text=street)).to_be_visible()
    areas = page.locator(".leaflet-areas-pane path")
    expect(areas).to_have_count(47)
    # Coloured by status, as the legend says.
    rectifying = page.locator("path[data-status=rectifying]")
    expect(rectifying).to_have_count(1)
    expect(rectifying).to_have_attribute("fill", COLOUR["rectifying"])
    expect(page.locator("path[data-status=assigned]").first).to_have_attribute(
        "fill", COLOUR["assigned"]
    )
    legend = page.get_by_role("list", name="图例")
    expect(legend.get_by_role("listitem").filter(has_text="整改中")).to_contain_text("1")
    console_page.screenshot("map-office")

    # Grids off: only streets and communities remain.
    page.locator("label").filter(has_text=re.compile(r"^\s*网格\s*$")).click()
    expect(page.get_by_role("checkbox", name="网格")).not_to_be_checked()
    expect(areas).to_have_count(17)
    # A filter changes what is shown: only the hazard being rectified.
    choose(page, "状态", "整改中")
    expect(points).to_have_count(1)
    expect(page.get_by_role("status")).to_have_text("当前范围内 1 个隐患")
    # The point's popup opens its hazard page, with the small map of where it is.
    points.first.click()
    popup = page.locator(".leaflet-popup")
    expect(popup).to_contain_text("消防车通道")
    expect(popup).to_contain_text("整改中")
    popup.get_by_role("link", name="查看详情").click()
    expect(page).to_have_url(re.compile(f"/console/hazards/{lane['id']}"))
    small = page.get_by_role("region", name="隐患位置地图")
    expect(small.get_by_role("img", name="位置")).to_have_attribute("fill", COLOUR["rectifying"])
    expect(small.locator("path")).to_have_count(4)  # its street, community, grid and itself
    console_page.screenshot("hazard-with-map")
    # No tile server set: nothing but the console and its API was asked for.
    assert [u for u in console_page.requests if "/console/" not in u and "/api/v1/" not in u] == []
    assert not any("crs=" in u for u in console_page.requests)
    console_page.assert_clean()


def test_with_a_tile_server_the_map_draws_its_tiles_and_asks_for_gcj02(app, console_page):
    tiles = []

    # A tile server on the test's own server: one transparent PNG for every tile.
    @app.get("/test-tiles/<int:z>/<int:x>/<int:y>.png")
    def tile(z, x, y):
        tiles.append((z, x, y))
        png = bytes.fromhex(
            "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
            "1f15c4890000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082"
        )
        return png, 200, {"Content-Type": "image/png"}

    app.config.update(MAP_TILE_URL="/test-tiles/{z}/{x}/{y}.png", MAP_TILE_CRS="gcj02")
    page = console_page.sign_in("office")
    page.get_by_role("link", name="隐患地图").click()
    expect(hazard_points(page)).to_have_count(9)
    expect(page.locator("img.leaflet-tile-loaded").first).to_be_visible()
    assert tiles, "no tile was asked for"
    asked = console_page.requests
    assert any("/api/v1/areas?crs=gcj02" in u for u in asked)
    geojson = [u for u in asked if "/api/v1/hazards.geojson" in u]
    assert geojson and all("crs=gcj02" in u for u in geojson)
    console_page.screenshot("map-with-tiles")
    console_page.assert_clean()


def test_with_more_hazards_in_view_than_it_draws_the_map_says_so(app, client, console_page):
    with app.app_context():  # three years of a district: 2,100 more hazards, most closed
        bulk_insert(db.engine, 2100, seed=13, refs=references(db.session))
    page = console_page.sign_in("office")
    page.get_by_role("link", name="隐患地图").click()
    expect(page.get_by_role("status")).to_have_text(
        "当前范围内隐患超过 2000 个，仅显示最新上报的 2000 个", timeout=30_000
    )
    expect(page.get_by_role("alert").filter(has_text="请放大地图")).to_be_visible()
    expect(hazard_points(page)).to_have_count(2000)
    console_page.screenshot("map-capped")
    # A filter brings it under the cap: every hazard being rectified is drawn.
    rectifying = client.get(
        "/api/v1/hazards?status=rectifying&limit=200", headers=login(client, "office")
    ).json
    assert rectifying["next"] is None and 0 < len(rectifying["items"]) < 200
    choose(page, "状态", "整改中")
    shown = len(rectifying["items"])
    expect(page.get_by_role("status")).to_have_text(f"当前范围内 {shown} 个隐患")
    expect(hazard_points(page)).to_have_count(shown)
    expect(page.get_by_role("alert")).to_have_count(0)
    console_page.assert_clean()


def test_in_english_the_pages_and_the_apis_errors_read_in_english(console_page):
    page = console_page.open()
    page.get_by_role("button", name="English").click()
    # The API refuses a name longer than it takes: its message is in English.
    page.get_by_label("Username").fill("x" * 81)
    page.get_by_label("Password").fill("demo-pass-2026")
    page.get_by_role("button", name="Sign in").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("invalid or missing fields: username")
    expect(alert).not_to_contain_text(CJK)
    # The same mistake in Chinese reads in Chinese.
    page.get_by_role("button", name="中文").click()
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_contain_text("字段无效或缺失：username")
    page.get_by_role("button", name="English").click()

    # Every page of each role's menu reads in English: headings, menu, buttons, labels,
    # column heads and messages (data, such as street names, stays as it is; the switch
    # names Chinese in Chinese, as its `lang` says; so does the weekly table's preview, the
    # Chinese workbook filed upward).
    words = ", ".join(
        f"{tag}:not([lang=zh-CN] *)"
        for tag in ("h1", "nav a", "button:not([lang])", "label", "th", ".el-alert__title",
                    "[role=status]", ".legend li")
    )  # fmt: skip
    for username in ("office", "fire", "gridworker"):
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill("demo-pass-2026")
        page.get_by_role("button", name="Sign in").click()
        nav = page.get_by_role("navigation")
        links = nav.get_by_role("link")
        expect(links.first).to_be_visible()
        names = links.all_inner_texts()
        assert "Map" in names
        for name in names:
            link = nav.get_by_role("link", name=name, exact=True)
            link.click()
            expect(link).to_have_class(re.compile("router-link-active"))  # the page is shown
            expect(page.get_by_role("heading").first).to_be_visible()
            page.wait_for_load_state("networkidle")
            chinese = [w for w in page.locator(words).all_inner_texts() if CJK.search(w)]
            assert chinese == [], f"{username}, {name}: {chinese}"
            if name == "Map":
                expect(page.get_by_role("status")).to_have_text(re.compile(r"\d+ hazards? in view"))
                if username == "office":
                    console_page.screenshot("map-english")
        if username == "gridworker":  # and a hazard's page, with its small map
            nav.get_by_role("link", name="My grids").click()
            expect(page.get_by_role("heading", name="Hazards in my grids")).to_be_visible()
            page.get_by_role("row").filter(has_text="中仓社区3号楼东侧").get_by_role("link").click()
            expect(page.get_by_role("region", name="Map of the hazard's location")).to_be_visible()
            page.wait_for_load_state("networkidle")
            chinese = [w for w in page.locator(words).all_inner_texts() if CJK.search(w)]
            assert chinese == [], f"the hazard page: {chinese}"
        page.get_by_role("button", name="Sign out").click()
    console_page.assert_clean(expected=[(422, "/api/v1/auth/session")] * 2)


def test_a_grid_worker_sees_their_grids_hazards_and_tasks(client, console_page):
    office = login(client, "office")
    task = client.post(
        "/api/v1/tasks",
        json={
            "title": "中仓社区电动自行车充电排查",
            "template": client.get("/api/v1/checklists", headers=office).json[0]["code"],
            "due_on": "2026-12-31",
            "area": "110112001001G01",
            "assignees": ["gridworker"],
        },
        headers=office,
    )
    assert task.status_code == 201, task.json

    page = console_page.sign_in("gridworker")
    page.get_by_role("link", name="网格隐患").click()
    rows = page.get_by_role("row").filter(has_text="中仓社区")
    expect(rows).to_have_count(2)  # the demo's two reports in G01 and G02, their grids
    expect(page.get_by_role("row").filter(has_text="西营社区")).to_have_count(0)  # not theirs
    rows.filter(has_text="中仓社区3号楼东侧").get_by_role("link").click()
    expect(page.get_by_role("heading", name=re.compile("隐患详情"))).to_be_visible()
    expect(page.get_by_text("中仓社区3号楼东侧").first).to_be_visible()
    where = page.get_by_role("region", name="隐患位置地图").get_by_role("img", name="位置")
    expect(where).to_have_attribute("fill", COLOUR["assigned"])
    console_page.screenshot("grid-hazard")

    page.get_by_role("link", name="检查任务").click()
    row = page.get_by_role("row").filter(has_text="中仓社区电动自行车充电排查")
    expect(row).to_contain_text("2026-12-31")
    expect(row).to_contain_text(re.compile(r"已检查 0/\d+ 处"))
    expect(page.get_by_text("请在手机应用中现场完成")).to_be_visible()
    console_page.screenshot("grid-tasks")
    console_page.assert_clean()

    # A volunteer is sent to the phone app.
    console_page.sign_out()
    page.get_by_label("用户名").fill("volunteer")
    page.get_by_label("密码").fill("demo-pass-2026")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_contain_text("志愿者请使用手机应用")
