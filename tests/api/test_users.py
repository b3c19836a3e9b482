"""The office manages accounts and signs out lost devices (SPEC §1, §7)."""

import pytest

from tests.helpers import assert_problem, login


def test_the_office_signs_out_a_lost_phone_and_the_other_device_keeps_working(client, demo):
    office = login(client, "office")
    lost = login(client, "gridworker", device="丢失的手机")
    tablet = login(client, "gridworker", device="平板")
    account = client.get("/api/v1/users/gridworker", headers=office).json
    assert account["grids"] == ["110112001001G01", "110112001001G02"] and account["active"]
    [phone] = [d for d in account["devices"] if d["device_name"] == "丢失的手机"]
    assert "token" not in phone and phone["revoked_at"] is None
    response = client.delete(f"/api/v1/users/gridworker/devices/{phone['id']}", headers=office)
    assert response.status_code == 200 and response.json["revoked_at"] is not None
    assert_problem(client.get("/api/v1/me", headers=lost), 401)
    assert client.get("/api/v1/me", headers=tablet).status_code == 200


def test_a_user_signs_out_their_own_lost_device_but_nobody_elses(client, demo):
    lost = login(client, "volunteer", device="旧手机")
    here = login(client, "volunteer", device="新手机")
    devices = client.get("/api/v1/me/devices", headers=here).json
    [old] = [d for d in devices if d["device_name"] == "旧手机"]
    other = client.get("/api/v1/users/gridworker", headers=login(client, "office")).json
    somebody_elses = other["devices"][0]["id"] if other["devices"] else 1
    url = f"/api/v1/users/gridworker/devices/{somebody_elses}"
    assert_problem(client.delete(url, headers=here), 403)
    url = f"/api/v1/users/volunteer/devices/{old['id']}"
    assert client.delete(url, headers=here).status_code == 200
    assert_problem(client.get("/api/v1/me", headers=lost), 401)
    assert client.get("/api/v1/me", headers=here).status_code == 200


def test_disabling_an_account_signs_out_every_device_and_refuses_sign_in(client, demo):
    office = login(client, "office")
    devices = [login(client, "fire", device=name) for name in ("手机", "电脑")]
    changed = client.patch("/api/v1/users/fire", json={"active": False}, headers=office)
    assert changed.status_code == 200 and changed.json["active"] is False
    assert all(d["revoked_at"] for d in changed.json["devices"])
    for headers in devices:
        assert_problem(client.get("/api/v1/me", headers=headers), 401)
    refused = client.post(
        "/api/v1/auth/tokens",
        json={"username": "fire", "password": "demo-pass-2026", "device_name": "x"},
    )
    assert_problem(refused, 401)
    # Enabled again, the account signs in afresh; its old tokens stay revoked.
    client.patch("/api/v1/users/fire", json={"active": True}, headers=office)
    assert client.get("/api/v1/me", headers=login(client, "fire")).status_code == 200
    assert_problem(client.get("/api/v1/me", headers=devices[0]), 401)
    assert_problem(
        client.patch("/api/v1/users/office", json={"active": False}, headers=office), 409
    )


def test_the_office_creates_a_grid_worker_and_moves_their_grids(client, demo):
    office = login(client, "office")
    body = {
        "username": "liwei",
        "password": "grid-pass-2026",
        "role": "grid_worker",
        "display_name": "李伟",
        "phone": "13700000007",
        "grids": ["110112002001G01"],
    }
    created = client.post("/api/v1/users", json=body, headers=office)
    assert created.status_code == 201 and created.json["grids"] == ["110112002001G01"]
    me = client.get("/api/v1/me", headers=login(client, "liwei", "grid-pass-2026")).json
    assert (me["display_name"], me["role"]) == ("李伟", "grid_worker")
    moved = client.patch(
        "/api/v1/users/liwei", json={"grids": ["110112002001G02"]}, headers=office
    ).json
    assert moved["grids"] == ["110112002001G02"]
    workers = client.get("/api/v1/users?role=grid_worker", headers=office).json
    assert [u["username"] for u in workers] == ["gridworker", "liwei"]
    page = client.get("/api/v1/users?limit=2", headers=office).json
    after = client.get(f"/api/v1/users?limit=2&after={page[-1]['username']}", headers=office).json
    assert page[-1]["username"] < after[0]["username"]
    assert_problem(client.post("/api/v1/users", json=body, headers=office), 409)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"role": "grid_worker", "grids": []}, "grid"),
        ({"role": "dept_staff", "department": "nope"}, "department"),
        ({"role": "mayor"}, "role"),
        ({"role": "volunteer", "password": "short"}, "password"),
        ({"role": "volunteer", "grids": ["110112002001G01"]}, "grid"),
    ],
)
def test_bad_accounts_are_refused_by_field_and_nothing_is_made(client, demo, body, field):
    office = login(client, "office")
    full = {"username": "newcomer", "password": "long-enough-1", **body}
    body = assert_problem(client.post("/api/v1/users", json=full, headers=office), 422)
    assert field in body["errors"]
    assert_problem(client.get("/api/v1/users/newcomer", headers=office), 404)


@pytest.mark.parametrize("who", ["volunteer", "gridworker", "fire"])
def test_accounts_are_for_the_office_only(client, demo, who):
    headers = login(client, who)
    assert_problem(client.get("/api/v1/users", headers=headers), 403)
    assert_problem(client.patch("/api/v1/users/volunteer", json={"active": False},
                                headers=headers), 403)  # fmt: skip
