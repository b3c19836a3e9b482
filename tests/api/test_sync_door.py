"""The sync door applies the HTTP door's rules, and bad data never blocks a phone (SPEC §9).

Whatever a mutation carries, it gets an answer the device can act on and keep:
a refused one is `rejected` with reasons a person reads, its resend gets the
same answer, and the device's next mutation goes through.
"""

import json
import uuid

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.sync import TYPES
from server.extensions import db
from server.models import Hazard, HazardEvent, SyncReceipt
from tests.api.test_sync_push import NOW, count, create, step
from tests.helpers import login, report_body

ANSWERS = {"applied", "duplicate", "conflict", "rejected"}


def send(client, headers, mutations, device="phone-1"):
    """Push mutations as a phone sends them (JSON text, escapes and all); return the answer."""
    body = json.dumps({"device_id": device, "mutations": mutations})  # \\u0000, \\ud800 escaped
    return client.post(
        "/api/v1/sync", data=body, headers={**headers, "Content-Type": "application/json"}
    )


def results(client, headers, mutations, device="phone-1"):
    response = send(client, headers, mutations, device)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json["results"]


def update(seq, hazard_id, **data):
    """A reporter's correction (hazard.update) made from version 1."""
    mutation = step(seq, hazard_id, "update", **data)
    mutation["base_version"] = 1
    return mutation


@pytest.fixture
def own_report(client, demo):
    """A report the grid worker filed offline, and their headers."""
    grid = login(client, "gridworker")
    first = create(1)
    assert results(client, grid, [first])[0]["status"] == "applied"
    return first["entity_id"], grid


BAD_CORRECTIONS = [
    ({"lat": "abc"}, "data.lat", "必须是数字"),
    ({"lat": 95}, "data.lat", "必须在 -90 到 90 之间"),
    ({"description": ""}, "data.description", "不能为空"),
    ({"description": "堵" * 50_000}, "description", "最多 2000 个字符"),
    ({"description": "消防通道\x00堵塞"}, "data.description", None),
    ({"description": "消防通道\ud800堵塞"}, "data.description", None),
    ({"address": {"楼": 3}}, "data.address", "不是有效的文本"),
    ({"accuracy_m": 2**70}, "data.accuracy_m", None),
    ({"colour": "red"}, "data.colour", "未知字段"),
    ({}, "data", None),
]


@pytest.mark.parametrize(("data", "field", "chinese"), BAD_CORRECTIONS)
def test_a_bad_correction_is_rejected_the_same_on_resend_and_blocks_nothing(
    client, app, own_report, data, field, chinese
):
    hazard_id, grid = own_report
    batch = [update(2, hazard_id, **data), step(3, hazard_id, "comment", note="已到现场")]
    first = results(client, grid, batch)
    assert [r["status"] for r in first] == ["rejected", "applied"]
    refused = first[0]
    assert field in refused["errors"], refused
    assert refused["reason"] and refused["reason_zh"] and "{" not in refused["reason"]
    if chinese:
        assert chinese in refused["reason_zh"]
    # Sent again (the phone never heard the answer): the same answers, nothing new.
    again = results(client, grid, batch)
    assert [r["status"] for r in again] == ["duplicate", "duplicate"]
    assert again[0]["original"] == refused
    with app.app_context():
        hazard = db.session.get(Hazard, uuid.UUID(hazard_id))
        assert hazard.description == "离线上报：消防通道堵塞" and hazard.version == 3


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"description": "堵" * 50_000}, "description"),
        ({"description": "通道\x00堵塞"}, "data.description"),
        ({"address": "3号楼\udc00"}, "data.address"),
        ({"lat": 2**80}, "data.lat"),
        ({"observed_at": "yesterday"}, "data.observed_at"),
    ],
)
def test_a_report_the_http_door_refuses_is_refused_by_sync_too(client, app, demo, data, field):
    grid = login(client, "gridworker")
    http = client.post(
        "/api/v1/hazards",
        data=json.dumps(report_body(**data)),
        headers={**grid, "Content-Type": "application/json"},
    )
    assert http.status_code == 422
    [refused, applied] = results(client, grid, [create(1, **data), create(2)])
    assert refused["status"] == "rejected" and field in refused["errors"]
    assert applied["status"] == "applied"
    assert count(app, Hazard, Hazard.description.like("堵堵%")) == 0


@pytest.mark.parametrize(
    ("mutation", "field"),
    [
        ({"data": {"note": {"text": "对象"}}}, "data.note"),
        ({"data": {"note": "好\x00"}}, "data.note"),
        ({"data": {"until": "2026-13-45"}}, "data.until"),
        ({"data": {"into": "not-a-uuid"}}, "data.into"),
        ({"data": "a note"}, "data"),
        ({"base_version": 2**64}, "base_version"),
        ({"base_version": 2**31}, "base_version"),
        ({"id": "not-a-uuid"}, "id"),
        ({"entity_id": 12}, "entity_id"),
        ({"occurred_at": "\ud83d"}, "occurred_at"),
        ({"type": "hazard.teleport"}, "type"),
        ({"photos": ["\x00" * 64]}, "photos.0"),
    ],
)
def test_a_bad_step_is_rejected_and_the_next_goes_through(client, app, own_report, mutation, field):
    hazard_id, grid = own_report
    bad = step(2, hazard_id, "comment", note="好")
    bad.update(mutation)
    [refused, applied] = results(client, grid, [bad, step(3, hazard_id, "comment", note="二")])
    assert refused["status"] == "rejected" and field in refused["errors"], refused
    assert applied["status"] == "applied"
    with app.app_context():
        receipt = db.session.get(SyncReceipt, (2, "phone-1", 2))
        assert receipt is not None and receipt.status == "rejected"
    assert count(app, HazardEvent, HazardEvent.type == "comment") == 1


def test_a_mutation_without_a_usable_seq_refuses_the_batch_whole(client, own_report):
    hazard_id, grid = own_report
    for seq in (0, -1, 2**63, "2", None, 2.0):
        response = send(client, grid, [dict(step(2, hazard_id, "comment", note="好"), seq=seq)])
        assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert results(client, grid, [step(2, hazard_id, "comment", note="好")])[0]["status"] == (
        "applied"
    )


# Arbitrary JSON, with the values that broke the door before: NUL, lone
# surrogates, integers past 64 bits, objects where text belongs.
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from(["\x00", "a\ud800b", "\udfff", "", " ", "2026-06-03T09:15:00+08:00"]),
    st.sampled_from(["fire_lane_blocked", "pass", "fail", "fire-rescue", "major", "na"]),
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
FIELDS = (
    "category description lat lon accuracy_m crs address observed_at photos note result "
    "department into until other severity place template version started_at finished_at "
    "answers name type code"
).split()
DATA = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=6), JSON, max_size=6) | JSON


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(kind=st.sampled_from(TYPES), data=DATA, on_own=st.booleans())
def test_any_data_in_any_mutation_gets_an_answer_and_never_blocks_the_device(
    client, own_report, kind, data, on_own
):
    hazard_id, grid = own_report
    seq = _next_seq(client, grid)
    target = hazard_id if on_own else str(uuid.uuid4())
    arbitrary = {
        "seq": seq,
        "id": str(uuid.uuid4()),
        "type": kind,
        "entity_id": target,
        "data": data,
        "photos": [],
        "occurred_at": NOW.isoformat(),
    }
    follow = step(seq + 1, hazard_id, "comment", note="跟进")
    response = send(client, grid, [arbitrary, follow])
    assert response.status_code == 200, response.get_data(as_text=True)
    answers = response.json["results"]
    assert {a["status"] for a in answers} <= ANSWERS
    assert answers[1]["status"] == "applied"  # the device moves on
    if answers[0]["status"] == "rejected":
        assert answers[0]["reason"] and answers[0]["reason_zh"]
    again = send(client, grid, [arbitrary, follow])
    assert again.status_code == 200
    assert [a["status"] for a in again.json["results"]] == ["duplicate", "duplicate"]
    assert again.json["results"][0]["original"] == answers[0]


def _next_seq(client, headers):
    """Return the seq after the last one the server has answered for this device."""
    with client.application.app_context():
        last = db.session.scalar(
            sa.select(sa.func.max(SyncReceipt.seq)).where(SyncReceipt.device_id == "phone-1")
        )
    return (last or 0) + 1


def test_a_refusal_by_the_rules_reads_as_a_sentence_not_a_dict(client, demo):
    grid = login(client, "gridworker")
    [refused] = results(client, grid, [create(1, category="ufo")])
    assert refused["status"] == "rejected" and refused["code"] == "invalid_input"
    assert refused["reason"] == "unknown hazard category (category: unknown category 'ufo')"
    assert refused["reason_zh"] == "数据不符合规则（category: 未知的隐患类别 'ufo'）"
    assert refused["errors"] == {"category": ["unknown category 'ufo'"]}


@pytest.mark.parametrize("mutations", [5, True, "many", {"seq": 1}, None])
def test_a_batch_that_is_not_a_list_is_refused_with_its_reason(client, demo, mutations):
    response = client.post(
        "/api/v1/sync",
        json={"device_id": "p", "mutations": mutations},
        headers=login(client, "gridworker"),
    )
    assert response.status_code == 422 and "mutations" in response.json["errors"]
