"""The API against its own OpenAPI document, by generated requests, on both databases.

schemathesis reads /api/v1/openapi.json and, for every operation, sends requests the
document calls valid (positive) and invalid (negative), as a volunteer and as the
office, to the demo district. Every answer must be below 500, an error must be
application/problem+json, every answer must be one the document declares, an invalid
request must be refused, and a valid one must not be refused for its form.

A valid request may still be refused for what it names or what it asks (an unknown
category, a period that ends before it starts, a photo whose bytes do not match its
name): those answers carry a domain code (`invalid_input`, `not_found`, `conflict`,
…), never the codes of a malformed request (`validation_failed`, `bad_request`,
`unsupported_media_type`).
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from server import create_app
from server.extensions import db
from tests.conftest import copy_demo, empty_all_tables, make_app
from tests.helpers import login

EXAMPLES = 15  # per operation: keeps a run under a minute per database

CONFIG = schemathesis.Config.from_dict(
    {
        # The same cases every run, and no example database written into the checkout.
        "seed": 20260603,
        "generation": {
            "max-examples": EXAMPLES,
            "deterministic": True,
            "database": "none",
            # Each request carries the role's token; signing in is tested on its own.
            "with-security-parameters": False,
        },
        # The coverage phase's fixed boundary cases number thousands and take minutes;
        # random generation, valid and invalid, covers that ground within the budget.
        "phases": {"coverage": {"enabled": False}},
    }
)
# Read from an app on no database: the document does not depend on one.
schema = schemathesis.openapi.from_wsgi(
    "/api/v1/openapi.json",
    create_app({"TESTING": True, "DATABASE_URL": "sqlite://"}),
    config=CONFIG,
)

# HEIC photos are bytes like any other: send them as schemathesis sends JPEG or PNG.
schemathesis.serializer.alias("image/heic", "application/octet-stream")

FORM_REFUSALS = {"bad_request", "unsupported_media_type", "validation_failed"}


@schemathesis.check
def errors_are_problem_json(ctx, response, case):
    """Every error answers application/problem+json with its status in the body."""
    if response.status_code < 400:
        return None
    media_type = response.headers.get("content-type", [""])[0].split(";")[0]
    assert media_type == "application/problem+json", f"an error answered {media_type}"
    body = response.json()
    assert body["status"] == response.status_code, body
    assert body["type"] and body["title"] and body["detail"] and body["code"], body
    return None


@schemathesis.check
def valid_requests_are_not_refused_for_their_form(ctx, response, case):
    """A request the document calls valid is not refused as malformed."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return None
    if response.status_code in (400, 415, 422):
        code = response.json().get("code")
        assert code not in FORM_REFUSALS, f"a valid request was refused: {response.text}"
    return None


# Rules the document states in words, because OpenAPI 3.0 cannot say them in a schema:
# valid requests follow them, as a client reading the descriptions would.


@schema.hook("map_case").apply_to(path_regex=r"/stats/weekly(\.|$)")
def one_period_for_the_weekly_table(ctx, case):
    """Ask the weekly table for a week, or for from and to; not both, not neither."""
    if case.meta.generation.mode.is_positive:
        query = case.query or {}
        if "week" in query:
            query.pop("from", None)
            query.pop("to", None)
        elif not ("from" in query and "to" in query):
            query.pop("from", None)
            query.pop("to", None)
            query["week"] = "2026-W23"
        case.query = query
    return case


@schema.hook("map_case").apply_to(path_regex=r"^/api/v1/hazards(\.geojson|\.xlsx)?$", method="GET")
def bounding_box_and_period_as_described(ctx, case):
    """Give a bounding box its minimum corner first, and a period both its ends."""
    query = case.query or {}
    if case.meta.generation.mode.is_positive and "bbox" in query:
        lon1, lat1, lon2, lat2 = query["bbox"].split(",")
        lons, lats = sorted((lon1, lon2), key=float), sorted((lat1, lat2), key=float)
        query["bbox"] = ",".join((lons[0], lats[0], lons[1], lats[1]))
    if case.meta.generation.mode.is_positive and ("from" in query) != ("to" in query):
        query.pop("from", None)
        query.pop("to", None)
    return case


@schema.hook("map_case").apply_to(path="/api/v1/sync", method="POST")
def mutations_as_a_device_sends_them(ctx, case):
    """Number a device's mutations in increasing seq order, as the protocol requires
    (OpenAPI 3.0 cannot say it). Their data stays as generated: a mutation whose data
    no rule accepts is answered `rejected`, and the batch still answers 200."""
    body = case.body
    if case.meta.generation.mode.is_positive and isinstance(body, dict):
        for seq, mutation in enumerate(body.get("mutations") or [], start=1):
            mutation["seq"] = seq
    return case


@pytest.fixture(scope="module", params=["volunteer", "office"])
def role(request):
    """Who sends the requests; the office may do most, a volunteer least."""
    return request.param


@pytest.fixture(scope="module")
def district(database_url, demo_template, role, tmp_path_factory):
    """The app on a fresh demo district, one per database and role (the office's
    requests change the district; a volunteer's must not meet the office's changes)."""
    app = make_app(database_url, tmp_path_factory.mktemp("conformance"))
    with app.app_context():
        copy_demo(db.session, demo_template)
    yield app
    with app.app_context():
        db.session.rollback()
        empty_all_tables(db.session)
        db.engine.dispose()


@pytest.fixture
def bearer(district, role):
    """A fresh token for each operation: one operation may sign its device out."""
    return login(district.test_client(), role)


@schema.parametrize()
@settings(
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_operation_answers_as_its_document_says(case, district, bearer):
    case.call_and_validate(
        app=district,
        headers=bearer,
        # Replaced by valid_requests_are_not_refused_for_their_form (see the module's doc).
        excluded_checks=[positive_data_acceptance],
    )
