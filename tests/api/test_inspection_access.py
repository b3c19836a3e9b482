"""Who sees which inspections (SPEC §5), overdue tasks, and the import-places command."""

import uuid
from datetime import timedelta

from server.services.workdays import shanghai_today
from tests.api.test_inspection_campaign import V1, inspection
from tests.helpers import add_user, assert_problem, login, upload
from tests.photos import jpeg, sha

IN_ZHONGCANG = "110112001001G02P03"  # a shop in the grid worker's grid, 中仓街道
IN_YUQIAO = "110112004003G01P01"  # 玉桥街道


def test_each_role_sees_the_inspections_it_should(client, demo, app):
    office, grid = login(client, "office"), login(client, "gridworker")
    fire, street = login(client, "fire"), login(client, "zhongcang")
    add_user(app, "gas", "dept_staff", "gas-staff-1", department_code="urban-mgmt")
    gas = login(client, "gas", "gas-staff-1")
    failing = inspection(IN_ZHONGCANG, 1, V1, fails=["fire_lane_clear"])  # → fire-rescue
    passing = inspection(IN_YUQIAO, 1, V1)
    assert client.post("/api/v1/inspections", json=failing, headers=grid).status_code == 201
    assert client.post("/api/v1/inspections", json=passing, headers=office).status_code == 201

    def seen(headers):
        return {i["id"] for i in client.get("/api/v1/inspections", headers=headers).json}

    assert seen(office) == {failing["id"], passing["id"]}
    assert seen(grid) == {failing["id"]}  # their own grid; not 玉桥
    assert seen(fire) == {failing["id"]}  # it found a hazard routed to fire-rescue
    assert seen(street) == {failing["id"]}  # in 中仓街道, its street
    assert seen(gas) == set()  # urban-mgmt: nothing of its sector
    assert seen(login(client, "volunteer")) == set()
    assert_problem(client.get(f"/api/v1/inspections/{passing['id']}", headers=grid), 404)
    detail = client.get(f"/api/v1/inspections/{failing['id']}", headers=fire).json
    assert detail["place_name"].startswith("中仓社区") and detail["template"] == "lifeline"
    of_place = client.get(
        "/api/v1/inspections", query_string={"place": passing["place"]}, headers=office
    ).json
    assert [i["id"] for i in of_place] == [passing["id"]]
    # Figures: a street office sees its street's; a sectoral department none.
    today = shanghai_today()
    period = {"from": (today - timedelta(days=2)).isoformat(),
              "to": (today + timedelta(days=2)).isoformat()}  # fmt: skip
    mine = client.get("/api/v1/stats/inspections", query_string=period, headers=street).json
    assert [r["key"] for r in mine["rows"]] == ["110112001"] and mine["total"]["inspections"] == 1
    assert {i["item"] for i in mine["items"]} == set(V1)
    assert_problem(client.get("/api/v1/stats/inspections", query_string=period, headers=fire), 403)
    assert_problem(client.get("/api/v1/stats/inspections", query_string=period, headers=grid), 403)
    everyone = client.get("/api/v1/stats/inspections", query_string=period, headers=office).json
    assert everyone["total"]["inspections"] == 2
    # Volunteers do not inspect.
    refused = client.post("/api/v1/inspections", json=inspection(IN_ZHONGCANG, 1, V1),
                          headers=login(client, "volunteer"))  # fmt: skip
    assert_problem(refused, 403)


def test_a_passed_items_photo_is_seen_by_whoever_sees_the_inspection(client, demo, app):
    grid, office = login(client, "gridworker"), login(client, "office")
    add_user(app, "gridworker2", "grid_worker", "another-pass-1", grid_codes=["110112004003G01"])
    other_grid = login(client, "gridworker2", "another-pass-1")
    photo = jpeg()
    assert upload(client, grid, photo).status_code == 201
    body = inspection(IN_ZHONGCANG, 1, V1)  # every item passes: no hazard cites the photo
    body["answers"][0]["photos"] = [sha(photo)]
    assert client.post("/api/v1/inspections", json=body, headers=grid).status_code == 201
    url = f"/api/v1/photos/{sha(photo)}/thumb"
    for headers in (office, login(client, "zhongcang")):  # the office, the street office
        with client.get(url, headers=headers) as response:
            assert response.status_code == 200 and response.data[:2] == b"\xff\xd8"
    for headers in (other_grid, login(client, "fire"), login(client, "volunteer")):
        assert_problem(client.get(url, headers=headers), 404)


def test_a_task_past_its_due_date_with_places_left_is_overdue(client, demo):
    office, grid = login(client, "office"), login(client, "gridworker")
    body = {"title": "上周的检查", "template": "restaurant_gas",
            "due_on": (shanghai_today() - timedelta(days=1)).isoformat(),
            "place_types": ["restaurant"], "area": "110112001001G02",
            "assignees": ["gridworker"]}  # fmt: skip
    task = client.post("/api/v1/tasks", json=body, headers=office).json
    assert (task["total"], task["done"], task["overdue"]) == (2, 0, True)
    for code in ("110112001001G02P05", "110112001001G02P06"):
        done = inspection(code, 1, [], task=task["id"])
        done["template"] = "restaurant_gas"
        done["answers"] = [{"id": str(uuid.uuid4()), "item": "gas_alarm", "answer": "pass"}]
        assert client.post("/api/v1/inspections", json=done, headers=grid).status_code == 201
    [after] = client.get("/api/v1/tasks", headers=grid).json
    assert (after["done"], after["overdue"]) == (2, False)
    # Without place types, a task takes the kinds of place its checklist is for.
    everything = {k: v for k, v in body.items() if k != "place_types"}
    restaurants = client.post("/api/v1/tasks", json=everything, headers=office).json
    assert restaurants["total"] == 2
    bad = dict(body, assignees=["nobody"])
    assert_problem(client.post("/api/v1/tasks", json=bad, headers=office), 422)
    assert_problem(client.post("/api/v1/tasks", json=body, headers=grid), 403)


def test_the_import_places_command_reads_csv(app, demo, tmp_path):
    path = tmp_path / "places.csv"
    path.write_text(
        "code,name,type,address,lat,lon\nK-1,通州幼儿园,school,中仓社区,39.911,116.671\n",
        encoding="utf-8",
    )
    result = app.test_cli_runner().invoke(args=["import-places", str(path)])
    assert result.exit_code == 0 and "1 created" in result.output
    path.write_text("code,name,type,address,lat,lon\nK-2,,castle,,x,y\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import-places", str(path)])
    assert result.exit_code != 0 and "row 1" in result.output


def test_the_import_places_command_refuses_json_that_is_not_a_collection(app, demo, tmp_path):
    path = tmp_path / "places.geojson"
    path.write_text('[{"code": "K-1"}]', encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import-places", str(path)])
    assert result.exit_code == 1 and "expected a GeoJSON FeatureCollection" in result.output
