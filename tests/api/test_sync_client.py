"""The reference client plays a whole offline day against the server."""

import pytest

from server.demo import grid_centre
from sync.client import SyncClient, SyncFailed
from tests.helpers import file_report, login, take
from tests.photos import jpeg


class FlaskTransport:
    """The client's transport over the Flask test client, failing when told to."""

    def __init__(self, client, headers, failures=0):
        self.client, self.headers, self.failures, self.calls = client, headers, failures, 0

    def _maybe_fail(self):
        self.calls += 1
        if self.failures:
            self.failures -= 1
            return True
        return False

    def post(self, path, body):
        if self._maybe_fail():
            return 503, None  # the network, or the server, had a bad moment
        response = self.client.post(path, json=body, headers=self.headers)
        return response.status_code, response.json

    def put(self, path, data, content_type):
        if self._maybe_fail():
            raise ConnectionResetError("signal lost")
        response = self.client.put(
            path, data=data, headers={**self.headers, "Content-Type": content_type}
        )
        return response.status_code, response.json


@pytest.fixture
def phone(client, demo, tmp_path):
    transport = FlaskTransport(client, login(client, "gridworker"))
    device = SyncClient(
        str(tmp_path / "phone.sqlite3"), "gridworker-phone", transport, sleep=lambda _: None
    )
    yield device
    device.close()


def test_an_offline_day_syncs_in_full_through_a_flaky_connection(client, demo, phone):
    lat, lon = grid_centre("110112001001G02")
    photo = phone.add_photo(jpeg(lat=lat, lon=lon, make="Redmi"))
    first = phone.report("fire_lane_blocked", "消防通道被占用", lat, lon, photos=[photo])
    second = phone.report("ebike_indoor_charging", "楼道飞线充电", lat + 0.001, lon)
    phone.record("hazard.comment", first, {"note": "已通知物业"})
    # Meanwhile, online, the fire department works a hazard in this grid.
    fire = login(client, "fire")
    online = file_report(client, login(client, "volunteer"), grid="110112001001G02")["id"]
    take(client, fire, online, "accept")
    take(client, fire, online, "start")
    take(client, fire, online, "rectify", photos=["a" * 64])
    phone.transport.failures = 2  # the first two calls fail: the client retries
    phone.sync()
    answers = phone.answers()
    assert [answers[s]["status"] for s in (1, 2, 3)] == ["applied"] * 3
    assert answers[1]["missing_photos"] == []  # the photo went up first
    held = phone.hazards()
    assert {first, second, online} <= set(held)
    assert held[online]["status"] == "rectified"  # ready for the grid worker to verify
    # On site, offline again: the grid worker verifies, then syncs.
    phone.record("hazard.verify", online, {"result": "pass", "note": "现场复核通过"})
    phone.sync()
    assert phone.answers()[4]["status"] == "applied"
    assert phone.hazards()[online]["status"] == "verified"
    assert phone.pending() == []


def test_a_sync_that_cannot_reach_the_server_keeps_everything_for_later(client, demo, phone):
    lat, lon = grid_centre("110112001001G02")
    hazard = phone.report("fire_lane_blocked", "消防通道被占用", lat, lon)
    phone.transport.failures = 100
    with pytest.raises(SyncFailed):
        phone.sync()
    assert [m["entity_id"] for m in phone.pending()] == [hazard]
    phone.transport.failures = 0
    phone.sync()
    assert phone.pending() == [] and hazard in phone.hazards()


def test_an_offline_round_of_inspections_through_the_client(client, demo, phone):
    import uuid
    from datetime import UTC, datetime, timedelta

    office = login(client, "office")
    due = (datetime.now(UTC) + timedelta(days=5)).date().isoformat()
    body = {"title": "餐饮场所燃气检查", "template": "restaurant_gas", "due_on": due,
            "place_types": ["restaurant"], "area": "110112001001G01",
            "assignees": ["gridworker"]}  # fmt: skip
    assert client.post("/api/v1/tasks", json=body, headers=office).status_code == 201
    phone.sync()  # the task comes down with the first sync
    [task] = phone.tasks()
    assert task["total"] == 2 and task["done"] == 0
    lat, lon = grid_centre("110112001001G01")
    photo = phone.add_photo(jpeg(lat=lat, lon=lon, make="Redmi"))
    started = datetime.now(UTC) - timedelta(minutes=25)
    for place in task["places"]:  # both restaurants, offline; one has no shut-off valve
        fails = place == task["places"][0]
        phone.inspect(
            place, "restaurant_gas", 1,
            {"gas_alarm": ("pass", None, ()),
             "shutoff_valve": ("fail" if fails else "pass", "未装切断阀" if fails else None,
                               (photo,) if fails else ()),
             "hose_sound": ("na", None, ()), "legal_supply": ("pass", None, ())},
            started, task=task["id"],
        )  # fmt: skip
    phone.sync()
    answers = phone.answers()
    made = [h for a in answers.values() for h in a.get("hazards", [])]
    assert len(made) == 1 and answers[1]["missing_photos"] == []
    assert made[0] in phone.hazards()  # the new hazard is in the grid worker's scope
    assert phone.hazards()[made[0]]["lead_department"] == "urban-mgmt"
    [task] = phone.tasks()
    assert (task["done"], task["coverage"]["value"]) == (2, 1.0)
    assert uuid.UUID(made[0])


def test_a_cursor_the_server_cannot_use_makes_the_client_start_over(client, demo, phone):
    phone.sync()
    held = set(phone.hazards())
    assert held
    # The stored cursor got damaged (a bad write, an app update gone wrong); a
    # report waits in the outbox meanwhile.
    with phone.db:
        phone._set("cursor", phone._get("cursor")[:-4] + "XXXX")
        # What a reset must clear: a hazard the device should no longer hold.
        phone.db.execute("INSERT INTO hazards (id, version, data) VALUES ('gone', 1, '{}')")
    lat, lon = grid_centre("110112001001G02")
    waiting = phone.report("fire_lane_blocked", "光标损坏期间的上报", lat, lon)
    phone.sync()
    assert set(phone.hazards()) == held | {waiting}
    assert phone.pending() == []
