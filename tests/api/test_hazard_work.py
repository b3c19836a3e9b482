"""The work departments and the office do on hazards: a clerk's claim (处理中), why a
hazard waits in triage, what came back to a department, and the office's duplicates."""

import uuid

from tests.helpers import (
    OTHER_GRID,
    add_user,
    assert_problem,
    at_the_spot,
    file_report,
    login,
    step,
    take,
    upload,
)
from tests.photos import jpeg, sha

SECOND_CLERK = "fire2"


def second_fire_clerk(app, client):
    """Another clerk of the fire brigade, 钱消防; return their Authorization header."""
    add_user(
        app,
        SECOND_CLERK,
        "dept_staff",
        "fire2-pass-2026",
        department_code="fire-rescue",
        display_name="钱消防",
    )
    return login(client, SECOND_CLERK, "fire2-pass-2026")


def history(client, headers, hazard_id):
    return client.get(f"/api/v1/hazards/{hazard_id}/events", headers=headers).json


def test_a_claim_shows_who_holds_the_hazard_and_a_second_clerk_cannot_silently_take_it(
    app, client, demo
):
    volunteer, fire, office = (login(client, u) for u in ("volunteer", "fire", "office"))
    fire2 = second_fire_clerk(app, client)
    hazard = file_report(client, volunteer)

    claimed = take(client, fire, hazard["id"], "claim")
    assert claimed["claim"]["username"] == "fire"
    assert claimed["claim"]["display_name"] == "赵消防" and claimed["claim"]["at"]
    # Everyone who works it sees who holds it; the reporter does not learn the clerk's name.
    for headers in (fire2, office):
        record = client.get(f"/api/v1/hazards/{hazard['id']}", headers=headers).json
        assert record["claim"]["username"] == "fire"
    assert client.get(f"/api/v1/hazards/{hazard['id']}", headers=volunteer).json["claim"] is None
    listed = client.get("/api/v1/hazards?status=assigned&limit=200", headers=fire2).json["items"]
    assert [h["claim"]["username"] for h in listed if h["id"] == hazard["id"]] == ["fire"]

    # The second clerk is told who holds it, and nothing changes.
    refused = assert_problem(step(client, fire2, hazard["id"], "claim"), 409)
    assert refused["code"] == "claimed"
    assert refused["holder"]["username"] == "fire" and refused["holder"]["display_name"] == "赵消防"
    assert refused["current"]["version"] == claimed["version"]
    # Taking it over is said openly, and the history keeps it.
    taken = take(client, fire2, hazard["id"], "claim", takeover=True)
    assert taken["claim"]["username"] == SECOND_CLERK
    last = history(client, office, hazard["id"])[-1]
    assert last["type"] == "claim" and last["actor"] == SECOND_CLERK
    assert last["data"] == {"holder": SECOND_CLERK, "taken_from": "fire"}
    # Only the holder releases it; claiming what one holds already is refused.
    assert_problem(step(client, fire, hazard["id"], "release"), 409)
    assert_problem(step(client, fire2, hazard["id"], "claim"), 409)
    released = take(client, fire2, hazard["id"], "release")
    assert released["claim"] is None
    assert take(client, fire, hazard["id"], "claim")["claim"]["username"] == "fire"


def test_a_claim_is_the_lead_departments_and_lapses_when_the_hazard_leaves_it(client, demo):
    volunteer, fire, office = (login(client, u) for u in ("volunteer", "fire", "office"))
    street, grid = login(client, "zhongcang"), login(client, "gridworker")
    hazard = file_report(client, volunteer)
    # The street office sees it (属地) but does not lead it; no one else may claim it.
    for headers, status in ((street, 403), (office, 403), (grid, 403), (volunteer, 403)):
        assert_problem(step(client, headers, hazard["id"], "claim"), status)

    take(client, fire, hazard["id"], "claim")
    reassigned = take(client, office, hazard["id"], "reassign", department="urban-mgmt")
    assert reassigned["claim"] is None  # a new department's clerks claim it afresh

    other = file_report(client, volunteer)
    take(client, fire, other["id"], "claim")
    take(client, fire, other["id"], "return", note="不属于消防职责")
    assert client.get(f"/api/v1/hazards/{other['id']}", headers=office).json["claim"] is None


def test_a_claim_arriving_by_sync_for_a_held_hazard_is_a_kept_conflict(app, client, demo):
    volunteer, fire = login(client, "volunteer"), login(client, "fire")
    fire2 = second_fire_clerk(app, client)
    hazard = file_report(client, volunteer)
    take(client, fire, hazard["id"], "claim")

    mutation = {
        "seq": 1,
        "id": str(uuid.uuid4()),
        "type": "hazard.claim",
        "entity_id": hazard["id"],
        "data": {},
        "photos": [],
        "occurred_at": "2026-06-03T09:15:00+08:00",
    }
    response = client.post(
        "/api/v1/sync", json={"device_id": "fire2-phone", "mutations": [mutation]}, headers=fire2
    )
    assert response.status_code == 200, response.json
    [result] = response.json["results"]
    assert result["status"] == "conflict"
    record = client.get(f"/api/v1/hazards/{hazard['id']}", headers=fire).json
    assert record["claim"]["username"] == "fire"  # still the first clerk's
    assert history(client, fire, hazard["id"])[-1]["type"] == "sync_conflict"
    # Taken over through sync too, said openly.
    mutation = {**mutation, "seq": 2, "id": str(uuid.uuid4()), "data": {"takeover": True}}
    response = client.post(
        "/api/v1/sync", json={"device_id": "fire2-phone", "mutations": [mutation]}, headers=fire2
    )
    assert response.json["results"][0]["status"] == "applied"
    assert history(client, fire, hazard["id"])[-1]["data"]["taken_from"] == "fire"


def test_the_triage_queue_says_why_each_hazard_waits_there(client, demo):
    volunteer, fire, office = (login(client, u) for u in ("volunteer", "fire", "office"))
    outside = file_report(client, volunteer, lat=40.5, lon=117.5)
    returned = file_report(client, volunteer)
    take(client, fire, returned["id"], "return", note="不属于消防职责，应由街道处理")
    routed = file_report(client, volunteer)

    triage = client.get("/api/v1/queue?view=triage&limit=200", headers=office).json["items"]
    reasons = {item["id"]: item["triage_reason"] for item in triage}
    assert reasons[outside["id"]] == "outside_grids"
    assert reasons[returned["id"]] == "returned"
    [item] = [item for item in triage if item["id"] == returned["id"]]
    assert "区消防救援支队" in item["routing_note"] and "应由街道处理" in item["routing_note"]
    assert routed["id"] not in reasons and routed["triage_reason"] is None

    # Assigned from triage, it no longer waits, and says no reason.
    assigned = take(client, office, returned["id"], "assign", department="street-110112001")
    assert assigned["triage_reason"] is None and assigned["routing_note"] is None


def test_a_hazard_of_a_kind_no_rule_routes_waits_with_that_reason(client, demo):
    volunteer, office = login(client, "volunteer"), login(client, "office")
    made = client.post(
        "/api/v1/categories",
        json={
            "code": "kite_in_wires",
            "name": "风筝挂电线",
            "department": "urban-mgmt",
            "deadline_days": 3,
            "default_severity": "general",
        },
        headers=office,
    )
    assert made.status_code == 201, made.json
    for rule in client.get("/api/v1/routing-rules", headers=office).json:
        if rule["category"] == "kite_in_wires":  # its district-wide rule, taken away
            removed = client.delete(f"/api/v1/routing-rules/{rule['id']}", headers=office)
            assert removed.status_code == 204
    hazard = file_report(client, volunteer, category="kite_in_wires")
    assert hazard["status"] == "reported" and hazard["triage_reason"] == "no_rule"


def test_a_failed_verification_brings_the_hazard_back_to_the_departments_returned_view(
    client, demo
):
    volunteer, fire, office = (login(client, u) for u in ("volunteer", "fire", "office"))
    hazard, untouched = file_report(client, volunteer), file_report(client, volunteer)
    photo = jpeg(make="After")
    assert upload(client, fire, photo).status_code == 201
    for type_ in ("accept", "start"):
        take(client, fire, hazard["id"], type_)
    take(client, fire, hazard["id"], "rectify", photos=[sha(photo)])

    def returned_view():
        page = client.get("/api/v1/queue?view=returned&limit=200", headers=fire).json
        assert page["view"] == "returned"
        return [item["id"] for item in page["items"]]

    assert hazard["id"] not in returned_view()
    take(client, office, hazard["id"], "verify", result="fail", note="通道仍有杂物")
    assert hazard["id"] in returned_view() and untouched["id"] not in returned_view()
    page = client.get("/api/v1/queue?view=returned&limit=200", headers=fire).json
    [item] = [item for item in page["items"] if item["id"] == hazard["id"]]
    assert item["sent_back"]["step"] == "verify" and item["sent_back"]["note"] == "通道仍有杂物"
    # Rectified anew, it is no longer to do again.
    take(client, fire, hazard["id"], "rectify", photos=[sha(photo)])
    assert hazard["id"] not in returned_view()


def test_the_office_sees_a_hazards_possible_duplicates_on_its_page_and_others_do_not(client, demo):
    volunteer, fire, office = (login(client, u) for u in ("volunteer", "fire", "office"))
    first = file_report(client, volunteer, **at_the_spot(0))
    second = file_report(client, volunteer, **at_the_spot(1))

    record = client.get(f"/api/v1/hazards/{second['id']}", headers=office).json
    assert [(d["hazard"], d["other"]) for d in record["duplicates"]] == [
        (second["id"], first["id"])
    ]
    assert record["duplicates"][0]["reason"] == "nearby"
    assert client.get(f"/api/v1/hazards/{second['id']}", headers=fire).json["duplicates"] == []
    # Merged, the link is decided and gone from both pages.
    take(client, office, second["id"], "merge", into=first["id"])
    assert client.get(f"/api/v1/hazards/{first['id']}", headers=office).json["duplicates"] == []


def test_an_extension_the_office_grants_moves_the_deadline(client, demo):
    volunteer, fire, office = (login(client, u) for u in ("volunteer", "fire", "office"))
    hazard = file_report(client, volunteer, grid=OTHER_GRID)
    asked = take(client, fire, hazard["id"], "request_extension", until="2099-01-05", note="需采购")
    assert asked["extension_requested_until"].startswith("2099-01-05")
    queue = client.get("/api/v1/queue?view=extensions&limit=200", headers=office).json["items"]
    assert hazard["id"] in [item["id"] for item in queue]
    granted = take(client, office, hazard["id"], "grant_extension")
    assert granted["deadline"].startswith("2099-01-05")
    assert granted["extension_requested_until"] is None
