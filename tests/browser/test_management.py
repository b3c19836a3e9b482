"""The office's 系统管理 in a real browser: departments, accounts, routing rules,
categories, imports, checklists and tasks, as the office works them (issue 13)."""

import json
import re
import uuid

from playwright.sync_api import expect

from server.demo import district_geojson, grid_centre
from tests.helpers import GRID_OF_GRIDWORKER, file_report, login


def open_tab(page, tab, path):
    """Open 系统管理 from the top menu, then one of its tabs (at /console/manage/`path`)."""
    page.get_by_role("link", name="系统管理").click()
    switch_tab(page, tab, path)


def switch_tab(page, tab, path):
    """Open another tab of 系统管理, and wait until its page is the one shown."""
    page.get_by_role("tab", name=tab).click()
    expect(page).to_have_url(re.compile(f"/console/manage/{path}$"))
    expect(page.get_by_role("tab", name=tab)).to_have_attribute("aria-selected", "true")


def confirm_popup(page, button):
    """Press `button` in the confirmation that popped up beside the button pressed."""
    page.locator(".el-popconfirm:visible").get_by_role("button", name=button).click()


def choose(page, field, option, scope=None):
    """Pick `option` in the select labelled `field` (its options open in a popper). The
    click goes to the select itself: its placeholder, or the popper of the select before
    it, may lie over it for a moment."""
    (scope or page).get_by_role("combobox", name=field).dispatch_event("click")
    page.get_by_role("option", name=option, exact=True).click()


def field_error(dialog, label):
    """The message shown under the field labelled `label` (it shows after a moment)."""
    return dialog.locator(".el-form-item.is-error", has_text=label).locator(".el-form-item__error")


def row(page, text):
    return page.get_by_role("row").filter(has_text=text)


def test_a_department_its_rule_and_its_clerk_made_in_the_browser_get_a_new_report(
    client, console_page
):
    office = login(client, "office")
    page = console_page.sign_in("office")
    open_tab(page, "部门", "departments")
    expect(row(page, "区消防救援支队")).to_contain_text("行业主管部门")

    # A code the API refuses: its message beside the field, and nothing is created.
    page.get_by_role("button", name="新建部门").click()
    dialog = page.get_by_role("dialog", name="新建部门")
    dialog.get_by_label("部门编码").fill("Gas Co")
    dialog.get_by_label("部门名称").fill("区燃气集团")
    dialog.get_by_role("button", name="保存").click()
    expect(dialog.get_by_role("alert").filter(has_text="未保存")).to_be_visible()
    expect(field_error(dialog, "部门编码")).to_be_visible()
    departments = client.get("/api/v1/departments", headers=office).json
    assert "区燃气集团" not in [d["name"] for d in departments]
    dialog.get_by_label("部门编码").fill("gas-co")
    dialog.get_by_role("button", name="保存").click()
    expect(dialog).to_be_hidden()
    expect(row(page, "区燃气集团")).to_contain_text("启用")
    console_page.screenshot("manage-departments")

    # A rule: 防汛排水 goes to the new department, above the district-wide rule to 水务局.
    switch_tab(page, "分派规则", "rules")
    page.get_by_role("button", name="新建规则").click()
    dialog = page.get_by_role("dialog", name="新建规则")
    choose(page, "隐患类别", "防汛排水设施隐患", dialog)
    choose(page, "牵头部门", "区燃气集团", dialog)
    dialog.get_by_label("优先级").fill("10")
    dialog.get_by_label("优先级").press("Tab")
    dialog.get_by_role("button", name="保存").click()
    expect(dialog).to_be_hidden()
    made = row(page, "区燃气集团")
    expect(made).to_contain_text("防汛排水设施隐患")
    expect(made).to_contain_text("全区")
    expect(made).to_contain_text("10")
    console_page.screenshot("manage-rules")

    # A clerk in it, without a password first (refused), then with one.
    switch_tab(page, "账号", "accounts")
    page.get_by_role("button", name="新建账号").click()
    dialog = page.get_by_role("dialog", name="新建账号")
    dialog.get_by_label("用户名").fill("ranqi")
    dialog.get_by_label("姓名").fill("周燃气")
    choose(page, "所属部门", "区燃气集团", dialog)
    dialog.get_by_label("初始密码").fill("short")
    dialog.get_by_role("button", name="保存").click()
    expect(field_error(dialog, "初始密码")).to_be_visible()
    assert client.get("/api/v1/users?department=gas-co", headers=office).json == []
    dialog.get_by_label("初始密码").fill("ranqi-pass-2026")
    dialog.get_by_role("button", name="保存").click()
    expect(dialog).to_be_hidden()
    choose(page, "按部门", "区燃气集团")
    expect(row(page, "ranqi")).to_contain_text("周燃气")
    expect(row(page, "ranqi")).to_contain_text("部门工作人员")
    console_page.screenshot("manage-accounts")
    console_page.sign_out()

    # A new report of that kind lands in the new clerk's 我的待办.
    address = f"中仓社区{uuid.uuid4().hex[:6]}号楼雨水井"
    hazard = file_report(
        client, login(client, "volunteer"), category="flood_drainage", address=address
    )
    assert hazard["lead_department"] == "gas-co"
    page = console_page.sign_in("ranqi", "ranqi-pass-2026")
    expect(page).to_have_url(re.compile(r"/console/todo"))
    expect(row(page, address)).to_contain_text("待签收")
    expect(page.get_by_role("link", name="系统管理")).to_have_count(0)
    console_page.assert_clean(expected=[(422, "/api/v1/departments"), (422, "/api/v1/users")])


def test_the_office_resets_a_password_and_signs_out_a_lost_phone(client, console_page):
    lost = login(client, "gridworker", device="丢失的手机")
    assert client.get("/api/v1/me", headers=lost).status_code == 200
    page = console_page.sign_in("office")
    open_tab(page, "账号", "accounts")
    choose(page, "按角色", "网格员")
    gridworker = row(page, "gridworker")
    expect(gridworker).to_contain_text("李网格")

    gridworker.get_by_role("button", name="设备").click()
    dialog = page.get_by_role("dialog", name="“李网格”的设备")
    phone = dialog.get_by_role("row").filter(has_text="丢失的手机")
    expect(phone).to_contain_text("已登录")
    expect(phone).to_contain_text(re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}"))  # last used
    console_page.screenshot("manage-account-devices")
    phone.get_by_role("button", name="退出此设备").click()
    confirm_popup(page, "确定")
    expect(phone).to_contain_text("已退出")
    assert client.get("/api/v1/me", headers=lost).status_code == 401
    dialog.get_by_role("button", name=re.compile("关闭|Close")).click()

    gridworker.get_by_role("button", name="重置密码").click()
    dialog = page.get_by_role("dialog", name="重置“李网格”的密码")
    dialog.get_by_label("新密码").fill("1234")
    dialog.get_by_role("button", name="重置密码").click()
    expect(field_error(dialog, "新密码")).to_be_visible()
    dialog.get_by_label("新密码").fill("li-new-pass-2026")
    dialog.get_by_role("button", name="重置密码").click()
    expect(dialog).to_be_hidden()
    console_page.sign_out()

    page = console_page.sign_in("gridworker", "li-new-pass-2026")
    expect(page).to_have_url(re.compile(r"/console/verify"))
    console_page.assert_clean(expected=[(422, "/api/v1/users/gridworker")])


def test_imports_name_each_bad_row_in_chinese_and_a_good_file_is_counted(
    client, console_page, tmp_path
):
    office = login(client, "office")
    collection = district_geojson()
    collection["features"][-1]["geometry"] = {"type": "Point", "coordinates": [116.6, 39.9]}
    bad_areas = tmp_path / "areas.geojson"
    bad_areas.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    page = console_page.sign_in("office")
    open_tab(page, "区域", "areas")
    page.get_by_label("上传区域文件（GeoJSON）").set_input_files(bad_areas)
    expect(page.get_by_role("alert")).to_contain_text("导入失败，未导入任何数据")
    expect(row(page, f"第 {len(collection['features'])} 个要素")).to_contain_text(
        "几何必须是多边形"
    )
    console_page.screenshot("manage-areas-refused")

    lat, lon = grid_centre(GRID_OF_GRIDWORKER)
    places = tmp_path / "places.csv"
    places.write_text(
        "code,name,type,address,lat,lon\n"
        f"P-NEW-1,东方超市,shop,中仓路1号,{lat},{lon}\n"
        f"P-NEW-2,某银行,bank,中仓路2号,{lat},{lon}\n",
        encoding="utf-8",
    )
    switch_tab(page, "检查对象", "places")
    page.get_by_label("上传检查对象文件（CSV 或 GeoJSON）").set_input_files(places)
    expect(row(page, "第 2 行")).to_contain_text("类型必须是")
    listed = client.get("/api/v1/places?page_size=1000", headers=office).json
    assert "东方超市" not in [p["name"] for p in listed]
    places.write_text(places.read_text().replace(",bank,", ",small_venue,"), encoding="utf-8")
    page.get_by_label("上传检查对象文件（CSV 或 GeoJSON）").set_input_files(places)
    expect(page.get_by_role("status")).to_have_text("导入成功：新建 2 个，更新 0 个。")

    # A place a grid worker added in the field waits for the office to confirm it.
    proposed = {"id": str(uuid.uuid4()), "name": "网格员新增小店", "type": "shop"}
    response = client.post(
        "/api/v1/places",
        json={**proposed, "lat": lat, "lon": lon},
        headers=login(client, "gridworker"),
    )
    assert response.json["status"] == "proposed"
    choose(page, "按状态", "待确认（网格员新增）")
    expect(row(page, "网格员新增小店")).to_contain_text("待确认")
    console_page.screenshot("manage-places")
    row(page, "网格员新增小店").get_by_role("button", name="确认").click()
    expect(row(page, "网格员新增小店")).to_have_count(0)
    confirmed = client.get("/api/v1/places?status=confirmed&page_size=1000", headers=office).json
    assert "网格员新增小店" in [p["name"] for p in confirmed]
    console_page.assert_clean(
        expected=[(422, "/api/v1/areas/import"), (422, "/api/v1/places/import")]
    )


def test_a_checklist_drafted_edited_and_published_is_handed_out_as_a_task(client, console_page):
    office = login(client, "office")
    page = console_page.sign_in("office")
    open_tab(page, "检查表", "checklists")
    page.get_by_role("button", name="新建检查表").click()
    dialog = page.get_by_role("dialog", name="新建检查表")
    dialog.get_by_label("检查表编码").fill("gas-check")
    dialog.get_by_label("检查表名称").fill("燃气安全检查表")
    dialog.get_by_label("检查内容").fill("燃气管道无私接乱改")
    dialog.get_by_role("button", name="保存").click()  # no code, no category: refused
    expect(dialog.get_by_role("alert").filter(has_text="未保存")).to_be_visible()
    assert "gas-check" not in [
        c["code"] for c in client.get("/api/v1/checklists", headers=office).json
    ]
    dialog.get_by_label("编号").fill("G1")
    choose(page, "不合格时的隐患类别", "其他安全隐患", dialog)
    dialog.get_by_role("button", name="保存").click()
    expect(dialog).to_be_hidden()
    expect(row(page, "燃气安全检查表")).to_contain_text("第 1 版 · 草稿")

    # The draft gets a second item, then is published.
    row(page, "燃气安全检查表").get_by_role("button", name="编辑草稿").click()
    dialog = page.get_by_role("dialog", name="编辑“燃气安全检查表”第 1 版（草稿）")
    expect(dialog.get_by_label("检查内容")).to_have_value("燃气管道无私接乱改")
    dialog.get_by_role("button", name="添加检查项").click()
    dialog.get_by_label("编号").nth(1).fill("G2")
    dialog.get_by_label("检查内容").nth(1).fill("报警器在有效期内")
    dialog.get_by_role("combobox", name="不合格时的隐患类别").nth(1).dispatch_event("click")
    page.get_by_role("option", name="其他安全隐患", exact=True).click()
    console_page.screenshot("manage-checklist-draft")
    dialog.get_by_role("button", name="保存").click()
    expect(dialog).to_be_hidden()
    row(page, "燃气安全检查表").get_by_role("button", name="发布").click()
    confirm_popup(page, "发布")
    expect(row(page, "燃气安全检查表")).to_contain_text("第 1 版 · 已发布")
    version = client.get("/api/v1/checklists/gas-check/versions/1", headers=office).json
    assert version["status"] == "published"
    assert [i["question"] for i in version["items"]] == ["燃气管道无私接乱改", "报警器在有效期内"]
    console_page.screenshot("manage-checklists")

    # Handed to the grid worker for the shops of 中仓社区.
    switch_tab(page, "检查任务", "tasks")
    page.get_by_role("button", name="新建检查任务").click()
    dialog = page.get_by_role("dialog", name="新建检查任务")
    dialog.get_by_label("任务名称").fill("中仓社区燃气安全检查")
    choose(page, "检查表", "燃气安全检查表", dialog)
    choose(page, "检查对象类型", "商铺", dialog)
    dialog.get_by_role("combobox", name="检查对象类型").press("Escape")
    choose(page, "网格员", "李网格（gridworker）", dialog)
    dialog.get_by_role("combobox", name="网格员").press("Escape")
    dialog.get_by_role("button", name="保存").click()  # no due date: refused
    expect(field_error(dialog, "截止日期")).to_be_visible()
    dialog.get_by_label("截止日期").fill("2026-12-31")
    dialog.get_by_label("截止日期").press("Enter")
    dialog.get_by_role("button", name="保存").click()
    expect(dialog).to_be_hidden()
    expect(row(page, "中仓社区燃气安全检查")).to_contain_text("2026-12-31")
    console_page.screenshot("manage-tasks")
    tasks = client.get("/api/v1/tasks", headers=login(client, "gridworker")).json
    [task] = [t for t in tasks if t["title"] == "中仓社区燃气安全检查"]
    assert task["template"] == "gas-check" and task["total"] > 0
    console_page.assert_clean(expected=[(422, "/api/v1/checklists"), (422, "/api/v1/tasks")])


def test_a_deactivated_department_shows_in_its_rules_and_takes_no_new_rule(client, console_page):
    office = login(client, "office")
    page = console_page.sign_in("office")
    open_tab(page, "部门", "departments")
    water = row(page, "区水务局")
    water.get_by_role("button", name="停用").click()
    confirm_popup(page, "停用")
    expect(water).to_contain_text("已停用")

    switch_tab(page, "分派规则", "rules")
    expect(page.get_by_role("alert").first).to_contain_text("指向已停用的部门")
    stopped = row(page, "防汛排水设施隐患").filter(has_text="区水务局")
    expect(stopped).to_contain_text("已停用")
    before = client.get("/api/v1/routing-rules", headers=office).json
    page.get_by_role("button", name="新建规则").click()
    dialog = page.get_by_role("dialog", name="新建规则")
    choose(page, "隐患类别", "其他安全隐患", dialog)
    choose(page, "牵头部门", "区水务局（已停用）", dialog)
    dialog.get_by_role("button", name="保存").click()
    expect(field_error(dialog, "牵头部门")).to_be_visible()
    expect(dialog.get_by_role("alert").filter(has_text="未保存")).to_contain_text("已停用")
    assert client.get("/api/v1/routing-rules", headers=office).json == before
    console_page.screenshot("manage-rules-refused")
    dialog.get_by_role("button", name="取消").click()

    # Categories: a deadline edited, a bad one refused by the form's bounds.
    switch_tab(page, "隐患类别", "categories")
    row(page, "stairwell_clutter").get_by_role("button", name="编辑").click()
    dialog = page.get_by_role("dialog", name="编辑类别“楼道堆物堆料”")
    dialog.get_by_label("整改期限（工作日）").fill("5")
    dialog.get_by_label("整改期限（工作日）").press("Tab")
    dialog.get_by_role("button", name="保存").click()
    expect(dialog).to_be_hidden()
    expect(row(page, "stairwell_clutter")).to_contain_text("5 个工作日")
    console_page.screenshot("manage-categories")
    categories = client.get("/api/v1/categories", headers=office).json
    assert next(c for c in categories if c["code"] == "stairwell_clutter")["deadline_days"] == 5

    # In English, the same page in English words.
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("tab", name="Categories")).to_have_attribute("aria-selected", "true")
    expect(row(page, "stairwell_clutter")).to_contain_text("5 working days")
    switch_tab(page, "Routing rules", "rules")
    expect(row(page, "Flood or drainage hazard")).to_contain_text("Deactivated")
    console_page.screenshot("manage-rules-en")
    console_page.assert_clean(expected=[(422, "/api/v1/routing-rules")])
