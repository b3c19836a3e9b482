"""The work on hazards in a real browser: the office's triage and steps, a department's
returns, extensions and claims, and signing for many hazards at once (issue 13)."""

import re
import uuid

from playwright.sync_api import expect

from tests.helpers import add_user, at_the_spot, file_report, login, take, upload
from tests.photos import jpeg, sha

REPORTER_NAME, REPORTER_PHONE = "王志愿", "13800000001"


def new_report(client, volunteer, **overrides):
    """File a blocked fire lane (the fire brigade's) at an address no other test uses."""
    address = f"中仓社区{uuid.uuid4().hex[:6]}号楼东侧"
    return file_report(client, volunteer, address=address, **overrides), address


def open_from_list(page, address):
    """Open the hazard on this address from the list on screen, by its category link."""
    row = page.get_by_role("row").filter(has_text=address)
    expect(row).to_have_count(1)
    row.get_by_role("link").click()
    expect(page.get_by_role("heading", name=re.compile("隐患详情"))).to_be_visible()


def status_is(page, status):
    """The hazard page's status tag (beside the title) says `status`."""
    expect(page.locator("h1 + .el-tag", has_text=status)).to_be_visible()


def no_reporter_in_sight(page):
    """SPEC §5: a department never sees who reported, on any page it opens."""
    expect(page.get_by_text(REPORTER_NAME)).to_have_count(0)
    expect(page.get_by_text(REPORTER_PHONE)).to_have_count(0)
    assert "volunteer" not in page.locator("main").inner_text()


def choose(page, dialog, label, option):
    """Pick `option` in the dialog's select labelled `label`."""
    dialog.get_by_label(label).click()
    page.get_by_role("option", name=option).click()


def test_a_returned_hazard_waits_in_triage_with_its_reason_and_the_office_assigns_it(
    client, console_page
):
    volunteer, office = login(client, "volunteer"), login(client, "office")
    hazard, address = new_report(client, volunteer)
    outside, far_address = new_report(client, volunteer, lat=40.5, lon=117.5)

    # The fire brigade returns it, with its reason.
    page = console_page.sign_in("fire")
    open_from_list(page, address)
    no_reporter_in_sight(page)
    page.get_by_role("button", name="退回").click()
    dialog = page.get_by_role("dialog", name="退回隐患")
    dialog.get_by_label("退回原因").fill("占道经营不属于消防职责")
    dialog.get_by_role("button", name="提交").click()
    expect(page).to_have_url(re.compile(r"/console/todo"))
    console_page.sign_out()

    # The office's 待分派 says why each waits: returned with the reason, outside every grid.
    page = console_page.sign_in("office")
    page.get_by_role("link", name="待分派").click()
    returned = page.get_by_role("row").filter(has_text=address)
    expect(returned).to_contain_text("部门退回")
    expect(returned).to_contain_text("区消防救援支队: 占道经营不属于消防职责")
    expect(page.get_by_role("row").filter(has_text=far_address)).to_contain_text("不在任何网格内")
    console_page.screenshot("office-triage-queue")
    open_from_list(page, address)
    expect(page.get_by_text(REPORTER_NAME)).to_be_visible()  # the office sees who reported
    for step in ("分派", "合并为重复", "判定无效", "添加备注"):
        expect(page.get_by_role("button", name=step, exact=True)).to_be_visible()
    console_page.screenshot("office-hazard-steps")
    page.get_by_role("button", name="分派", exact=True).click()
    dialog = page.get_by_role("dialog", name="分派")
    dialog.get_by_role("button", name="提交").click()
    expect(dialog.get_by_role("alert")).to_have_text("请选择责任部门")
    choose(page, dialog, "责任部门", "中仓街道办事处")
    dialog.get_by_role("button", name="提交").click()
    expect(dialog).to_be_hidden()
    status_is(page, "待签收")
    expect(page.get_by_text("中仓街道办事处").first).to_be_visible()
    # Now assigned, the office may reassign it, not assign it again.
    expect(page.get_by_role("button", name="改派")).to_be_visible()

    # The one outside every grid is not a hazard of the district: invalid, with why.
    page.get_by_role("link", name="待分派").click()
    open_from_list(page, far_address)
    page.get_by_role("button", name="判定无效").click()
    dialog = page.get_by_role("dialog", name="判定无效")
    dialog.get_by_label("无效原因").fill("位置在本区以外")
    dialog.get_by_role("button", name="提交").click()
    status_is(page, "无效")
    page.get_by_role("link", name="待分派").click()
    expect(page.get_by_role("row").filter(has_text=far_address)).to_have_count(0)
    console_page.sign_out()

    # The street office's clerk finds it to sign for, without a reporter's name.
    page = console_page.sign_in("zhongcang")
    expect(page.get_by_role("row").filter(has_text=address)).to_contain_text("待签收")
    no_reporter_in_sight(page)
    open_from_list(page, address)
    no_reporter_in_sight(page)
    expect(page.get_by_role("button", name="签收")).to_be_visible()
    assert client.get(f"/api/v1/hazards/{outside['id']}", headers=office).json["status"] == (
        "invalid"
    )
    console_page.assert_clean()


def test_a_clerk_asks_for_more_time_and_the_office_grants_it(client, console_page):
    volunteer, office = login(client, "volunteer"), login(client, "office")
    hazard, address = new_report(client, volunteer)

    page = console_page.sign_in("fire")
    open_from_list(page, address)
    page.get_by_role("button", name="添加备注").click()
    dialog = page.get_by_role("dialog", name="添加备注")
    dialog.get_by_label("备注内容").fill("已联系物业，明日到场")
    dialog.get_by_role("button", name="提交").click()
    expect(page.get_by_text("说明：已联系物业，明日到场")).to_be_visible()
    status_is(page, "待签收")  # a note changes nothing but the history

    page.get_by_role("button", name="申请延期").click()
    dialog = page.get_by_role("dialog", name="申请延期")
    dialog.get_by_role("button", name="提交").click()
    expect(dialog.get_by_role("alert")).to_have_text("请填写原因")
    dialog.get_by_label("延期至").fill("2099-01-05")
    dialog.get_by_label("延期至").press("Enter")
    dialog.get_by_label("延期理由").fill("需采购护栏，预计下月到货")
    dialog.get_by_role("button", name="提交").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_text("申请延期至 2099-01-05 23:59，待审批")).to_be_visible()
    expect(page.get_by_role("button", name="申请延期")).to_have_count(0)  # one at a time
    no_reporter_in_sight(page)
    console_page.sign_out()

    page = console_page.sign_in("office")
    page.get_by_role("link", name="待分派").click()
    page.get_by_role("tab", name=re.compile("延期申请")).click()
    expect(page.get_by_role("row").filter(has_text=address)).to_contain_text("2099-01-05")
    open_from_list(page, address)
    page.get_by_role("button", name="同意延期", exact=True).click()
    dialog = page.get_by_role("dialog", name="同意延期", exact=True)
    expect(dialog).to_contain_text("申请延期至 2099-01-05 23:59")
    dialog.get_by_role("button", name="提交").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_text("2099-01-05 23:59").first).to_be_visible()  # the new deadline
    expect(page.get_by_text("待审批")).to_have_count(0)
    expect(page.get_by_role("button", name="同意延期", exact=True)).to_have_count(0)

    record = client.get(f"/api/v1/hazards/{hazard['id']}", headers=office).json
    assert (
        record["deadline"].startswith("2099-01-05") and record["extension_requested_until"] is None
    )
    history = client.get(f"/api/v1/hazards/{hazard['id']}/events", headers=office).json
    assert [e["type"] for e in history][-3:] == ["comment", "request_extension", "grant_extension"]
    console_page.assert_clean()


def test_two_clerks_and_a_claim_taken_over_openly(app, client, console_page):
    volunteer = login(client, "volunteer")
    add_user(
        app, "fire2", "dept_staff", "fire2-pass-2026", department_code="fire-rescue",
        display_name="钱消防",
    )  # fmt: skip
    fire2 = login(client, "fire2", "fire2-pass-2026")
    hazard, address = new_report(client, volunteer)

    page = console_page.sign_in("fire")
    open_from_list(page, address)
    expect(page.get_by_role("button", name="认领")).to_be_visible()
    take(client, fire2, hazard["id"], "claim")  # a colleague claims it meanwhile
    page.get_by_role("button", name="认领").click()
    expect(page.get_by_text("该隐患已由 钱消防 认领处理")).to_be_visible()
    expect(page.locator(".head").get_by_text("钱消防 处理中")).to_be_visible()
    expect(page.get_by_role("button", name="认领")).to_have_count(0)

    # In the list, everyone sees who holds it.
    page.get_by_role("link", name="我的待办").click()
    expect(page.get_by_role("row").filter(has_text=address)).to_contain_text("钱消防 处理中")
    console_page.screenshot("fire-queue-claimed")
    open_from_list(page, address)
    page.get_by_role("button", name="接手处理").click()
    dialog = page.get_by_role("dialog", name="接手处理")
    expect(dialog).to_contain_text("该隐患当前由 钱消防 处理")
    dialog.get_by_role("button", name="提交").click()
    expect(dialog).to_be_hidden()
    expect(page.locator(".head").get_by_text("赵消防 处理中")).to_be_visible()
    expect(page.get_by_text("认领（从 fire2 接手）")).to_be_visible()
    expect(page.get_by_role("button", name="放弃认领")).to_be_visible()
    console_page.screenshot("fire-hazard-taken-over")
    no_reporter_in_sight(page)
    console_page.assert_clean(expected=[(409, f"/hazards/{hazard['id']}/events")])


def test_a_clerk_signs_for_every_matching_hazard_at_once_and_sees_what_failed(client, console_page):
    volunteer, fire = login(client, "volunteer"), login(client, "fire")
    # More than a page of the list (50): "all matching" must reach past what is on screen.
    made = [new_report(client, volunteer) for _ in range(53)]
    other_kind, other_address = new_report(client, volunteer, category="ebike_indoor_charging")
    waiting = client.get(
        "/api/v1/hazards?status=assigned&department=fire-rescue&category=fire_lane_blocked"
        "&limit=200",
        headers=fire,
    ).json
    assert waiting["next"] is None
    total = len(waiting["items"])
    assert total > 53

    page = console_page.sign_in("fire")
    expect(page.get_by_role("tab", name="待签收 (50+)")).to_be_visible()
    bulk = page.get_by_role("region", name="批量签收")
    expect(bulk).to_contain_text("已选 0 项")
    # Ticking rows selects those…
    rows = page.get_by_role("row").filter(has_text="中仓社区")
    rows.nth(0).locator(".el-checkbox").click()  # Element Plus hides the real checkbox
    rows.nth(1).locator(".el-checkbox").click()
    expect(bulk).to_contain_text("已选 2 项")
    expect(page).to_have_url(re.compile(r"/console/todo"))  # ticking did not open the hazard
    # …and "all matching" reads every page of the list as filtered: blocked fire lanes.
    page.get_by_label("隐患类别").click()
    page.get_by_role("option", name="消防车通道堵塞占用").click()
    expect(page.get_by_role("row").filter(has_text=other_address)).to_have_count(0)
    expect(bulk).to_contain_text("已选 0 项")  # a new filter, a new selection
    bulk.get_by_role("button", name="选择全部符合条件的隐患").click()
    expect(bulk).to_contain_text(f"已选择全部 {total} 项符合条件的隐患")

    moved, moved_address = made[7]
    take(client, fire, moved["id"], "accept")  # a colleague signs one meanwhile
    bulk.get_by_role("button", name="批量签收").click()
    expect(bulk.get_by_role("progressbar")).to_be_visible()
    expect(bulk).to_contain_text(f"已完成：成功 {total - 1} 项，失败 1 项", timeout=60_000)
    expect(bulk.get_by_role("heading", name="处理失败的隐患")).to_be_visible()
    expect(bulk.get_by_role("row").filter(has_text=moved_address)).to_contain_text(
        "已被他人处理（当前状态：已签收）"
    )
    console_page.screenshot("fire-bulk-signed")
    expect(page.get_by_role("tab", name=re.compile(r"待签收 \(0\)"))).to_be_visible()

    left = client.get(
        "/api/v1/hazards?status=assigned&department=fire-rescue&limit=200", headers=fire
    ).json["items"]
    assert [h["id"] for h in left if h["category"] == "fire_lane_blocked"] == []
    assert other_kind["id"] in [h["id"] for h in left]  # not of the filter: not signed
    history = client.get(f"/api/v1/hazards/{made[0][0]['id']}/events", headers=fire).json
    assert [e["type"] for e in history] == ["report", "route", "accept"]  # once, not twice
    no_reporter_in_sight(page)
    console_page.assert_clean(expected=[(409, f"/hazards/{moved['id']}/events")])


def test_the_office_merges_a_duplicate_and_reopens_a_closed_hazard_that_comes_back(
    client, console_page
):
    volunteer, fire, office = (login(client, u) for u in ("volunteer", "fire", "office"))
    first, first_address = new_report(client, volunteer, **at_the_spot(0))
    second, second_address = new_report(client, volunteer, **at_the_spot(1))
    closed, closed_address = new_report(client, volunteer)
    photo = jpeg(make="After")
    assert upload(client, fire, photo).status_code == 201
    for type_ in ("accept", "start"):
        take(client, fire, closed["id"], type_)
    take(client, fire, closed["id"], "rectify", photos=[sha(photo)])
    take(client, office, closed["id"], "verify", result="pass")
    take(client, office, closed["id"], "close")

    # The office finds the pair among the possible duplicates and merges the later one.
    page = console_page.sign_in("office")
    page.get_by_role("link", name="待分派").click()
    page.get_by_role("tab", name=re.compile("疑似重复")).click()
    open_from_list(page, second_address)
    expect(page.get_by_role("link", name=re.compile(first_address))).to_be_visible()
    page.get_by_role("button", name="合并为重复").click()
    dialog = page.get_by_role("dialog", name="合并为重复")
    choose(page, dialog, "合并到", re.compile(first_address))
    dialog.get_by_role("button", name="提交").click()
    expect(dialog).to_be_hidden()
    status_is(page, "重复")
    expect(page.get_by_role("link", name=first["id"])).to_be_visible()  # merged into

    # A closed hazard came back: reopened, with why, it is the brigade's again.
    console_page.open(f"/console/hazards/{closed['id']}")
    status_is(page, "已销号")
    page.get_by_role("button", name="重新打开").click()
    dialog = page.get_by_role("dialog", name="重新打开")
    dialog.get_by_label("重新打开的原因").fill("通道再次被占用")
    dialog.get_by_role("button", name="提交").click()
    expect(dialog).to_be_hidden()
    status_is(page, "待签收")
    console_page.sign_out()

    page = console_page.sign_in("fire")
    page.get_by_role("tab", name=re.compile("被退回")).click()
    back = page.get_by_role("row").filter(has_text=closed_address)
    expect(back).to_contain_text("待签收")
    expect(back).to_contain_text("重新打开：通道再次被占用")  # and why it came back
    expect(page.get_by_role("row").filter(has_text=first_address)).to_have_count(0)
    console_page.screenshot("fire-sent-back")
    no_reporter_in_sight(page)
    merged = client.get(f"/api/v1/hazards/{second['id']}", headers=office).json
    assert merged["status"] == "duplicate" and merged["duplicate_of"] == first["id"]
    console_page.assert_clean()
