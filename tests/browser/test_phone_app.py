"""The phone app in a real browser, on a 360 px phone, as volunteers use it (issue 14)."""

import re
import uuid

from playwright.sync_api import expect

from tests.helpers import login, take, upload
from tests.photos import SHARED, jpeg, sha

PHOTOS = [SHARED / "gps_DSCN0010.jpg", SHARED / "gps_DSCN0021.jpg"]


def wait_for_the_shell(page):
    """The service worker has cached the app's shell (it is active once it has)."""
    page.wait_for_function(
        "navigator.serviceWorker.ready.then(r => !!r.active)"
        " && !!navigator.serviceWorker.controller"
    )


def file_report(page, category, description, address, photo=None, screenshot=None):
    """Fill the 随手拍 form and save it, as a volunteer would with one thumb; `screenshot`
    (the test's phone) takes a picture of the filled form first."""
    page.get_by_role("tab", name="随手拍").click()
    page.get_by_label("隐患类别").click()
    page.locator(".van-picker-column__item", has_text=category).click()
    page.get_by_role("button", name="确认").click()
    expect(page.get_by_label("隐患类别")).to_have_value(category)
    page.get_by_label("隐患描述").fill(description)
    if photo is not None:
        page.locator("input[type=file]").set_input_files(photo)
        expect(page.locator(".photo img")).to_have_count(1)
    expect(page.get_by_text(re.compile(r"已定位，精度约 8 米"))).to_be_visible()
    page.get_by_label("详细地址").fill(address)
    if screenshot is not None:
        page.locator(".photo img").first.scroll_into_view_if_needed()
        screenshot.screenshot("phone-report-form")
    page.get_by_role("button", name="保存上报").click()
    expect(page.get_by_text("已保存，待发送")).to_be_visible()
    expect(page.get_by_label("隐患描述")).to_have_value("")


def outbox_entries(page):
    return page.locator(".entry")


def reports_with(client, headers, description):
    hazards = client.get("/api/v1/hazards?limit=200", headers=headers).json["items"]
    return [h for h in hazards if h["description"] == description]


def test_reports_filed_offline_survive_a_reload_and_sync_when_back_online(client, phone_page):
    page = phone_page.sign_in("volunteer")
    wait_for_the_shell(page)
    tag = uuid.uuid4().hex[:6]
    first, second = f"消防通道被电动车堵住 {tag}", f"楼道堆放杂物 {tag}"

    # The network goes; the volunteer files two reports, each with a photo as taken.
    page.context.set_offline(True)
    file_report(page, "消防车通道堵塞占用", first, f"中仓社区{tag}号楼东侧", PHOTOS[0], phone_page)
    file_report(page, "疏散通道堵塞或安全出口锁闭", second, f"中仓社区{tag}号楼二单元", PHOTOS[1])
    page.get_by_role("tab", name=re.compile("待发送")).click()
    expect(outbox_entries(page)).to_have_count(2)
    expect(outbox_entries(page).filter(has_text="待发送")).to_have_count(2)
    expect(page.get_by_text("当前没有网络，联网后自动发送")).to_be_visible()
    expect(page.locator(".van-tabbar .van-badge")).to_have_text("2")

    # Still offline, the page is reloaded: the app opens from its cache, both still wait.
    page.reload()
    expect(outbox_entries(page)).to_have_count(2)
    assert page.evaluate("!!navigator.serviceWorker.controller")  # opened from its cache
    expect(page.get_by_text(first)).to_be_visible()
    expect(page.get_by_text(second)).to_be_visible()
    phone_page.screenshot("phone-outbox-offline")

    # Back online: both go without a reload, with their photos, and the outbox empties.
    page.context.set_offline(False)
    expect(page.get_by_text("没有待发送的上报")).to_be_visible()
    expect(page.locator(".van-tabbar .van-badge")).to_have_count(0)

    volunteer = login(client, "volunteer")
    for description, photo in zip((first, second), PHOTOS, strict=True):
        [hazard] = reports_with(client, volunteer, description)
        assert hazard["status"] == "assigned" and hazard["lead_department"] == "fire-rescue"
        assert hazard["accuracy_m"] == 8 and abs(hazard["lat"] - 39.9) < 0.5
        assert [(p["sha256"], p["missing"]) for p in hazard["photo_details"]] == [
            (sha(photo.read_bytes()), False)
        ]
        assert hazard["address"].startswith("中仓社区")

    page.get_by_role("tab", name="我的上报").click()
    for description in (first, second):
        expect(page.locator(".hazard", has_text=description)).to_contain_text("待签收")
    phone_page.screenshot("phone-my-reports")
    phone_page.assert_clean()


def test_a_refused_report_shows_why_without_blocking_and_a_closed_one_shows_closed(
    client, phone_page
):
    page = phone_page.sign_in("volunteer")
    expect(page.get_by_label("隐患类别")).to_be_visible()
    office, fire = login(client, "office"), login(client, "fire")
    tag = uuid.uuid4().hex[:6]
    refused, kept = f"井盖缺失 {tag}", f"消防车通道被占 {tag}"

    # The office stops a category the phone still offers (its list is cached offline).
    page.get_by_label("隐患类别").click()
    expect(page.locator(".van-picker-column__item", has_text="疏散通道")).to_be_visible()
    page.get_by_role("button", name="取消").click()
    page.context.set_offline(True)
    response = client.patch(
        "/api/v1/categories/evacuation_blocked", json={"active": False}, headers=office
    )
    assert response.status_code == 200, response.json
    file_report(page, "疏散通道堵塞或安全出口锁闭", refused, f"中仓社区{tag}号楼")
    file_report(page, "消防车通道堵塞占用", kept, f"中仓社区{tag}号楼北侧", PHOTOS[0])
    page.context.set_offline(False)

    # The refused one stays in the outbox with the server's reason; the next one went.
    page.get_by_role("tab", name=re.compile("待发送")).click()
    entry = outbox_entries(page).filter(has_text=refused)
    expect(entry).to_contain_text("被退回")
    expect(entry).to_contain_text("疏散通道堵塞或安全出口锁闭")  # its name, though stopped
    expect(entry.locator(".reason")).to_contain_text(re.compile("原因：.+"))
    expect(outbox_entries(page)).to_have_count(1)
    phone_page.screenshot("phone-outbox-refused")
    volunteer = login(client, "volunteer")
    assert reports_with(client, volunteer, refused) == []
    [hazard] = reports_with(client, volunteer, kept)

    # The fire brigade rectifies, the office verifies and closes: after the next sync
    # the volunteer sees 已销号.
    photo = jpeg(make="After")
    assert upload(client, fire, photo).status_code == 201
    for step in ("accept", "start"):
        take(client, fire, hazard["id"], step)
    take(client, fire, hazard["id"], "rectify", photos=[sha(photo)])
    take(client, office, hazard["id"], "verify", result="pass")
    take(client, office, hazard["id"], "close")
    page.get_by_role("tab", name="我的上报").click()
    expect(page.locator(".hazard", has_text=kept)).to_contain_text("待签收")
    page.get_by_role("button", name="立即同步").click()
    expect(page.locator(".hazard", has_text=kept)).to_contain_text("已销号")

    # The refused report can be removed; then nothing waits.
    page.get_by_role("tab", name=re.compile("待发送")).click()
    entry.get_by_role("button", name="移除").click()
    expect(page.get_by_text("没有待发送的上报")).to_be_visible()

    # In English by the switch; signing out revokes the token and survives a reload.
    page.get_by_role("tab", name=re.compile("我的$")).click()
    expect(page.get_by_text("王志愿")).to_be_visible()
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("tab", name="My reports")).to_be_visible()
    page.get_by_role("button", name="中文").click()
    page.get_by_role("button", name="退出登录").click()
    expect(page.get_by_label("用户名")).to_be_visible()
    page.reload()
    expect(page.get_by_label("用户名")).to_be_visible()
    phone_page.assert_clean()


def test_a_tab_killed_while_its_push_is_in_flight_finishes_on_reopening_with_no_double(
    client, phone_page
):
    page = phone_page.sign_in("volunteer")
    context = page.context
    tag = uuid.uuid4().hex[:6]
    descriptions = [f"消防通道停放车辆 {tag}", f"安全出口被锁 {tag}"]
    context.set_offline(True)
    file_report(page, "消防车通道堵塞占用", descriptions[0], f"中仓社区{tag}号楼", PHOTOS[0])
    file_report(page, "消防车通道堵塞占用", descriptions[1], f"中仓社区{tag}号楼西侧", PHOTOS[1])

    # Back online, the push reaches the server and is applied; the tab dies before the
    # answer comes back (nothing is left of it but what IndexedDB held).
    applied = []

    def swallow(route):
        applied.append(route.fetch().status)  # the server does the work; no answer given

    page.route("**/api/v1/sync", swallow)
    context.set_offline(False)
    for _ in range(100):  # the route's handler runs while the test waits on the page
        if applied:
            break
        page.wait_for_timeout(100)
    assert applied == [200]
    page.close()

    # Reopened: the outbox resends, the server answers duplicate, photos go up.
    reopened = context.new_page()
    reopened.on("pageerror", lambda error: phone_page.errors.append(f"uncaught: {error}"))
    reopened.goto(phone_page.base + "/app/")
    reopened.get_by_role("tab", name=re.compile("待发送")).click()
    expect(reopened.get_by_text("没有待发送的上报")).to_be_visible()
    volunteer = login(client, "volunteer")
    for description, photo in zip(descriptions, PHOTOS, strict=True):
        [hazard] = reports_with(client, volunteer, description)  # exactly once
        assert [(p["sha256"], p["missing"]) for p in hazard["photo_details"]] == [
            (sha(photo.read_bytes()), False)
        ]
    phone_page.assert_clean()
