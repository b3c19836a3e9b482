"""Routing by rules and areas, queues most urgent first, overdue and 督办 escalation."""

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from geopy.distance import geodesic

from server.demo import district_geojson, grid_centre
from server.extensions import db
from server.models import User, utcnow
from server.services.coords import to_wgs84
from server.services.hazards import NewReport, report_hazard
from tests.helpers import (
    assert_problem,
    at_the_spot,
    duplicate_links,
    file_report,
    login,
    report_body,
    take,
    upload,
)
from tests.photos import jpeg, sha


@pytest.fixture
def office(client, demo):
    return login(client, "office")


def add_rule(client, office, **rule):
    response = client.post("/api/v1/routing-rules", json=rule, headers=office)
    assert response.status_code == 201, response.json
    return response.json


def test_an_area_rule_overrides_the_district_wide_rule_there_only(client, office):
    add_rule(
        client,
        office,
        category="fire_lane_blocked",
        department="housing",
        area="110112004",
        priority=0,
    )
    volunteer = login(client, "volunteer")
    in_yuqiao = file_report(client, volunteer, grid="110112004001G01")
    elsewhere = file_report(client, volunteer, grid="110112002001G01")
    assert in_yuqiao["lead_department"] == "housing"
    assert in_yuqiao["territorial_department"] == "street-110112004"
    assert elsewhere["lead_department"] == "fire-rescue"


def test_priority_beats_specificity(client, office):
    add_rule(
        client, office, category="fire_lane_blocked", department="housing", area="110112004001G01"
    )
    add_rule(client, office, category="fire_lane_blocked", department="emergency", priority=5)
    hazard = file_report(client, login(client, "volunteer"), grid="110112004001G01")
    assert hazard["lead_department"] == "emergency"


def test_no_rule_leaves_the_hazard_in_triage_with_the_reason(client, office):
    rules = client.get("/api/v1/routing-rules", headers=office).json
    for rule in rules:
        if rule["category"] == "road_traffic":
            assert (
                client.delete(f"/api/v1/routing-rules/{rule['id']}", headers=office).status_code
                == 204
            )
    hazard = file_report(client, login(client, "volunteer"), category="road_traffic")
    assert hazard["status"] == "reported" and hazard["lead_department"] is None
    assert "no routing rule for road_traffic" in hazard["routing_note"]
    assert hazard["territorial_department"] == "street-110112001"  # still known by place
    triage = client.get("/api/v1/queue?view=triage", headers=office).json["items"]
    assert hazard["id"] in [h["id"] for h in triage]


def test_outside_the_district_waits_in_triage(client, office):
    hazard = file_report(client, login(client, "volunteer"), lat=31.23, lon=121.47)
    assert hazard["status"] == "reported" and "outside every grid" in hazard["routing_note"]
    assert hazard["id"] in [
        h["id"] for h in client.get("/api/v1/queue", headers=office).json["items"]
    ]


def test_reroute_applies_changed_rules_to_an_open_hazard(client, office):
    hazard = file_report(client, login(client, "volunteer"))
    add_rule(client, office, category="fire_lane_blocked", department="urban-mgmt", priority=9)
    rerouted = take(client, office, hazard["id"], "reroute")
    assert rerouted["lead_department"] == "urban-mgmt" and rerouted["status"] == "assigned"


def test_routing_rules_can_be_listed_changed_and_removed_by_the_office_only(client, office):
    rule = add_rule(
        client, office, category="school_safety", department="education", area="110112003"
    )
    assert rule["area"] == "110112003" and rule["priority"] == 0
    changed = client.patch(
        f"/api/v1/routing-rules/{rule['id']}", json={"priority": 3}, headers=office
    )
    assert changed.json["priority"] == 3
    listed = client.get("/api/v1/routing-rules", headers=office).json
    assert any(r["id"] == rule["id"] and r["priority"] == 3 for r in listed)
    assert client.delete(f"/api/v1/routing-rules/{rule['id']}", headers=office).status_code == 204
    assert_problem(client.delete(f"/api/v1/routing-rules/{rule['id']}", headers=office), 404)
    assert_problem(client.get("/api/v1/routing-rules", headers=login(client, "fire")), 403)


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({"category": "nope", "department": "fire-rescue"}, "category"),
        ({"category": "school_safety", "department": "nope"}, "department"),
        ({"category": "school_safety", "department": "education", "area": "9999"}, "area"),
        ({"category": "school_safety"}, "department"),
        ({"category": "school_safety", "department": "education", "priority": "high"}, "priority"),
    ],
)
def test_a_rule_naming_unknown_things_is_refused(client, office, rule, field):
    before = len(client.get("/api/v1/routing-rules", headers=office).json)
    response = client.post("/api/v1/routing-rules", json=rule, headers=office)
    assert field in assert_problem(response, 422)["errors"]
    assert len(client.get("/api/v1/routing-rules", headers=office).json) == before


def test_areas_import_over_http_refuses_a_self_intersecting_polygon(client, office):
    collection = district_geojson()
    collection["features"].append(
        {
            "type": "Feature",
            "properties": {
                "code": "X1",
                "name": "坏网格",
                "level": "grid",
                "parent": "110112001001",
            },
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]],
            },
        }
    )
    response = client.post("/api/v1/areas/import", json=collection, headers=office)
    errors = assert_problem(response, 422)["errors"]
    [message] = errors[f"feature {len(collection['features'])}"]  # numbered from 1, as rows
    assert message.startswith("geometry: invalid polygon: Self-intersection")
    codes = {
        f["properties"]["code"]
        for f in client.get("/api/v1/areas", headers=office).json["features"]
    }
    assert "X1" not in codes
    ok = client.post("/api/v1/areas/import", json=district_geojson(), headers=office)
    assert ok.status_code == 200 and ok.json == {"created": 0, "updated": 47}


def test_positions_can_be_answered_in_gcj02_for_chinese_map_tiles(client, office):
    hazard = file_report(client, login(client, "volunteer"))
    gcj = client.get(f"/api/v1/hazards/{hazard['id']}?crs=gcj02", headers=office).json
    assert geodesic((hazard["lat"], hazard["lon"]), (gcj["lat"], gcj["lon"])).meters > 100
    back = to_wgs84(gcj["lat"], gcj["lon"], "gcj02")
    assert geodesic(back, (hazard["lat"], hazard["lon"])).meters < 1
    listed = client.get("/api/v1/hazards?crs=gcj02&limit=200", headers=office).json["items"]
    assert any(item["lat"] == gcj["lat"] for item in listed)
    assert_problem(client.get(f"/api/v1/hazards/{hazard['id']}?crs=mars", headers=office), 422)


def _file_in_the_past(app, days_ago, category="fire_lane_blocked", grid="110112001001G01"):
    """File a report through the service as if received `days_ago` days ago."""
    with app.app_context():
        volunteer = db.session.scalar(sa.select(User).filter_by(username="volunteer"))
        lat, lon = grid_centre(grid)
        when = utcnow() - timedelta(days=days_ago)
        hazard, _ = report_hazard(
            db.session,
            volunteer,
            NewReport(
                id=uuid.uuid4(),
                category=category,
                description="旧隐患",
                lat=lat + days_ago * 1e-3,
                lon=lon,
                observed_at=when,
            ),
            now=when,
        )
        db.session.commit()
        return str(hazard.id)


def test_department_queue_is_most_urgent_first_with_overdue_and_escalation(client, demo, app):
    old = _file_in_the_past(app, 30)  # deadline a month ago: 督办 level 3
    week = _file_in_the_past(app, 6)
    fresh = file_report(client, login(client, "volunteer"), grid="110112002001G01")["id"]
    items = client.get("/api/v1/queue?limit=200", headers=login(client, "fire")).json["items"]
    ids = [h["id"] for h in items]
    assert ids.index(old) < ids.index(week) < ids.index(fresh)
    deadlines = [h["deadline"] for h in items]
    assert deadlines == sorted(deadlines)
    by_id = {h["id"]: h for h in items}
    assert by_id[old]["overdue"] and by_id[old]["escalation"] == 3
    assert not by_id[fresh]["overdue"] and by_id[fresh]["escalation"] == 0


def test_lists_filter_by_overdue_and_escalation(client, demo, app):
    old = _file_in_the_past(app, 30)
    fresh = file_report(client, login(client, "volunteer"), grid="110112002001G01")["id"]
    office = login(client, "office")

    def ids(query):
        return {
            h["id"]
            for h in client.get(f"/api/v1/hazards?limit=200&{query}", headers=office).json["items"]
        }

    assert old in ids("overdue=true") and fresh not in ids("overdue=true")
    assert fresh in ids("overdue=false") and old not in ids("overdue=false")
    assert old in ids("escalation=3") and fresh not in ids("escalation=1")
    assert_problem(client.get("/api/v1/hazards?escalation=4", headers=office), 422)
    overdue_queue = client.get("/api/v1/queue?view=overdue", headers=office).json["items"]
    assert old in [h["id"] for h in overdue_queue] and fresh not in [h["id"] for h in overdue_queue]


def test_territorial_view_shows_the_streets_hazards_of_every_department(client, demo):
    volunteer = login(client, "volunteer")
    fire = file_report(client, volunteer, grid="110112001002G03")["id"]
    gas = file_report(client, volunteer, grid="110112001002G03", category="gas_no_alarm_or_valve")[
        "id"
    ]
    elsewhere = file_report(client, volunteer, grid="110112004001G01")["id"]
    street = login(client, "zhongcang")
    territorial = {
        h["id"] for h in client.get("/api/v1/queue?view=territorial", headers=street).json["items"]
    }
    assert {fire, gas} <= territorial and elsewhere not in territorial
    lead = {h["id"] for h in client.get("/api/v1/queue", headers=street).json["items"]}
    assert not lead & {fire, gas, elsewhere}  # leads only its own kinds (属地)


def test_grid_worker_queue_holds_rectified_hazards_of_their_grids(client, demo):
    volunteer, fire = login(client, "volunteer"), login(client, "fire")
    from tests.photos import jpeg, sha

    mine = file_report(client, volunteer, grid="110112001001G02")["id"]
    other = file_report(client, volunteer, grid="110112004001G01")["id"]
    for hid in (mine, other):
        for type_ in ("accept", "start"):
            take(client, fire, hid, type_)
        take(client, fire, hid, "rectify", photos=[sha(jpeg())])
    queue = client.get("/api/v1/queue", headers=login(client, "gridworker")).json
    assert queue["view"] == "verify" and [h["id"] for h in queue["items"]] == [mine]


def test_major_hazards_are_flagged_for_the_office_at_once(client, demo):
    major = file_report(client, login(client, "volunteer"), category="hazchem_storage")
    assert major["severity"] == "major"
    office = login(client, "office")
    assert major["id"] in [
        h["id"] for h in client.get("/api/v1/queue?view=major", headers=office).json["items"]
    ]


@pytest.mark.parametrize(
    ("who", "query", "status"),
    [
        ("volunteer", "", 403),
        # Another role's queue is not this caller's to read: 403, as the page says 无权限.
        ("fire", "?view=triage", 403),
        ("fire", "?view=verify", 403),
        ("office", "?view=lead", 403),
        ("office", "?view=returned", 403),
        ("gridworker", "?view=extensions", 403),
        # A queue no role has is a mistake in the request.
        ("office", "?view=nope", 422),
        ("fire", "?view=nope", 422),
        ("office", "?limit=0", 422),
    ],
)
def test_queue_refuses_views_not_of_the_callers_role(client, demo, who, query, status):
    assert_problem(client.get(f"/api/v1/queue{query}", headers=login(client, who)), status)


def test_queue_pages_walk_every_item_once(client, demo, app):
    made = {_file_in_the_past(app, d) for d in range(1, 8)}
    fire = login(client, "fire")
    seen, cursor = [], None
    while True:
        url = "/api/v1/queue?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=fire).json
        seen += [h["id"] for h in page["items"]]
        cursor = page["next"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) and made <= set(seen)


def test_after_photo_identical_to_the_report_photo_is_flagged_reused(client, demo):
    from tests.photos import jpeg, sha

    volunteer, fire, office = (
        login(client, "volunteer"),
        login(client, "fire"),
        login(client, "office"),
    )
    body = report_body()
    photo = jpeg(lat=body["lat"], lon=body["lon"])
    assert upload(client, volunteer, photo, "image/jpeg").status_code == 201
    hid = file_report(client, volunteer, photos=[sha(photo)])["id"]
    take(client, fire, hid, "accept")
    take(client, fire, hid, "start")
    take(client, fire, hid, "rectify", photos=[sha(photo)])  # 整改前后同一张照片
    details = client.get(f"/api/v1/hazards/{hid}", headers=office).json["photo_details"]
    after = [d for d in details if d["phase"] == "after"][0]
    assert "reused" in after["flags"]


# A hotspot (SPEC §3): a blocked fire lane every volunteer walks past. Each later report
# is a possible duplicate of the first one, not of every report before it.


def test_each_report_at_a_hotspot_is_linked_to_the_first_only(client, office):
    volunteer, gridworker = login(client, "volunteer"), login(client, "gridworker")
    ids = [
        file_report(client, (volunteer, gridworker)[n % 2], **at_the_spot(n))["id"]
        for n in range(30)
    ]
    first, later = ids[0], ids[1:]
    links = duplicate_links(client, office)
    assert set(links) == set(ids)  # every one of them waits for the office
    assert links[first] == {(hid, first) for hid in later}
    assert all(links[hid] == {(hid, first)} for hid in later)
    queue = client.get("/api/v1/queue?view=duplicates&limit=200", headers=office).json["items"]
    [link] = next(item for item in queue if item["id"] == later[-1])["duplicates"]
    assert link["reason"] == "nearby" and 0 < link["distance_m"] < 30


def test_a_report_the_office_unlinks_at_a_hotspot_is_a_hazard_of_its_own(client, office):
    volunteer = login(client, "volunteer")
    first, second, third = (
        file_report(client, volunteer, **at_the_spot(n))["id"] for n in range(3)
    )
    take(client, office, third, "unlink", other=first)  # the other lane of the same gate
    assert third not in duplicate_links(client, office)
    fourth = file_report(client, volunteer, **at_the_spot(3))["id"]
    links = duplicate_links(client, office)
    assert links[fourth] == {(fourth, first), (fourth, third)}  # either may be the one
    assert links[second] == {(second, first)}


def test_merging_a_hotspots_first_report_away_moves_the_others_onto_where_it_went(client, office):
    volunteer = login(client, "volunteer")
    ids = [file_report(client, volunteer, **at_the_spot(n))["id"] for n in range(6)]
    first, second, invalid, rest = ids[0], ids[1], ids[2], ids[3:]
    take(client, office, invalid, "invalidate", note="拍错了地方")
    take(client, office, first, "merge", into=second)  # the second report says more
    links = duplicate_links(client, office)
    assert first not in links and invalid not in links
    assert links[second] == {(hid, second) for hid in rest}  # not the invalid one
    assert all(links[hid] == {(hid, second)} for hid in rest)
    latest = file_report(client, volunteer, **at_the_spot(6))["id"]
    assert duplicate_links(client, office)[latest] == {(latest, second)}
    for hid in [*rest, latest]:
        assert take(client, office, hid, "merge", into=second)["duplicate_of"] == second
    assert duplicate_links(client, office) == {}


def test_a_report_near_only_a_duplicate_is_linked_to_that_one(client, office):
    volunteer = login(client, "volunteer")
    lat, lon = grid_centre("110112001002G03")
    first = file_report(client, volunteer, lat=lat, lon=lon)["id"]
    second = file_report(client, volunteer, lat=lat + 0.000225, lon=lon)["id"]  # 25 m north
    third = file_report(client, volunteer, lat=lat + 0.00045, lon=lon)["id"]  # 50 m north
    links = duplicate_links(client, office)
    assert links[second] == {(second, first), (third, second)}
    assert links[third] == {(third, second)}


def test_after_a_hotspots_first_report_is_invalidated_the_next_joins_the_earliest_open_one(
    client, office
):
    volunteer = login(client, "volunteer")
    ids = [file_report(client, volunteer, **at_the_spot(n))["id"] for n in range(4)]
    take(client, office, ids[0], "invalidate", note="照片与隐患无关")
    latest = file_report(client, volunteer, **at_the_spot(4))["id"]
    assert duplicate_links(client, office)[latest] == {(latest, ids[1])}


def test_the_same_photo_at_a_hotspot_is_still_a_certain_duplicate(client, office):
    volunteer = login(client, "volunteer")
    photo = sha(jpeg(make="hotspot"))
    ids = [file_report(client, volunteer, **at_the_spot(n))["id"] for n in range(2)]
    cited = file_report(client, volunteer, photos=[photo], **at_the_spot(2))["id"]
    again = file_report(client, volunteer, photos=[photo], **at_the_spot(3))["id"]
    queue = client.get("/api/v1/queue?view=duplicates&limit=200", headers=office).json["items"]
    [item] = [item for item in queue if item["id"] == again]
    reasons = {link["other"]: link["reason"] for link in item["duplicates"]}
    assert reasons == {ids[0]: "nearby", cited: "same_photo"}
