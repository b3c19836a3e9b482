"""The checks every request passes: storable values (schemas.common) and JSON nesting."""

import marshmallow as ma
import pytest

from schemas.common import (
    INT64_MAX,
    INT64_MIN,
    INTEGER_MESSAGE,
    KEY_MESSAGE,
    NUL_MESSAGE,
    SURROGATE_MESSAGE,
    WHOLE_NUMBER_MESSAGE,
    QuerySchema,
    StrictSchema,
    unsafe_values,
)
from server.jsonio import nested_deeper_than


def test_safe_values_have_no_problems():
    data = {"note": "消防通道 🚒", "n": [INT64_MIN, INT64_MAX, 1.5e300], "ok": True, "x": None}
    assert unsafe_values(data) == {}


def test_unsafe_values_are_named_by_their_path_however_deep():
    data = {
        "a": "x\x00",
        "b": [1, 2**63, {"c": "\udfff", "d\x00": "fine"}],
        "e": -(2**63) - 1,
        "f": True,  # a bool is not an integer here
    }
    assert unsafe_values(data, "body") == {
        "body.a": NUL_MESSAGE,
        "body.b.1": INTEGER_MESSAGE,
        "body.b.2.c": SURROGATE_MESSAGE,
        "body.b.2.d\\u0000": KEY_MESSAGE,
        "body.e": INTEGER_MESSAGE,
    }


def test_a_surrogate_pair_decoded_as_one_character_is_fine():
    assert unsafe_values({"emoji": "\U0001f692"}) == {}


def test_unsafe_values_walk_a_deep_document_without_recursion():
    deep = "\x00"
    for _ in range(100_000):
        deep = [deep]
    assert list(unsafe_values(deep).values()) == [NUL_MESSAGE]


class Body(StrictSchema):
    count = ma.fields.Integer()
    share = ma.fields.Float()
    active = ma.fields.Boolean()
    tags = ma.fields.List(ma.fields.String())


class Query(QuerySchema):
    count = ma.fields.Integer()
    active = ma.fields.Boolean()


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"count": 2.5}, {"count": [WHOLE_NUMBER_MESSAGE]}),
        ({"count": "3"}, {"count": [WHOLE_NUMBER_MESSAGE]}),
        ({"count": 2**64}, {"count": [INTEGER_MESSAGE]}),
        ({"share": "0.5"}, {"share": ["must be a number"]}),
        ({"share": True}, {"share": ["must be a number"]}),
        ({"active": 0}, {"active": ["must be true or false"]}),
        ({"tags": ["a", "b\x00"]}, {"tags.1": [NUL_MESSAGE]}),
    ],
)
def test_a_body_schema_refuses_values_of_the_wrong_kind(data, errors):
    with pytest.raises(ma.ValidationError) as refused:
        Body().load(data)
    assert refused.value.messages == errors


def test_a_body_schema_takes_a_whole_number_written_with_a_point():
    assert Body().load({"count": 2.0, "share": 1, "active": False}) == {
        "count": 2,
        "share": 1.0,
        "active": False,
    }


def test_a_query_schema_reads_numbers_and_flags_from_text_but_not_past_64_bits():
    assert Query().load({"count": "3", "active": "true"}) == {"count": 3, "active": True}
    with pytest.raises(ma.ValidationError) as refused:
        Query().load({"count": str(2**64)})
    assert refused.value.messages == {"count": [INTEGER_MESSAGE]}


@pytest.mark.parametrize(
    ("text", "deeper"),
    [
        ("[" * 32 + "]" * 32, False),
        ("[" * 33 + "]" * 33, True),
        ('{"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}', False),  # brackets in text
        ('{"a": "\\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}', False),  # after an escape
        ("[" + "[], " * 100 + "[]]", False),  # many, side by side
        (b'{"a": ' * 40 + b"1" + b"}" * 40, True),
    ],
)
def test_json_nesting_is_measured_without_parsing(text, deeper):
    assert nested_deeper_than(text, 32) is deeper
