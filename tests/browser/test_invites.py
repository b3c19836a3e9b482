"""The office's 邀请码 tab in a real browser: a code made for a community's poster, shown
large with its join link, listed with who has joined, and deactivated (issue 14)."""

import re

from playwright.sync_api import expect

from tests.browser.test_management import choose, confirm_popup, open_tab, row

JOIN = "/api/v1/auth/join"


def test_the_office_makes_an_invite_code_for_a_poster_and_sees_volunteers_join_with_it(
    client, console_page
):
    page = console_page.sign_in("office")
    open_tab(page, "邀请码", "invites")

    page.get_by_role("button", name="新建邀请码").click()
    dialog = page.get_by_role("dialog", name="新建邀请码")
    dialog.get_by_label("活动或社区").fill("安全生产月·中仓社区")
    choose(page, "区域", "中仓社区（社区）", scope=dialog)
    dialog.get_by_role("spinbutton", name="名额").fill("20")
    dialog.get_by_role("button", name="保存").click()

    # The poster's view: the code large, and the link that fills it in on a phone.
    poster = page.get_by_role("dialog", name="邀请码海报")
    code = poster.get_by_label("注册邀请码").inner_text().strip()
    assert re.fullmatch(r"[2-9A-HJ-NP-Z]{8}", code)
    link = poster.get_by_label("注册链接")
    expect(link).to_have_value(f"{console_page.base}/app/join?code={code}")
    expect(poster).to_contain_text("安全生产月·中仓社区")
    console_page.screenshot("manage-invite-poster")
    poster.get_by_role("button", name=re.compile("关闭|Close")).click()
    expect(poster).to_be_hidden()

    listed = row(page, code)
    expect(listed).to_contain_text("安全生产月·中仓社区")
    expect(listed).to_contain_text("中仓社区")
    expect(listed).to_contain_text("0 / 20")
    expect(listed).to_contain_text("有效")

    # A volunteer joins from the phone app with the code from the poster.
    body = {
        "code": code,
        "phone": "13912345678",
        "display_name": "张三",
        "password": "join-pass-2026",
        "device_id": "d-1",
    }
    assert client.post(JOIN, json=body).status_code == 201
    page.reload()
    expect(row(page, code)).to_contain_text("1 / 20")
    expect(row(page, code)).to_contain_text("有效")
    console_page.screenshot("manage-invites")

    row(page, code).get_by_role("button", name="停用").click()
    confirm_popup(page, "停用")
    expect(row(page, code)).to_contain_text("已停用")
    refused = client.post(JOIN, json={**body, "phone": "13912345679"})
    assert (refused.status_code, refused.json["code"]) == (409, "invite_inactive")
    console_page.assert_clean()
