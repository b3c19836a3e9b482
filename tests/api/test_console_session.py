"""The web console's session: an HttpOnly cookie, and a CSRF token on every write."""

import pytest
import sqlalchemy as sa

from server.extensions import db
from server.models import User
from tests.helpers import DEMO_PASSWORD, assert_problem, login, report_body

SESSION = "/api/v1/auth/session"
CONSOLE_DEVICE = "网页控制台 (browser)"


def console_login(client, username, password=DEMO_PASSWORD):
    """Sign the client's browser in to the console; return the session's body."""
    response = client.post(SESSION, json={"username": username, "password": password})
    assert response.status_code == 201, response.json
    return response.json


def test_signing_in_sets_an_httponly_strict_cookie_and_answers_who_and_the_csrf_token(client, demo):
    response = client.post(SESSION, json={"username": "fire", "password": DEMO_PASSWORD})
    assert response.status_code == 201
    [cookie] = response.headers.getlist("Set-Cookie")
    attributes = [part.strip() for part in cookie.split(";")]
    assert attributes[0].startswith("hz_session=") and len(attributes[0]) > 40
    assert {"HttpOnly", "SameSite=Strict", "Path=/"} <= set(attributes)
    assert "Secure" not in attributes  # the local http demo
    body = response.json
    assert body.pop("csrf_token")
    assert body == {
        "username": "fire",
        "display_name": "赵消防",
        "role": "dept_staff",
        "department": "fire-rescue",
        "department_name": "区消防救援支队",
        "grids": [],
    }
    assert response.json["csrf_token"] not in cookie  # derived, not the session itself


def test_the_cookie_is_secure_when_the_setting_says_so(app_with):
    client = app_with(SESSION_COOKIE_SECURE=True).test_client()
    response = client.post(SESSION, json={"username": "office", "password": DEMO_PASSWORD})
    assert "Secure" in [part.strip() for part in response.headers["Set-Cookie"].split(";")]


def test_the_cookie_signs_in_every_view_and_a_reload_finds_the_session(client, demo):
    signed_in = console_login(client, "gridworker")
    me = client.get("/api/v1/me")
    assert me.status_code == 200 and me.json["grids"] == ["110112001001G01", "110112001001G02"]
    assert client.get(SESSION).json == signed_in
    assert client.get("/api/v1/hazards?limit=5").status_code == 200


def test_a_write_with_the_cookie_needs_the_csrf_header(client, demo):
    csrf = console_login(client, "volunteer")["csrf_token"]
    body = report_body()
    refused = client.post("/api/v1/hazards", json=body)
    assert assert_problem(refused, 403)["code"] == "csrf_failed"
    altered = csrf[:-1] + ("1" if csrf.endswith("0") else "0")
    wrong = client.post("/api/v1/hazards", json=body, headers={"X-CSRF-Token": altered})
    assert assert_problem(wrong, 403)["code"] == "csrf_failed"
    assert client.get(f"/api/v1/hazards/{body['id']}").status_code == 404  # nothing stored
    filed = client.post("/api/v1/hazards", json=body, headers={"X-CSRF-Token": csrf})
    assert filed.status_code == 201, filed.json


def test_the_csrf_token_of_one_session_does_not_pass_for_another(app, demo):
    first, second = app.test_client(), app.test_client()
    csrf = console_login(first, "volunteer")["csrf_token"]
    console_login(second, "volunteer")
    refused = second.post("/api/v1/hazards", json=report_body(), headers={"X-CSRF-Token": csrf})
    assert assert_problem(refused, 403)["code"] == "csrf_failed"


def test_a_bearer_token_needs_no_csrf_header(client, demo):
    headers = login(client, "volunteer")
    assert client.post("/api/v1/hazards", json=report_body(), headers=headers).status_code == 201


@pytest.mark.parametrize("cookie", [None, "", "forged-session-value", "x" * 43])
def test_an_absent_or_forged_cookie_is_401(client, demo, cookie):
    if cookie is not None:
        client.set_cookie("hz_session", cookie)
    assert_problem(client.get("/api/v1/me"), 401)
    assert_problem(client.get(SESSION), 401)


def test_the_session_endpoint_reads_the_cookie_not_a_bearer_token(client, demo):
    assert_problem(client.get(SESSION, headers=login(client, "office")), 401)


@pytest.mark.parametrize(
    ("username", "password"), [("office", "wrong-password"), ("nobody", DEMO_PASSWORD)]
)
def test_wrong_credentials_set_no_cookie(client, demo, username, password):
    response = client.post(SESSION, json={"username": username, "password": password})
    assert_problem(response, 401)
    assert "Set-Cookie" not in response.headers


def test_signing_out_revokes_the_session_and_clears_the_cookie(app, demo):
    client = app.test_client()
    csrf = console_login(client, "office")["csrf_token"]
    cookie = client.get_cookie("hz_session").value
    assert_problem(client.delete(SESSION), 403)  # a write: the header is needed here too
    response = client.delete(SESSION, headers={"X-CSRF-Token": csrf})
    assert response.status_code == 204
    cleared = [part.strip() for part in response.headers["Set-Cookie"].split(";")]
    assert cleared[0] == "hz_session=" and "Max-Age=0" in cleared
    assert client.get_cookie("hz_session") is None
    reused = app.test_client()
    reused.set_cookie("hz_session", cookie)
    assert_problem(reused.get("/api/v1/me"), 401)
    assert_problem(reused.get(SESSION), 401)


def test_a_disabled_accounts_cookie_is_401(client, demo, app):
    console_login(client, "fire")
    with app.app_context():
        db.session.execute(sa.update(User).filter_by(username="fire").values(active=False))
        db.session.commit()
    assert_problem(client.get("/api/v1/me"), 401)


def test_the_office_sees_the_console_session_among_the_devices_and_signs_it_out(app, demo):
    clerk = app.test_client()
    console_login(clerk, "fire")
    login(clerk, "fire", device="华为 Mate 60")
    office = app.test_client()
    office_headers = login(office, "office")
    devices = office.get("/api/v1/users/fire", headers=office_headers).json["devices"]
    by_name = {device["device_name"]: device for device in devices}
    assert set(by_name) == {CONSOLE_DEVICE, "华为 Mate 60"}
    console = by_name[CONSOLE_DEVICE]
    assert clerk.get("/api/v1/me/devices").json[-1]["device_name"] in by_name
    response = office.delete(f"/api/v1/users/fire/devices/{console['id']}", headers=office_headers)
    assert response.status_code == 200 and response.json["revoked_at"]
    assert_problem(clerk.get("/api/v1/me"), 401)


def test_the_console_signs_out_its_own_device_with_the_csrf_header(client, demo):
    csrf = console_login(client, "fire")["csrf_token"]
    [device] = client.get("/api/v1/me/devices").json
    path = f"/api/v1/users/fire/devices/{device['id']}"
    assert assert_problem(client.delete(path), 403)["code"] == "csrf_failed"
    assert client.delete(path, headers={"X-CSRF-Token": csrf}).status_code == 200
    assert_problem(client.get("/api/v1/me"), 401)
