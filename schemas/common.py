"""Schemas shared by every resource: the problem document, and the request schema base
that refuses values no database can store."""

import re
from collections.abc import Mapping

import marshmallow as ma

# Both databases store integers in at most 64 signed bits; Python's do not stop there.
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
# Ids, version numbers and priorities are 32-bit columns (PostgreSQL's integer): a larger
# value cannot even be compared with them there.
INT32 = ma.validate.Range(-(2**31), 2**31 - 1)

# PostgreSQL refuses NUL in text, and an unpaired surrogate cannot be encoded as UTF-8
# (JSON may spell one as "\ud800"; Python decodes it to a str that psycopg cannot send).
_UNSAFE_CHARACTER = re.compile("[\x00\ud800-\udfff]")

# The same rules as JSON Schema patterns, for the OpenAPI document. Unpaired surrogates
# need no pattern: they cannot be written in well-formed UTF-8 JSON (RFC 8259, 8.2).
TEXT_PATTERN = r"^[^\u0000]*$"
NON_BLANK_TEXT_PATTERN = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"

NUL_MESSAGE = "must not contain the NUL character (U+0000)"
SURROGATE_MESSAGE = "must not contain an unpaired surrogate (U+D800 to U+DFFF)"
INTEGER_MESSAGE = f"must be a 64-bit integer, from {INT64_MIN} to {INT64_MAX}"
KEY_MESSAGE = "a name must not contain NUL or an unpaired surrogate"
WHOLE_NUMBER_MESSAGE = "must be a whole number"


def _text_problem(text):
    found = _UNSAFE_CHARACTER.search(text)
    if found is None:
        return None
    return NUL_MESSAGE if found.group() == "\x00" else SURROGATE_MESSAGE


def _printable(key):
    """Return a key fit to name in an answer: unsafe characters as \\u escapes."""
    return _UNSAFE_CHARACTER.sub(lambda m: f"\\u{ord(m.group()):04x}", str(key))


def _join(path, key):
    return f"{path}.{key}" if path else str(key)


def unsafe_values(data: object, path: str = "") -> dict[str, str]:
    """Return {dotted path: message} for every string holding NUL or an unpaired surrogate
    and every integer outside 64 bits in `data`, however deeply nested; {} if none.

    Dictionary keys are checked too. The path of a value at the top is `path` ("" unless
    given); list items are numbered from 0, as in `mutations.3.data.note`.
    """
    problems = {}
    stack = [(path, data)]
    while stack:  # iterative: a deep document must not exhaust Python's stack
        where, value = stack.pop()
        if isinstance(value, str):
            message = _text_problem(value)
            if message:
                problems[where] = message
        elif isinstance(value, bool):
            continue
        elif isinstance(value, int):
            if not INT64_MIN <= value <= INT64_MAX:
                problems[where] = INTEGER_MESSAGE
        elif isinstance(value, Mapping):
            for key, item in value.items():
                if isinstance(key, str) and _text_problem(key):
                    problems[_join(where, _printable(key))] = KEY_MESSAGE
                    continue
                stack.append((_join(where, key), item))
        elif isinstance(value, list | tuple):
            stack.extend((_join(where, index), item) for index, item in enumerate(value))
    return dict(sorted(problems.items()))


# Text with something in it besides spaces; the pattern documents it in the OpenAPI document.
NOT_BLANK = ma.validate.Regexp(NON_BLANK_TEXT_PATTERN, error="must not be empty")


def cursor_field() -> ma.fields.String:
    """Return the field of an opaque paging cursor: `next` of the previous page."""
    return ma.fields.String(
        validate=ma.validate.Length(min=1, error="must not be empty: leave it out for page one"),
        metadata={"description": "`next` of the previous page; leave it out for the first"},
    )


def _json_type_problem(field, value):
    """Return what is wrong with the JSON type of `value` for `field`, or None."""
    if value is None or field is None:
        return None  # null and unknown fields are the field's and the schema's business
    if isinstance(field, ma.fields.Boolean):
        return None if isinstance(value, bool) else "must be true or false"
    if isinstance(field, ma.fields.Integer):
        whole = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
        return None if whole and not isinstance(value, bool) else WHOLE_NUMBER_MESSAGE
    if isinstance(field, ma.fields.Number):
        number = isinstance(value, int | float) and not isinstance(value, bool)
        return None if number else "must be a number"
    return None


class StrictSchema(ma.Schema):
    """A request schema that refuses fields it does not know, values no database can
    store (text with NUL or an unpaired surrogate, integers outside 64 bits), and numbers
    and flags of another JSON type (2.5 for a whole number, 0 for false)."""

    class Meta:
        unknown = ma.RAISE

    # A JSON body carries numbers and flags as JSON numbers and booleans; QuerySchema
    # reads them from text.
    TEXT_INPUT = False
    # Fields whose items check their own raw input, one by one (a sync batch's
    # mutations: a bad one is answered on its own, not by refusing the batch).
    CHECKED_APART: tuple[str, ...] = ()

    @ma.pre_load(pass_collection=True)
    def _refuse_unsafe_input(self, data, *, unknown, **kwargs):
        """Refuse unsafe strings and integers anywhere in the input, before any field
        sees them (query strings arrive here too, as a mapping of strings)."""
        if unknown == ma.EXCLUDE and isinstance(data, Mapping):
            # Parameters this schema ignores are never used, so never judged either.
            known = {field.data_key or name for name, field in self.load_fields.items()}
            data_to_check = {key: value for key, value in data.items() if key in known}
        else:
            data_to_check = data
        if self.CHECKED_APART and isinstance(data_to_check, Mapping):
            data_to_check = {k: v for k, v in data_to_check.items() if k not in self.CHECKED_APART}
        problems = unsafe_values(data_to_check) | self._mistyped(data)
        if problems:
            raise ma.ValidationError({path: [message] for path, message in problems.items()})
        return data

    def _mistyped(self, data):
        """Return {key: message} for this schema's numbers and flags sent as another JSON
        type: "3" or true for a number, 0 for a flag, and 2.5 for a whole number (which
        the field would otherwise cut to 2 without a word)."""
        if self.TEXT_INPUT:
            return {}
        fields = {field.data_key or name: field for name, field in self.load_fields.items()}
        items = enumerate(data) if isinstance(data, list) else [("", data)]
        problems = {}
        for index, item in items:
            if not isinstance(item, Mapping):
                continue
            for key, value in item.items():
                message = _json_type_problem(fields.get(key), value)
                if message:
                    problems[_join(str(index), key)] = message
        return problems

    @ma.validates_schema(skip_on_field_errors=False)
    def _refuse_unsafe_integers(self, data, **kwargs):
        """Refuse an integer outside 64 bits that a field made from text or a float
        ("99999999999999999999", 1e300), which the check of the raw input cannot see."""
        fields = {field.attribute or name: field for name, field in self.load_fields.items()}
        problems = {}
        for name, value in data.items():
            field = fields.get(name)
            if field is None or isinstance(field, ma.fields.Nested | ma.fields.Pluck):
                continue  # a nested schema checks its own fields
            if isinstance(field, ma.fields.List) and isinstance(
                field.inner, ma.fields.Nested | ma.fields.Pluck
            ):
                continue
            found = unsafe_values(value, field.data_key or name)
            problems.update({path: [message] for path, message in found.items()})
        if problems:
            raise ma.ValidationError(problems)


class QuerySchema(StrictSchema):
    """A request schema for a query string: every value arrives as text, and the fields
    read numbers, dates and flags from it."""

    TEXT_INPUT = True


class ProblemSchema(ma.Schema):
    """An error, as RFC 9457 application/problem+json."""

    type = ma.fields.String(metadata={"description": "URI naming the kind of problem"})
    title = ma.fields.String(metadata={"description": "Short summary of the kind of problem"})
    status = ma.fields.Integer()
    detail = ma.fields.String(metadata={"description": "What went wrong this time"})
    code = ma.fields.String(metadata={"description": "Machine-readable problem code"})
    errors = ma.fields.Dict(
        keys=ma.fields.String(),
        metadata={"description": "Field name → list of messages, for validation errors"},
    )
    current = ma.fields.Dict(
        metadata={
            "description": (
                "a step refused 409: the hazard's `status` and `version` now, to decide again"
            )
        },
    )
    holder = ma.fields.Dict(
        metadata={
            "description": (
                "a claim refused 409 `claimed`: who holds the hazard (`username`,"
                " `display_name`, `at`); send `takeover: true` to take it over openly"
            )
        },
    )
