"""The OpenAPI document's house rules, applied once for every operation: errors are
application/problem+json, each operation has an operationId, and integers and text are
declared as narrowly as the server enforces them (64 bits; no NUL)."""

import http
from typing import Any

import marshmallow as ma
from apispec import BasePlugin
from flask_smorest import Api
from flask_smorest.utils import prepare_response

from schemas.common import TEXT_PATTERN, ProblemSchema
from server.converters import TextConverter, text_param_schema

PROBLEM_JSON = "application/problem+json"
WRITES = ("post", "put", "patch", "delete")


def _operation_id(method: str, endpoint: str) -> str:
    """Return e.g. getHazardDetail for GET on the view class hazards.HazardDetail."""
    return method.lower() + endpoint.rpartition(".")[2]


class HouseRulesPlugin(BasePlugin):
    """Give every operation an operationId and the error answers it can give."""

    def init_spec(self, spec):
        super().init_spec(spec)
        self.seen = {}

    def operation_helper(
        self, path: str | None = None, operations: dict | None = None, **kwargs: Any
    ) -> None:
        rule = kwargs.get("rule")
        for method, operation in (operations or {}).items():
            if rule is not None:
                operation.setdefault("operationId", _operation_id(method, rule.endpoint))
            name = operation.get("operationId")
            if name in self.seen and self.seen[name] != (path, method):
                raise ValueError(f"operationId {name} is used twice: {self.seen[name]}")
            self.seen[name] = (path, method)
            responses = operation.setdefault("responses", {})
            # No token, a revoked one, or (signing in) a wrong password.
            responses.setdefault("401", http.HTTPStatus.UNAUTHORIZED.name)
            if method.lower() in WRITES and operation.get("security") != []:
                # A role that may not, or a console write without its X-CSRF-Token.
                responses.setdefault("403", http.HTTPStatus.FORBIDDEN.name)
            if "application/json" in operation.get("requestBody", {}).get("content", {}):
                # Malformed JSON, or nested deeper than JSON_MAX_DEPTH.
                responses.setdefault("400", http.HTTPStatus.BAD_REQUEST.name)


def text_constraints(self: Any, field: ma.fields.Field, ret: dict, **kwargs: Any) -> dict:
    """Declare that text never holds NUL, unless a pattern, enum or format says more."""
    if not isinstance(field, ma.fields.String) or ret.keys() & {"pattern", "enum", "format"}:
        return {}
    return {"pattern": TEXT_PATTERN}


class ProblemApi(Api):
    """flask-smorest's Api, documenting errors as problem+json under the house rules."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self):
        # server.errors registers one handler for every failure instead.
        pass

    def _init_spec(self, *, extra_plugins=None, **options):
        plugins = [*(extra_plugins or ()), HouseRulesPlugin()]
        super()._init_spec(extra_plugins=plugins, **options)
        # Both databases hold 64 bits, and every request schema refuses more.
        self.ma_plugin.map_to_openapi_type(ma.fields.Integer, "integer", "int64")
        self.ma_plugin.converter.add_attribute_function(text_constraints)
        self.flask_plugin.register_converter(TextConverter, text_param_schema)

    def _register_responses(self):
        """Register the error answers (one per status, and the default) as problem+json."""
        for status in (s for s in http.HTTPStatus if s >= 400):
            response = {"description": status.phrase, "schema": self.ERROR_SCHEMA}
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Any other failure", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_JSON)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, response, lazy=True)
