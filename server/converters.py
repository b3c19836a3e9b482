"""URL converters that keep path values storable: ids within 32 bits, codes without NUL."""

from flask import Flask
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter, UnicodeConverter

from schemas.common import INT32, NUL_MESSAGE, TEXT_PATTERN


class IdConverter(IntegerConverter):
    """An id or number in a path (`<int:rule_id>`): digits, at most 2^31 - 1, as the
    32-bit columns that hold them (a larger one fails even to compare on PostgreSQL)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", INT32.max)
        super().__init__(map, *args, **kwargs)

    def to_python(self, value: str) -> int:
        number = int(value)
        if self.max is not None and number > self.max:
            # Said outright, rather than the router's "no such URL": the id cannot exist.
            raise NotFound(f"no such record: an id in a path is at most {self.max}")
        return super().to_python(value)


class TextConverter(UnicodeConverter):
    """A code or name in a path (`<code>`, `<username>`): any text but NUL."""

    def to_python(self, value: str) -> str:
        if "\x00" in value:
            raise NotFound(f"no such record: a code or name in a path {NUL_MESSAGE}")
        return super().to_python(value)


def text_param_schema(converter: TextConverter) -> dict:
    """Return the OpenAPI schema of a TextConverter path parameter."""
    return {"type": "string", "minLength": 1, "pattern": TEXT_PATTERN}


CONVERTERS = {"int": IdConverter, "default": TextConverter, "string": TextConverter}


def init_app(app: Flask) -> None:
    """Use these converters for every route added afterwards."""
    app.url_map.converters.update(CONVERTERS)
