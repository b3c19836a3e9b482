"""Hazards driven through every path of the lifecycle over HTTP (SPEC §2)."""

import uuid
from datetime import date, timedelta

import pytest

from tests.helpers import add_user, assert_problem, file_report, login, step, take
from tests.photos import jpeg, sha

# No demo hazard lies here, so new reports have no duplicate among the demo's.
QUIET_GRID = "110112001002G03"


@pytest.fixture
def people(client, demo):
    """Headers for every demo role."""
    names = ("volunteer", "gridworker", "fire", "zhongcang", "office")
    return {name: login(client, name) for name in names}


def history(client, headers, hazard_id):
    """Return [(seq, type, to_status)] of a hazard's events."""
    events = client.get(f"/api/v1/hazards/{hazard_id}/events", headers=headers).json
    return [(e["seq"], e["type"], e["to_status"]) for e in events]


def assert_consistent(client, office, hazard_id):
    """The hazard's status and version are those of its last event."""
    hazard = client.get(f"/api/v1/hazards/{hazard_id}", headers=office).json
    events = history(client, office, hazard_id)
    assert [seq for seq, _, _ in events] == list(range(1, len(events) + 1))
    assert (hazard["version"], hazard["status"]) == (events[-1][0], events[-1][2])
    return hazard


def test_report_to_closure_by_department_grid_worker_and_office(client, people):
    p = people
    hazard = file_report(client, p["volunteer"])
    hid = hazard["id"]
    assert hazard["status"] == "assigned" and hazard["lead_department"] == "fire-rescue"
    assert take(client, p["fire"], hid, "accept")["status"] == "accepted"
    assert take(client, p["fire"], hid, "start")["status"] == "rectifying"
    after = jpeg(make="After")
    rectified = take(client, p["fire"], hid, "rectify", note="已清理通道", photos=[sha(after)])
    assert rectified["status"] == "rectified"
    verified = take(client, p["gridworker"], hid, "verify", result="pass", note="现场复核通过")
    assert verified["status"] == "verified"
    closed = take(client, p["office"], hid, "close")
    assert closed["status"] == "closed" and closed["closed_at"]
    assert history(client, p["office"], hid) == [
        (1, "report", "reported"),
        (2, "route", "assigned"),
        (3, "accept", "accepted"),
        (4, "start", "rectifying"),
        (5, "rectify", "rectified"),
        (6, "verify", "verified"),
        (7, "close", "closed"),
    ]
    assert_consistent(client, p["office"], hid)
    details = client.get(f"/api/v1/hazards/{hid}", headers=p["office"]).json["photo_details"]
    assert {"sha256": sha(after), "phase": "after", "missing": True}.items() <= details[0].items()
    # The volunteer sees the public outcome of their own report.
    mine = client.get(f"/api/v1/hazards/{hid}", headers=p["volunteer"]).json
    assert mine["status"] == "closed"


def test_returned_hazard_goes_to_triage_and_is_reassigned(client, people):
    p = people
    hid = file_report(client, p["volunteer"])["id"]
    returned = take(client, p["fire"], hid, "return", note="应由城管委负责")
    assert returned["status"] == "reported" and returned["lead_department"] is None
    assert "应由城管委负责" in returned["routing_note"]
    triage = client.get("/api/v1/queue", headers=p["office"]).json
    assert triage["view"] == "triage" and hid in [h["id"] for h in triage["items"]]
    fire_queue = client.get("/api/v1/queue", headers=p["fire"]).json["items"]
    assert hid not in [h["id"] for h in fire_queue]
    assigned = take(client, p["office"], hid, "assign", department="urban-mgmt")
    assert assigned["status"] == "assigned" and assigned["lead_department"] == "urban-mgmt"
    assert_problem(step(client, p["fire"], hid, "accept"), 404)  # no longer theirs to see
    assert_consistent(client, p["office"], hid)


def test_failed_verification_sends_it_back_then_it_passes_and_closes(client, people):
    p = people
    hid = file_report(client, p["volunteer"])["id"]
    for type_ in ("accept", "start"):
        take(client, p["fire"], hid, type_)
    take(client, p["fire"], hid, "rectify", photos=[sha(jpeg(make="1"))])
    failed = take(client, p["gridworker"], hid, "verify", result="fail", note="通道仍被占用")
    assert failed["status"] == "rectifying"
    take(client, p["fire"], hid, "rectify", photos=[sha(jpeg(make="2"))])
    take(client, p["gridworker"], hid, "verify", result="pass")
    assert take(client, p["office"], hid, "close")["status"] == "closed"
    types = [t for _, t, _ in history(client, p["office"], hid)]
    assert types.count("rectify") == 2 and types.count("verify") == 2
    assert_consistent(client, p["office"], hid)


def test_the_same_after_photo_may_be_cited_again_after_a_failed_verification(client, people):
    """Phones resend the photo they have: a second rectification (复查不合格, or after a
    reopen) citing the same after-photo is taken, and the photo is listed once."""
    p = people
    hid = file_report(client, p["volunteer"])["id"]
    after = sha(jpeg(make="same"))
    for type_ in ("accept", "start"):
        take(client, p["fire"], hid, type_)
    take(client, p["fire"], hid, "rectify", photos=[after])
    take(client, p["gridworker"], hid, "verify", result="fail", note="通道仍被占用")
    again = take(client, p["fire"], hid, "rectify", photos=[after, sha(jpeg(make="new"))])
    assert again["status"] == "rectified"
    take(client, p["office"], hid, "verify", result="pass")
    take(client, p["office"], hid, "close")
    take(client, p["office"], hid, "reopen", note="隐患反弹")
    for type_ in ("accept", "start"):
        take(client, p["fire"], hid, type_)
    third = take(client, p["fire"], hid, "rectify", photos=[after])
    cited = [(d["sha256"], d["phase"]) for d in third["photo_details"]]
    assert cited == [(after, "after"), (sha(jpeg(make="new")), "after")]
    events = client.get(f"/api/v1/hazards/{hid}/events", headers=p["office"]).json
    assert [e["data"]["photos"] for e in events if e["type"] == "rectify"][-1] == [after]
    assert_consistent(client, p["office"], hid)


def test_closed_hazard_is_reopened_with_a_new_deadline(client, people):
    p = people
    hid = file_report(client, p["volunteer"])["id"]
    for who, type_, extra in (
        ("fire", "accept", {}),
        ("fire", "start", {}),
        ("fire", "rectify", {"photos": [sha(jpeg())]}),
        ("office", "verify", {"result": "pass"}),
        ("office", "close", {}),
    ):
        take(client, p[who], hid, type_, **extra)
    reopened = take(client, p["office"], hid, "reopen", note="隐患反弹，通道再次被占")
    assert reopened["status"] == "assigned" and reopened["closed_at"] is None
    assert reopened["deadline"] and reopened["lead_department"] == "fire-rescue"
    assert take(client, p["fire"], hid, "accept")["status"] == "accepted"
    assert_consistent(client, p["office"], hid)


def test_extension_is_requested_then_granted_or_refused(client, people):
    p = people
    hid = file_report(
        client, p["volunteer"], category="gas_no_alarm_or_valve", grid="110112001001G01"
    )["id"]
    lead = login(client, "office")  # the gas hazard goes to urban-mgmt; create its staff
    add_user(client.application, "gas", "dept_staff", "gas-staff-1", department_code="urban-mgmt")
    gas = login(client, "gas", password="gas-staff-1")
    take(client, gas, hid, "accept")
    past = step(client, gas, hid, "request_extension", until="2020-01-01", note="太忙")
    assert "until" in assert_problem(past, 422)["errors"]
    until = (date.today() + timedelta(days=60)).isoformat()
    asked = take(client, gas, hid, "request_extension", until=until, note="需采购报警器")
    assert asked["extension_requested_until"].startswith(until)
    queue = client.get("/api/v1/queue?view=extensions", headers=lead).json["items"]
    assert [h["id"] for h in queue] == [hid]
    granted = take(client, lead, hid, "grant_extension")
    assert granted["deadline"].startswith(until) and granted["extension_requested_until"] is None
    assert_problem(step(client, lead, hid, "grant_extension"), 409)  # nothing left to decide
    take(
        client,
        gas,
        hid,
        "request_extension",
        until=(date.today() + timedelta(days=90)).isoformat(),
        note="再延",
    )
    refused = take(client, lead, hid, "refuse_extension", note="不予延期")
    assert refused["deadline"].startswith(until)  # unchanged
    assert_consistent(client, p["office"], hid)


def test_duplicate_nearby_is_linked_for_the_office_and_merged(client, people):
    p = people
    photo = jpeg(make="first")
    first = file_report(client, p["volunteer"], grid=QUIET_GRID, photos=[sha(photo)])
    second_photo = jpeg(make="second")
    # 10 m north of the first, same category: a possible duplicate.
    second = file_report(
        client,
        p["gridworker"],
        lat=first["lat"] + 0.00009,
        lon=first["lon"],
        photos=[sha(second_photo)],
    )
    queue = client.get("/api/v1/queue?view=duplicates", headers=p["office"]).json["items"]
    listed = {h["id"]: h["duplicates"] for h in queue}
    assert set(listed) == {first["id"], second["id"]}
    link = listed[second["id"]][0]
    assert link["reason"] == "nearby" and 9 < link["distance_m"] < 11
    merged = take(client, p["office"], second["id"], "merge", into=first["id"])
    assert merged["status"] == "duplicate" and merged["duplicate_of"] == first["id"]
    original = client.get(f"/api/v1/hazards/{first['id']}", headers=p["office"]).json
    assert set(original["photos"]) == {sha(photo), sha(second_photo)}  # every photo moved over
    dup = client.get(f"/api/v1/hazards/{second['id']}", headers=p["office"]).json
    assert dup["reporter"]["username"] == "gridworker"  # the reporter keeps credit
    assert client.get("/api/v1/queue?view=duplicates", headers=p["office"]).json["items"] == []


def test_same_photo_on_two_reports_is_a_certain_duplicate_and_can_be_unlinked(client, people):
    p = people
    photo = jpeg()
    first = file_report(client, p["volunteer"], grid=QUIET_GRID, photos=[sha(photo)])
    far = file_report(
        client,
        p["volunteer"],
        grid="110112004003G01",
        photos=[sha(photo)],
        category="flammable_piles",
    )
    queue = client.get("/api/v1/queue?view=duplicates", headers=p["office"]).json["items"]
    reasons = {d["reason"] for h in queue for d in h["duplicates"]}
    assert reasons == {"same_photo"}
    take(client, p["office"], far["id"], "unlink", other=first["id"])
    assert client.get("/api/v1/queue?view=duplicates", headers=p["office"]).json["items"] == []


def test_far_or_different_category_reports_are_not_duplicates(client, people):
    p = people
    first = file_report(client, p["volunteer"], grid=QUIET_GRID)
    file_report(client, p["volunteer"], lat=first["lat"] + 0.0005, lon=first["lon"])  # ~55 m
    file_report(client, p["volunteer"], grid=QUIET_GRID, category="flammable_piles")
    assert client.get("/api/v1/queue?view=duplicates", headers=p["office"]).json["items"] == []


def test_invalidated_hazard_leaves_every_queue(client, people):
    p = people
    hid = file_report(client, p["volunteer"])["id"]
    assert (
        take(client, p["office"], hid, "invalidate", note="照片与隐患无关")["status"] == "invalid"
    )
    assert client.get("/api/v1/queue", headers=p["fire"]).json["items"] == [] or hid not in [
        h["id"] for h in client.get("/api/v1/queue", headers=p["fire"]).json["items"]
    ]
    assert_problem(step(client, p["fire"], hid, "accept"), 409)


@pytest.mark.parametrize(
    ("who", "state_steps", "type_", "fields", "status"),
    [
        ("fire", [], "rectify", {"photos": ["a" * 64]}, 409),  # not yet rectifying
        ("fire", ["accept", "start"], "rectify", {}, 422),  # no after-photo
        ("gridworker", [], "verify", {"result": "pass"}, 409),  # not rectified
        ("volunteer", [], "accept", {}, 403),
        ("zhongcang", [], "accept", {}, 403),  # territorial owner, not the lead
        ("fire", [], "close", {}, 403),
        ("office", [], "close", {}, 409),
        ("office", [], "assign", {"department": "fire-rescue"}, 409),  # already assigned
        ("office", [], "teleport", {}, 422),
        ("office", [], "merge", {"into": str(uuid.uuid4())}, 422),
        ("office", [], "reassign", {"department": "nope"}, 422),
        ("fire", ["accept"], "return", {}, 422),  # a return needs its reason
        ("fire", [], "classify", {"severity": "major", "note": "重大"}, 403),
        ("office", [], "classify", {"severity": "major"}, 422),  # 判定 needs its grounds
        ("office", [], "classify", {"severity": "huge", "note": "x"}, 422),
        ("office", [], "classify", {"severity": "general", "note": "x"}, 409),  # already so
    ],
)
def test_refused_steps_change_nothing(client, people, who, state_steps, type_, fields, status):
    p = people
    hid = file_report(client, p["volunteer"])["id"]
    for name in state_steps:
        take(client, p["fire"], hid, name)
    before = client.get(f"/api/v1/hazards/{hid}", headers=p["office"]).json
    body = assert_problem(step(client, p[who], hid, type_, **fields), status)
    if status == 409:
        assert body["current"] == {"status": before["status"], "version": before["version"]}
    after = client.get(f"/api/v1/hazards/{hid}", headers=p["office"]).json
    assert (after["status"], after["version"]) == (before["status"], before["version"])


def test_a_grid_worker_of_another_grid_cannot_verify_even_their_own_report(client, people):
    p = people
    add_user(
        client.application,
        "othergrid",
        "grid_worker",
        "other-grid-1",
        grid_codes=["110112004001G01"],
    )
    other = login(client, "othergrid", password="other-grid-1")
    hid = file_report(client, other, grid="110112001001G02")["id"]  # visible to them: theirs
    take(client, p["fire"], hid, "accept")
    take(client, p["fire"], hid, "start")
    take(client, p["fire"], hid, "rectify", photos=[sha(jpeg())])
    assert_problem(step(client, other, hid, "verify", result="pass"), 403)
    assert take(client, p["gridworker"], hid, "verify", result="pass")["status"] == "verified"


def test_steps_on_unknown_or_unseen_hazards_are_404(client, people):
    p = people
    assert_problem(step(client, p["office"], uuid.uuid4(), "comment", note="x"), 404)
    hid = file_report(client, p["gridworker"], grid="110112004003G01")["id"]
    assert_problem(step(client, p["volunteer"], hid, "comment", note="x"), 404)


def test_a_step_resent_is_answered_again_and_a_reused_id_is_refused(client, people):
    p = people
    hid = file_report(client, p["volunteer"])["id"]
    body = {"id": str(uuid.uuid4()), "type": "accept", "note": "已签收"}
    first = client.post(f"/api/v1/hazards/{hid}/events", json=body, headers=p["fire"])
    again = client.post(f"/api/v1/hazards/{hid}/events", json=body, headers=p["fire"])
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json["event"] == first.json["event"]
    changed = dict(body, note="另一个备注")
    assert_problem(
        client.post(f"/api/v1/hazards/{hid}/events", json=changed, headers=p["fire"]), 409
    )
    assert_consistent(client, p["office"], hid)


def test_a_step_from_a_stale_version_is_a_conflict_with_the_current_state(client, people):
    p = people
    hazard = file_report(client, p["volunteer"])
    take(client, p["fire"], hazard["id"], "accept")
    body = assert_problem(
        step(client, p["fire"], hazard["id"], "start", base_version=hazard["version"]), 409
    )
    assert body["current"] == {"status": "accepted", "version": 3}


def test_a_volunteer_may_comment_on_their_own_report_only(client, people):
    p = people
    hid = file_report(client, p["volunteer"])["id"]
    commented = take(client, p["volunteer"], hid, "comment", note="物业已联系，尚未处理")
    assert commented["status"] == "assigned"


def test_history_hides_the_reporter_from_departments(client, people):
    p = people
    hid = file_report(client, p["volunteer"])["id"]
    fire_view = client.get(f"/api/v1/hazards/{hid}/events", headers=p["fire"]).json
    assert fire_view[0]["type"] == "report" and fire_view[0]["actor"] is None
    office_view = client.get(f"/api/v1/hazards/{hid}/events", headers=p["office"]).json
    assert office_view[0]["actor"] == "volunteer"
    assert "volunteer" not in str(fire_view) and "王志愿" not in str(fire_view)


def test_the_office_classifies_a_report_as_a_major_hazard(client, people):
    p = people
    hid = file_report(client, p["volunteer"])["id"]  # a blocked fire lane: general
    queue = "/api/v1/queue?view=major"
    assert hid not in [h["id"] for h in client.get(queue, headers=p["office"]).json["items"]]
    note = "依据重大隐患判定标准：高层建筑唯一消防车通道被封堵"
    major = take(client, p["office"], hid, "classify", severity="major", note=note)
    assert (major["severity"], major["status"]) == ("major", "assigned")
    assert hid in [h["id"] for h in client.get(queue, headers=p["office"]).json["items"]]
    events = client.get(f"/api/v1/hazards/{hid}/events", headers=p["office"]).json
    assert (events[-1]["type"], events[-1]["note"], events[-1]["data"]) == (
        "classify",
        note,
        {"severity": "major", "was": "general"},
    )
    assert_consistent(client, p["office"], hid)
