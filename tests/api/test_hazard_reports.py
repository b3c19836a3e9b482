"""Filing hazard reports online: idempotent on the phone's id, every bad input refused."""

import json
import threading
import uuid

import pytest
import sqlalchemy as sa
from geopy.distance import geodesic

from server.extensions import db
from server.models import Hazard, HazardEvent, HazardPhoto
from server.services.coords import from_wgs84
from tests.helpers import assert_problem, file_report, login, report_body


def count(app, model=Hazard):
    """Return how many rows `model` has."""
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_volunteer_files_a_report_and_reads_it_back(client, demo):
    headers = login(client, "volunteer")
    body = report_body(photos=["a" * 64])
    created = client.post("/api/v1/hazards", json=body, headers=headers)
    assert created.status_code == 201
    hazard = created.json
    assert hazard["id"] == body["id"]
    assert hazard["status"] == "assigned"  # routed on receipt
    assert hazard["version"] == 2
    assert hazard["category_name"] == "消防车通道堵塞占用"
    assert hazard["lead_department"] == "fire-rescue"
    assert hazard["territorial_department"] == "street-110112001"
    assert hazard["deadline"] and hazard["overdue"] is False and hazard["escalation"] == 0
    assert (hazard["street"], hazard["community"], hazard["grid"]) == (
        "110112001",
        "110112001001",
        "110112001001G01",
    )
    assert hazard["observed_at"] == "2026-06-03T01:15:00+00:00"
    assert hazard["photos"] == ["a" * 64]
    assert hazard["reporter"]["username"] == "volunteer"
    assert client.get(f"/api/v1/hazards/{body['id']}", headers=headers).json == hazard
    listed = client.get("/api/v1/hazards", headers=headers).json["items"]
    assert body["id"] in [item["id"] for item in listed]


def test_report_starts_its_history_with_the_report_and_its_routing(client, demo, app):
    hazard = file_report(client, login(client, "volunteer"))
    with app.app_context():
        events = db.session.scalars(sa.select(HazardEvent)).all()
        mine = sorted((e for e in events if str(e.hazard_id) == hazard["id"]), key=lambda e: e.seq)
    assert [(e.seq, e.type, e.to_status) for e in mine] == [
        (1, "report", "reported"),
        (2, "route", "assigned"),
    ]


def test_resending_the_same_report_returns_it_again_without_a_copy(client, demo, app):
    headers = login(client, "volunteer")
    body = report_body()
    first = client.post("/api/v1/hazards", json=body, headers=headers)
    before = count(app), count(app, HazardEvent)
    again = client.post("/api/v1/hazards", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json == first.json
    assert (count(app), count(app, HazardEvent)) == before


def test_same_id_with_other_content_is_a_conflict_and_keeps_the_original(client, demo):
    headers = login(client, "volunteer")
    body = report_body()
    client.post("/api/v1/hazards", json=body, headers=headers)
    changed = dict(body, description="完全不同的描述")
    assert_problem(client.post("/api/v1/hazards", json=changed, headers=headers), 409)
    stored = client.get(f"/api/v1/hazards/{body['id']}", headers=headers).json
    assert stored["description"] == body["description"]


def test_same_id_from_another_account_is_a_conflict(client, demo):
    body = report_body()
    client.post("/api/v1/hazards", json=body, headers=login(client, "volunteer"))
    response = client.post("/api/v1/hazards", json=body, headers=login(client, "gridworker"))
    assert_problem(response, 409)


def test_two_identical_reports_sent_at_once_make_one_hazard(app, demo):
    headers = login(app.test_client(), "volunteer")
    body = report_body()
    statuses = []
    barrier = threading.Barrier(2)

    def send():
        barrier.wait()
        statuses.append(app.test_client().post("/api/v1/hazards", json=body, headers=headers))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.status_code for r in statuses) == [200, 201]
    assert statuses[0].json == statuses[1].json
    with app.app_context():
        assert (
            db.session.scalar(sa.select(sa.func.count()).where(Hazard.id == uuid.UUID(body["id"])))
            == 1
        )


def test_gcj02_coordinates_are_stored_as_wgs84_within_a_metre(client, demo):
    body = report_body()
    wgs = (body["lat"], body["lon"])
    gcj_lat, gcj_lon = from_wgs84(*wgs, "gcj02")
    assert geodesic(wgs, (gcj_lat, gcj_lon)).meters > 100  # the datums really differ here
    hazard = file_report(client, login(client, "volunteer"), lat=gcj_lat, lon=gcj_lon, crs="gcj02")
    assert geodesic(wgs, (hazard["lat"], hazard["lon"])).meters < 1
    assert hazard["crs"] == "gcj02"
    assert hazard["grid"] == "110112001001G01"


def test_bd09_coordinates_are_stored_as_wgs84_within_a_metre(client, demo):
    body = report_body()
    wgs = (body["lat"], body["lon"])
    bd_lat, bd_lon = from_wgs84(*wgs, "bd09")
    hazard = file_report(client, login(client, "volunteer"), lat=bd_lat, lon=bd_lon, crs="bd09")
    assert geodesic(wgs, (hazard["lat"], hazard["lon"])).meters < 1


def test_report_outside_the_district_is_kept_with_the_reason(client, demo):
    hazard = file_report(client, login(client, "volunteer"), lat=31.23, lon=121.47)
    assert hazard["grid"] is None and hazard["street"] is None
    assert "outside every grid" in hazard["routing_note"]


def test_cited_photos_are_linked_once_each_in_order(client, demo, app):
    photos = ["b" * 64, "a" * 64, "b" * 64]
    hazard = file_report(client, login(client, "volunteer"), photos=photos)
    assert hazard["photos"] == ["b" * 64, "a" * 64]
    assert count(app, HazardPhoto) == 2


def test_grid_worker_and_office_may_file_reports(client, demo):
    for username in ("gridworker", "office"):
        assert file_report(client, login(client, username))["reporter"]["username"] == username


def test_department_staff_cannot_file_reports(client, demo, app):
    response = client.post("/api/v1/hazards", json=report_body(), headers=login(client, "fire"))
    assert_problem(response, 403)
    assert count(app) == 9  # the demo's reports only


def test_report_without_a_token_is_refused(client, demo, app):
    assert_problem(client.post("/api/v1/hazards", json=report_body()), 401)
    assert count(app) == 9


def _without(field):
    body = report_body()
    del body[field]
    return body


BAD_BODIES = [
    pytest.param({**report_body(), "lat": 90.5}, "lat", id="lat-above-90"),
    pytest.param({**report_body(), "lat": -91}, "lat", id="lat-below-minus-90"),
    pytest.param({**report_body(), "lon": 180.01}, "lon", id="lon-above-180"),
    pytest.param({**report_body(), "lon": -200}, "lon", id="lon-below-minus-180"),
    pytest.param({**report_body(), "lat": float("nan")}, "lat", id="lat-nan"),
    pytest.param({**report_body(), "lon": float("inf")}, "lon", id="lon-infinity"),
    pytest.param({**report_body(), "lat": "NaN"}, "lat", id="lat-nan-string"),
    pytest.param({**report_body(), "lat": "北纬39度"}, "lat", id="lat-text"),
    pytest.param({**report_body(), "lon": None}, "lon", id="lon-null"),
    pytest.param({**report_body(), "accuracy_m": -3}, "accuracy_m", id="negative-accuracy"),
    pytest.param({**report_body(), "category": "ufo_sighting"}, "category", id="unknown-category"),
    pytest.param({**report_body(), "category": 7}, "category", id="category-not-text"),
    pytest.param({**report_body(), "description": ""}, "description", id="empty-description"),
    pytest.param({**report_body(), "description": "   "}, "description", id="blank-description"),
    pytest.param({**report_body(), "description": "隐" * 2001}, "description", id="too-long"),
    pytest.param({**report_body(), "id": "12345"}, "id", id="id-not-uuid"),
    pytest.param({**report_body(), "id": None}, "id", id="id-null"),
    pytest.param({**report_body(), "observed_at": "yesterday"}, "observed_at", id="time-text"),
    pytest.param(
        {**report_body(), "observed_at": "2026-13-45T25:00:00+08:00"},
        "observed_at",
        id="time-impossible",
    ),
    pytest.param(
        {**report_body(), "observed_at": "2026-06-03T09:15:00"},
        "observed_at",
        id="time-without-offset",
    ),
    pytest.param({**report_body(), "crs": "utm50n"}, "crs", id="unknown-crs"),
    pytest.param({**report_body(), "photos": ["not-a-hash"]}, "photos", id="photo-not-sha256"),
    pytest.param({**report_body(), "photos": "a" * 64}, "photos", id="photos-not-a-list"),
    pytest.param({**report_body(), "reporter": "someone"}, "reporter", id="unknown-field"),
    pytest.param({**report_body(), "address": "地" * 301}, "address", id="address-too-long"),
] + [
    pytest.param(_without(field), field, id=f"missing-{field}")
    for field in ("id", "category", "description", "lat", "lon", "observed_at")
]


@pytest.mark.parametrize(("body", "field"), BAD_BODIES)
def test_bad_report_is_refused_by_field_and_stores_nothing(client, demo, app, body, field):
    headers = login(client, "volunteer")
    before = count(app), count(app, HazardEvent), count(app, HazardPhoto)
    raw = json.dumps(body)  # allow_nan: NaN and Infinity go out as JSON literals
    response = client.post(
        "/api/v1/hazards", data=raw, headers={**headers, "Content-Type": "application/json"}
    )
    problem = assert_problem(response, 422)
    assert field in problem["errors"], problem
    assert (count(app), count(app, HazardEvent), count(app, HazardPhoto)) == before


@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [
        pytest.param('{"id": "x", "lat": ', "application/json", 400, id="malformed-json"),
        pytest.param("[1, 2, 3]", "application/json", 422, id="array-not-object"),
        pytest.param('"just a string"', "application/json", 422, id="string-not-object"),
        pytest.param("id=1&lat=2", "application/x-www-form-urlencoded", 415, id="form-body"),
        pytest.param("hello", "text/plain", 415, id="text-body"),
        pytest.param("x" * (1024 * 1024 + 10), "application/json", 413, id="too-large"),
    ],
)
def test_unreadable_body_is_refused_and_stores_nothing(
    client, demo, app, data, content_type, status
):
    headers = login(client, "volunteer")
    response = client.post(
        "/api/v1/hazards", data=data, headers={**headers, "Content-Type": content_type}
    )
    assert_problem(response, status)
    assert count(app) == 9


def test_description_limit_is_a_setting(app_with):
    client = app_with(DESCRIPTION_MAX_CHARS=10).test_client()
    headers = login(client, "volunteer")
    response = client.post(
        "/api/v1/hazards", json=report_body(description="一" * 11), headers=headers
    )
    assert "description" in assert_problem(response, 422)["errors"]
    assert file_report(client, headers, description="一" * 10)["description"] == "一" * 10


def test_unknown_hazard_id_is_404(client, demo):
    response = client.get(f"/api/v1/hazards/{uuid.uuid4()}", headers=login(client, "office"))
    assert_problem(response, 404)


def test_hazard_path_that_is_not_a_uuid_is_404(client, demo):
    assert_problem(client.get("/api/v1/hazards/12", headers=login(client, "office")), 404)
