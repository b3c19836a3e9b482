"""The words the product is made of, defined once (SPEC §1-§3, §10).

Roles, hazard statuses, severities, datums, area levels, department kinds, place
types and inspection answers. Models, services, schemas and doors import them
from here; this module imports nothing of the project, so anything may use it.
"""

# Who uses it (SPEC §1).
ROLES = ("volunteer", "grid_worker", "dept_staff", "office")

# The hazard lifecycle (闭环管理, SPEC §2).
STATUSES = (
    "reported",
    "assigned",
    "accepted",
    "rectifying",
    "rectified",
    "verified",
    "closed",
    "invalid",
    "duplicate",
)
OPEN = frozenset({"reported", "assigned", "accepted", "rectifying", "rectified", "verified"})
TERMINAL = frozenset({"closed", "invalid", "duplicate"})
# Open and in a department's hands: what department queues hold.
DEPARTMENT_OPEN = ("assigned", "accepted", "rectifying", "rectified", "verified")
SEVERITIES = ("general", "major")  # 一般隐患, 重大隐患

# Datums a phone may report in; everything is stored in WGS-84 (SPEC §3).
CRS_NAMES = ("wgs84", "gcj02", "bd09")

# The district's organisation (属地管理 + 行业监管).
AREA_LEVELS = ("district", "street", "community", "grid")
DEPARTMENT_KINDS = ("sector", "territorial", "office")

# Field inspections (检查, SPEC §10): kinds of premises, with the names the seeds use.
PLACE_TYPES = {
    "residential": "住宅小区",
    "shop": "商铺",
    "restaurant": "餐饮场所",
    "elderly_care": "养老机构",
    "school": "学校",
    "construction_site": "建筑工地",
    "warehouse": "仓库",
    "crowded_place": "人员密集场所",
    "small_venue": "九小场所",
}
PLACE_STATUSES = ("confirmed", "proposed")  # proposed: added in the field, not yet confirmed
VERSION_STATUSES = ("draft", "published")
ANSWERS = {"pass": "合格", "fail": "不合格", "na": "不适用"}
