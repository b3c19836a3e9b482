"""One error shape for every failure, and the OpenAPI document."""

import marshmallow as ma

from schemas.common import QuerySchema, StrictSchema
from tests.conftest import make_app
from tests.helpers import assert_problem, login


def test_unknown_route_is_problem_json_404(client):
    assert_problem(client.get("/api/v1/nowhere"), 404)


def test_wrong_method_is_problem_json_405_with_allowed_methods(client):
    body = assert_problem(client.delete("/api/v1/hazards"), 405)
    assert body["code"] == "method_not_allowed"


def test_unexpected_failure_is_problem_json_500_without_a_trace(database_url, tmp_path):
    app = make_app(database_url, tmp_path)

    @app.get("/api/v1/boom")
    def boom():
        raise RuntimeError("secret internal detail")

    response = app.test_client().get("/api/v1/boom")
    body = assert_problem(response, 500)
    assert "secret internal detail" not in response.get_data(as_text=True)
    assert body["code"] == "internal_error"


def test_wrong_role_is_problem_json_403(client, demo):
    from tests.helpers import report_body

    response = client.post("/api/v1/hazards", json=report_body(), headers=login(client, "fire"))
    assert assert_problem(response, 403)["code"] == "forbidden"


def test_openapi_document_describes_every_endpoint_from_the_schemas(client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    paths = spec["paths"]
    for path in (
        "/api/v1/auth/tokens",
        "/api/v1/auth/tokens/current",
        "/api/v1/me",
        "/api/v1/hazards",
        "/api/v1/hazards/{hazard_id}",
        "/api/v1/categories",
        "/api/v1/departments",
        "/api/v1/areas",
    ):
        assert path in paths, path
    create = paths["/api/v1/hazards"]["post"]
    assert "201" in create["responses"] and "200" in create["responses"]
    schemas = spec["components"]["schemas"]
    assert {"lat", "lon", "observed_at", "crs"} <= set(schemas["HazardCreate"]["properties"])
    assert set(schemas["HazardCreate"]["required"]) >= {"id", "category", "lat", "lon"}
    assert "Problem" in schemas
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_browsable_docs_load_their_assets_locally(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "/api/v1/docs/assets/swagger-ui-bundle.js" in html
    asset = client.get("/api/v1/docs/assets/swagger-ui-bundle.js")
    assert asset.status_code == 200 and len(asset.data) > 100_000
    asset.close()


def _operations(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method != "parameters":
                yield f"{method.upper()} {path}", operation


def test_every_operation_has_its_own_operation_id(client):
    spec = client.get("/api/v1/openapi.json").json
    ids = [operation.get("operationId") for _, operation in _operations(spec)]
    assert None not in ids and len(ids) == len(set(ids))
    assert dict(_operations(spec))["GET /api/v1/hazards/{hazard_id}"]["operationId"] == (
        "getHazardDetail"
    )


def test_every_error_answer_is_declared_as_problem_json(client):
    spec = client.get("/api/v1/openapi.json").json
    components = spec["components"]["responses"]
    for name, operation in _operations(spec):
        errors = {s: r for s, r in operation["responses"].items() if not s.startswith("2")}
        assert "default" in errors, name
        for status, response in errors.items():
            response = components[response["$ref"].rpartition("/")[2]]
            assert response["content"] == {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            }, (name, status)


def test_the_document_states_the_limits_the_server_enforces(client):
    spec = client.get("/api/v1/openapi.json").json
    schemas, paths = spec["components"]["schemas"], spec["paths"]
    assert schemas["Step"]["properties"]["base_version"]["format"] == "int64"
    assert schemas["RuleCreate"]["properties"]["priority"]["maximum"] == 2**31 - 1
    assert schemas["HazardCreate"]["properties"]["address"]["pattern"] == "^[^\\u0000]*$"
    [rule_id] = paths["/api/v1/routing-rules/{rule_id}"]["parameters"]
    assert rule_id["schema"]["maximum"] == 2**31 - 1
    assert "NUL" in spec["info"]["description"]


def _request_schemas(schema):
    yield schema
    for field in schema.fields.values():
        inner = getattr(field, "inner", field)
        if isinstance(inner, ma.fields.Nested):
            yield from _request_schemas(inner.schema)


def test_every_request_schema_refuses_unsafe_values(app):
    for endpoint, view in app.view_functions.items():
        view_class = getattr(view, "view_class", None)
        for method in getattr(view_class, "methods", None) or ():
            doc = getattr(getattr(view_class, method.lower()), "_apidoc", {})
            for parameter in doc.get("arguments", {}).get("parameters", []):
                base = QuerySchema if parameter["in"] == "query" else StrictSchema
                for schema in _request_schemas(parameter["schema"]()):
                    assert isinstance(schema, base), (endpoint, method, schema)
