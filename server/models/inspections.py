"""Field inspections (检查, SPEC §10): places, versioned checklists, inspections, tasks."""

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.models.accounts import User
from server.models.base import Base, UTCDateTime, utcnow
from server.models.org import Area, Category
from server.vocabulary import ANSWERS, PLACE_STATUSES, PLACE_TYPES, SEVERITIES, VERSION_STATUSES


class Place(Base):
    """A premises or building that is inspected; added by the office or in the field."""

    __tablename__ = "places"
    __table_args__ = (
        sa.CheckConstraint(f"type IN {tuple(PLACE_TYPES)}", name="type"),
        sa.CheckConstraint(f"status IN {PLACE_STATUSES}", name="status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    code: Mapped[str | None] = mapped_column(sa.String(60), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    type: Mapped[str] = mapped_column(sa.String(30))
    address: Mapped[str | None] = mapped_column(sa.String(300))
    lat: Mapped[float] = mapped_column(sa.Float)
    lon: Mapped[float] = mapped_column(sa.Float)
    street_id: Mapped[int | None] = mapped_column(sa.ForeignKey("areas.id"), index=True)
    community_id: Mapped[int | None] = mapped_column(sa.ForeignKey("areas.id"))
    grid_id: Mapped[int | None] = mapped_column(sa.ForeignKey("areas.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(12), default="confirmed")
    added_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A place added from a phone is idempotent on its id, like a report.
    payload_hash: Mapped[str | None] = mapped_column(sa.String(64))

    grid: Mapped[Area | None] = relationship(foreign_keys=[grid_id])


class ChecklistTemplate(Base):
    """A checklist (检查清单) the office manages; its content lives in versions."""

    __tablename__ = "checklist_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    versions: Mapped[list["ChecklistVersion"]] = relationship(
        back_populates="template", order_by="ChecklistVersion.number"
    )


class ChecklistVersion(Base):
    """One version of a checklist: a draft may change; a published one never does."""

    __tablename__ = "checklist_versions"
    __table_args__ = (
        sa.UniqueConstraint("template_id", "number"),
        sa.CheckConstraint(f"status IN {VERSION_STATUSES}", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(sa.ForeignKey("checklist_templates.id"))
    number: Mapped[int]
    status: Mapped[str] = mapped_column(sa.String(12), default="draft")
    place_types: Mapped[list] = mapped_column(sa.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    template: Mapped[ChecklistTemplate] = relationship(back_populates="versions")
    items: Mapped[list["ChecklistItem"]] = relationship(
        back_populates="version", order_by="ChecklistItem.position", cascade="all, delete-orphan"
    )


class ChecklistItem(Base):
    """A question of a checklist version, and the hazard a failure implies."""

    __tablename__ = "checklist_items"
    __table_args__ = (
        sa.UniqueConstraint("version_id", "code"),
        sa.CheckConstraint(f"severity IN {SEVERITIES}", name="severity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("checklist_versions.id"), index=True)
    # Stable across versions: the pass rate of an item is followed by its code.
    code: Mapped[str] = mapped_column(sa.String(40))
    position: Mapped[int]
    question: Mapped[str] = mapped_column(sa.String(300))
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("categories.id"))
    severity: Mapped[str] = mapped_column(sa.String(10), default="general")
    photo_required: Mapped[bool] = mapped_column(default=False)

    version: Mapped[ChecklistVersion] = relationship(back_populates="items")
    category: Mapped[Category] = relationship()


class InspectionTask(Base):
    """A campaign task (检查任务): a checklist, a set of places and a due date."""

    __tablename__ = "inspection_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    template_id: Mapped[int] = mapped_column(sa.ForeignKey("checklist_templates.id"))
    due_on: Mapped[date] = mapped_column(sa.Date)
    department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("departments.id"))
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    template: Mapped[ChecklistTemplate] = relationship()


task_places = sa.Table(
    "task_places",
    Base.metadata,
    sa.Column("task_id", sa.ForeignKey("inspection_tasks.id"), primary_key=True),
    sa.Column("place_id", sa.ForeignKey("places.id"), primary_key=True, index=True),
)

task_assignees = sa.Table(
    "task_assignees",
    Base.metadata,
    sa.Column("task_id", sa.ForeignKey("inspection_tasks.id"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id"), primary_key=True, index=True),
)


class Inspection(Base):
    """One inspection of a place against one checklist version, made on site."""

    __tablename__ = "inspections"
    __table_args__ = (sa.Index("ix_inspections_place_finished", "place_id", "finished_at"),)

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)  # the phone's id
    place_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("places.id"))
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("checklist_versions.id"))
    inspector_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(sa.ForeignKey("inspection_tasks.id"))
    # 复查: the earlier inspection of the same place this one follows up.
    follows_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("inspections.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    lat: Mapped[float | None] = mapped_column(sa.Float)
    lon: Mapped[float | None] = mapped_column(sa.Float)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Where the place was when inspected, for statistics by grid and street.
    street_id: Mapped[int | None] = mapped_column(sa.ForeignKey("areas.id"))
    grid_id: Mapped[int | None] = mapped_column(sa.ForeignKey("areas.id"))
    payload_hash: Mapped[str] = mapped_column(sa.String(64))

    place: Mapped[Place] = relationship()
    version: Mapped[ChecklistVersion] = relationship()
    inspector: Mapped[User] = relationship()
    answers: Mapped[list["InspectionAnswer"]] = relationship(back_populates="inspection")


class InspectionAnswer(Base):
    """The answer to one item; a failed item has become a hazard."""

    __tablename__ = "inspection_answers"
    __table_args__ = (
        sa.UniqueConstraint("inspection_id", "item_id"),
        sa.CheckConstraint(f"answer IN {tuple(ANSWERS)}", name="answer"),
    )

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)  # the phone's id
    inspection_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("inspections.id"))
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("checklist_items.id"), index=True)
    answer: Mapped[str] = mapped_column(sa.String(4))
    note: Mapped[str | None] = mapped_column(sa.Text)
    photos: Mapped[list] = mapped_column(sa.JSON, default=list)
    hazard_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("hazards.id"))

    inspection: Mapped[Inspection] = relationship(back_populates="answers")
    item: Mapped[ChecklistItem] = relationship()


class InspectionPhoto(Base):
    """An answer citing a photo by hash, so that whoever may see the inspection may see
    the photo (a passed item's photo is cited by no hazard). No foreign key to the
    photo: it may still be on its way from the phone."""

    __tablename__ = "inspection_photos"

    answer_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("inspection_answers.id"), primary_key=True
    )
    sha256: Mapped[str] = mapped_column(sa.String(64), primary_key=True, index=True)
    inspection_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("inspections.id"))
