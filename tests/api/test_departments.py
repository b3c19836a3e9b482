"""The office creates, renames and deactivates departments; a deactivated one takes
nothing new."""

import pytest

from tests.helpers import assert_problem, file_report, login, step, take

DEPARTMENTS = "/api/v1/departments"


@pytest.fixture
def office(client, demo):
    return login(client, "office")


def create(client, office, **department):
    response = client.post(DEPARTMENTS, json=department, headers=office)
    assert response.status_code == 201, response.json
    return response.json


def listed(client, headers):
    return {d["code"]: d for d in client.get(DEPARTMENTS, headers=headers).json}


def test_the_office_creates_a_bureau_and_every_user_sees_it_listed_active(client, office):
    made = create(client, office, code="gas-co", name="区燃气集团", kind="sector")
    assert made == {
        "code": "gas-co",
        "name": "区燃气集团",
        "kind": "sector",
        "area": None,
        "active": True,
    }
    assert listed(client, login(client, "volunteer"))["gas-co"] == made
    assert all(d["active"] for d in listed(client, office).values())


def test_a_street_office_is_created_for_a_street_without_one(client, office, app):
    from server.demo import district_geojson
    from server.extensions import db
    from server.services.areas import import_areas

    collection = district_geojson()
    street = next(f for f in collection["features"] if f["properties"]["code"] == "110112004")
    new_street = {**street, "properties": {**street["properties"], "code": "110112005"}}
    with app.app_context():
        import_areas(db.session, {"type": "FeatureCollection", "features": [new_street]})
        db.session.commit()
    made = create(
        client,
        office,
        code="street-110112005",
        name="台湖镇政府",
        kind="territorial",
        area="110112005",
    )
    assert (made["kind"], made["area"]) == ("territorial", "110112005")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "x1", "name": "某局", "kind": "office"}, "kind"),
        ({"code": "x1", "name": "某局", "kind": "bureau"}, "kind"),
        ({"code": "x1", "name": "某街道", "kind": "territorial"}, "area"),
        ({"code": "x1", "name": "某街道", "kind": "territorial", "area": "110112001001"}, "area"),
        ({"code": "x1", "name": "某街道", "kind": "territorial", "area": "999999"}, "area"),
        ({"code": "x1", "name": "某局", "kind": "sector", "area": "110112001"}, "area"),
        ({"code": "Has Spaces", "name": "某局", "kind": "sector"}, "code"),
        ({"code": "x1", "name": "", "kind": "sector"}, "name"),
    ],
)
def test_a_bad_kind_area_code_or_name_is_refused_by_field(client, office, body, field):
    problem = assert_problem(client.post(DEPARTMENTS, json=body, headers=office), 422)
    assert field in problem["errors"]
    assert "x1" not in listed(client, office)


@pytest.mark.parametrize(
    "body",
    [
        {"code": "fire-rescue", "name": "又一个消防", "kind": "sector"},
        {
            "code": "street-2",
            "name": "中仓街道第二办事处",
            "kind": "territorial",
            "area": "110112001",
        },
    ],
)
def test_a_taken_code_or_a_street_with_its_office_is_409(client, office, body):
    assert_problem(client.post(DEPARTMENTS, json=body, headers=office), 409)


def test_the_office_renames_a_department(client, office):
    response = client.patch(
        f"{DEPARTMENTS}/urban-mgmt", json={"name": "区城市管理委员会"}, headers=office
    )
    assert response.status_code == 200 and response.json["name"] == "区城市管理委员会"
    assert listed(client, office)["urban-mgmt"]["name"] == "区城市管理委员会"


def test_a_deactivated_department_takes_no_new_report_and_it_waits_in_triage_saying_why(
    client, office
):
    create(client, office, code="gas-co", name="区燃气集团", kind="sector")
    kind = {"code": "gas_leak", "name": "燃气泄漏", "department": "gas-co", "deadline_days": 1}
    assert client.post("/api/v1/categories", json=kind, headers=office).status_code == 201
    volunteer = login(client, "volunteer")
    assert file_report(client, volunteer, category="gas_leak")["lead_department"] == "gas-co"

    changed = client.patch(f"{DEPARTMENTS}/gas-co", json={"active": False}, headers=office)
    assert changed.status_code == 200 and changed.json["active"] is False
    assert listed(client, office)["gas-co"]["active"] is False
    hazard = file_report(client, volunteer, category="gas_leak")
    assert hazard["status"] == "reported" and hazard["lead_department"] is None
    assert "已停用" in hazard["routing_note"] and "区燃气集团" in hazard["routing_note"]
    assert "gas-co, which is deactivated" in hazard["routing_note"]
    triage = client.get("/api/v1/queue?view=triage", headers=office).json["items"]
    assert hazard["id"] in [h["id"] for h in triage]

    client.patch(f"{DEPARTMENTS}/gas-co", json={"active": True}, headers=office)
    assert file_report(client, volunteer, category="gas_leak")["lead_department"] == "gas-co"


def test_routing_skips_a_deactivated_departments_rule_for_the_next_one(client, office):
    rule = {"category": "fire_lane_blocked", "department": "emergency", "priority": 5}
    assert client.post("/api/v1/routing-rules", json=rule, headers=office).status_code == 201
    client.patch(f"{DEPARTMENTS}/emergency", json={"active": False}, headers=office)
    hazard = file_report(client, login(client, "volunteer"), category="fire_lane_blocked")
    assert (hazard["status"], hazard["lead_department"]) == ("assigned", "fire-rescue")


def test_a_reroute_to_a_deactivated_department_returns_the_hazard_to_triage(client, office):
    hazard = file_report(client, login(client, "volunteer"), category="fire_lane_blocked")
    client.patch(f"{DEPARTMENTS}/fire-rescue", json={"active": False}, headers=office)
    rerouted = take(client, office, hazard["id"], "reroute")
    assert rerouted["status"] == "reported" and "已停用" in rerouted["routing_note"]
    refused = step(client, office, hazard["id"], "assign", department="fire-rescue")
    assert "department" in assert_problem(refused, 422)["errors"]
    assert take(client, office, hazard["id"], "assign", department="emergency")["status"] == (
        "assigned"
    )


def test_no_account_is_created_in_a_deactivated_department(client, office):
    client.patch(f"{DEPARTMENTS}/water", json={"active": False}, headers=office)
    account = {
        "username": "shuiwu",
        "password": "long-enough-pw",
        "role": "dept_staff",
        "department": "water",
    }
    refused = client.post("/api/v1/users", json=account, headers=office)
    assert "department" in assert_problem(refused, 422)["errors"]


def test_the_staff_of_a_deactivated_department_still_see_what_it_holds(client, office):
    hazard = file_report(client, login(client, "volunteer"), category="fire_lane_blocked")
    client.patch(f"{DEPARTMENTS}/fire-rescue", json={"active": False}, headers=office)
    queue = client.get("/api/v1/queue", headers=login(client, "fire")).json["items"]
    assert hazard["id"] in [h["id"] for h in queue]


def test_an_unknown_department_is_404(client, office):
    assert_problem(client.patch(f"{DEPARTMENTS}/nope", json={"name": "x"}, headers=office), 404)


@pytest.mark.parametrize("who", ["fire", "zhongcang", "gridworker", "volunteer"])
def test_only_the_office_creates_or_changes_departments(client, demo, who):
    headers = login(client, who)
    body = {"code": "gas-co", "name": "区燃气集团", "kind": "sector"}
    assert_problem(client.post(DEPARTMENTS, json=body, headers=headers), 403)
    changed = client.patch(f"{DEPARTMENTS}/fire-rescue", json={"active": False}, headers=headers)
    assert_problem(changed, 403)
