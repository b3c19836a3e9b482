"""What the console's management pages need of the API: filtered accounts, a password
reset, each device's last use, deactivated categories, and no rule to a deactivated
department."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from server.demo import DEMO_PASSWORD, district_geojson
from server.extensions import db
from server.models import DeviceToken, utcnow
from tests.helpers import assert_problem, login

RULES = "/api/v1/routing-rules"


@pytest.fixture
def office(client, demo):
    return login(client, "office")


def usernames(client, office, query):
    return [u["username"] for u in client.get(f"/api/v1/users?{query}", headers=office).json]


def test_accounts_are_listed_by_department_and_by_whether_they_are_enabled(client, office):
    assert usernames(client, office, "department=fire-rescue") == ["fire"]
    assert usernames(client, office, "role=dept_staff&department=fire-rescue") == ["fire"]
    assert usernames(client, office, "department=water") == []
    client.patch("/api/v1/users/volunteer", json={"active": False}, headers=office)
    assert usernames(client, office, "active=false") == ["volunteer"]
    assert "volunteer" not in usernames(client, office, "active=true")
    assert "office" in usernames(client, office, "active=true")
    assert_problem(client.get("/api/v1/users?active=perhaps", headers=office), 422)


def test_the_office_resets_a_password_the_old_one_fails_and_every_device_is_signed_out(
    client, office
):
    phone = login(client, "fire", device="手机")
    reset = client.patch("/api/v1/users/fire", json={"password": "new-pass-2026"}, headers=office)
    assert reset.status_code == 200 and "password" not in reset.json
    assert all(d["revoked_at"] for d in reset.json["devices"])
    assert_problem(client.get("/api/v1/me", headers=phone), 401)
    wrong = {"username": "fire", "password": DEMO_PASSWORD, "device_name": "x"}
    assert_problem(client.post("/api/v1/auth/tokens", json=wrong), 401)
    me = client.get("/api/v1/me", headers=login(client, "fire", "new-pass-2026")).json
    assert me["username"] == "fire"


@pytest.mark.parametrize("password", ["short", "", None, 12345678])
def test_a_password_too_short_or_not_text_is_refused_and_the_old_one_still_works(
    client, office, password
):
    response = client.patch("/api/v1/users/fire", json={"password": password}, headers=office)
    assert "password" in assert_problem(response, 422)["errors"]
    assert client.get("/api/v1/me", headers=login(client, "fire")).status_code == 200


def test_a_devices_last_use_is_noted_at_most_every_few_minutes(client, office, app):
    phone = login(client, "gridworker", device="丢失的手机")

    def the_phone():
        account = client.get("/api/v1/users/gridworker", headers=office).json
        return next(d for d in account["devices"] if d["device_name"] == "丢失的手机")

    first = the_phone()["last_used_at"]
    assert first == the_phone()["created_at"]  # signing in is a use
    assert client.get("/api/v1/me", headers=phone).status_code == 200
    assert the_phone()["last_used_at"] == first  # not a write per request
    with app.app_context():  # ten minutes on, the next request is noted again
        db.session.execute(
            sa.update(DeviceToken)
            .where(DeviceToken.device_name == "丢失的手机")
            .values(last_used_at=utcnow() - timedelta(minutes=10))
        )
        db.session.commit()
    client.get("/api/v1/me", headers=phone)
    assert the_phone()["last_used_at"] > first


def test_the_office_lists_deactivated_categories_too_and_others_see_the_active(client, office):
    client.patch("/api/v1/categories/stairwell_clutter", json={"active": False}, headers=office)
    everyone = client.get("/api/v1/categories", headers=login(client, "volunteer")).json
    assert "stairwell_clutter" not in [c["code"] for c in everyone]
    every = client.get("/api/v1/categories?include_inactive=true", headers=office).json
    [clutter] = [c for c in every if c["code"] == "stairwell_clutter"]
    assert clutter["active"] is False
    assert len(every) == len(everyone) + 1


def test_a_rule_to_a_deactivated_department_is_refused_and_changes_nothing(client, office):
    client.patch("/api/v1/departments/water", json={"active": False}, headers=office)
    before = client.get(RULES, headers=office).json
    rule = {"category": "fire_lane_blocked", "department": "water", "priority": 9}
    problem = assert_problem(client.post(RULES, json=rule, headers=office), 422)
    assert problem["errors"] == {"department": ["water is deactivated"]}
    assert "已停用" in problem["detail"]
    moved = client.patch(f"{RULES}/{before[0]['id']}", json={"department": "water"}, headers=office)
    assert "department" in assert_problem(moved, 422)["errors"]
    kind = {"code": "pipe_burst", "name": "水管爆裂", "department": "water", "deadline_days": 2}
    assert (
        "department"
        in assert_problem(client.post("/api/v1/categories", json=kind, headers=office), 422)[
            "errors"
        ]
    )
    assert client.get(RULES, headers=office).json == before


def test_a_rule_whose_department_was_deactivated_is_listed_so_and_stays_editable(client, office):
    made = client.post(
        RULES,
        json={"category": "fire_lane_blocked", "department": "emergency", "area": "110112001"},
        headers=office,
    ).json
    assert (made["department_active"], made["area_name"]) == (True, "中仓街道")
    client.patch("/api/v1/departments/emergency", json={"active": False}, headers=office)
    [listed] = [r for r in client.get(RULES, headers=office).json if r["id"] == made["id"]]
    assert listed["department_active"] is False
    changed = client.patch(f"{RULES}/{made['id']}", json={"priority": 3}, headers=office)
    assert changed.status_code == 200 and changed.json["priority"] == 3
    moved = client.patch(
        f"{RULES}/{made['id']}", json={"department": "fire-rescue"}, headers=office
    )
    assert moved.json["department_active"] is True


def test_an_areas_import_names_every_bad_feature_and_imports_nothing(client, office):
    collection = district_geojson()
    count = len(collection["features"])
    collection["features"][0]["properties"]["level"] = "county"
    collection["features"][-1]["geometry"] = {"type": "Point", "coordinates": [116.6, 39.9]}
    collection["features"][-1]["properties"]["name"] = "新网格"
    response = client.post("/api/v1/areas/import", json=collection, headers=office)
    problem = assert_problem(response, 422)
    assert problem["errors"] == {
        "feature 1": ["level: must be one of district, street, community, grid"],
        f"feature {count}": ["geometry: must be a Polygon or MultiPolygon"],
    }
    names = {
        f["properties"]["name"]
        for f in client.get("/api/v1/areas", headers=office).json["features"]
    }
    assert "新网格" not in names
