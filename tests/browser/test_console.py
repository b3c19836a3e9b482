"""The console in a real browser, as its users work it (issue 13's acceptance)."""

import re
import uuid
from datetime import timedelta

from playwright.sync_api import expect

from server.extensions import db
from server.models import Hazard, utcnow
from tests.helpers import assert_problem, file_report, login, take, upload
from tests.photos import SHARED, jpeg, sha

AFTER_PHOTO = SHARED / "gps_DSCN0010.jpg"
BEFORE_PHOTO = SHARED / "gps_DSCN0021.jpg"


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


def test_a_report_goes_from_the_brigades_queue_to_closed_in_the_browser(client, console_page):
    volunteer, office = login(client, "volunteer"), login(client, "office")
    before = BEFORE_PHOTO.read_bytes()
    assert upload(client, volunteer, before).status_code == 201
    hazard, address = new_report(client, volunteer, photos=[sha(before)])
    assert hazard["status"] == "assigned" and hazard["lead_department"] == "fire-rescue"

    # The fire brigade's clerk finds it under 待签收, with its deadline.
    page = console_page.sign_in("fire")
    expect(page).to_have_url(re.compile(r"/console/todo"))
    expect(page.get_by_role("tab", name=re.compile("待签收"))).to_have_attribute(
        "aria-selected", "true"
    )
    row = page.get_by_role("row").filter(has_text=address)
    expect(row).to_contain_text("消防车通道")
    expect(row).to_contain_text("待签收")
    expect(row).to_contain_text(re.compile("剩余 \\d+ 个工作日|今天到期"))
    console_page.screenshot("fire-queue")
    open_from_list(page, address)
    expect(page.get_by_text(hazard["description"])).to_be_visible()
    expect(page.get_by_text(address).first).to_be_visible()
    # The report's photo: a thumbnail, and a click shows it at display size.
    display = f"/api/v1/photos/{sha(before)}/display"
    with page.expect_response(lambda r: r.url.endswith(display) and r.ok):
        page.get_by_role("img", name="上报照片 第1张").click()
    page.keyboard.press("Escape")

    # 签收, 开始整改, then 整改完成 with an after-photo chosen from disk.
    page.get_by_role("button", name="签收").click()
    status_is(page, "已签收")
    page.get_by_role("button", name="开始整改").click()
    status_is(page, "整改中")
    page.get_by_role("button", name="整改完成").click()
    dialog = page.get_by_role("dialog", name="整改完成")
    dialog.get_by_label("整改后照片").set_input_files(AFTER_PHOTO)
    dialog.get_by_label("整改说明").fill("已清理通道，车辆挪走")
    dialog.get_by_role("button", name="提交").click()
    expect(dialog).to_be_hidden()
    status_is(page, "待复核")
    after = page.get_by_role("img", name="整改后照片 第1张")
    expect(after).to_be_visible()
    expect(after).to_have_js_property("complete", True)
    assert after.evaluate("img => img.naturalWidth") > 0  # the thumbnail really loaded
    expect(page.get_by_text("已清理通道，车辆挪走")).to_be_visible()
    console_page.screenshot("fire-hazard-rectified")

    # Back in the list it waits under 待复核, no longer to do.
    page.get_by_role("link", name="我的待办").click()
    page.get_by_role("tab", name=re.compile("待复核")).click()
    expect(page.get_by_role("row").filter(has_text=address)).to_contain_text("待复核")
    console_page.sign_out()

    # The office verifies and closes it.
    page = console_page.sign_in("office")
    expect(page).to_have_url(re.compile(r"/console/verify"))
    expect(page.get_by_role("row").filter(has_text=address)).to_contain_text("区消防救援支队")
    console_page.screenshot("office-verify-queue")
    open_from_list(page, address)
    expect(page.get_by_text("王志愿")).to_be_visible()  # the office sees who reported
    page.get_by_role("button", name="复核通过").click()
    dialog = page.get_by_role("dialog", name="复核通过")
    dialog.get_by_label("复核意见").fill("现场已畅通")
    dialog.get_by_role("button", name="提交").click()
    expect(dialog).to_be_hidden()
    status_is(page, "已复核")
    page.get_by_role("button", name="销号").click()
    status_is(page, "已销号")
    expect(page.get_by_text("当前状态下您没有可执行的操作。")).to_be_visible()
    console_page.screenshot("office-hazard-closed")

    closed = client.get(f"/api/v1/hazards/{hazard['id']}", headers=office).json
    assert closed["status"] == "closed"
    photo = sha(AFTER_PHOTO.read_bytes())
    assert {"sha256": photo, "phase": "after", "missing": False} in [
        {k: p[k] for k in ("sha256", "phase", "missing")} for p in closed["photo_details"]
    ]
    history = client.get(f"/api/v1/hazards/{hazard['id']}/events", headers=office).json
    assert [e["type"] for e in history] == [
        "report", "route", "accept", "start", "rectify", "verify", "close"
    ]  # fmt: skip
    assert [e["actor"] for e in history[2:]] == ["fire"] * 3 + ["office"] * 2
    assert history[4]["data"]["photos"] == [photo]
    console_page.assert_clean()


def test_a_returned_hazard_lands_in_the_offices_triage_with_its_reason(client, console_page):
    volunteer, office = login(client, "volunteer"), login(client, "office")
    hazard, address = new_report(client, volunteer)

    page = console_page.sign_in("fire")
    open_from_list(page, address)
    page.get_by_role("button", name="退回").click()
    dialog = page.get_by_role("dialog", name="退回隐患")
    dialog.get_by_role("button", name="提交").click()
    expect(dialog.get_by_role("alert")).to_have_text("请填写原因")  # a reason is required
    dialog.get_by_label("退回原因").fill("不属于消防职责，应由街道处理")
    dialog.get_by_role("button", name="提交").click()
    # Returned, it is no longer the brigade's to see: back to the list, without it.
    expect(page).to_have_url(re.compile(r"/console/todo"))
    expect(page.get_by_role("tab", name=re.compile("待签收"))).to_be_visible()
    expect(page.get_by_role("row").filter(has_text=address)).to_have_count(0)

    triage = client.get("/api/v1/queue?view=triage&limit=200", headers=office).json
    [returned] = [item for item in triage["items"] if item["id"] == hazard["id"]]
    assert returned["status"] == "reported" and returned["lead_department"] is None
    assert "不属于消防职责，应由街道处理" in returned["routing_note"]
    console_page.assert_clean()


def test_a_department_user_gets_no_office_page_and_the_api_refuses_its_steps(client, console_page):
    volunteer, fire = login(client, "volunteer"), login(client, "fire")
    hazard, address = new_report(client, volunteer)
    photo = jpeg(make="After")
    assert upload(client, fire, photo).status_code == 201
    for step in ("accept", "start"):
        take(client, fire, hazard["id"], step)
    take(client, fire, hazard["id"], "rectify", photos=[sha(photo)])

    page = console_page.sign_in("fire")
    for office_page in ("/console/verify", "/console/triage"):
        console_page.open(office_page)
        expect(page.get_by_role("heading", name="无权限")).to_be_visible()
        expect(page.get_by_role("alert")).to_contain_text("部门工作人员")
    console_page.screenshot("fire-forbidden")
    page.get_by_role("button", name="English").click()  # and in English, by the switch
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    expect(page.get_by_role("link", name="My work")).to_be_visible()
    page.get_by_role("button", name="中文").click()
    # Its own rectified hazard offers it no office step, and no reporter's name.
    console_page.open(f"/console/hazards/{hazard['id']}")
    status_is(page, "待复核")
    expect(page.get_by_text("当前状态下您没有可执行的操作。")).to_be_visible()
    expect(page.get_by_role("button", name="复核通过")).to_have_count(0)
    expect(page.get_by_text("王志愿")).to_have_count(0)
    expect(page.get_by_text("13800000001")).to_have_count(0)
    # The API refuses the same steps: 403.
    for body in ({"type": "verify", "result": "pass"}, {"type": "close"}):
        refused = client.post(
            f"/api/v1/hazards/{hazard['id']}/events",
            json={"id": str(uuid.uuid4()), **body},
            headers=fire,
        )
        assert_problem(refused, 403)
    console_page.assert_clean()


def test_a_step_someone_else_took_first_shows_the_hazard_as_it_now_is(client, console_page):
    volunteer, fire = login(client, "volunteer"), login(client, "fire")
    hazard, address = new_report(client, volunteer)

    page = console_page.sign_in("fire")
    open_from_list(page, address)
    status_is(page, "待签收")
    take(client, fire, hazard["id"], "accept")  # a colleague signs for it meanwhile
    page.get_by_role("button", name="签收").click()
    expect(page.get_by_text("该隐患已被他人处理，当前状态为“已签收”")).to_be_visible()
    status_is(page, "已签收")
    expect(page.get_by_role("button", name="开始整改")).to_be_visible()
    console_page.assert_clean(expected=[(409, f"/hazards/{hazard['id']}/events")])


def test_overdue_hazards_show_their_escalation_level(app, client, console_page):
    volunteer = login(client, "volunteer")
    hazard, address = new_report(client, volunteer)
    with app.app_context():  # its deadline passed three weeks ago: 督办 level 3
        db.session.get(Hazard, uuid.UUID(hazard["id"])).deadline = utcnow() - timedelta(days=21)
        db.session.commit()

    page = console_page.sign_in("fire")
    page.get_by_role("tab", name=re.compile("已超期")).click()
    row = page.get_by_role("row").filter(has_text=address)
    expect(row).to_contain_text("已超期 · 3级督办")
    console_page.screenshot("fire-overdue")
    console_page.assert_clean()


def test_a_session_signed_out_elsewhere_sends_the_page_to_sign_in_and_back(client, console_page):
    office = login(client, "office")
    page = console_page.sign_in("fire")
    # Every tab's list read (each shows its count), so none is in flight when revoked.
    expect(page.get_by_role("tab", name=re.compile(r"\(\d+\+?\)$"))).to_have_count(4)
    devices = client.get("/api/v1/users/fire", headers=office).json["devices"]
    [console] = [d for d in devices if d["device_name"].startswith("网页控制台")]
    revoked = client.delete(f"/api/v1/users/fire/devices/{console['id']}", headers=office)
    assert revoked.status_code == 200  # the office signs the lost session out

    page.get_by_role("tab", name=re.compile("已超期")).click()
    page.get_by_role("button", name="刷新").click()
    expect(page.get_by_role("button", name="登录")).to_be_visible()
    page.get_by_label("用户名").fill("fire")
    page.get_by_label("密码").fill("demo-pass-2026")
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/console/todo\?tab=overdue"))
    console_page.assert_clean(expected=[(401, "limit=50")])
