"""Pulling a device's scope: first sync paged and resumable, then the change feed."""

import pytest
import sqlalchemy as sa

from server.extensions import db
from server.models import SyncState, User
from tests.helpers import add_user, assert_problem, file_report, login, take


def sync(client, headers, cursor=None, limit=500, **extra):
    body = {"device_id": "phone-1", "mutations": [], "pull": {"cursor": cursor, "limit": limit}}
    body.update(extra)
    response = client.post("/api/v1/sync", json=body, headers=headers)
    assert response.status_code == 200, response.json
    return response.json["pull"]


def follow(client, headers, cursor=None, limit=500):
    """Pull until nothing more; return ({id: record}, removed ids, cursor, pages)."""
    held, removed, pages = {}, set(), 0
    while True:
        page = sync(client, headers, cursor, limit)
        pages += 1
        if page["reset"]:
            held.clear()
        for change in page["changes"]:
            if change["op"] == "upsert":
                held[change["id"]] = change["data"]
                removed.discard(change["id"])
            else:
                held.pop(change["id"], None)
                removed.add(change["id"])
        cursor = page["cursor"]
        if not page["has_more"]:
            return held, removed, cursor, pages


def test_first_sync_gives_exactly_the_scope(client, demo):
    volunteer = login(client, "volunteer")
    mine = file_report(client, volunteer)["id"]
    other = file_report(client, login(client, "gridworker"), grid="110112004001G01")["id"]
    held, _, _, _ = follow(client, volunteer)
    assert mine in held and other not in held
    assert held[mine]["reporter"]["username"] == "volunteer"
    office, _, _, _ = follow(client, login(client, "office"))
    assert {mine, other} <= set(office)


def test_changes_after_the_cursor_arrive_and_nothing_twice(client, demo):
    office = login(client, "office")
    held, _, cursor, _ = follow(client, office)
    hazard = file_report(client, login(client, "volunteer"))["id"]
    take(client, login(client, "fire"), hazard, "accept")
    page = sync(client, office, cursor)
    assert [(c["op"], c["id"], c["version"]) for c in page["changes"]] == [("upsert", hazard, 3)]
    assert sync(client, office, page["cursor"])["changes"] == []


def test_a_reassigned_hazard_leaves_one_department_and_enters_another(client, demo, app):
    add_user(app, "gas", "dept_staff", "gas-staff-1", department_code="urban-mgmt")
    fire, gas = login(client, "fire"), login(client, "gas", password="gas-staff-1")
    hazard = file_report(client, login(client, "volunteer"))["id"]
    fire_held, _, fire_cursor, _ = follow(client, fire)
    gas_held, _, gas_cursor, _ = follow(client, gas)
    assert hazard in fire_held and hazard not in gas_held  # gas's cursor is past its creation
    take(client, login(client, "office"), hazard, "reassign", department="urban-mgmt")
    _, fire_removed, _, _ = follow(client, fire, fire_cursor)
    gas_after, _, _, _ = follow(client, gas, gas_cursor)
    assert hazard in fire_removed
    assert gas_after[hazard]["lead_department"] == "urban-mgmt"  # sent whole
    assert gas_after[hazard]["reporter"] is None  # and still without its reporter


def test_a_first_sync_cut_off_part_way_resumes_without_gaps_or_doubles(client, demo, app):
    volunteer = login(client, "volunteer")
    for _ in range(45):
        file_report(client, volunteer)
    office = login(client, "office")
    cursor, seen = None, []
    for _ in range(3):  # three pages of ten, then the phone loses its signal
        page = sync(client, office, cursor, limit=10)
        seen += [c["id"] for c in page["changes"]]
        cursor = page["cursor"]
    file_report(client, volunteer)  # the world moves on meanwhile
    held, _, _, _ = follow(client, office, cursor, limit=10)
    all_ids = seen + list(held)
    with app.app_context():
        server_side = {str(i) for i in db.session.scalars(sa.text("SELECT id FROM hazards"))}
    assert len(seen) == len(set(seen)) == 30
    assert {str(i).replace("-", "") for i in all_ids} == {i.replace("-", "") for i in server_side}


def test_a_cursor_from_another_database_resets_the_device(client, demo, app):
    office = login(client, "office")
    _, _, cursor, _ = follow(client, office)
    with app.app_context():
        db.session.execute(sa.update(SyncState).values(epoch="restored-from-backup"))
        db.session.commit()
    page = sync(client, office, cursor)
    assert page["reset"] is True and page["changes"]  # and the device is sent its scope again


def test_a_cursor_from_before_the_scope_changed_resets_the_device(client, demo, app):
    grid = login(client, "gridworker")
    _, _, cursor, _ = follow(client, grid)
    with app.app_context():
        from server.models import Area

        worker = db.session.scalar(sa.select(User).filter_by(username="gridworker"))
        worker.grids.append(db.session.scalar(sa.select(Area).filter_by(code="110112004001G01")))
        db.session.commit()
    assert sync(client, grid, cursor)["reset"] is True


def _signed(app, position, key="test-secret"):
    from itsdangerous import URLSafeSerializer

    return URLSafeSerializer(key, salt="sync-cursor").dumps(position)


@pytest.mark.parametrize(
    "spoil",
    [
        lambda cursor, app: cursor[:-3] + ("AAA" if not cursor.endswith("AAA") else "BBB"),
        lambda cursor, app: "not-a-cursor",
        lambda cursor, app: _signed(app, {"epoch": "x"}, key="another-server"),
        lambda cursor, app: _signed(app, ["a", "list"]),
        lambda cursor, app: _signed(app, {**_position(app, cursor), "seq": 10**9}),
        lambda cursor, app: _signed(app, {**_position(app, cursor), "seq": "12"}),
        lambda cursor, app: _signed(
            app, {**_position(app, cursor), "phase": "initial", "after": "nope"}
        ),
    ],
    ids=["altered", "garbage", "other-key", "not-a-position", "ahead", "seq-text", "bad-after"],
)
def test_a_cursor_the_server_cannot_use_resets_the_device(client, demo, app, spoil):
    office = login(client, "office")
    held, _, cursor, _ = follow(client, office)
    page = sync(client, office, spoil(cursor, app), limit=1000)
    assert page["reset"] is True
    # Starting over from the answer's cursor gives the device its whole scope again.
    again, _, _, _ = follow(client, office)
    assert set(again) == set(held) and len(again) > 0


def _position(app, cursor):
    from itsdangerous import URLSafeSerializer

    return URLSafeSerializer("test-secret", salt="sync-cursor").loads(cursor)


def test_sync_refuses_bad_bodies(client, demo):
    headers = login(client, "volunteer")
    assert_problem(client.post("/api/v1/sync", json=[1, 2], headers=headers), 422)
    assert_problem(
        client.post(
            "/api/v1/sync", data="{", headers={**headers, "Content-Type": "application/json"}
        ),
        400,
    )
    response = client.post(
        "/api/v1/sync", json={"device_id": "p", "mutations": [{}] * 10_000}, headers=headers
    )
    assert assert_problem(response, 413)["limit"] == 1000
    assert_problem(client.post("/api/v1/sync", json={"device_id": "p"}), 401)


def test_a_large_first_sync_cut_off_at_page_37_resumes_exactly(client, demo, app):
    # 5,000 hazards in pages of 100 here; bench/sync_throughput.py runs 50,000 in pages of 1,000.
    import hashlib
    import uuid
    from datetime import UTC, datetime

    from server.models import Category, Hazard

    with app.app_context():
        reporter = db.session.scalar(sa.select(User.id).filter_by(username="volunteer"))
        category = db.session.scalar(sa.select(Category.id).filter_by(code="other"))
        now = datetime.now(UTC)
        rows = [
            {
                "id": uuid.uuid4(),
                "reporter_id": reporter,
                "category_id": category,
                "description": "批量",
                "lat": 39.9,
                "lon": 116.65,
                "crs": "wgs84",
                "observed_at": now,
                "received_at": now,
                "status": "reported",
                "severity": "general",
                "version": 1,
                "payload_hash": "0" * 64,
                "field_versions": {},
            }
            for _ in range(5_000)
        ]
        db.session.execute(sa.insert(Hazard), rows)
        db.session.commit()
        expected = {str(i) for i in db.session.scalars(sa.select(Hazard.id))}
    office = login(client, "office")
    device, cursor = {}, None
    for _ in range(37):  # then the phone is switched off
        page = sync(client, office, cursor, limit=100)
        for change in page["changes"]:
            assert change["id"] not in device, "sent twice"
            device[change["id"]] = change["version"]
        cursor = page["cursor"]
    held, _, _, pages = follow(client, office, cursor, limit=100)
    for hazard_id, record in held.items():
        assert hazard_id not in device, "sent twice"
        device[hazard_id] = record["version"]
    assert 37 + pages >= 50
    assert len(device) == len(expected) == 5_009
    checksum = hashlib.sha256("".join(sorted(device)).encode()).hexdigest()
    assert checksum == hashlib.sha256("".join(sorted(expected)).encode()).hexdigest()


def test_a_merged_report_follows_the_fate_of_the_hazard_it_joined(client, demo, app):
    """SPEC §3: a merge keeps every reporter, each gets credit; a volunteer sees what
    became of their report, online and on the phone."""
    from datetime import timedelta

    from server.services.workdays import shanghai_today
    from tests.photos import jpeg, sha

    office, fire = login(client, "office"), login(client, "fire")
    add_user(app, "volunteer2", "volunteer", "another-pass-1")
    second_reporter = login(client, "volunteer2", "another-pass-1")
    first = file_report(client, login(client, "volunteer"), grid="110112001002G03")
    second = file_report(client, second_reporter, lat=first["lat"] + 0.00009, lon=first["lon"])
    take(client, office, second["id"], "merge", into=first["id"])
    held, _, cursor, _ = follow(client, second_reporter)
    assert held[second["id"]]["status"] == "duplicate"
    assert held[second["id"]]["outcome"] == {"status": "assigned", "closed_at": None}
    assert first["id"] not in held  # the other report stays out of sight
    for type_, extra in (("accept", {}), ("start", {}), ("rectify", {"photos": [sha(jpeg())]})):
        take(client, fire, first["id"], type_, **extra)
    take(client, office, first["id"], "verify", result="pass")
    closed = take(client, office, first["id"], "close")
    changes = sync(client, second_reporter, cursor)["changes"]
    [pulled] = [c["data"] for c in changes if c["id"] == second["id"]]
    assert pulled["outcome"] == {"status": "closed", "closed_at": closed["closed_at"]}
    online = client.get(f"/api/v1/hazards/{second['id']}", headers=second_reporter).json
    assert online["outcome"]["status"] == "closed" and online["status"] == "duplicate"
    today = shanghai_today()
    period = {"from": today.isoformat(), "to": (today + timedelta(days=1)).isoformat()}
    board = client.get("/api/v1/stats/volunteers", query_string=period, headers=office).json
    credit = {row["username"]: (row["valid"], row["closed"]) for row in board}
    assert credit["volunteer2"] == (1, 1)  # valid, and closed with the hazard it joined
