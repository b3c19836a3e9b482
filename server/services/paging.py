"""Keyset pagination: an opaque cursor holding the sort key of the last row."""

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute, Session

from server.services.errors import InvalidInput

# A sort key: (column, name in the row, python type); the type is a key of PARSERS.
SortKey = tuple[InstrumentedAttribute[Any], str, type]
# A sort key's value as a cursor holds it, and how it is read back from its text.
KeyValue = datetime | uuid.UUID
Parser = Callable[[str], KeyValue]


def encode_cursor(values: Iterable[KeyValue]) -> str:
    """Return an opaque cursor for a row's sort key (datetimes and UUIDs)."""
    raw = json.dumps([v.isoformat() if isinstance(v, datetime) else str(v) for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, kinds: Sequence[Parser]) -> tuple[KeyValue, ...]:
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


PARSERS: dict[type, Parser] = {datetime: datetime.fromisoformat, uuid.UUID: uuid.UUID}
_composed: dict[tuple[Hashable, bool, bool], sa.Select[*tuple[Any, ...]]] = {}


def _compose(
    query: sa.Select[*tuple[Any, ...]],
    keys: Sequence[SortKey],
    with_cursor: bool,
    descending: bool,
) -> sa.Select[*tuple[Any, ...]]:
    columns = [column for column, _, _ in keys]
    if with_cursor:
        after = sa.tuple_(
            *(sa.bindparam(f"after_{n}", type_=c.type) for n, c in enumerate(columns))
        )
        compare = sa.tuple_(*columns)
        query = query.where(compare < after if descending else compare > after)
    order = [c.desc() if descending else c.asc() for c in columns]
    # The page size is written into the SQL, not bound: PostgreSQL caches a generic
    # plan for prepared statements, and with "LIMIT $n" that plan gives up the
    # index walk (a queue page went from 0.5 to 20 ms).
    size = sa.bindparam("page_size", type_=sa.Integer(), literal_execute=True)
    return query.order_by(*order).limit(size)


def page(
    session: Session,
    query: sa.Select[*tuple[Any, ...]],
    keys: Sequence[SortKey],
    *,
    limit: int,
    cursor: str | None = None,
    descending: bool = False,
    params: Mapping[str, object] | None = None,
    reuse: Hashable | None = None,
) -> tuple[Sequence[sa.Row[*tuple[Any, ...]]], str | None]:
    """Return (rows, next_cursor) for a select ordered by `keys`.

    `keys` is a list of (column, name in the row, python type); the last must be unique.
    A caller whose `query` takes its values as bound `params` may name it `reuse`, so
    the ordered statement is composed once and reused.
    """
    key = (reuse, cursor is not None, descending) if reuse else None
    statement = _composed.get(key) if key else None
    if statement is None:
        statement = _compose(query, keys, cursor is not None, descending)
        if key:
            _composed[key] = statement
    values = dict(params or {}, page_size=limit + 1)
    if cursor is not None:  # an empty cursor is not valid, not "the first page"
        after = decode_cursor(cursor, [PARSERS[kind] for _, _, kind in keys])
        values.update({f"after_{n}": value for n, value in enumerate(after)})
    rows = session.connection().execute(statement, values).all()
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], encode_cursor([getattr(last, name) for _, name, _ in keys])
