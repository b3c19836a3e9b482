"""Invite codes (邀请码): the office hands them out; a new volunteer joins with one from the
phone app and is signed in at once; a code that may not let them in changes nothing."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from server.extensions import db
from server.models import DeviceToken, Invite, User
from server.services.invites import ALPHABET, CODE_LENGTH
from tests.helpers import add_user, assert_problem, login

INVITES = "/api/v1/invites"
JOIN = "/api/v1/auth/join"


@pytest.fixture
def office(client, demo):
    return login(client, "office")


def in_days(days):
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def create(client, office, **fields):
    body = {"label": "安全生产月·中仓社区", "quota": 5, "expires_at": in_days(30), **fields}
    response = client.post(INVITES, json=body, headers=office)
    assert response.status_code == 201, response.json
    return response.json


def join_body(code, phone="13912345678", **fields):
    return {
        "code": code,
        "phone": phone,
        "display_name": "张三",
        "password": "join-pass-2026",
        "device_id": "d-7f3a",
        **fields,
    }


def accounts(app):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(User))


def used(app, code):
    with app.app_context():
        return db.session.scalar(sa.select(Invite.used).filter_by(code=code))


def test_the_office_creates_a_code_that_is_short_readable_and_listed(client, office):
    made = create(client, office, area="110112001001")
    code = made["code"]
    assert len(code) == CODE_LENGTH and set(code) <= set(ALPHABET)
    assert not set(code) & set("0O1I")
    assert made["label"] == "安全生产月·中仓社区"
    assert (made["area"], made["quota"], made["used"]) == ("110112001001", 5, 0)
    assert (made["active"], made["state"], made["created_by"]) == (True, "active", "office")
    assert made["join_path"] == f"/app/join?code={code}"
    second = create(client, office, label="随手拍·全区", quota=100)
    assert second["code"] != code and second["area"] is None
    listed = client.get(INVITES, headers=office).json
    assert [i["code"] for i in listed] == [second["code"], code]  # newest first


def test_the_office_deactivates_a_code_and_changes_its_quota_and_expiry(client, office):
    code = create(client, office)["code"]
    later = in_days(60)
    changed = client.patch(
        f"{INVITES}/{code.lower()}", json={"quota": 9, "expires_at": later}, headers=office
    ).json
    assert (changed["quota"], changed["state"]) == (9, "active")
    assert datetime.fromisoformat(changed["expires_at"]) == datetime.fromisoformat(later)
    stopped = client.patch(f"{INVITES}/{code}", json={"active": False}, headers=office).json
    assert (stopped["active"], stopped["state"]) == (False, "inactive")


@pytest.mark.parametrize("role", ["volunteer", "gridworker", "fire", "zhongcang"])
def test_only_the_office_manages_invite_codes(client, office, role):
    code = create(client, office)["code"]
    headers = login(client, role)
    assert_problem(client.get(INVITES, headers=headers), 403)
    body = {"label": "x", "quota": 1, "expires_at": in_days(1)}
    assert_problem(client.post(INVITES, json=body, headers=headers), 403)
    assert_problem(client.patch(f"{INVITES}/{code}", json={"active": False}, headers=headers), 403)
    assert client.get(INVITES, headers=office).json[0]["active"] is True


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"quota": 0}, "quota"),
        ({"expires_at": "2020-01-01T00:00:00+08:00"}, "expires_at"),
        ({"area": "no-such-area"}, "area"),
        ({"label": "   "}, "label"),
    ],
)
def test_a_code_the_office_gets_wrong_is_refused_and_not_made(client, office, fields, field):
    body = {"label": "安全生产月", "quota": 5, "expires_at": in_days(30), **fields}
    problem = assert_problem(client.post(INVITES, json=body, headers=office), 422)
    assert field in problem["errors"]
    assert client.get(INVITES, headers=office).json == []


def test_the_quota_is_not_lowered_below_who_has_joined(client, office, app):
    code = create(client, office, quota=3)["code"]
    client.post(JOIN, json=join_body(code, "13900000001"))
    client.post(JOIN, json=join_body(code, "13900000002"))
    chinese = {**office, "Accept-Language": "zh-CN"}
    problem = assert_problem(
        client.patch(f"{INVITES}/{code}", json={"quota": 1}, headers=chinese), 422
    )
    assert problem["detail"] == "名额不能少于已加入的 2 人。"
    assert client.patch(f"{INVITES}/{code}", json={"quota": 2}, headers=office).json["state"] == (
        "used_up"
    )


def test_a_new_volunteer_joins_with_a_code_and_is_signed_in_at_once(client, office, app):
    code = create(client, office)["code"]
    response = client.post(
        JOIN, json=join_body(f"{code[:4].lower()}-{code[4:]}", phone="+86 139-1234-5678")
    )
    assert response.status_code == 201, response.json
    token = response.json
    # The same answer as signing in with a password.
    assert set(token) == {"token", "token_type", "device_name"}
    assert (token["token_type"], token["device_name"]) == ("Bearer", "手机应用 d-7f3a")
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token['token']}"}).json
    assert me["username"] == "13912345678"
    assert (me["role"], me["display_name"], me["grids"]) == ("volunteer", "张三", [])
    # The password works from now on, like any account's.
    login(client, "13912345678", "join-pass-2026")
    assert used(app, code) == 1
    assert client.get(INVITES, headers=office).json[0]["used"] == 1


def test_a_device_named_by_the_app_is_listed_by_that_name(client, office):
    code = create(client, office)["code"]
    token = client.post(JOIN, json=join_body(code, device_name="我的华为")).json
    devices = client.get(
        "/api/v1/me/devices", headers={"Authorization": f"Bearer {token['token']}"}
    )
    assert [d["device_name"] for d in devices.json] == ["我的华为"]


def expire(app, code):
    """Move the code's expiry into the past, as if its last day had gone by."""
    with app.app_context():
        db.session.execute(
            sa.update(Invite)
            .filter_by(code=code)
            .values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
        )
        db.session.commit()


def refusal(client, office, app, case):
    """Return (code, phone) set up so that joining is refused for `case`."""
    code = create(client, office, quota=1)["code"]
    if case == "deactivated":
        client.patch(f"{INVITES}/{code}", json={"active": False}, headers=office)
    elif case == "expired":
        expire(app, code)
    elif case == "used up":
        assert client.post(JOIN, json=join_body(code, "13800000000")).status_code == 201
    elif case == "unknown":
        code = "ABCDEFGH" if code != "ABCDEFGH" else "HGFEDCBA"
    elif case == "phone registered":
        add_user(app, "laowang", "volunteer", "demo-pass-2026", phone="13912345678")
    return code


@pytest.mark.parametrize(
    ("case", "status", "kind", "zh", "en"),
    [
        ("unknown", 404, "invite_unknown", "邀请码不存在，请核对后重试。", "unknown invite code"),
        ("deactivated", 409, "invite_inactive", "该邀请码已停用。", "deactivated"),
        ("expired", 409, "invite_expired", "该邀请码已过期。", "expired"),
        ("used up", 409, "invite_used_up", "该邀请码的名额已用完。", "used up"),
        ("phone registered", 409, "phone_taken", "该手机号已注册，请直接登录。", "registered"),
    ],
)
def test_a_join_the_code_does_not_allow_is_refused_plainly_and_makes_no_account(
    client, office, app, case, status, kind, zh, en
):
    code = refusal(client, office, app, case)
    before, taken = accounts(app), used(app, code)
    chinese = client.post(JOIN, json=join_body(code), headers={"Accept-Language": "zh-CN"})
    problem = assert_problem(chinese, status)
    assert (problem["code"], problem["detail"]) == (kind, zh)
    assert en in assert_problem(client.post(JOIN, json=join_body(code)), status)["detail"]
    assert (accounts(app), used(app, code)) == (before, taken)
    with app.app_context():
        assert db.session.scalar(sa.select(User.id).filter_by(username="13912345678")) is None


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"phone": "12345"}, "phone"),
        ({"phone": "139123456789"}, "phone"),
        ({"password": "short"}, "password"),
        ({"display_name": "  "}, "display_name"),
        ({"device_id": ""}, "device_id"),
    ],
)
def test_a_join_with_bad_input_is_refused_and_takes_no_place(client, office, app, fields, field):
    code = create(client, office, quota=1)["code"]
    before = accounts(app)
    problem = assert_problem(client.post(JOIN, json=join_body(code, **fields)), 422)
    assert field in problem["errors"]
    assert (accounts(app), used(app, code)) == (before, 0)
    # The one place is still there for someone who gets it right.
    assert client.post(JOIN, json=join_body(code)).status_code == 201


def test_two_joins_racing_for_the_last_place_let_exactly_one_in(app, demo):
    client = app.test_client()
    office = login(client, "office")
    code = create(client, office, quota=2)["code"]
    assert client.post(JOIN, json=join_body(code, "13800000000")).status_code == 201
    before = accounts(app)
    answers, barrier = [], threading.Barrier(4)

    def send(phone):
        barrier.wait()
        answers.append(app.test_client().post(JOIN, json=join_body(code, phone)))

    threads = [threading.Thread(target=send, args=(f"1390000000{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409]
    assert {a.json["code"] for a in answers if a.status_code == 409} == {"invite_used_up"}
    assert (accounts(app), used(app, code)) == (before + 1, 2)
    with app.app_context():
        joined = sa.select(sa.func.count()).select_from(DeviceToken).join(User)
        assert db.session.scalar(joined.where(User.username.like("1390000000%"))) == 1


def test_two_joins_with_one_phone_at_once_make_one_account(app, demo):
    client = app.test_client()
    code = create(client, login(client, "office"), quota=5)["code"]
    before = accounts(app)
    answers, barrier = [], threading.Barrier(2)

    def send():
        barrier.wait()
        answers.append(app.test_client().post(JOIN, json=join_body(code)))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) == [201, 409]
    assert (accounts(app), used(app, code)) == (before + 1, 1)
