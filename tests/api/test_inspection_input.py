"""Inspections refuse bad input clearly and store nothing half-way (SPEC §10)."""

import uuid

import pytest
import sqlalchemy as sa

from server.demo import grid_centre
from server.extensions import db
from server.models import Hazard, Inspection, InspectionAnswer, Place
from tests.api.test_inspection_campaign import V1, inspection, mutation, place, sync
from tests.helpers import assert_problem, login

OTHER_PLACE = "110112004003G01P01"  # 玉桥街道: not the demo grid worker's grid


def count(app, model):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def stored(app):
    return count(app, Inspection), count(app, InspectionAnswer), count(app, Hazard)


def post(client, headers, body):
    return client.post("/api/v1/inspections", json=body, headers=headers)


def test_an_online_inspection_is_filed_once(client, demo, app):
    grid = login(client, "gridworker")
    body = inspection("110112001001G01P02", 1, V1, fails=["exits_unlocked"])
    first = post(client, grid, body)
    assert first.status_code == 201
    [failed] = [a for a in first.json["answers"] if a["answer"] == "fail"]
    assert failed["hazard"] is not None and failed["question"] == "安全出口未锁闭、未封堵"
    assert post(client, grid, body).status_code == 200  # resent: same answer, nothing new
    assert stored(app) == (1, 5, 9 + 1)
    changed = dict(body, lat=39.0)
    assert_problem(post(client, grid, changed), 409)


def _with_answer(body, **answer):
    body["answers"][0] = {**body["answers"][0], **answer}
    return body


@pytest.mark.parametrize(
    ("case", "status", "field"),
    [
        ("item not in the version", 422, "answers[0]"),
        ("missing required photo", 422, "answers[0]"),
        ("unpublished version", 422, "version"),
        ("unknown version", 422, "version"),
        ("duplicate answers", 422, "answers[1]"),
        ("answer value", 422, "answers"),
        ("place outside my grids", 403, None),
        ("unknown place", 422, "place"),
        ("finished before started", 422, "finished_at"),
    ],
)
def test_bad_inspections_are_refused_and_store_nothing(client, demo, app, case, status, field):
    grid, office = login(client, "gridworker"), login(client, "office")
    body = inspection("110112001001G01P01", 1, V1)
    if case == "item not in the version":
        _with_answer(body, item="fire_door_closed")  # only in a later version
    elif case == "missing required photo":
        _with_answer(body, answer="fail", photos=[])  # fire_lane_clear needs one
    elif case == "unpublished version":
        draft = {"place_types": [], "items": [{"code": "x", "question": "问", "category": "other"}]}
        client.post("/api/v1/checklists/lifeline/versions", json=draft, headers=office)
        body["version"] = 2
    elif case == "unknown version":
        body["version"] = 9
    elif case == "duplicate answers":
        body["answers"][1] = {**body["answers"][1], "item": body["answers"][0]["item"]}
    elif case == "answer value":
        _with_answer(body, answer="maybe")
    elif case == "place outside my grids":
        body["place"] = place(OTHER_PLACE)
    elif case == "unknown place":
        body["place"] = str(uuid.uuid4())
    elif case == "finished before started":
        body["finished_at"], body["started_at"] = body["started_at"], body["finished_at"]
    before = stored(app)
    problem = assert_problem(post(client, grid, body), status)
    if field:
        assert field in problem["errors"] or field in str(problem["errors"])
    assert stored(app) == before
    # Through sync the same inspection is `rejected`, with the reason, and nothing stored.
    [result] = sync(client, grid, [mutation(1, body)], "phone")["results"]
    assert result["status"] == "rejected" and result["reason"]
    assert stored(app) == before


def test_the_office_may_inspect_anywhere(client, demo, app):
    office = login(client, "office")
    body = inspection(OTHER_PLACE, 1, V1, fails=["signs_lit"])
    assert post(client, office, body).status_code == 201


def test_a_published_version_never_changes(client, demo):
    office = login(client, "office")
    items = [{"code": "x", "question": "新问题", "category": "other"}]
    edit = client.put(
        "/api/v1/checklists/lifeline/versions/1",
        json={"place_types": [], "items": items},
        headers=office,
    )
    assert "new version" in assert_problem(edit, 409)["detail"]
    again = client.post("/api/v1/checklists/lifeline/versions/1/publish", headers=office)
    assert_problem(again, 409)
    version = client.get("/api/v1/checklists/lifeline/versions/1", headers=office).json
    assert [i["code"] for i in version["items"]] == V1
    draft = client.post(
        "/api/v1/checklists/lifeline/versions",
        json={"place_types": [], "items": items},
        headers=office,
    )
    assert draft.status_code == 201
    second = client.post(
        "/api/v1/checklists/lifeline/versions",
        json={"place_types": [], "items": items},
        headers=office,
    )
    assert "draft" in assert_problem(second, 409)["detail"]
    bad = client.put(
        "/api/v1/checklists/lifeline/versions/2",
        json={"place_types": ["castle"], "items": [{**items[0], "category": "nope"}]},
        headers=office,
    )
    assert_problem(bad, 422)


def test_places_are_imported_added_in_the_field_and_confirmed(client, demo, app):
    office, grid = login(client, "office"), login(client, "gridworker")
    csv_text = (
        "code,name,type,address,lat,lon\n"
        "T-1,运河饭庄,restaurant,中仓社区1号,39.911,116.671\n"
        "T-2,小园超市,shop,中仓社区2号,39.912,116.672\n"
    )
    response = client.post(
        "/api/v1/places/import",
        data=csv_text.encode(),
        headers={**office, "Content-Type": "text/csv"},
    )
    assert response.json == {"created": 2, "updated": 0}
    geojson = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [116.673, 39.913]},
                "properties": {"code": "T-1", "name": "运河饭庄（新）", "type": "restaurant"},
            }
        ],
    }
    response = client.post("/api/v1/places/import", json=geojson, headers=office)
    assert response.json == {"created": 0, "updated": 1}
    broken = csv_text.replace("restaurant", "castle").replace("39.912", "north")
    problem = assert_problem(
        client.post(
            "/api/v1/places/import",
            data=broken.encode(),
            headers={**office, "Content-Type": "text/csv"},
        ),
        422,
    )
    assert set(problem["errors"]) == {"row 1", "row 2"}
    # A grid worker adds a place offline; it waits for the office.
    added = {
        "seq": 1,
        "id": str(uuid.uuid4()),
        "type": "place.create",
        "entity_id": str(uuid.uuid4()),
        "data": {"name": "新开烧烤店", "type": "small_venue", "lat": 39.905, "lon": 116.675},
        "occurred_at": "2026-06-03T09:15:00+08:00",
    }
    [result] = sync(client, grid, [added], "phone")["results"]
    assert result["status"] == "applied"
    proposed = client.get("/api/v1/places?status=proposed", headers=office).json
    assert [p["name"] for p in proposed] == ["新开烧烤店"]
    assert proposed[0]["grid"] == "110112001001G01"
    confirmed = client.post(f"/api/v1/places/{added['entity_id']}/confirm", headers=office)
    assert confirmed.json["status"] == "confirmed"
    # Not outside the grid worker's grids.
    lat, lon = grid_centre("110112004003G01")
    far = dict(added, seq=2, entity_id=str(uuid.uuid4()), data={**added["data"], "lat": lat})
    far["data"]["lon"] = lon
    [refused] = sync(client, grid, [far], "phone")["results"]
    assert refused["status"] == "rejected"
    with app.app_context():
        assert db.session.get(Place, uuid.UUID(far["entity_id"])) is None


def test_a_new_place_its_inspection_and_a_comment_on_the_hazard_in_one_offline_batch(
    client, demo, app
):
    from server.services.inspections import HAZARD_FROM_ANSWER

    grid = login(client, "gridworker")
    lat, lon = grid_centre("110112001001G02")
    place_id = str(uuid.uuid4())
    new_place = {
        "seq": 1, "id": str(uuid.uuid4()), "type": "place.create", "entity_id": place_id,
        "data": {"name": "新开小超市", "type": "shop", "lat": lat, "lon": lon},
        "occurred_at": "2026-06-03T09:00:00+08:00",
    }  # fmt: skip
    body = inspection("110112001001G02P01", 1, V1, fails=["exits_unlocked"])
    body["place"] = place_id
    [failed] = [a for a in body["answers"] if a["answer"] == "fail"]
    # The phone knows the hazard's id before the server does: uuid5 of the answer's id.
    hazard_id = str(uuid.uuid5(HAZARD_FROM_ANSWER, failed["id"]))
    comment = {
        "seq": 3, "id": str(uuid.uuid4()), "type": "hazard.comment", "entity_id": hazard_id,
        "data": {"note": "已告知店主"}, "occurred_at": "2026-06-03T09:40:00+08:00",
    }  # fmt: skip
    report = {
        "seq": 4, "id": str(uuid.uuid4()), "type": "hazard.create", "entity_id": str(uuid.uuid4()),
        "data": {"category": "flammable_piles", "description": "门口堆放纸箱", "lat": lat,
                 "lon": lon, "observed_at": "2026-06-03T09:41:00+08:00"},
        "occurred_at": "2026-06-03T09:41:00+08:00",
    }  # fmt: skip
    results = sync(client, grid, [new_place, mutation(2, body), comment, report], "phone")
    statuses = [r["status"] for r in results["results"]]
    assert statuses == ["applied"] * 4, results["results"]
    assert results["results"][1]["hazards"] == [hazard_id]
    history = client.get(f"/api/v1/hazards/{hazard_id}/events", headers=grid).json
    assert [e["type"] for e in history] == ["report", "route", "comment"]
    assert {h for h in (hazard_id, report["entity_id"])} <= {
        c["id"] for c in results["pull"]["changes"]
    }


def test_places_are_walked_in_pages_with_their_count(client, demo):
    """The demo has 360 places: pages of 100 give each exactly once, in code order."""
    office = login(client, "office")
    seen, page, total = [], 1, None
    while total is None or len(seen) < total:
        response = client.get(f"/api/v1/places?page={page}&page_size=100", headers=office)
        assert response.status_code == 200 and response.json
        total = int(response.headers["X-Total-Count"])
        seen += [p["code"] for p in response.json]
        page += 1
    assert total == 360 and len(seen) == 360 == len(set(seen)) and page == 5
    assert seen == sorted(seen)
    assert client.get(f"/api/v1/places?page={page}&page_size=100", headers=office).json == []
    restaurants = client.get("/api/v1/places?type=restaurant&page_size=5", headers=office)
    assert len(restaurants.json) == 5 < int(restaurants.headers["X-Total-Count"])
    assert_problem(client.get("/api/v1/places?typo=restaurant", headers=office), 422)
    assert_problem(client.get("/api/v1/places?page_size=5000", headers=office), 422)
