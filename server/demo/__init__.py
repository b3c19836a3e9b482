"""The demo district (通州区（演示）): areas, departments, categories, one user per role
and a few reports; safe to load twice.

Data for trying the product and for the tests, not a rule of it: it lives beside the
services, which it calls like any other door does, not among them.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from server.demo.inspections import load_demo_inspections
from server.models import Area, Category, Department, Hazard, RoutingRule, User
from server.services.accounts import create_user
from server.services.areas import import_areas
from server.services.hazards import NewReport, report_hazard

DISTRICT = ("110112", "通州区（演示）")
# The district's box, split 2×2 into streets, each street into 3 community strips,
# each community into 2 or 3 grids: 4 streets, 12 communities, 30 grids.
WEST, EAST, SOUTH, NORTH = 116.600, 116.720, 39.860, 39.940
STREETS = [
    ("110112003", "北苑街道", ["北苑南路社区", "果园社区", "西上园社区"]),
    ("110112001", "中仓街道", ["中仓社区", "西营社区", "小园社区"]),
    ("110112002", "新华街道", ["新华南路社区", "如意社区", "司空分署社区"]),
    ("110112004", "玉桥街道", ["玉桥南里社区", "玉桥北里社区", "运河东大街社区"]),
]
GRIDS_PER_COMMUNITY = [3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2]

# (code, name, kind) — names as in the seeds' 责任单位 lists.
DEPARTMENTS = [
    ("office", "区安委会办公室", "office"),
    ("fire-rescue", "区消防救援支队", "sector"),
    ("urban-mgmt", "区城市管理委", "sector"),
    ("market-reg", "区市场监管局", "sector"),
    ("housing", "区住建委", "sector"),
    ("emergency", "区应急管理局", "sector"),
    ("civil-affairs", "区民政局", "sector"),
    ("education", "区教委", "sector"),
    ("commerce", "区商务局", "sector"),
    ("culture-tourism", "区文化和旅游局", "sector"),
    ("transport", "区交通局", "sector"),
    ("water", "区水务局", "sector"),
    ("health", "区卫健委", "sector"),
]

# (code, 中文, English, sectoral department, severity, deadline in working days)
CATEGORIES = [
    ("fire_lane_blocked", "消防车通道堵塞占用", "Blocked fire lane", "fire-rescue", "general", 1),
    (
        "evacuation_blocked",
        "疏散通道堵塞或安全出口锁闭",
        "Blocked evacuation route or locked exit",
        "fire-rescue",
        "general",
        1,
    ),
    (
        "ebike_indoor_charging",
        "电动自行车楼道停放充电、飞线充电",
        "E-bike parked or charged indoors / flying-lead charging",
        "fire-rescue",
        "general",
        3,
    ),
    (
        "gas_no_alarm_or_valve",
        "燃气未安装报警器或切断装置",
        "Gas without alarm or shut-off valve",
        "urban-mgmt",
        "general",
        7,
    ),
    (
        "self_built_house",
        "经营性自建房安全隐患",
        "Self-built house used for business",
        "housing",
        "major",
        30,
    ),
    (
        "hazchem_storage",
        "危险化学品违规储存",
        "Hazardous chemicals stored unlawfully",
        "emergency",
        "major",
        30,
    ),
    (
        "hot_work_no_permit",
        "未经审批动火作业",
        "Hot work without permit",
        "emergency",
        "general",
        1,
    ),
    (
        "confined_space",
        "有限空间作业安全隐患",
        "Confined-space work hazard",
        "emergency",
        "major",
        7,
    ),
    (
        "construction_site",
        "建筑施工现场安全隐患",
        "Construction site hazard",
        "housing",
        "general",
        7,
    ),
    (
        "special_equipment",
        "电梯等特种设备安全隐患",
        "Elevator or special equipment hazard",
        "market-reg",
        "general",
        7,
    ),
    (
        "fire_equipment_damaged",
        "消防设施器材损坏缺失",
        "Damaged or missing fire equipment",
        "fire-rescue",
        "general",
        7,
    ),
    (
        "illegal_fire_electricity",
        "违规用火用电",
        "Illegal use of fire or electricity",
        "fire-rescue",
        "general",
        3,
    ),
    (
        "flammable_piles",
        "易燃可燃物堆放",
        "Flammable material piled up",
        "fire-rescue",
        "general",
        3,
    ),
    (
        "renovation_while_open",
        "人员密集场所边营业边施工",
        "Crowded place renovating while open",
        "fire-rescue",
        "major",
        7,
    ),
    ("restaurant_gas", "餐饮场所燃气使用隐患", "Restaurant gas hazard", "urban-mgmt", "general", 7),
    (
        "elderly_care_fire",
        "养老机构消防安全隐患",
        "Elderly-care home fire hazard",
        "civil-affairs",
        "general",
        7,
    ),
    ("school_safety", "校园及周边安全隐患", "School safety hazard", "education", "general", 7),
    ("road_traffic", "道路交通安全隐患", "Road traffic hazard", "transport", "general", 7),
    ("flood_drainage", "防汛排水设施隐患", "Flood or drainage hazard", "water", "general", 7),
    ("other", "其他安全隐患", "Other safety hazard", "emergency", "general", 7),
]

# Kinds a street office (街道办事处) owns by its 属地 duty, as the seeds' 各街道乡镇 tasks
# say: a rule in each street sends them to that street's own office, and no district-wide
# rule stands behind it (a street without an office leaves them to the office's triage).
# (code, 中文, English, supervising department, severity, deadline in working days)
STREET_CATEGORIES = [
    (
        "road_stall_occupation",
        "占道经营",
        "Road or pavement occupied by stalls",
        "urban-mgmt",
        "general",
        3,
    ),
    (
        "stairwell_clutter",
        "楼道堆物堆料",
        "Things piled in stairwells and corridors",
        "fire-rescue",
        "general",
        3,
    ),
]


@dataclass(frozen=True)
class DemoUser:
    """A demo account printed for the person trying the service."""

    username: str
    password: str
    role: str
    display_name: str
    department: str | None = None
    grids: tuple[str, ...] = ()
    phone: str | None = None


DEMO_PASSWORD = "demo-pass-2026"
DEMO_USERS = [
    DemoUser("volunteer", DEMO_PASSWORD, "volunteer", "王志愿", phone="13800000001"),
    DemoUser(
        "gridworker",
        DEMO_PASSWORD,
        "grid_worker",
        "李网格",
        grids=("110112001001G01", "110112001001G02"),
        phone="13800000002",
    ),
    DemoUser("fire", DEMO_PASSWORD, "dept_staff", "赵消防", department="fire-rescue"),
    DemoUser("zhongcang", DEMO_PASSWORD, "dept_staff", "钱街道", department="street-110112001"),
    DemoUser("office", DEMO_PASSWORD, "office", "孙安办", department=None),
]


def _box(west, south, east, north):
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [[[round(x, 6), round(y, 6)] for x, y in ring]]}


def _feature(code, name, level, parent, geometry):
    return {
        "type": "Feature",
        "geometry": geometry,
        "properties": {"code": code, "name": name, "level": level, "parent": parent},
    }


def district_geojson():
    """Return the demo district's areas as a GeoJSON FeatureCollection."""
    features = [
        _feature(DISTRICT[0], DISTRICT[1], "district", None, _box(WEST, SOUTH, EAST, NORTH))
    ]
    mid_lon, mid_lat = (WEST + EAST) / 2, (SOUTH + NORTH) / 2
    street_boxes = [
        (WEST, mid_lat, mid_lon, NORTH),
        (mid_lon, mid_lat, EAST, NORTH),
        (WEST, SOUTH, mid_lon, mid_lat),
        (mid_lon, SOUTH, EAST, mid_lat),
    ]
    grid_counts = iter(GRIDS_PER_COMMUNITY)
    for (code, name, communities), (w, s, e, n) in zip(STREETS, street_boxes, strict=True):
        features.append(_feature(code, name, "street", DISTRICT[0], _box(w, s, e, n)))
        strip = (e - w) / len(communities)
        for i, community in enumerate(communities, start=1):
            c_code = f"{code}{i:03d}"
            cw, ce = w + strip * (i - 1), w + strip * i
            features.append(_feature(c_code, community, "community", code, _box(cw, s, ce, n)))
            count = next(grid_counts)
            band = (n - s) / count
            for g in range(1, count + 1):
                g_box = _box(cw, s + band * (g - 1), ce, s + band * g)
                features.append(
                    _feature(f"{c_code}G{g:02d}", f"{community}第{g}网格", "grid", c_code, g_box)
                )
    return {"type": "FeatureCollection", "features": features}


def grid_centre(code):
    """Return (lat, lon) of the centre of a demo grid."""
    for feature in district_geojson()["features"]:
        if feature["properties"]["code"] == code:
            ring = feature["geometry"]["coordinates"][0]
            lons, lats = [p[0] for p in ring], [p[1] for p in ring]
            return (min(lats) + max(lats)) / 2, (min(lons) + max(lons)) / 2
    raise KeyError(code)


DEMO_REPORTS = [
    (
        "fire_lane_blocked",
        "110112001001G01",
        "小区东门消防车通道被私家车占用，消防车无法通行。",
        "中仓社区3号楼东侧",
    ),
    (
        "ebike_indoor_charging",
        "110112001001G02",
        "2单元楼道内有电动自行车停放并飞线充电。",
        "中仓社区5号楼2单元",
    ),
    (
        "gas_no_alarm_or_valve",
        "110112001002G01",
        "餐馆后厨液化气钢瓶未安装自动切断阀。",
        "西营社区临街商铺",
    ),
    ("flammable_piles", "110112002001G01", "楼道堆放大量纸箱等可燃物。", "新华南路社区7号楼"),
    (
        "hot_work_no_permit",
        "110112003002G01",
        "商铺装修现场无人监护进行电焊动火作业。",
        "果园社区底商",
    ),
    ("evacuation_blocked", "110112004001G02", "超市安全出口被货物堵塞并上锁。", "玉桥南里社区超市"),
    # Work for the street office of 中仓街道 (the demo user zhongcang).
    (
        "road_stall_occupation",
        "110112001002G02",
        "早市摊贩占用人行道经营，行人被迫走机动车道。",
        "西营社区新华大街北口",
    ),
    (
        "stairwell_clutter",
        "110112001003G01",
        "1单元楼道内堆放旧家具和纸箱，挡住一半通道。",
        "小园社区2号楼1单元",
    ),
    (
        "stairwell_clutter",
        "110112001003G02",
        "地下室通道堆满杂物，安全出口指示灯被遮挡。",
        "小园社区6号楼地下室",
    ),
]


def _ensure_department(session, code, name, kind, area_id=None):
    department = session.scalar(sa.select(Department).filter_by(code=code))
    if department is None:
        department = Department(code=code)
        session.add(department)
    department.name, department.kind, department.area_id = name, kind, area_id
    return department


def load_demo(session, *, password_method="scrypt", now=None):
    """Load (or refresh) the demo district; return the DemoUser list to print."""
    import_areas(session, district_geojson())
    departments = {
        code: _ensure_department(session, code, name, kind) for code, name, kind in DEPARTMENTS
    }

    for street_code, street_name, _ in STREETS:
        street = session.scalar(sa.select(Area).filter_by(code=street_code))
        departments[f"street-{street_code}"] = _ensure_department(
            session, f"street-{street_code}", f"{street_name}办事处", "territorial", street.id
        )
    session.flush()
    district_wide = {code for code, *_ in CATEGORIES}
    for code, zh, en, dept, severity, days in CATEGORIES + STREET_CATEGORIES:
        category = session.scalar(sa.select(Category).filter_by(code=code))
        if category is None:
            category = Category(code=code)
            session.add(category)
            if code in district_wide:
                session.add(RoutingRule(category=category, department=departments[dept]))
        category.name_zh, category.name_en = zh, en
        category.department = departments[dept]
        category.default_severity, category.deadline_days = severity, days
    session.flush()
    for code, *_ in STREET_CATEGORIES:
        category = session.scalar(sa.select(Category).filter_by(code=code))
        for street_code, _, _ in STREETS:
            office = departments[f"street-{street_code}"]
            rule = {"category_id": category.id, "area_id": office.area_id}
            # Once there, the rule is the office's to change: a second load keeps it.
            if session.scalar(sa.select(RoutingRule.id).filter_by(**rule)) is None:
                session.add(RoutingRule(**rule, department_id=office.id, priority=0))
    session.flush()
    for demo in DEMO_USERS:
        if session.scalar(sa.select(User.id).filter_by(username=demo.username)) is None:
            create_user(
                session,
                demo.username,
                role=demo.role,
                password=demo.password,
                department_code=demo.department,
                grid_codes=demo.grids,
                display_name=demo.display_name,
                phone=demo.phone,
                password_method=password_method,
            )
    volunteer = session.scalar(sa.select(User).filter_by(username="volunteer"))
    now = now or datetime.now(UTC)
    office = session.scalar(sa.select(User).filter_by(username="office"))
    grids = [f for f in district_geojson()["features"] if f["properties"]["level"] == "grid"]
    load_demo_inspections(session, grids, office, now)
    for n, (category, grid, description, address) in enumerate(DEMO_REPORTS):
        hazard_id = uuid.uuid5(uuid.NAMESPACE_URL, f"demo-hazard-{n}")
        if session.get(Hazard, hazard_id) is not None:
            continue
        lat, lon = grid_centre(grid)
        report = NewReport(
            id=hazard_id,
            category=category,
            description=description,
            lat=lat,
            lon=lon,
            accuracy_m=8.0,
            address=address,
            observed_at=now - timedelta(hours=n + 1),
        )
        report_hazard(session, volunteer, report, now=now - timedelta(hours=n))
    session.flush()
    return DEMO_USERS
