"""Reference data: categories, departments and the district's areas."""

from collections import Counter

import pytest

from tests.helpers import assert_problem, login


def test_categories_carry_their_department_severity_and_deadline(client, demo):
    categories = client.get("/api/v1/categories", headers=login(client, "volunteer")).json
    assert len(categories) >= 15
    by_code = {c["code"]: c for c in categories}
    assert by_code["fire_lane_blocked"] == {
        "code": "fire_lane_blocked",
        "name": "消防车通道堵塞占用",
        "name_en": "Blocked fire lane",
        "department": "fire-rescue",
        "default_severity": "general",
        "deadline_days": 1,
        "active": True,
    }
    assert by_code["hazchem_storage"]["default_severity"] == "major"
    assert by_code["special_equipment"]["department"] == "market-reg"


def test_departments_are_named_as_in_the_campaign_documents(client, demo):
    departments = client.get("/api/v1/departments", headers=login(client, "fire")).json
    names = {d["name"] for d in departments}
    assert len(departments) >= 10
    assert {"区消防救援支队", "区城市管理委", "区市场监管局", "区住建委", "区应急管理局"} <= names
    street_offices = [d for d in departments if d["kind"] == "territorial"]
    assert {d["area"] for d in street_offices} == {
        "110112001",
        "110112002",
        "110112003",
        "110112004",
    }


def test_areas_are_a_geojson_tree_of_streets_communities_and_grids(client, demo):
    areas = client.get("/api/v1/areas", headers=login(client, "gridworker")).json
    assert areas["type"] == "FeatureCollection"
    features = areas["features"]
    levels = Counter(f["properties"]["level"] for f in features)
    assert levels == {"district": 1, "street": 4, "community": 12, "grid": 30}
    codes = {f["properties"]["code"]: f["properties"] for f in features}
    for props in codes.values():
        assert set(props) == {"code", "name", "level", "parent"}
        if props["level"] != "district":
            assert props["parent"] in codes
    assert codes["110112001001G01"]["parent"] == "110112001001"
    assert codes["110112001"]["name"] == "中仓街道"
    assert all(f["geometry"]["type"] == "Polygon" for f in features)


@pytest.mark.parametrize("path", ["/api/v1/categories", "/api/v1/departments", "/api/v1/areas"])
def test_reference_data_needs_a_token(client, demo, path):
    assert_problem(client.get(path), 401)


def test_the_office_sets_a_categorys_deadline_and_adds_a_new_kind(client, demo):
    from datetime import datetime

    from tests.helpers import file_report, report_body

    office, volunteer = login(client, "office"), login(client, "volunteer")
    before = file_report(client, volunteer, category="fire_lane_blocked")
    changed = client.patch(
        "/api/v1/categories/fire_lane_blocked", json={"deadline_days": 5}, headers=office
    )
    assert changed.status_code == 200 and changed.json["deadline_days"] == 5
    after = file_report(client, volunteer, category="fire_lane_blocked")
    gap = datetime.fromisoformat(after["deadline"]) - datetime.fromisoformat(before["deadline"])
    assert gap.days >= 4  # 5 working days instead of 1
    kept = client.get(f"/api/v1/hazards/{before['id']}", headers=office).json
    assert kept["deadline"] == before["deadline"]  # assigned already: its deadline stands
    new = {
        "code": "battery_swap_cabinet",
        "name": "换电柜设置不符合消防要求",
        "department": "fire-rescue",
        "deadline_days": 3,
        "default_severity": "major",
    }
    created = client.post("/api/v1/categories", json=new, headers=office)
    assert created.status_code == 201, created.json
    report = file_report(client, volunteer, category="battery_swap_cabinet")
    assert (report["lead_department"], report["severity"]) == ("fire-rescue", "major")
    client.patch("/api/v1/categories/battery_swap_cabinet", json={"active": False}, headers=office)
    listed = {c["code"] for c in client.get("/api/v1/categories", headers=volunteer).json}
    assert "battery_swap_cabinet" not in listed
    refused = client.post(
        "/api/v1/hazards", json=report_body(category="battery_swap_cabinet"), headers=volunteer
    )
    assert_problem(refused, 422)
    # A phone offering it from its cache hears that it was stopped, not that it never was.
    assert refused.json["errors"]["category"] == ["category 'battery_swap_cabinet' is deactivated"]
    in_chinese = client.post(
        "/api/v1/hazards",
        json=report_body(category="battery_swap_cabinet"),
        headers={**volunteer, "Accept-Language": "zh-CN"},
    )
    assert in_chinese.json["errors"]["category"] == [
        "隐患类别 battery_swap_cabinet 已停用，请选择其他类别。"
    ]


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("patch", "/api/v1/categories/nope", {"deadline_days": 3}, 404),
        ("patch", "/api/v1/categories/fire_lane_blocked", {"deadline_days": 0}, 422),
        ("patch", "/api/v1/categories/fire_lane_blocked", {"department": "water"}, 422),
        ("post", "/api/v1/categories", {"code": "fire_lane_blocked", "name": "x",
                                        "department": "fire-rescue", "deadline_days": 1}, 409),
        ("post", "/api/v1/categories", {"code": "new_kind", "name": "x",
                                        "department": "nope", "deadline_days": 1}, 422),
    ],
)  # fmt: skip
def test_bad_category_changes_are_refused(client, demo, method, path, body, status):
    office = login(client, "office")
    assert_problem(getattr(client, method)(path, json=body, headers=office), status)
    assert_problem(getattr(client, method)(path, json=body, headers=login(client, "fire")), 403)
