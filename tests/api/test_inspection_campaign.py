"""A whole inspection campaign (SPEC §10): the office publishes a checklist and a task,
two grid workers inspect offline (one on the older version), failures become hazards
in the right queues, hazards close, a place is re-inspected, and the figures equal
those worked out by hand."""

import io
import uuid
from datetime import UTC, datetime, timedelta

import openpyxl

from server.services.workdays import shanghai_today
from tests.helpers import add_user, login, take
from tests.photos import jpeg, sha

NOW = datetime.now(UTC)
PHOTO = "ab" * 32
V1 = ["fire_lane_clear", "evacuation_clear", "exits_unlocked", "signs_lit", "no_window_bars"]
V2 = [*V1, "fire_door_closed"]


def place(code):
    """The id of a demo place (grid code + P + number)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"place:{code}"))


def inspection(place_code, version, items, fails=(), na=(), follows=None, task=None):
    """An inspection body: every item passes unless named in `fails` or `na`."""
    answers = []
    for item in items:
        answer = "fail" if item in fails else "na" if item in na else "pass"
        answers.append(
            {
                "id": str(uuid.uuid4()),
                "item": item,
                "answer": answer,
                "note": "现场发现" if answer == "fail" else None,
                "photos": [PHOTO] if answer == "fail" else [],
            }
        )
    return {
        "id": str(uuid.uuid4()),
        "place": place(place_code),
        "template": "lifeline",
        "version": version,
        "started_at": (NOW - timedelta(minutes=50)).isoformat(),
        "finished_at": (NOW - timedelta(minutes=30)).isoformat(),
        "answers": answers,
        "lat": 39.93,
        "lon": 116.61,
        "task": task,
        "follows": follows,
    }


def mutation(seq, body):
    return {
        "seq": seq,
        "id": str(uuid.uuid4()),
        "type": "inspection.create",
        "entity_id": body["id"],
        "data": {k: v for k, v in body.items() if k != "id"},
        "occurred_at": body["finished_at"],
    }


def sync(client, headers, mutations, device):
    response = client.post(
        "/api/v1/sync", json={"device_id": device, "mutations": mutations}, headers=headers
    )
    assert response.status_code == 200, response.json
    return response.json


def test_a_whole_campaign(client, demo, app):
    office, fire = login(client, "office"), login(client, "fire")
    add_user(app, "gridworker2", "grid_worker", "pass-2026-x", grid_codes=["110112001002G01"])
    grid1, grid2 = login(client, "gridworker"), login(client, "gridworker2", "pass-2026-x")

    # The office publishes version 2 of the lifeline checklist: one more item.
    v1 = client.get("/api/v1/checklists/lifeline/versions/1", headers=grid1).json
    items = [
        {k: i[k] for k in ("code", "question", "category", "severity", "photo_required")}
        for i in v1["items"]
    ]
    items.append(
        {
            "code": "fire_door_closed",
            "question": "常闭式防火门保持关闭",
            "category": "fire_equipment_damaged",
        }
    )
    body = {"place_types": v1["place_types"], "items": items}
    draft = client.post("/api/v1/checklists/lifeline/versions", json=body, headers=office)
    assert draft.status_code == 201 and draft.json["number"] == 2
    assert draft.json["status"] == "draft"
    published = client.post("/api/v1/checklists/lifeline/versions/2/publish", headers=office)
    assert published.status_code == 200 and published.json["status"] == "published"

    # A task: the residential compounds of 中仓街道 (two in each of its seven grids).
    due = (shanghai_today() + timedelta(days=7)).isoformat()
    task = client.post(
        "/api/v1/tasks",
        json={
            "title": "中仓街道住宅小区生命通道检查",
            "template": "lifeline",
            "due_on": due,
            "place_types": ["residential"],
            "area": "110112001",
            "assignees": ["gridworker", "gridworker2"],
        },
        headers=office,
    ).json
    assert (task["total"], task["done"], task["overdue"]) == (14, 0, False)

    # Grid workers pull their task list through sync.
    [mine] = sync(client, grid1, [], "gw1-phone")["tasks"]
    assert mine["id"] == task["id"] and sorted(mine["places"]) == sorted(task["places"])

    # Grid worker 1 inspects four places offline on version 2 and pushes them at once.
    day = [
        inspection("110112001001G01P01", 2, V2, task=task["id"]),
        inspection("110112001001G01P02", 2, V2, fails=["fire_lane_clear"], task=task["id"]),
        inspection(
            "110112001001G02P01",
            2,
            V2,
            fails=["exits_unlocked", "signs_lit"],
            na=["fire_door_closed"],
            task=task["id"],
        ),
        inspection("110112001001G02P02", 2, V2, na=["evacuation_clear"], task=task["id"]),
    ]
    pushed = [mutation(n + 1, body) for n, body in enumerate(day)]
    results = sync(client, grid1, pushed, "gw1-phone")["results"]
    assert [r["status"] for r in results] == ["applied"] * 4
    assert [len(r["hazards"]) for r in results] == [0, 1, 2, 0]
    assert results[1]["missing_photos"] == [PHOTO]
    # Grid worker 2 is still on version 1.
    older = inspection("110112001002G01P01", 1, V1, fails=["fire_lane_clear", "no_window_bars"])
    [result] = sync(client, grid2, [mutation(1, older)], "gw2-phone")["results"]
    assert result["status"] == "applied" and len(result["hazards"]) == 2

    # A resent push (the answer was lost) makes nothing new.
    again = sync(client, grid1, pushed, "gw1-phone")["results"]
    assert [r["status"] for r in again] == ["duplicate"] * 4
    assert [r["original"] for r in again] == results

    # Each failure is a hazard routed and deadlined like any report, in fire-rescue's queue.
    found = results[1]["hazards"] + results[2]["hazards"] + result["hazards"]
    queue = client.get("/api/v1/queue", headers=fire).json["items"]
    assert set(found) <= {h["id"] for h in queue}
    exits = client.get(f"/api/v1/hazards/{results[2]['hazards'][0]}", headers=office).json
    assert exits["status"] == "assigned" and exits["lead_department"] == "fire-rescue"
    assert exits["severity"] == "major" and exits["deadline"] is not None
    assert exits["place"] == place("110112001001G02P01") and exits["inspection"] == day[2]["id"]
    assert exits["category"] == "evacuation_blocked" and exits["photos"] == [PHOTO]

    # The fire lane at G01P02 is cleared and closed; the place is re-inspected (复查).
    lane = results[1]["hazards"][0]
    for type_, extra in (("accept", {}), ("start", {}), ("rectify", {"photos": [sha(jpeg())]})):
        take(client, fire, lane, type_, **extra)
    take(client, office, lane, "verify", result="pass")
    take(client, office, lane, "close")
    follow_up = inspection("110112001001G01P02", 2, V2, follows=day[1]["id"])
    [again] = sync(client, grid1, [mutation(5, follow_up)], "gw1-phone")["results"]
    assert again["status"] == "applied" and again["hazards"] == []
    stored = client.get(f"/api/v1/inspections/{follow_up['id']}", headers=office).json
    assert stored["follows"] == day[1]["id"] and stored["version"] == 2
    # G02P01 still has open hazards: no re-inspection yet.
    early = inspection("110112001001G02P01", 2, V2, follows=day[2]["id"])
    [refused] = sync(client, grid1, [mutation(6, early)], "gw1-phone")["results"]
    assert refused["status"] == "rejected" and "not all closed" in refused["reason"]

    # Coverage: five of the task's fourteen places inspected.
    [progress] = client.get("/api/v1/tasks", headers=office).json
    assert (progress["done"], progress["total"]) == (5, 14)
    assert progress["coverage"] == {"value": 0.3571, "numerator": 5, "denominator": 14}

    finished = shanghai_today(NOW - timedelta(minutes=30))  # when every inspection finished
    # The figures, worked out by hand from the answers above:
    # passes 6+5+3+5+3+6 = 28, fails 1+2+2 = 5, not applicable 2, hazards 5, inspections 6.
    period = {
        "from": (finished - timedelta(days=1)).isoformat(),
        "to": (finished + timedelta(days=1)).isoformat(),
    }
    figures = client.get(
        "/api/v1/stats/inspections", query_string={**period, "group_by": "grid"}, headers=office
    ).json
    total = figures["total"]
    assert (total["inspections"], total["places_inspected"], total["items_answered"]) == (6, 5, 35)
    assert (total["passed"], total["failed"], total["not_applicable"]) == (28, 5, 2)
    assert total["pass_rate"] == {"value": round(28 / 33, 4), "numerator": 28, "denominator": 33}
    assert total["hazards_found"] == 5
    assert total["hazards_per_inspection"]["value"] == round(5 / 6, 4)
    by_grid = {r["key"]: r for r in figures["rows"]}
    assert {
        k: (r["inspections"], r["places_inspected"], r["passed"], r["failed"], r["hazards_found"])
        for k, r in by_grid.items()
    } == {
        "110112001001G01": (3, 2, 17, 1, 1),
        "110112001001G02": (2, 2, 8, 2, 2),
        "110112001002G01": (1, 1, 3, 2, 2),
    }
    rates = {r["item"]: (r["passed"], r["failed"], r["not_applicable"]) for r in figures["items"]}
    assert rates == {
        "fire_lane_clear": (4, 2, 0),
        "evacuation_clear": (5, 0, 1),
        "exits_unlocked": (5, 1, 0),
        "signs_lit": (5, 1, 0),
        "no_window_bars": (5, 1, 0),
        "fire_door_closed": (4, 0, 1),
    }
    for group_by, key in (
        ("street", "110112001"),
        ("week", (finished - timedelta(days=finished.weekday())).isoformat()),
    ):
        [row] = client.get(
            "/api/v1/stats/inspections",
            query_string={**period, "group_by": group_by},
            headers=office,
        ).json["rows"]
        assert row["key"] == key and row["inspections"] == 6 and row["passed"] == 28
    [coverage] = figures["tasks"]
    assert coverage["coverage"]["value"] == 0.3571

    # The weekly export carries the same figures on its own sheet.
    week = "{}-W{:02d}".format(*finished.isocalendar()[:2])
    xlsx = client.get("/api/v1/stats/weekly.xlsx", query_string={"week": week}, headers=office)
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.data))["检查情况"]
    header = [c.value for c in sheet[2]]
    assert header[:3] == ["街道乡镇", "检查场所数", "检查次数"]
    street, totals = [c.value for c in sheet[3]], [c.value for c in sheet[sheet.max_row]]
    assert street[0] == "中仓街道" and totals[0] == "合计"
    assert totals[1:7] == [5, 6, 35, 28, 5, 2]
    assert totals[7] == round(28 / 33, 4) and totals[8] == 5
