"""JSON in and out: Chinese stays readable in answers, and JSON nested deeper than
JSON_MAX_DEPTH is refused (400) before it is parsed.

Python's parser recurses once per level, so a small body nested a thousand deep
(5 KB of brackets) would otherwise exhaust the stack in whichever code reads it.
"""

import re
from itertools import accumulate
from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import BadRequest

# A JSON string literal, escapes included: brackets inside one do not nest.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = [0] * 256
_STEP[ord("[")] = _STEP[ord("{")] = 1
_STEP[ord("]")] = _STEP[ord("}")] = -1


def nested_deeper_than(document: str | bytes, limit: int) -> bool:
    """Return whether JSON text (str or bytes) nests arrays and objects deeper than `limit`,
    without parsing it (and so without recursion)."""
    raw = (
        document
        if isinstance(document, bytes | bytearray)
        else document.encode(errors="surrogatepass")
    )
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False  # the common case: too few brackets to nest that deep
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0) > limit


class JSONTooDeep(BadRequest):
    """A JSON body nested deeper than the server accepts; the limit is in the answer."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the JSON body is nested deeper than {limit} levels")
        self.limit = limit


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON provider, refusing documents nested deeper than JSON_MAX_DEPTH."""

    ensure_ascii = False  # Chinese stays readable in responses

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse JSON text, or raise JSONTooDeep."""
        limit = self._app.config["JSON_MAX_DEPTH"]
        if nested_deeper_than(s, limit):
            raise JSONTooDeep(limit)
        return super().loads(s, **kwargs)


def init_app(app: Flask) -> None:
    """Install the JSON provider."""
    app.json = JSONProvider(app)
