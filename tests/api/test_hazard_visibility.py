"""Who sees which hazards, who learns who reported them, and list filters and paging."""

import pytest

from server.demo import grid_centre
from tests.helpers import (
    GRID_OF_GRIDWORKER,
    OTHER_GRID,
    add_user,
    assert_problem,
    file_report,
    login,
    take,
)

REPORTER_SECRETS = ("volunteer", "王志愿", "13800000001")


@pytest.fixture
def scene(client, demo):
    """Reports from two volunteers in two grids, of a fire and a gas category."""
    add_user(client.application, "volunteer2", "volunteer", "another-pass-1", phone="13900000009")
    names = ("volunteer", "gridworker", "fire", "zhongcang", "office")
    client_headers = {name: login(client, name) for name in names}
    client_headers["volunteer2"] = login(client, "volunteer2", password="another-pass-1")
    v = client_headers["volunteer"]
    v2 = client_headers["volunteer2"]
    hazards = {
        "mine_fire_in_grid": file_report(client, v, grid=GRID_OF_GRIDWORKER),
        "mine_gas_elsewhere": file_report(
            client, v, grid=OTHER_GRID, category="gas_no_alarm_or_valve"
        ),
        "theirs_fire_in_grid": file_report(client, v2, grid=GRID_OF_GRIDWORKER),
        "theirs_gas_elsewhere": file_report(
            client, v2, grid=OTHER_GRID, category="gas_no_alarm_or_valve"
        ),
    }
    return client_headers, {name: h["id"] for name, h in hazards.items()}


def visible_ids(client, headers, query=""):
    """Return the ids of every hazard the caller can list, walking all pages."""
    ids, cursor = [], None
    while True:
        url = f"/api/v1/hazards?limit=3{query}" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=headers)
        assert page.status_code == 200, page.json
        ids += [item["id"] for item in page.json["items"]]
        cursor = page.json["next"]
        if cursor is None:
            return ids


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("volunteer", {"mine_fire_in_grid", "mine_gas_elsewhere"}),
        ("volunteer2", {"theirs_fire_in_grid", "theirs_gas_elsewhere"}),
        ("gridworker", {"mine_fire_in_grid", "theirs_fire_in_grid"}),
        ("fire", {"mine_fire_in_grid", "theirs_fire_in_grid"}),
        ("zhongcang", {"mine_fire_in_grid", "theirs_fire_in_grid"}),
        (
            "office",
            {
                "mine_fire_in_grid",
                "mine_gas_elsewhere",
                "theirs_fire_in_grid",
                "theirs_gas_elsewhere",
            },
        ),
    ],
)
def test_each_role_lists_and_reads_exactly_its_scope(client, scene, who, sees):
    headers, ids = scene
    listed = set(visible_ids(client, headers[who])) & set(ids.values())
    assert listed == {ids[name] for name in sees}
    for name, hazard_id in ids.items():
        response = client.get(f"/api/v1/hazards/{hazard_id}", headers=headers[who])
        if name in sees:
            assert response.status_code == 200
        else:
            assert_problem(response, 404)  # as if it did not exist


@pytest.mark.parametrize("who", ["gridworker", "fire", "zhongcang", "volunteer2"])
def test_nobody_but_the_office_learns_who_reported(client, scene, who):
    headers, ids = scene
    for hazard_id in (ids["mine_fire_in_grid"],):
        response = client.get(f"/api/v1/hazards/{hazard_id}", headers=headers[who])
        if response.status_code == 404:
            continue
        assert response.json["reporter"] is None
        text = response.get_data(as_text=True)
        assert not any(secret in text for secret in REPORTER_SECRETS)
    listing = client.get("/api/v1/hazards?limit=200", headers=headers[who]).get_data(as_text=True)
    assert not any(secret in listing for secret in ("王志愿", "13800000001"))


@pytest.mark.parametrize("who", ["gridworker", "fire", "zhongcang"])
def test_the_history_does_not_name_the_reporter_through_their_comments(client, scene, who):
    headers, ids = scene
    hazard_id = ids["mine_fire_in_grid"]
    take(client, headers["volunteer"], hazard_id, "comment", note="物业已联系，尚未处理")
    take(client, headers["fire"], hazard_id, "comment", note="已安排人员")
    url = f"/api/v1/hazards/{hazard_id}/events"
    history = client.get(url, headers=headers[who])
    assert history.status_code == 200
    assert not any(secret in history.get_data(as_text=True) for secret in REPORTER_SECRETS)
    actors = [(e["type"], e["note"], e["actor"]) for e in history.json]
    assert ("comment", "物业已联系，尚未处理", None) in actors
    assert ("comment", "已安排人员", "fire") in actors  # the department's own staff stay named
    office = client.get(url, headers=headers["office"]).json
    assert ("comment", "物业已联系，尚未处理", "volunteer") in [
        (e["type"], e["note"], e["actor"]) for e in office
    ]


def test_office_sees_the_reporter_and_the_reporter_sees_themselves(client, scene):
    headers, ids = scene
    url = f"/api/v1/hazards/{ids['mine_fire_in_grid']}"
    office_view = client.get(url, headers=headers["office"]).json
    assert office_view["reporter"] == {
        "username": "volunteer",
        "display_name": "王志愿",
        "phone": "13800000001",
        "role": "volunteer",
    }
    own_view = client.get(url, headers=headers["volunteer"]).json
    assert own_view["reporter"]["username"] == "volunteer" and own_view["mine"] is True


def test_filters_narrow_the_list(client, scene):
    headers, ids = scene
    office = headers["office"]
    gas = set(visible_ids(client, office, "&category=gas_no_alarm_or_valve")) & set(ids.values())
    assert gas == {ids["mine_gas_elsewhere"], ids["theirs_gas_elsewhere"]}
    street = set(visible_ids(client, office, "&street=110112001")) & set(ids.values())
    assert street == {ids["mine_fire_in_grid"], ids["theirs_fire_in_grid"]}
    dept = set(visible_ids(client, office, "&department=urban-mgmt")) & set(ids.values())
    assert dept == {ids["mine_gas_elsewhere"], ids["theirs_gas_elsewhere"]}
    lat, lon = grid_centre(OTHER_GRID)
    bbox = f"&bbox={lon - 0.001},{lat - 0.001},{lon + 0.001},{lat + 0.001}"
    assert set(visible_ids(client, office, bbox)) == {
        ids["mine_gas_elsewhere"],
        ids["theirs_gas_elsewhere"],
    }
    assert set(visible_ids(client, office, "&status=assigned")) >= set(ids.values())
    assert visible_ids(client, office, "&status=reported") == []
    assert visible_ids(client, office, "&status=closed,invalid") == []
    assert visible_ids(client, office, "&since=2999-01-01T00:00:00%2B08:00") == []
    assert len(visible_ids(client, office, "&since=2000-01-01T00:00:00%2B08:00")) == 13


def test_pages_walk_every_hazard_once_newest_first(client, scene):
    headers, ids = scene
    walked = visible_ids(client, headers["office"])
    assert len(walked) == len(set(walked)) == 13  # 9 demo reports + 4 of the scene
    newest_first = list(ids.values())[::-1]
    assert walked[:4] == newest_first


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=1000", "limit"),
        ("limit=many", "limit"),
        ("status=lost", "status"),
        ("bbox=1,2,3", "bbox"),
        ("bbox=10,50,5,40", "bbox"),
        ("bbox=a,b,c,d", "bbox"),
        ("since=last-week", "since"),
        ("cursor=%%%notbase64", "cursor"),
        ("cursor=WyJ4Il0", "cursor"),
        ("colour=red", "colour"),
    ],
)
def test_bad_list_query_is_refused_by_field(client, demo, query, field):
    response = client.get(f"/api/v1/hazards?{query}", headers=login(client, "office"))
    assert field in assert_problem(response, 422)["errors"]
