"""Invite codes (邀请码) the office hands out so volunteers can join on their own."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.models.accounts import User
from server.models.base import Base, UTCDateTime, utcnow
from server.models.org import Area


class Invite(Base):
    """A code printed on a campaign's or community's poster: up to `quota` volunteers
    may join with it until it expires or the office deactivates it."""

    __tablename__ = "invites"
    __table_args__ = (
        sa.CheckConstraint("quota > 0", name="quota"),
        # The last word on the quota: however joins race, the count never passes it.
        sa.CheckConstraint("used >= 0 AND used <= quota", name="used"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    label: Mapped[str] = mapped_column(sa.String(100))
    area_id: Mapped[int | None] = mapped_column(sa.ForeignKey("areas.id"))
    quota: Mapped[int]
    used: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    area: Mapped[Area | None] = relationship()
    created_by: Mapped[User] = relationship()
