"""Keyset pagination: an opaque cursor holding the sort key of the last row."""

import base64
import binascii
import json
import uuid
from datetime import datetime

import sqlalchemy as sa

from server.services.errors import InvalidInput


def encode_cursor(values):
    """Return an opaque cursor for a row's sort key (datetimes and UUIDs)."""
    raw = json.dumps([v.isoformat() if isinstance(v, datetime) else str(v) for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor, kinds):
    """Return the sort key in a cursor, each value parsed as its kind, or raise."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded))
        if not isinstance(values, list) or len(values) != len(kinds):
            raise ValueError("wrong length")
        return tuple(kind(value) for kind, value in zip(kinds, values, strict=True))
    except (ValueError, TypeError, binascii.Error):
        raise InvalidInput(
            "the cursor is not valid", errors={"cursor": ["not a valid cursor"]}
        ) from None


PARSERS = {datetime: datetime.fromisoformat, uuid.UUID: uuid.UUID}


def page(session, query, keys, *, limit, cursor=None, descending=False):
    """Return (rows, next_cursor) for `query` ordered by `keys` (columns with their types).

    `keys` is a list of (column, attribute name, python type); the last must be unique.
    """
    columns = [column for column, _, _ in keys]
    if cursor:
        after = decode_cursor(cursor, [PARSERS[kind] for _, _, kind in keys])
        compare = sa.tuple_(*columns)
        query = query.where(compare < after if descending else compare > after)
    order = [c.desc() if descending else c.asc() for c in columns]
    rows = list(session.scalars(query.order_by(*order).limit(limit + 1)).unique())
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], encode_cursor([getattr(last, name) for _, name, _ in keys])
