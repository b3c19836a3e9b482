"""Pushing a day's work from a phone: exactly once, in order, nothing lost (SPEC §9)."""

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from server.demo import grid_centre
from server.extensions import db
from server.models import DuplicateLink, Hazard, HazardEvent, SyncReceipt
from tests.helpers import (
    add_user,
    assert_problem,
    at_the_spot,
    duplicate_links,
    file_report,
    login,
    take,
)
from tests.photos import jpeg, sha

NOW = datetime.now(UTC)


def create(seq, hazard_id=None, photos=(), when=None, **data):
    """A hazard.create mutation placed in the grid worker's grid."""
    lat, lon = grid_centre("110112001001G02")
    hazard_id = hazard_id or str(uuid.uuid4())
    when = (when or NOW).isoformat()
    body = {
        "category": "fire_lane_blocked",
        "description": "离线上报：消防通道堵塞",
        "lat": lat,
        "lon": lon,
        "observed_at": when,
    }
    body.update(data)
    return {
        "seq": seq,
        "id": str(uuid.uuid4()),
        "type": "hazard.create",
        "entity_id": hazard_id,
        "data": body,
        "photos": list(photos),
        "occurred_at": when,
    }


def step(seq, hazard_id, type_, photos=(), when=None, **data):
    """A lifecycle step mutation."""
    return {
        "seq": seq,
        "id": str(uuid.uuid4()),
        "type": f"hazard.{type_}",
        "entity_id": hazard_id,
        "data": data,
        "photos": list(photos),
        "occurred_at": (when or NOW).isoformat(),
    }


def push(client, headers, mutations, device="phone-1"):
    response = client.post(
        "/api/v1/sync", json={"device_id": device, "mutations": mutations}, headers=headers
    )
    assert response.status_code == 200, response.json
    return response.json["results"]


def count(app, model, *where):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_a_day_of_reports_is_applied_in_order(client, demo, app):
    grid = login(client, "gridworker")
    batch = [create(n) for n in range(1, 4)]
    results = push(client, grid, batch)
    assert [(r["seq"], r["status"], r["version"]) for r in results] == [
        (1, "applied", 2),
        (2, "applied", 2),
        (3, "applied", 2),
    ]
    for mutation in batch:
        hazard = client.get(f"/api/v1/hazards/{mutation['entity_id']}", headers=grid).json
        assert hazard["status"] == "assigned" and hazard["grid"] == "110112001001G02"


def test_a_lost_response_resent_gives_the_same_answers_and_nothing_twice(client, demo, app):
    grid = login(client, "gridworker")
    batch = [create(1), create(2)]
    first = push(client, grid, batch)
    again = push(client, grid, batch)
    assert [r["status"] for r in again] == ["duplicate", "duplicate"]
    assert [r["original"] for r in again] == first
    assert count(app, Hazard, Hazard.reporter_id.is_not(None)) == 9 + 2


def test_the_same_batch_sent_twice_at_once_is_applied_once(app, demo):
    headers = login(app.test_client(), "gridworker")
    batch = [create(1), create(2), create(3)]
    answers, barrier = [], threading.Barrier(2)

    def send():
        barrier.wait()
        answers.append(
            app.test_client().post(
                "/api/v1/sync", headers=headers, json={"device_id": "phone-1", "mutations": batch}
            )
        )

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [200, 200], [a.json for a in answers]
    statuses = sorted(tuple(r["status"] for r in a.json["results"]) for a in answers)
    assert statuses == [("applied",) * 3, ("duplicate",) * 3]
    assert count(app, Hazard) == 9 + 3
    assert count(app, SyncReceipt) == 3


def test_a_later_batch_that_overtakes_an_earlier_one_is_deferred(client, demo, app):
    grid = login(client, "gridworker")
    early, late = [create(1), create(2)], [create(3), create(4)]
    assert [r["status"] for r in push(client, grid, late)] == ["deferred", "deferred"]
    assert count(app, Hazard) == 9  # nothing stored
    assert [r["status"] for r in push(client, grid, early)] == ["applied", "applied"]
    assert [r["status"] for r in push(client, grid, late)] == ["applied", "applied"]
    assert count(app, Hazard) == 13


def test_a_reused_seq_with_other_content_is_rejected_and_the_original_kept(client, demo, app):
    grid = login(client, "gridworker")
    original = create(1)
    push(client, grid, [original])
    other = create(1, description="完全不同的内容")
    [result] = push(client, grid, [other])
    assert result["status"] == "rejected" and "already used" in result["reason"]
    assert count(app, Hazard, Hazard.id == uuid.UUID(other["entity_id"])) == 0


def _end_state(app):
    """The hazards and receipts as a device would judge them: who, what, which version."""
    with app.app_context():
        hazards = db.session.execute(
            sa.select(Hazard.id, Hazard.status, Hazard.version).order_by(Hazard.id)
        ).all()
        receipts = db.session.execute(
            sa.select(SyncReceipt.seq, SyncReceipt.status).order_by(SyncReceipt.seq)
        ).all()
        events = db.session.scalar(sa.select(sa.func.count()).select_from(HazardEvent))
    return [tuple(h) for h in hazards], [tuple(r) for r in receipts], events


def _check_nothing_half_done(app, batch):
    """Every receipt has its hazard and every hazard of the batch has its receipt."""
    ids = {uuid.UUID(m["entity_id"]): m["seq"] for m in batch}
    with app.app_context():
        stored = set(db.session.scalars(sa.select(Hazard.id).where(Hazard.id.in_(ids))))
        receipted = set(db.session.scalars(sa.select(SyncReceipt.seq))) & set(ids.values())
        orphan_events = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(HazardEvent)
            .where(HazardEvent.hazard_id.in_(ids), HazardEvent.hazard_id.not_in(stored))
        )
    assert {ids[h] for h in stored} == receipted and orphan_events == 0
    return len(receipted)


@pytest.mark.parametrize("where", ["reading mutation 4", "after mutation 4 was written"])
def test_a_fault_part_way_loses_nothing_and_a_retry_converges(
    client, demo, app, monkeypatch, where
):
    grid = login(client, "gridworker")
    batch = [create(n) for n in range(1, 7)]
    import sync.push as engine

    real_report, real_file = engine._report, engine._file

    def broken_report(mutation):
        if mutation.seq == 4:
            raise RuntimeError("disk full")  # the server fails mid-batch
        return real_report(mutation)

    def broken_file(session, user, batch_, creates, policy):
        real_file(session, user, batch_, creates, policy)
        raise RuntimeError("disk full")  # effects written, receipts not yet

    if where == "reading mutation 4":
        monkeypatch.setitem(engine.BATCHED, "hazard.create", broken_report)
    else:
        monkeypatch.setattr(engine, "_file", broken_file)
    response = client.post(
        "/api/v1/sync", headers=grid, json={"device_id": "phone-1", "mutations": batch}
    )
    assert_problem(response, 500)
    committed = _check_nothing_half_done(app, batch)
    monkeypatch.undo()
    retry = push(client, grid, batch)
    assert [r["status"] for r in retry] == ["duplicate"] * committed + ["applied"] * (6 - committed)
    assert _check_nothing_half_done(app, batch) == 6
    assert count(app, Hazard) == 9 + 6 and count(app, HazardEvent, HazardEvent.seq == 2) == 9 + 6


def test_what_finished_before_a_fault_stands_and_replays_as_duplicate(
    client, demo, app, monkeypatch
):
    grid = login(client, "gridworker")
    batch = [create(1), create(2), create(3), create(4)]
    batch[2] = step(3, batch[0]["entity_id"], "comment", note="门口又堆了杂物")
    import sync.push as engine

    real_apply = engine._apply

    def flaky(session, user, mutation, now, policy):
        if mutation.seq == 3:
            raise RuntimeError("disk full")
        return real_apply(session, user, mutation, now, policy)

    monkeypatch.setattr(engine, "_apply", flaky)
    response = client.post(
        "/api/v1/sync", headers=grid, json={"device_id": "phone-1", "mutations": batch}
    )
    assert_problem(response, 500)
    assert _check_nothing_half_done(app, [batch[0], batch[1], batch[3]]) == 2
    assert count(app, HazardEvent, HazardEvent.type == "comment") == 0
    monkeypatch.undo()
    retry = push(client, grid, batch)
    assert [r["status"] for r in retry] == ["duplicate", "duplicate", "applied", "applied"]
    assert count(app, HazardEvent, HazardEvent.type == "comment") == 1


def test_a_server_killed_part_way_loses_nothing_and_a_retry_converges(
    client, demo, app, database_url
):
    import multiprocessing

    from tests.integration.push_killer import push_and_die

    grid = login(client, "gridworker")
    batch = [create(n) for n in range(1, 4)] + [step(4, "", "comment", note="x")]
    batch[3]["entity_id"] = batch[0]["entity_id"]  # a comment on the first report …
    batch += [create(n) for n in range(5, 7)]  # … splits the batch in two runs of reports
    process = multiprocessing.get_context("spawn").Process(
        target=push_and_die, args=(database_url, batch, 5)
    )
    process.start()
    process.join(60)
    assert process.exitcode == 137
    committed = _check_nothing_half_done(app, [m for m in batch if m["type"] == "hazard.create"])
    retry = push(client, grid, batch)
    assert [r["status"] for r in retry] == ["duplicate"] * committed + ["applied"] * (6 - committed)
    created = [m for m in batch if m["type"] == "hazard.create"]
    assert _check_nothing_half_done(app, created) == 5  # five reports …
    assert count(app, SyncReceipt) == 6  # … and the comment
    history = client.get(f"/api/v1/hazards/{batch[0]['entity_id']}/events", headers=grid).json
    assert [e["type"] for e in history] == ["report", "route", "comment"]


def test_an_offline_verification_after_closure_is_a_kept_conflict(client, demo, app):
    office, fire, grid = login(client, "office"), login(client, "fire"), login(client, "gridworker")
    hazard = file_report(client, login(client, "volunteer"), grid="110112001001G02")["id"]
    for type_, extra in (("accept", {}), ("start", {}), ("rectify", {"photos": [sha(jpeg())]})):
        take(client, fire, hazard, type_, **extra)
    take(client, office, hazard, "verify", result="pass")
    take(client, office, hazard, "close")
    offline = step(1, hazard, "verify", result="pass", when=NOW - timedelta(hours=3))
    [result] = push(client, grid, [offline])
    assert result["status"] == "conflict"
    assert result["current"]["status"] == "closed"
    after = client.get(f"/api/v1/hazards/{hazard}", headers=office).json
    assert after["status"] == "closed"
    history = client.get(f"/api/v1/hazards/{hazard}/events", headers=office).json
    assert history[-1]["type"] == "sync_conflict" and history[-1]["data"]["applied"] is False
    [again] = push(client, grid, [offline])
    assert again["status"] == "duplicate" and again["original"] == result
    conflicts = client.get("/api/v1/queue?view=conflicts", headers=office).json["items"]
    assert [h["id"] for h in conflicts] == [hazard]  # listed for the office


@pytest.mark.parametrize("photo_first", [True, False], ids=["photo-first", "record-first"])
def test_photos_and_records_arrive_in_either_order(client, demo, app, photo_first):
    grid = login(client, "gridworker")
    data = jpeg(make="offline")

    def upload():
        return client.put(
            f"/api/v1/photos/{sha(data)}",
            data=data,
            headers={**grid, "Content-Type": "image/jpeg"},
        )

    if photo_first:
        assert upload().status_code == 201
    [result] = push(client, grid, [create(1, photos=[sha(data)])])
    assert result["missing_photos"] == ([] if photo_first else [sha(data)])
    if not photo_first:
        assert upload().status_code == 201
    hazard = client.get(f"/api/v1/hazards/{result_hazard(app)}", headers=grid).json
    assert hazard["photo_details"][0]["missing"] is False


def result_hazard(app):
    with app.app_context():
        return db.session.scalar(sa.select(Hazard.id).order_by(Hazard.received_at.desc()))


@pytest.mark.parametrize(
    ("shift", "flag"), [(timedelta(days=2), "ahead"), (-timedelta(days=3 * 365), "behind")]
)
def test_a_wrong_device_clock_changes_nothing_but_is_flagged(client, demo, app, shift, flag):
    grid = login(client, "gridworker")
    result, _ = push(client, grid, [create(1, when=NOW + shift), create(2)])
    assert result["status"] == "applied" and result["clock"] == flag
    with app.app_context():
        hazard = db.session.scalar(sa.select(Hazard).filter_by(version=2, time_flag=flag))
        assert abs((hazard.received_at - datetime.now(UTC)).total_seconds()) < 60
    # The office sees the flag on the report itself; a report on time has none.
    listed = client.get("/api/v1/hazards?limit=2", headers=login(client, "office")).json["items"]
    assert sorted(h["time_flag"] or "" for h in listed) == ["", flag]


@pytest.mark.parametrize(
    ("mutation", "reason"),
    [
        ({"type": "hazard.teleport"}, "unknown mutation type"),
        ({"data": {"category": "ufo"}}, "category"),
        ({"data": {"lat": 500}}, "lat"),
    ],
)
def test_invalid_mutations_are_rejected_with_a_reason_and_do_not_block(
    client, demo, app, mutation, reason
):
    grid = login(client, "gridworker")
    bad = create(1)
    bad["type"] = mutation.get("type", bad["type"])
    bad["data"].update(mutation.get("data", {}))
    results = push(client, grid, [bad, create(2)])
    assert results[0]["status"] == "rejected" and reason in results[0]["reason"]
    assert results[1]["status"] == "applied"  # the device is not blocked behind it


def test_a_step_on_a_hazard_the_user_may_not_touch_is_rejected(client, demo):
    hazard = file_report(client, login(client, "volunteer"), grid="110112004001G01")["id"]
    [result] = push(client, login(client, "gridworker"), [step(1, hazard, "verify", result="pass")])
    assert result["status"] == "rejected" and "no such hazard" in result["reason"]


@pytest.mark.parametrize(
    ("mutations", "field"),
    [
        ([{"seq": 2}, {"seq": 1}], "mutations"),
        ([{"seq": 0}], "mutations"),
        ([{"seq": "one"}], "mutations"),
    ],
)
def test_a_malformed_batch_is_refused_whole(client, demo, app, mutations, field):
    batch = []
    for n, override in enumerate(mutations, start=1):
        mutation = create(n)
        mutation.update(override)
        batch.append(mutation)
    response = client.post(
        "/api/v1/sync",
        headers=login(client, "gridworker"),
        json={"device_id": "p", "mutations": batch},
    )
    assert field in assert_problem(response, 422)["errors"]
    assert count(app, Hazard) == 9 and count(app, HazardEvent, HazardEvent.type == "report") == 9


def test_a_reset_cursor_still_takes_the_devices_unsent_mutations(client, demo, app):
    from server.models import SyncState

    grid = login(client, "gridworker")
    first = client.post("/api/v1/sync", headers=grid, json={"device_id": "phone-1"}).json
    with app.app_context():
        db.session.execute(sa.update(SyncState).values(epoch="another-database"))
        db.session.commit()
    offline = create(1)
    answer = client.post(
        "/api/v1/sync",
        headers=grid,
        json={
            "device_id": "phone-1",
            "mutations": [offline],
            "pull": {"cursor": first["pull"]["cursor"]},
        },
    ).json
    assert answer["results"][0]["status"] == "applied"
    assert answer["pull"]["reset"] is True
    assert offline["entity_id"] in [c["id"] for c in answer["pull"]["changes"]]


def correction(seq, hazard_id, base_version, **data):
    return {
        "seq": seq,
        "id": str(uuid.uuid4()),
        "type": "hazard.update",
        "entity_id": hazard_id,
        "base_version": base_version,
        "data": data,
        "occurred_at": NOW.isoformat(),
    }


def test_two_devices_editing_different_fields_from_one_version_both_apply(client, demo, app):
    grid = login(client, "gridworker")
    [made] = push(client, grid, [create(1)])
    hazard_id = push_entity(app)
    base = made["version"]
    [first] = push(
        client,
        grid,
        [correction(2, hazard_id, base, description="消防通道被三轮车堵住")],
        device="phone-1",
    )
    [second] = push(
        client, grid, [correction(1, hazard_id, base, address="5号楼北侧")], device="tablet"
    )
    assert (first["status"], second["status"]) == ("applied", "applied")
    hazard = client.get(f"/api/v1/hazards/{hazard_id}", headers=grid).json
    assert hazard["description"] == "消防通道被三轮车堵住" and hazard["address"] == "5号楼北侧"


def test_two_devices_editing_the_same_field_conflict_and_both_values_are_kept(client, demo, app):
    grid, office = login(client, "gridworker"), login(client, "office")
    [made] = push(client, grid, [create(1)])
    hazard_id = push_entity(app)
    base = made["version"]
    push(client, grid, [correction(2, hazard_id, base, description="第一台设备的描述")])
    [late] = push(
        client,
        grid,
        [correction(1, hazard_id, base, description="第二台设备的描述")],
        device="tablet",
    )
    assert late["status"] == "conflict"
    assert late["fields"] == {
        "description": {"yours": "第二台设备的描述", "current": "第一台设备的描述"}
    }
    hazard = client.get(f"/api/v1/hazards/{hazard_id}", headers=grid).json
    assert hazard["description"] == "第一台设备的描述"
    history = client.get(f"/api/v1/hazards/{hazard_id}/events", headers=office).json
    kept = [e for e in history if e["type"] == "sync_conflict"]
    assert kept and kept[-1]["data"]["data"] == {"description": "第二台设备的描述"}


def test_a_correction_of_the_category_routes_the_hazard_again(client, demo, app):
    grid = login(client, "gridworker")
    [made] = push(client, grid, [create(1)])
    hazard_id = push_entity(app)
    [fixed] = push(
        client, grid, [correction(2, hazard_id, made["version"], category="gas_no_alarm_or_valve")]
    )
    assert fixed["status"] == "applied"
    hazard = client.get(f"/api/v1/hazards/{hazard_id}", headers=grid).json
    assert hazard["lead_department"] == "urban-mgmt" and hazard["status"] == "assigned"


def test_a_correction_to_a_category_the_office_retired_is_rejected(client, demo, app):
    grid, office = login(client, "gridworker"), login(client, "office")
    [made] = push(client, grid, [create(1)])
    hazard_id = push_entity(app)
    retired = client.patch(
        "/api/v1/categories/gas_no_alarm_or_valve", json={"active": False}, headers=office
    )
    assert retired.status_code == 200
    [fixed] = push(
        client, grid, [correction(2, hazard_id, made["version"], category="gas_no_alarm_or_valve")]
    )
    assert fixed["status"] == "rejected" and "category" in str(fixed["reason"])
    hazard = client.get(f"/api/v1/hazards/{hazard_id}", headers=grid).json
    assert hazard["category"] != "gas_no_alarm_or_valve" and hazard["version"] == made["version"]


def push_entity(app):
    with app.app_context():
        return str(db.session.scalar(sa.select(Hazard.id).order_by(Hazard.received_at.desc())))


def test_a_correction_that_no_longer_routes_leaves_the_hazard_in_triage_by_its_history(
    client, demo, app
):
    grid, office = login(client, "gridworker"), login(client, "office")
    [made] = push(client, grid, [create(1)])
    hazard_id = push_entity(app)
    # Moved to a point outside every street of the district: nobody to route it to.
    [fixed] = push(client, grid, [correction(2, hazard_id, made["version"], lat=31.23, lon=121.47)])
    assert fixed["status"] == "applied"
    hazard = client.get(f"/api/v1/hazards/{hazard_id}", headers=office).json
    assert (hazard["status"], hazard["lead_department"], hazard["deadline"]) == (
        "reported",
        None,
        None,
    )
    history = client.get(f"/api/v1/hazards/{hazard_id}/events", headers=office).json
    assert [(e["type"], e["from_status"], e["to_status"]) for e in history] == [
        ("report", None, "reported"),
        ("route", "reported", "assigned"),
        ("update", "assigned", "reported"),
    ]


def test_a_step_taken_offline_before_a_reassignment_is_a_kept_conflict(client, demo, app):
    office, fire = login(client, "office"), login(client, "fire")
    hazard = file_report(client, login(client, "volunteer"), grid="110112001001G02")["id"]
    offline = step(1, hazard, "accept", when=NOW - timedelta(hours=1))  # fire-rescue's phone
    take(client, office, hazard, "reassign", department="urban-mgmt")
    [result] = push(client, fire, [offline])
    assert result["status"] == "conflict" and "scope" in result["reason"]
    assert result["current"]["status"] == "assigned"
    after = client.get(f"/api/v1/hazards/{hazard}", headers=office).json
    assert (after["status"], after["lead_department"]) == ("assigned", "urban-mgmt")
    history = client.get(f"/api/v1/hazards/{hazard}/events", headers=office).json
    kept = history[-1]
    assert (kept["type"], kept["actor"], kept["data"]["mutation"]) == (
        "sync_conflict",
        "fire",
        "hazard.accept",
    )
    conflicts = client.get("/api/v1/queue?view=conflicts", headers=office).json["items"]
    assert [h["id"] for h in conflicts] == [hazard]
    # Still nothing for fire-rescue to see, and a department that never had it learns
    # nothing: "no such hazard".
    assert_problem(client.get(f"/api/v1/hazards/{hazard}", headers=fire), 404)
    add_user(app, "housing", "dept_staff", "housing-staff-1", department_code="housing")
    [stranger] = push(
        client, login(client, "housing", "housing-staff-1"), [step(1, hazard, "accept")]
    )
    assert stranger["status"] == "rejected" and "no such hazard" in stranger["reason"]


@pytest.mark.parametrize(
    ("setting", "path", "body"),
    [
        ("SYNC_MAX_BYTES", "/api/v1/sync", {"device_id": "p", "mutations": [create(1)] * 3}),
        ("AREAS_IMPORT_MAX_BYTES", "/api/v1/areas/import", {"features": ["区" * 500]}),
        ("PLACES_IMPORT_MAX_BYTES", "/api/v1/places/import", {"features": ["点" * 500]}),
    ],
)
def test_request_size_limits_are_settings(app_with, setting, path, body):
    app = app_with(**{setting: 1000})
    client = app.test_client()
    response = client.post(path, json=body, headers=login(client, "office"))
    assert assert_problem(response, 413)["code"] == "payload_too_large"


def test_a_days_reports_at_one_spot_are_each_linked_to_the_first_only(client, demo, app):
    """SPEC §3 at a hotspot: a blocked fire lane every volunteer walks past."""
    gridworker, office = login(client, "gridworker"), login(client, "office")
    batch = [create(n + 1, **at_the_spot(n)) for n in range(30)]
    assert {r["status"] for r in push(client, gridworker, batch)} == {"applied"}
    # Another phone, synced later, finds the same spot.
    more = [create(n - 29, **at_the_spot(n)) for n in range(30, 40)]
    results = push(client, login(client, "volunteer"), more, device="phone-2")
    assert {r["status"] for r in results} == {"applied"}
    first, *later = [mutation["entity_id"] for mutation in batch + more]
    links = duplicate_links(client, office)
    assert links[first] == {(hid, first) for hid in later}
    assert all(links[hid] == {(hid, first)} for hid in later)
    ids = [uuid.UUID(hid) for hid in later]
    assert count(app, DuplicateLink, DuplicateLink.hazard_id.in_(ids)) == 39
