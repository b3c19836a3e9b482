"""Checklists (检查清单) as versioned data: drafts, publishing, the versions phones read."""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.models import (
    Category,
    ChecklistItem,
    ChecklistTemplate,
    ChecklistVersion,
    utcnow,
)
from server.services.errors import (
    AlreadyExists,
    Conflict,
    InvalidInput,
    NotFound,
)
from server.vocabulary import PLACE_TYPES, SEVERITIES


@dataclass(frozen=True)
class NewItem:
    """One question of a checklist version as the office writes it."""

    code: str
    question: str
    category: str
    severity: str = "general"
    photo_required: bool = False


def create_template(
    session: Session,
    code: str,
    name: str,
    place_types: Collection[str],
    items: Sequence[NewItem],
) -> ChecklistVersion:
    """Create a checklist with its first version as a draft; return the version."""
    if session.scalar(sa.select(ChecklistTemplate.id).filter_by(code=code)) is not None:
        raise AlreadyExists(f"checklist {code!r} exists", errors={"code": ["already used"]})
    template = ChecklistTemplate(code=code, name=name)
    session.add(template)
    version = ChecklistVersion(template=template, number=1, status="draft")
    session.add(version)
    with session.no_autoflush:
        _fill(session, version, place_types, items)
    session.flush()
    return version


def _template(session: Session, code: str) -> ChecklistTemplate:
    template = session.scalar(sa.select(ChecklistTemplate).filter_by(code=code))
    if template is None:
        raise NotFound(f"no checklist {code!r}")
    return template


def get_version(session: Session, code: str, number: int) -> ChecklistVersion:
    """Return version `number` of checklist `code`."""
    version = session.scalar(
        sa.select(ChecklistVersion)
        .join(ChecklistTemplate)
        .where(ChecklistTemplate.code == code, ChecklistVersion.number == number)
    )
    if version is None:
        raise NotFound(f"checklist {code!r} has no version {number}")
    return version


def new_version(
    session: Session, code: str, place_types: Collection[str], items: Sequence[NewItem]
) -> ChecklistVersion:
    """Start the next version of a checklist as a draft (one draft at a time)."""
    template = _template(session, code)
    if any(v.status == "draft" for v in template.versions):
        raise Conflict("this checklist already has a draft: edit or publish it")
    number = max(v.number for v in template.versions) + 1
    version = ChecklistVersion(template=template, number=number, status="draft")
    session.add(version)
    with session.no_autoflush:
        _fill(session, version, place_types, items)
    session.flush()
    return version


def edit_draft(
    session: Session,
    code: str,
    number: int,
    place_types: Collection[str],
    items: Sequence[NewItem],
) -> ChecklistVersion:
    """Replace a draft's items; a published version never changes."""
    version = get_version(session, code, number)
    if version.status == "published":
        raise Conflict(
            f"version {number} of {code!r} is published and cannot change: "
            "start a new version and publish that"
        )
    version.items.clear()
    session.flush()
    _fill(session, version, place_types, items)
    session.flush()
    return version


def publish(
    session: Session, code: str, number: int, now: datetime | None = None
) -> ChecklistVersion:
    """Publish a draft: from now on inspections may answer it, and it never changes."""
    version = get_version(session, code, number)
    if version.status == "published":
        raise Conflict(f"version {number} of {code!r} is already published")
    if not version.items:
        raise InvalidInput("a checklist needs at least one item", errors={"items": ["empty"]})
    version.status, version.published_at = "published", now or utcnow()
    session.flush()
    return version


def _fill(
    session: Session,
    version: ChecklistVersion,
    place_types: Collection[str],
    items: Sequence[NewItem],
) -> None:
    errors: dict[str, list[str]] = {}
    unknown_types = sorted(set(place_types) - set(PLACE_TYPES))
    if unknown_types:
        errors["place_types"] = [f"unknown place types {unknown_types}; one of {list(PLACE_TYPES)}"]
    codes = [item.code for item in items]
    if len(set(codes)) != len(codes):
        errors["items"] = ["each item needs its own code"]
    categories = dict(
        session.execute(
            sa.select(Category.code, Category.id).where(
                Category.code.in_({item.category for item in items}), Category.active
            )
        ).all()
    )
    for n, item in enumerate(items):
        if item.category not in categories:
            errors[f"items[{n}].category"] = [f"unknown category {item.category!r}"]
        if item.severity not in SEVERITIES:
            errors[f"items[{n}].severity"] = [f"one of {list(SEVERITIES)}"]
        if not item.question.strip():
            errors[f"items[{n}].question"] = ["must not be empty"]
    if errors:
        raise InvalidInput("the checklist is not valid", errors=errors)
    version.place_types = list(place_types)
    version.items = [
        ChecklistItem(
            code=item.code,
            position=n,
            question=item.question,
            category_id=categories[item.category],
            severity=item.severity,
            photo_required=item.photo_required,
        )
        for n, item in enumerate(items)
    ]


def published_versions(session: Session) -> Sequence[ChecklistVersion]:
    """Return every published version, newest first within each checklist."""
    return session.scalars(
        sa.select(ChecklistVersion)
        .join(ChecklistTemplate)
        .where(ChecklistVersion.status == "published")
        .order_by(ChecklistTemplate.code, ChecklistVersion.number.desc())
    ).all()


def list_templates(session: Session) -> Sequence[ChecklistTemplate]:
    """Return every checklist with its versions."""
    return session.scalars(sa.select(ChecklistTemplate).order_by(ChecklistTemplate.code)).all()
