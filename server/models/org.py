"""The district's organisation: departments, areas, hazard categories, routing rules."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.models.base import Base, UTCDateTime, utcnow
from server.vocabulary import AREA_LEVELS, DEPARTMENT_KINDS, SEVERITIES


class Department(Base):
    """A unit that owns hazards: a sectoral bureau, a street office, or the office."""

    __tablename__ = "departments"
    __table_args__ = (sa.CheckConstraint(f"kind IN {DEPARTMENT_KINDS}", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    kind: Mapped[str] = mapped_column(sa.String(20), default="sector")
    # A street office (街道办事处/乡镇) is the territorial owner of its street.
    area_id: Mapped[int | None] = mapped_column(sa.ForeignKey("areas.id"))
    # Deactivated (停用): routing sends it nothing new and no account is created in it;
    # what it holds stays with it until the office reassigns it.
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())

    area: Mapped["Area | None"] = relationship(foreign_keys=[area_id])


class Area(Base):
    """A polygon of the district: district → street/township → community → grid (网格)."""

    __tablename__ = "areas"
    __table_args__ = (sa.CheckConstraint(f"level IN {AREA_LEVELS}", name="level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    level: Mapped[str] = mapped_column(sa.String(20))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("areas.id"), index=True)
    # GeoJSON geometry (Polygon or MultiPolygon) in WGS-84.
    geometry: Mapped[dict] = mapped_column(sa.JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    parent: Mapped["Area | None"] = relationship(remote_side=[id])


class Category(Base):
    """A kind of hazard, with the sectoral department (行业主管部门) that owns it."""

    __tablename__ = "categories"
    __table_args__ = (
        sa.CheckConstraint(f"default_severity IN {SEVERITIES}", name="default_severity"),
        sa.CheckConstraint("deadline_days > 0", name="deadline_days"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(sa.String(100))
    name_en: Mapped[str] = mapped_column(sa.String(100))
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("departments.id"))
    default_severity: Mapped[str] = mapped_column(sa.String(10), default="general")
    # Deadline for rectification (限期整改) in Chinese working days.
    deadline_days: Mapped[int] = mapped_column(default=7)
    active: Mapped[bool] = mapped_column(default=True)

    department: Mapped[Department] = relationship()


class RoutingRule(Base):
    """Send hazards of a category (in an area, if given) to a department."""

    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("categories.id"), index=True)
    # No area: the rule holds across the district; an area's rule overrides it there.
    area_id: Mapped[int | None] = mapped_column(sa.ForeignKey("areas.id"))
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("departments.id"))
    priority: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    category: Mapped[Category] = relationship()
    area: Mapped[Area | None] = relationship()
    department: Mapped[Department] = relationship()
