"""Text with NUL or unpaired surrogates, JSON nested too deep, and numbers out of range
are refused with a 4xx saying what was wrong, at every door (issue #12)."""

import json
import uuid

import pytest

from schemas.common import INTEGER_MESSAGE, KEY_MESSAGE, NUL_MESSAGE, SURROGATE_MESSAGE
from tests.helpers import assert_problem, file_report, login, report_body

NUL, SURROGATE = "\x00", "\ud800"
UNSAFE = [
    pytest.param(NUL, NUL_MESSAGE, id="nul"),
    pytest.param(SURROGATE, SURROGATE_MESSAGE, id="lone-surrogate"),
]


def post_raw(client, path, body, headers=None):
    """POST `body` as JSON text with \\u escapes, as a phone could send it (Flask's own
    encoder cannot write an unpaired surrogate)."""
    return client.post(
        path, data=json.dumps(body), content_type="application/json", headers=headers or {}
    )


def step_body(**fields):
    return {"id": str(uuid.uuid4()), "type": "comment", **fields}


BODY_TEXT = [
    # (who, path, body with "{}" where the bad text goes, the field named in the answer)
    ("volunteer", "/api/v1/hazards", lambda t: report_body(description=f"占道{t}"), "description"),
    ("volunteer", "/api/v1/hazards", lambda t: report_body(address=t), "address"),
    (
        "office",
        "/api/v1/routing-rules",
        lambda t: {"category": t, "department": "fire"},
        "category",
    ),
    (
        "office",
        "/api/v1/users",
        lambda t: {"username": f"u{t}", "password": "long-enough", "role": "volunteer"},
        "username",
    ),
    (
        "office",
        "/api/v1/checklists",
        lambda t: {
            "code": "c1",
            "name": "清单",
            "items": [{"code": "i1", "question": t, "category": "fire_lane_blocked"}],
        },
        "items.0.question",
    ),
]


@pytest.mark.parametrize(("text", "message"), UNSAFE)
@pytest.mark.parametrize(("who", "path", "body", "field"), BODY_TEXT)
def test_unsafe_text_in_a_body_is_refused_by_field(
    client, demo, who, path, body, field, text, message
):
    response = post_raw(client, path, body(text), login(client, who))
    assert assert_problem(response, 422)["errors"] == {field: [message]}


@pytest.mark.parametrize(("text", "message"), UNSAFE)
def test_unsafe_text_in_a_step_note_is_refused(client, demo, text, message):
    volunteer = login(client, "volunteer")
    hazard = file_report(client, volunteer)
    response = post_raw(
        client, f"/api/v1/hazards/{hazard['id']}/events", step_body(note=f"补充{text}"), volunteer
    )
    assert assert_problem(response, 422)["errors"] == {"note": [message]}


@pytest.mark.parametrize(("text", "message"), UNSAFE)
@pytest.mark.parametrize("field", ["username", "password", "device_name"])
def test_unsafe_text_in_the_sign_in_is_refused(client, demo, field, text, message):
    body = {"username": "volunteer", "password": "demo-pass-2026", "device_name": "phone"}
    body[field] += text
    response = post_raw(client, "/api/v1/auth/tokens", body)
    assert assert_problem(response, 422)["errors"] == {field: [message]}


@pytest.mark.parametrize(("text", "message"), UNSAFE)
def test_unsafe_text_in_an_object_key_is_refused_without_echoing_it(client, demo, text, message):
    response = post_raw(
        client, "/api/v1/hazards", report_body(**{f"x{text}": 1}), login(client, "volunteer")
    )
    errors = assert_problem(response, 422)["errors"]
    assert errors == {f"x\\u{ord(text):04x}": [KEY_MESSAGE]}


@pytest.mark.parametrize(
    ("who", "query", "field"),
    [
        ("volunteer", "hazards?category=%00", "category"),
        ("volunteer", "hazards?street=a%00b", "street"),
        ("volunteer", "places?area=%00", "area"),
        ("office", "users?after=%00", "after"),
        ("office", "stats/summary?from=2026-01-01&to=2026-02-01&department=%00", "department"),
        ("fire", "queue?cursor=%00", "cursor"),
    ],
)
def test_nul_in_a_query_string_is_refused_by_field(client, demo, who, query, field):
    response = client.get(f"/api/v1/{query}", headers=login(client, who))
    assert assert_problem(response, 422)["errors"] == {field: [NUL_MESSAGE]}


def test_a_query_string_cannot_carry_a_lone_surrogate(client, demo):
    # Its UTF-8 bytes are invalid and decode as replacement characters: no such category.
    response = client.get("/api/v1/hazards?category=%ED%A0%80", headers=login(client, "volunteer"))
    assert response.status_code == 200 and response.json["items"] == []


@pytest.mark.parametrize("path", ["/api/v1/users/a%00b", "/api/v1/categories/%00"])
def test_nul_in_a_path_is_no_such_record(client, demo, path):
    response = client.patch(path, json={}, headers=login(client, "office"))
    assert "NUL" in assert_problem(response, 404)["detail"]


def test_nul_in_a_bearer_token_is_just_a_wrong_token(client, demo):
    assert_problem(client.get("/api/v1/me", headers={"Authorization": "Bearer a\x00b"}), 401)


DEEP = "[" * 1000 + "]" * 1000


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/auth/tokens",
        "/api/v1/hazards",
        "/api/v1/sync",
        "/api/v1/areas/import",
        "/api/v1/places/import",
        "/api/v1/routing-rules",
    ],
)
def test_json_nested_a_thousand_deep_is_refused_before_any_view(client, demo, path):
    response = client.post(
        path, data=DEEP, content_type="application/json", headers=login(client, "office")
    )
    body = assert_problem(response, 400)
    assert body["limit"] == 32 and "nested deeper than 32" in body["detail"]


def test_a_deep_object_inside_a_sync_mutation_is_refused_too(client, demo):
    data = {"note": "x"}
    for _ in range(40):
        data = {"inner": data}
    mutation = {
        "seq": 1,
        "id": str(uuid.uuid4()),
        "type": "hazard.comment",
        "entity_id": str(uuid.uuid4()),
        "data": data,
        "occurred_at": "2026-06-03T09:15:00+08:00",
    }
    response = client.post(
        "/api/v1/sync",
        json={"device_id": "phone", "mutations": [mutation]},
        headers=login(client, "volunteer"),
    )
    assert assert_problem(response, 400)["limit"] == 32


def test_the_nesting_limit_is_a_setting(app_with):
    client = app_with(JSON_MAX_DEPTH=2).test_client()
    headers = login(client, "volunteer")
    response = client.post("/api/v1/hazards", json={"a": [[1]]}, headers=headers)
    assert assert_problem(response, 400)["limit"] == 2
    assert client.post("/api/v1/hazards", json=report_body(), headers=headers).status_code == 201


@pytest.mark.parametrize(("who", "path"), [("volunteer", "hazards"), ("fire", "queue")])
def test_an_empty_cursor_is_refused_not_a_server_error(client, demo, who, path):
    response = client.get(f"/api/v1/{path}?cursor=", headers=login(client, who))
    assert "cursor" in assert_problem(response, 422)["errors"]


HUGE = 2**64


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "field"),
    [
        ("patch", f"/api/v1/routing-rules/{HUGE}", {"priority": 1}, 404, None),
        ("delete", f"/api/v1/routing-rules/{2**40}", None, 404, None),
        ("delete", f"/api/v1/users/office/devices/{2**63}", None, 404, None),
        ("get", f"/api/v1/checklists/fire-lanes/versions/{2**40}", None, 404, None),
        (
            "post",
            "/api/v1/routing-rules",
            {"category": "fire_lane_blocked", "department": "fire-rescue", "priority": HUGE},
            422,
            "priority",
        ),
        (
            "post",
            "/api/v1/routing-rules",
            {"category": "fire_lane_blocked", "department": "fire-rescue", "priority": 2**40},
            422,
            "priority",
        ),
        (
            "post",
            "/api/v1/routing-rules",
            {"category": "fire_lane_blocked", "department": "fire-rescue", "priority": 1.5},
            422,
            "priority",
        ),
        ("get", f"/api/v1/places?page={2**62}", None, 422, "page"),
        ("get", f"/api/v1/places?page={HUGE}", None, 422, "page"),
    ],
)
def test_numbers_out_of_range_in_office_endpoints_are_refused(
    client, demo, method, path, body, status, field
):
    response = getattr(client, method)(path, json=body, headers=login(client, "office"))
    problem = assert_problem(response, status)
    if field:
        assert field in problem["errors"]
    else:
        assert "at most 2147483647" in problem["detail"]


def test_an_integer_past_64_bits_in_a_body_is_refused_with_the_range(client, demo):
    volunteer = login(client, "volunteer")
    hazard = file_report(client, volunteer)
    response = client.post(
        f"/api/v1/hazards/{hazard['id']}/events",
        json=step_body(note="补充", base_version=HUGE),
        headers=volunteer,
    )
    assert assert_problem(response, 422)["errors"] == {"base_version": [INTEGER_MESSAGE]}


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/routing-rules", {"category": "", "department": "fire-rescue"}, "category"),
        (
            "/api/v1/routing-rules",
            {"category": "fire_lane_blocked", "department": ""},
            "department",
        ),
        (
            "/api/v1/routing-rules",
            {"category": "fire_lane_blocked", "department": "fire-rescue", "area": ""},
            "area",
        ),
        (
            "/api/v1/categories",
            {"code": "new_kind", "name": "新", "department": "", "deadline_days": 5},
            "department",
        ),
    ],
)
def test_empty_codes_are_unknown_codes(client, demo, path, body, field):
    response = client.post(path, json=body, headers=login(client, "office"))
    assert field in assert_problem(response, 422)["errors"]


def test_a_week_past_the_last_date_is_refused(client, demo):
    response = client.get("/api/v1/stats/weekly.csv?week=9999-W52", headers=login(client, "office"))
    assert assert_problem(response, 422)["errors"] == {"week": ["must end by 9999-12-31"]}


def test_a_period_from_the_first_day_there_is_has_figures(client, demo):
    response = client.get(
        "/api/v1/stats/summary?from=0001-01-01&to=0001-02-01", headers=login(client, "office")
    )
    assert response.status_code == 200 and response.json["total"]["reported"] == 0


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ({"type": "FeatureCollection", "features": [[None, None]]}, "application/json"),
        ({"type": "FeatureCollection", "features": {}}, "application/json"),
        (
            {"type": "FeatureCollection", "features": [{"properties": {"code": ["x"]}}]},
            "application/json",
        ),
        ("{}", "text/csv"),
    ],
)
def test_a_malformed_places_import_is_refused(client, demo, body, content_type):
    data = body if isinstance(body, str) else json.dumps(body)
    response = client.post(
        "/api/v1/places/import",
        data=data,
        content_type=content_type,
        headers=login(client, "office"),
    )
    assert_problem(response, 422)


@pytest.mark.parametrize(
    "feature",
    [
        ["not", "a", "feature"],
        {"type": "Feature", "properties": ["code"], "geometry": None},
        {"type": "Feature", "properties": {"code": ["x"], "name": "n", "level": ["grid"]}},
        {  # longer than the column holds
            "type": "Feature",
            "properties": {"code": "x" * 41, "name": "n", "level": "grid"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[116.6, 39.9], [116.61, 39.9], [116.61, 39.91], [116.6, 39.9]]],
            },
        },
    ],
)
def test_a_malformed_areas_import_is_refused(client, demo, feature):
    response = client.post(
        "/api/v1/areas/import",
        json={"type": "FeatureCollection", "features": [feature]},
        headers=login(client, "office"),
    )
    assert_problem(response, 422)


def test_errors_of_a_list_and_of_its_order_are_answered_together(client, demo):
    # Per-item errors are keyed 0, 1, … beside the batch's own "_schema" error.
    mutations = [
        {
            "seq": 2,
            "id": "not-a-uuid",
            "type": "hazard.comment",
            "entity_id": str(uuid.uuid4()),
            "occurred_at": "2026-06-03T09:15:00+08:00",
        },
        {
            "seq": 1,
            "id": str(uuid.uuid4()),
            "type": "hazard.comment",
            "entity_id": str(uuid.uuid4()),
            "occurred_at": "2026-06-03T09:15:00+08:00",
        },
    ]
    response = client.post(
        "/api/v1/sync",
        json={"device_id": "phone", "mutations": mutations},
        headers=login(client, "volunteer"),
    )
    errors = assert_problem(response, 422)["errors"]["mutations"]
    # A bad id is that mutation's own refusal, answered once the batch is in order;
    # an order the server cannot follow refuses the batch.
    assert errors == ["seq must increase through the batch"]


def test_a_photo_labelled_as_json_is_judged_by_its_bytes(client, demo):
    # The nesting check reads JSON bodies, but leaves a photo's bytes to the photo pipeline.
    from tests.photos import jpeg, sha

    data = jpeg()
    response = client.put(
        f"/api/v1/photos/{sha(data)}",
        data=data,
        headers={**login(client, "volunteer"), "Content-Type": "application/json"},
    )
    assert "the bytes are image/jpeg" in assert_problem(response, 415)["detail"]
