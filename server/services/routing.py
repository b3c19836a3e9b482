"""Routing (属地管理 + 行业监管): the lead department from the category's rules, the
territorial owner from the location, and possible duplicates nearby (SPEC §3)."""

import math

import sqlalchemy as sa
from geopy.distance import geodesic

from server.models import Area, Category, Department, DuplicateLink, Hazard, HazardPhoto
from server.models import RoutingRule as Rule
from server.services.errors import InvalidInput, NotFound
from server.services.lifecycle import OPEN

SPECIFICITY = {"grid": 4, "community": 3, "street": 2, "district": 1, None: 0}
OUTSIDE = "位置不在本区任何网格内 (outside every grid)"


def territorial_owner(session, street_id):
    """Return the street office (街道办事处/乡镇) of a street, if there is one."""
    if street_id is None:
        return None
    return session.scalar(
        sa.select(Department).filter_by(kind="territorial", area_id=street_id).limit(1)
    )


def choose_department(session, category_id, area_ids):
    """Return the department the rules send this category to in these areas, or None.

    Highest priority wins; among equals the most specific area (grid over
    community over street over district over district-wide rules).
    """
    area_ids = [a for a in area_ids if a is not None]
    rows = session.execute(
        sa.select(Rule, Area.level)
        .outerjoin(Area, Rule.area_id == Area.id)
        .where(
            Rule.category_id == category_id,
            sa.or_(Rule.area_id.is_(None), Rule.area_id.in_(area_ids)),
        )
    ).all()
    if not rows:
        return None
    rule, _ = max(rows, key=lambda row: (row[0].priority, SPECIFICITY[row[1]], -row[0].id))
    return rule.department


def area_ids_of(hazard):
    """Return the ids of the areas a hazard lies in, most specific first."""
    ids = [hazard.grid_id, hazard.community_id, hazard.street_id]
    if hazard.street is not None:
        ids.append(hazard.street.parent_id)
    return ids


def routing_for(session, hazard):
    """Return (department or None, reason if None) for a hazard as it is now."""
    if hazard.grid_id is None:
        return None, OUTSIDE
    department = choose_department(session, hazard.category_id, area_ids_of(hazard))
    if department is None:
        return None, f"没有适用的分派规则 (no routing rule for {hazard.category.code} here)"
    return department, None


def find_duplicates(session, hazard, photos, policy):
    """Link the hazard to open hazards of its category nearby, and to any sharing a photo."""
    radius = policy.duplicate_radius_m
    dlat = radius / 111_000 * 1.5
    dlon = dlat / max(math.cos(math.radians(hazard.lat)), 0.01)
    nearby = session.scalars(
        sa.select(Hazard).where(
            Hazard.id != hazard.id,
            Hazard.category_id == hazard.category_id,
            Hazard.status.in_(OPEN),
            Hazard.received_at >= hazard.received_at - policy.duplicate_window,
            Hazard.lat.between(hazard.lat - dlat, hazard.lat + dlat),
            Hazard.lon.between(hazard.lon - dlon, hazard.lon + dlon),
        )
    ).all()
    links = {}
    for other in nearby:
        distance = geodesic((hazard.lat, hazard.lon), (other.lat, other.lon)).meters
        if distance <= radius:
            links[other.id] = ("nearby", distance)
    if photos:
        same_photo = session.scalars(
            sa.select(HazardPhoto.hazard_id)
            .where(HazardPhoto.sha256.in_(photos), HazardPhoto.hazard_id != hazard.id)
            .distinct()
        ).all()
        for other_id in same_photo:
            links[other_id] = ("same_photo", links.get(other_id, (None, None))[1])
    for other_id, (reason, distance) in links.items():
        session.add(
            DuplicateLink(
                hazard_id=hazard.id, other_id=other_id, reason=reason, distance_m=distance
            )
        )
    session.flush()
    return links


def _lookup(session, model, code, field):
    found = session.scalar(sa.select(model).filter_by(code=code)) if code else None
    if code and found is None:
        raise InvalidInput(f"unknown {field} {code!r}", errors={field: [f"unknown {field}"]})
    return found


def list_rules(session):
    """Return every routing rule, category by category."""
    return session.scalars(
        sa.select(Rule).order_by(Rule.category_id, Rule.priority.desc(), Rule.id)
    ).all()


def add_rule(session, *, category, department, area=None, priority=0):
    """Add a rule sending `category` (in `area`, if given) to `department`."""
    rule = Rule(
        category=_lookup(session, Category, category, "category"),
        department=_lookup(session, Department, department, "department"),
        area=_lookup(session, Area, area, "area"),
        priority=priority,
    )
    session.add(rule)
    session.flush()
    return rule


def change_rule(session, rule_id, **changes):
    """Change a rule's category, department, area or priority."""
    rule = session.get(Rule, rule_id)
    if rule is None:
        raise NotFound("no such routing rule")
    for field, model in (("category", Category), ("department", Department), ("area", Area)):
        if field in changes:
            setattr(rule, field, _lookup(session, model, changes[field], field))
    if "priority" in changes:
        rule.priority = changes["priority"]
    if rule.category is None or rule.department is None:
        raise InvalidInput("a rule needs a category and a department")
    session.flush()
    return rule


def remove_rule(session, rule_id):
    """Remove a routing rule."""
    rule = session.get(Rule, rule_id)
    if rule is None:
        raise NotFound("no such routing rule")
    session.delete(rule)
    session.flush()
