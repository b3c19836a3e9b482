"""One transaction per use case: commit it all, or roll it all back.

A door (an HTTP view, the CLI, the console) calls a use case and never commits.
The use case runs its work in one transaction through `run`: on success it
commits; on any failure it rolls back, so a refused request leaves no
half-written record. Only the races it names are tried again: two requests
claiming the same key at once (the same phone id resent twice in a moment, two
uploads of one photo), or a hazard whose version moved under a step. The second
run sees the winner's row and answers as a resend would, or refuses as the
state now says. Any other IntegrityError is a fault, and is raised.

Work that composes several services in one larger transaction (a sync push,
the demo loader) calls the services themselves, which flush and never commit.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

P = ParamSpec("P")
T = TypeVar("T")

ATTEMPTS = 3


@dataclass(frozen=True)
class Claimed:
    """A race for a unique key of `table`: two writers inserted the same row at once."""

    table: str

    def __call__(self, error: BaseException) -> bool:
        """Return whether `error` is this race."""
        return isinstance(error, IntegrityError) and unique_violation(error) == self.table


def version_moved(error: BaseException) -> bool:
    """Return whether `error` is a row's version moving under us (another step won)."""
    return isinstance(error, StaleDataError)


Race = Callable[[BaseException], bool]


def unique_violation(error: IntegrityError) -> str | None:
    """Return the table whose unique key `error` violated, or None for another violation."""
    original = error.orig
    diag = getattr(original, "diag", None)
    if diag is not None:  # psycopg: SQLSTATE 23505 is unique_violation
        return diag.table_name if getattr(original, "sqlstate", None) == "23505" else None
    message = str(original)  # SQLite: "UNIQUE constraint failed: hazards.id"
    for lead in ("UNIQUE constraint failed: ", "PRIMARY KEY must be unique"):
        if message.startswith(lead):
            return message.removeprefix(lead).split(".", 1)[0] or None
    return None


def run(session: Session, work: Callable[[], T], races: tuple[Race, ...] = ()) -> T:
    """Run `work()` in one transaction and commit; roll back on failure.

    A failure that is one of `races` runs the work again from the start, up to
    ATTEMPTS times in all.
    """
    for attempt in range(1, ATTEMPTS + 1):
        try:
            result = work()
            session.commit()
            return result
        except BaseException as error:
            session.rollback()
            if attempt == ATTEMPTS or not any(race(error) for race in races):
                raise
    raise AssertionError("unreachable")


def use_case(service: Callable[P, T], *races: Race) -> Callable[P, T]:
    """Return `service` (its first argument a session) as a use case: one transaction.

    The use case has the service's signature and docstring; it commits what the
    service did, or rolls all of it back.
    """

    def in_transaction(*args: P.args, **kwargs: P.kwargs) -> T:
        session = args[0]
        return run(session, lambda: service(*args, **kwargs), races)  # type: ignore[arg-type]

    in_transaction.__name__ = service.__name__
    in_transaction.__qualname__ = service.__qualname__
    in_transaction.__doc__ = service.__doc__
    in_transaction.__wrapped__ = service  # type: ignore[attr-defined]
    return in_transaction
