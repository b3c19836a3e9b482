"""Signing in per device, revoking, and who am I."""

import hashlib

import pytest
import sqlalchemy as sa

from server.extensions import db
from server.models import DeviceToken, User
from tests.helpers import assert_problem, login


def test_volunteer_signs_in_and_sees_their_profile(client, demo):
    headers = login(client, "volunteer")
    me = client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200
    assert me.json == {
        "username": "volunteer",
        "display_name": "王志愿",
        "role": "volunteer",
        "department": None,
        "department_name": None,
        "grids": [],
    }


@pytest.mark.parametrize(
    ("username", "role", "department", "grids"),
    [
        ("gridworker", "grid_worker", None, ["110112001001G01", "110112001001G02"]),
        ("fire", "dept_staff", "fire-rescue", []),
        ("zhongcang", "dept_staff", "street-110112001", []),
        ("office", "office", None, []),
    ],
)
def test_each_role_sees_its_department_and_grids(client, demo, username, role, department, grids):
    me = client.get("/api/v1/me", headers=login(client, username)).json
    assert (me["role"], me["department"], me["grids"]) == (role, department, grids)


def test_token_is_stored_only_as_its_hash(client, demo, app):
    token = login(client, "volunteer", device="华为 Mate 60")["Authorization"].split()[1]
    with app.app_context():
        rows = db.session.scalars(sa.select(DeviceToken)).all()
        assert len(rows) == 1
        assert rows[0].token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert rows[0].device_name == "华为 Mate 60"
        assert token not in rows[0].token_hash


def test_password_is_stored_with_a_kdf_not_in_clear(app, demo):
    with app.app_context():
        stored = db.session.scalar(sa.select(User.password_hash).filter_by(username="office"))
    assert stored.startswith(("pbkdf2:", "scrypt:"))
    assert "demo-pass-2026" not in stored


def test_each_device_gets_its_own_token_and_revoking_one_keeps_the_other(client, demo):
    phone = login(client, "gridworker", device="phone")
    tablet = login(client, "gridworker", device="tablet")
    assert phone != tablet
    assert client.delete("/api/v1/auth/tokens/current", headers=phone).status_code == 204
    assert_problem(client.get("/api/v1/me", headers=phone), 401)
    assert client.get("/api/v1/me", headers=tablet).status_code == 200


@pytest.mark.parametrize(
    ("username", "password"),
    [("volunteer", "wrong-password"), ("nobody", "demo-pass-2026"), ("volunteer", "")],
)
def test_wrong_credentials_get_401_and_no_token(client, demo, app, username, password):
    response = client.post(
        "/api/v1/auth/tokens",
        json={"username": username, "password": password, "device_name": "phone"},
    )
    assert response.status_code in (401, 422)
    assert_problem(response, response.status_code)
    assert "token" not in response.json
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(DeviceToken.id))) == 0


def test_token_request_missing_device_name_is_refused_by_field(client, demo):
    response = client.post(
        "/api/v1/auth/tokens", json={"username": "volunteer", "password": "demo-pass-2026"}
    )
    body = assert_problem(response, 422)
    assert "device_name" in body["errors"]


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer not-a-real-token", "Basic dm9sdW50ZWVyOnB3", "Token abc"],
)
def test_missing_or_wrong_token_gets_401(client, demo, authorization):
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = client.get("/api/v1/me", headers=headers)
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_disabled_account_cannot_use_its_token(client, demo, app):
    headers = login(client, "volunteer")
    with app.app_context():
        db.session.execute(sa.update(User).filter_by(username="volunteer").values(active=False))
        db.session.commit()
    assert_problem(client.get("/api/v1/me", headers=headers), 401)
