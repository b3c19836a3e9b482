"""Routing (属地管理 + 行业监管): the lead department from the category's rules, the
territorial owner from the location, and possible duplicates nearby (SPEC §3)."""

import math
import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from geopy.distance import geodesic
from sqlalchemy.orm import Session

from server.models import Area, Base, Category, Department, DuplicateLink, Hazard, HazardPhoto
from server.models import RoutingRule as Rule
from server.services.departments import deactivated_rule, refuse_if_inactive
from server.services.errors import AlreadyExists, InvalidInput, NotFound
from server.services.policy import Policy
from server.vocabulary import OPEN

SPECIFICITY = {"grid": 4, "community": 3, "street": 2, "district": 1, None: 0}
OUTSIDE = "位置不在本区任何网格内 (outside every grid)"


def territorial_owner(session: Session, street_id: int | None) -> Department | None:
    """Return the street office (街道办事处/乡镇) of a street, if there is one."""
    if street_id is None:
        return None
    return session.scalar(
        sa.select(Department)
        .filter_by(kind="territorial", area_id=street_id)
        .order_by(Department.id)
        .limit(1)
    )


def returned_by(department_name: str, reason: str) -> str:
    """Why a hazard a department returned (退回) waits for triage."""
    return f"退回 ({department_name}): {reason}"


# The reasons a hazard waits in triage, by the words routing_note starts with.
TRIAGE_REASONS = (
    (OUTSIDE, "outside_grids"),
    ("没有适用的分派规则", "no_rule"),
    ("分派规则指向的部门已停用", "department_inactive"),
    ("退回 (", "returned"),
)


def triage_reason(status: str, routing_note: str | None) -> str | None:
    """Return why a hazard waits in the office's triage queue, as a code a page can
    translate, or None when it does not wait there."""
    if status != "reported":
        return None
    for start, code in TRIAGE_REASONS:
        if routing_note and routing_note.startswith(start):
            return code
    return "other"


def no_rule(category_code: str) -> str:
    """Why a hazard of this category was left for triage where no rule applies."""
    return f"没有适用的分派规则 (no routing rule for {category_code} here)"


class Router:
    """The routing rules of some categories, held in memory: one query for a batch.

    Highest priority wins; among equals the most specific area (grid over
    community over street over district over district-wide rules), then the
    oldest rule.
    """

    def __init__(self, session: Session, category_ids: Iterable[int]) -> None:
        rows = session.execute(
            sa.select(
                Rule.id,
                Rule.category_id,
                Rule.area_id,
                Rule.priority,
                Rule.department_id,
                Department.code.label("department_code"),
                Area.level,
            )
            .join(Department, Department.id == Rule.department_id)
            .outerjoin(Area, Rule.area_id == Area.id)
            .where(Rule.category_id.in_(set(category_ids)), Department.active)
        ).all()
        self._rules: dict[int, list[sa.Row[*tuple[Any, ...]]]] = {}
        for row in rows:
            self._rules.setdefault(row.category_id, []).append(row)

    def department(
        self, category_id: int, area_ids: Iterable[int | None]
    ) -> tuple[int, str] | None:
        """Return (id, code) of the department the rules send this category to here, or
        None."""
        area_ids = {a for a in area_ids if a is not None}
        rows = [
            row
            for row in self._rules.get(category_id, ())
            if row.area_id is None or row.area_id in area_ids
        ]
        if not rows:
            return None
        best = max(rows, key=lambda row: (row.priority, SPECIFICITY[row.level], -row.id))
        return best.department_id, best.department_code


def choose_department(
    session: Session, category_id: int, area_ids: Iterable[int | None]
) -> Department | None:
    """Return the department the rules send this category to in these areas, or None."""
    found = Router(session, [category_id]).department(category_id, area_ids)
    return session.get(Department, found[0]) if found is not None else None


def area_ids_of(hazard: Hazard) -> list[int | None]:
    """Return the ids of the areas a hazard lies in, most specific first."""
    ids = [hazard.grid_id, hazard.community_id, hazard.street_id]
    if hazard.street is not None:
        ids.append(hazard.street.parent_id)
    return ids


def routing_for(session: Session, hazard: Hazard) -> tuple[Department | None, str | None]:
    """Return (department or None, reason if None) for a hazard as it is now."""
    if hazard.grid_id is None:
        return None, OUTSIDE
    area_ids = area_ids_of(hazard)
    department = choose_department(session, hazard.category_id, area_ids)
    if department is None:
        stopped = deactivated_rule(session, hazard.category_id, area_ids)
        return None, stopped or no_rule(hazard.category.code)
    return department, None


# WGS-84: semi-major axis and the square of the first eccentricity.
_A = 6_378_137.0
_E2 = (2 - 1 / 298.257223563) / 298.257223563
_NEAR = 0.01  # degrees: about a kilometre


def metres(lat: float, lon: float, other_lat: float, other_lon: float) -> float:
    """Return the geodesic distance in metres between two points on WGS-84."""
    if abs(other_lat - lat) > _NEAR or abs(other_lon - lon) > _NEAR:
        return geodesic((lat, lon), (other_lat, other_lon)).meters
    # Nearby, the ellipsoid is flat to within micrometres: scale by its radii of
    # curvature at the mean latitude. As exact as geopy's geodesic at this range and
    # over a hundred times faster, which a hotspot, one distance per report, feels.
    phi = math.radians((lat + other_lat) / 2)
    w = 1 - _E2 * math.sin(phi) ** 2
    across = _A / math.sqrt(w)  # prime vertical
    along = across * (1 - _E2) / w  # meridian
    return math.hypot(
        along * math.radians(other_lat - lat),
        across * math.cos(phi) * math.radians(other_lon - lon),
    )


# Candidates are bucketed by (category id, cell row, cell column), each bucket holding
# (filing order, hazard id, lat, lon) in filing order.
_Cell = tuple[int, int, int]
_Candidate = tuple[int, uuid.UUID, float, float]


class DuplicateFinder:
    """Open hazards of a category near a point, or sharing a photo (SPEC §3).

    A new report is linked to the *originals* within the radius: open hazards not
    themselves waiting as a possible duplicate of an earlier one (no pending link
    from them). At a hotspot, a blocked lane every volunteer walks past, each later
    report is then linked to the first one, not to every report before it, and
    costs what a report elsewhere does. A report near no original but near
    duplicates (a chain along a street, or a spot whose first report was closed)
    is linked to the earliest of those, so it still reaches the office. The same
    photo (same sha256) on another hazard, open or not, is always a link.

    Built from one query for a whole batch of new reports; each new hazard is
    added as it is filed, so later reports of the batch see earlier ones exactly
    as if they had been filed one by one. Candidates are bucketed in cells at
    least the radius wide, so a point is compared only with its neighbours.
    """

    def __init__(
        self,
        session: Session,
        category_ids: Iterable[int],
        points: Sequence[tuple[float, float]],
        received_at: datetime,
        photos: Sequence[str],
        policy: Policy,
    ) -> None:
        self.radius = policy.duplicate_radius_m
        # Cells of originals and of hazards linked already, each in filing order.
        self._originals: dict[_Cell, list[_Candidate]] = {}
        self._linked: dict[_Cell, list[_Candidate]] = {}
        self._photos: dict[str, list[uuid.UUID]] = {}
        self._filed = 0
        if not points:
            return
        margin = self.radius / 111_000 * 1.5
        lats, lons = [p[0] for p in points], [p[1] for p in points]
        widest = max(abs(min(lats)) + margin, abs(max(lats)) + margin)
        self._dlat = margin
        self._dlon = margin / max(math.cos(math.radians(min(widest, 89.0))), 0.01)
        pending = sa.exists().where(
            DuplicateLink.hazard_id == Hazard.id, DuplicateLink.dismissed_at.is_(None)
        )
        rows = session.execute(
            sa.select(
                Hazard.id, Hazard.category_id, Hazard.lat, Hazard.lon, pending.label("linked")
            )
            .where(
                Hazard.category_id.in_(set(category_ids)),
                Hazard.status.in_(OPEN),
                Hazard.received_at >= received_at - policy.duplicate_window,
                Hazard.lat.between(min(lats) - margin, max(lats) + margin),
                Hazard.lon.between(min(lons) - self._dlon, max(lons) + self._dlon),
            )
            .order_by(Hazard.received_at, Hazard.id)
        )
        for row in rows:
            self.add(row.id, row.category_id, row.lat, row.lon, linked=row.linked)
        if photos:
            cited = session.execute(
                sa.select(HazardPhoto.sha256, HazardPhoto.hazard_id)
                .where(HazardPhoto.sha256.in_(set(photos)))
                .distinct()
            )
            for sha, hazard_id in cited:
                self._photos.setdefault(sha, []).append(hazard_id)

    def _cell(self, lat: float, lon: float) -> tuple[int, int]:
        return math.floor(lat / self._dlat), math.floor(lon / self._dlon)

    def add(
        self,
        hazard_id: uuid.UUID,
        category_id: int,
        lat: float,
        lon: float,
        photos: Iterable[str] = (),
        *,
        linked: bool = False,
    ) -> None:
        """Make a hazard a candidate for the reports that follow; `linked` if it was
        itself linked as a duplicate of an earlier one."""
        row, col = self._cell(lat, lon)
        cells = self._linked if linked else self._originals
        cells.setdefault((category_id, row, col), []).append((self._filed, hazard_id, lat, lon))
        self._filed += 1
        for sha in dict.fromkeys(photos):
            self._photos.setdefault(sha, []).append(hazard_id)

    def _near(
        self,
        cells: dict[_Cell, list[_Candidate]],
        hazard_id: uuid.UUID,
        category_id: int,
        lat: float,
        lon: float,
        *,
        first_only: bool = False,
    ) -> Iterator[tuple[int, uuid.UUID, float]]:
        """Yield (filing order, id, metres) of the hazards of `cells` within the radius;
        with `first_only`, only the earliest filed of each cell."""
        row, col = self._cell(lat, lon)
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                for order, other_id, other_lat, other_lon in cells.get(
                    (category_id, row + dr, col + dc), ()
                ):
                    distance = metres(lat, lon, other_lat, other_lon)
                    if other_id != hazard_id and distance <= self.radius:
                        yield order, other_id, distance
                        if first_only:
                            break

    def links(
        self,
        hazard_id: uuid.UUID,
        category_id: int,
        lat: float,
        lon: float,
        photos: Iterable[str] = (),
    ) -> dict[uuid.UUID, tuple[str, float | None]]:
        """Return {other id: (reason, metres or None)} for a new hazard."""
        near = list(self._near(self._originals, hazard_id, category_id, lat, lon))
        if not near:
            # Only duplicates here: the earliest of them, not each (a hotspot whose
            # first report was closed would otherwise cost the square of its size).
            near = sorted(
                self._near(self._linked, hazard_id, category_id, lat, lon, first_only=True)
            )[:1]
        found: dict[uuid.UUID, tuple[str, float | None]] = {
            other_id: ("nearby", distance) for _, other_id, distance in near
        }
        for sha in photos:
            for other_id in self._photos.get(sha, ()):
                if other_id != hazard_id:
                    found[other_id] = ("same_photo", found.get(other_id, (None, None))[1])
        return found


_Coded = TypeVar("_Coded", bound=Base)


def _lookup(session: Session, model: type[_Coded], code: str | None, field: str) -> _Coded | None:
    """Return the `model` row with this code (None for no code), or raise if unknown."""
    if code is None:
        return None
    # An empty code names nothing: it is unknown, not "none given".
    found = session.scalar(sa.select(model).filter_by(code=code))
    if found is None:
        raise InvalidInput(f"unknown {field} {code!r}", errors={field: [f"unknown {field}"]})
    return found


def list_rules(session: Session) -> Sequence[Rule]:
    """Return every routing rule, category by category."""
    return session.scalars(
        sa.select(Rule).order_by(Rule.category_id, Rule.priority.desc(), Rule.id)
    ).all()


def add_rule(
    session: Session,
    *,
    category: str,
    department: str,
    area: str | None = None,
    priority: int = 0,
) -> Rule:
    """Add a rule sending `category` (in `area`, if given) to `department`, which must be
    active: a rule to a deactivated one would route nothing and only look as if it did."""
    target = _lookup(session, Department, department, "department")
    assert target is not None  # a code was given
    refuse_if_inactive(target)
    rule = Rule(
        category=_lookup(session, Category, category, "category"),
        department=target,
        area=_lookup(session, Area, area, "area"),
        priority=priority,
    )
    session.add(rule)
    session.flush()
    return rule


def add_category(
    session: Session,
    *,
    code: str,
    name_zh: str,
    name_en: str,
    department: str,
    default_severity: str,
    deadline_days: int,
) -> Category:
    """Add a kind of hazard and its district-wide rule to `department` (行业主管部门)."""
    if session.scalar(sa.select(Category.id).filter_by(code=code)) is not None:
        raise AlreadyExists(f"category {code!r} already exists", errors={"code": [code]})
    owner = _lookup(session, Department, department, "department")
    assert owner is not None  # a code was given
    refuse_if_inactive(owner)
    category = Category(
        code=code,
        name_zh=name_zh,
        name_en=name_en,
        department=owner,
        default_severity=default_severity,
        deadline_days=deadline_days,
    )
    session.add(category)
    session.add(Rule(category=category, department=category.department, priority=0))
    session.flush()
    return category


def change_category(session: Session, code: str, **changes: Any) -> Category:
    """Change a category's names, default severity, deadline or whether reports may use
    it. Hazards already assigned keep their deadline; new assignments take the new one.
    (Which department it goes to is the routing rules' business.)"""
    category = session.scalar(sa.select(Category).filter_by(code=code))
    if category is None:
        raise NotFound(f"no category {code!r}")
    for name in ("name_zh", "name_en", "default_severity", "deadline_days", "active"):
        if name in changes:
            setattr(category, name, changes[name])
    session.flush()
    return category


def change_rule(session: Session, rule_id: int, **changes: Any) -> Rule:
    """Change a rule's category, department, area or priority. A rule may be moved to an
    active department only; one left pointing at a deactivated department (it was
    deactivated after the rule was made) keeps its other fields editable."""
    rule = session.get(Rule, rule_id)
    if rule is None:
        raise NotFound("no such routing rule")
    if changes.get("department") is not None:
        target = _lookup(session, Department, changes["department"], "department")
        if target is not None and target is not rule.department:
            refuse_if_inactive(target)
    for field, model in (("category", Category), ("department", Department), ("area", Area)):
        if field in changes:
            setattr(rule, field, _lookup(session, model, changes[field], field))
    if "priority" in changes:
        rule.priority = changes["priority"]
    if rule.category is None or rule.department is None:
        raise InvalidInput("a rule needs a category and a department")
    session.flush()
    return rule


def remove_rule(session: Session, rule_id: int) -> None:
    """Remove a routing rule."""
    rule = session.get(Rule, rule_id)
    if rule is None:
        raise NotFound("no such routing rule")
    session.delete(rule)
    session.flush()
