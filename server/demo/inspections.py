"""Demo data for field inspections: the seeds' checklists and places in every demo grid."""

import uuid

import sqlalchemy as sa

from server.models import ChecklistTemplate, Place, utcnow
from server.services.inspections import (
    NewItem,
    NewPlace,
    create_template,
    import_places,
    publish,
)
from server.vocabulary import PLACE_TYPES

# The campaign checklists the seeds name (004: "对照'畅通生命通道'相关清单开展检查";
# e-bike charging, restaurant gas, elderly-care homes, the 九小场所).
# (code, name, place types, [(item code, question, category, severity, photo on fail)])
CHECKLISTS = [
    (
        "lifeline",
        "畅通生命通道",
        ["residential", "crowded_place", "shop", "school", "elderly_care", "small_venue"],
        [
            (
                "fire_lane_clear",
                "消防车通道畅通，无车辆、杂物堵塞占用",
                "fire_lane_blocked",
                "general",
                True,
            ),
            (
                "evacuation_clear",
                "疏散通道、楼梯间畅通，无杂物堆放",
                "evacuation_blocked",
                "general",
                True,
            ),
            ("exits_unlocked", "安全出口未锁闭、未封堵", "evacuation_blocked", "major", True),
            (
                "signs_lit",
                "疏散指示标志、应急照明完好有效",
                "fire_equipment_damaged",
                "general",
                False,
            ),
            (
                "no_window_bars",
                "外窗未设置影响逃生和灭火救援的防盗网、广告牌",
                "evacuation_blocked",
                "general",
                False,
            ),
        ],
    ),
    (
        "ebike",
        "电动自行车充电安全",
        ["residential", "small_venue", "shop"],
        [
            (
                "no_indoor_parking",
                "楼道、楼梯间、安全出口处无电动自行车停放、充电",
                "ebike_indoor_charging",
                "general",
                True,
            ),
            ("no_flying_lead", "无私拉电线“飞线”充电", "ebike_indoor_charging", "general", True),
            (
                "charging_point",
                "设有集中停放充电场所且运行正常",
                "ebike_indoor_charging",
                "general",
                False,
            ),
        ],
    ),
    (
        "restaurant_gas",
        "餐饮场所燃气安全",
        ["restaurant"],
        [
            ("gas_alarm", "安装可燃气体报警器并正常工作", "gas_no_alarm_or_valve", "general", True),
            ("shutoff_valve", "安装燃气紧急切断阀", "gas_no_alarm_or_valve", "general", True),
            (
                "hose_sound",
                "燃气软管无老化、破损，长度不超过2米",
                "restaurant_gas",
                "general",
                False,
            ),
            ("legal_supply", "使用正规渠道燃气，无私存气瓶", "restaurant_gas", "major", True),
        ],
    ),
    (
        "elderly_care",
        "养老机构消防安全",
        ["elderly_care"],
        [
            (
                "evacuation_map",
                "各楼层明显位置设置安全疏散指示图",
                "elderly_care_fire",
                "general",
                False,
            ),
            (
                "evacuation_aids",
                "配置轮椅、担架等疏散辅助器材",
                "elderly_care_fire",
                "general",
                False,
            ),
            ("no_illegal_power", "无违规用火用电", "illegal_fire_electricity", "major", True),
            ("no_flammables", "室内无大量可燃生活物品堆积", "flammable_piles", "general", True),
        ],
    ),
    (
        "small_venue",
        "九小场所消防安全",
        ["small_venue", "shop", "restaurant"],
        [
            ("extinguishers", "配置灭火器且在有效期内", "fire_equipment_damaged", "general", False),
            ("no_sleeping_in", "无“三合一”场所住人现象", "illegal_fire_electricity", "major", True),
            ("wiring", "电气线路无私拉乱接", "illegal_fire_electricity", "general", True),
            ("exit_clear", "安全出口、疏散通道畅通", "evacuation_blocked", "general", True),
        ],
    ),
]

# Places per grid, by type: mostly homes and shops, a few of the rest.
MIX = [
    "residential",
    "residential",
    "shop",
    "shop",
    "restaurant",
    "restaurant",
    "small_venue",
    "small_venue",
    "crowded_place",
    "warehouse",
    "school",
    "elderly_care",
]


def load_checklists(session, now=None):
    """Create and publish the seeds' checklists (version 1) where missing."""
    for code, name, place_types, items in CHECKLISTS:
        if session.scalar(sa.select(ChecklistTemplate.id).filter_by(code=code)) is not None:
            continue
        create_template(session, code, name, place_types, [NewItem(*item) for item in items])
        publish(session, code, 1, now)


def demo_places(grid_features):
    """Return NewPlaces for every demo grid: a lattice of places inside each grid's box."""
    places = []
    for feature in grid_features:
        props = feature["properties"]
        ring = feature["geometry"]["coordinates"][0]
        lons, lats = [p[0] for p in ring], [p[1] for p in ring]
        west, east, south, north = min(lons), max(lons), min(lats), max(lats)
        for n, type_ in enumerate(MIX):
            row, col = divmod(n, 4)
            code = f"{props['code']}P{n + 1:02d}"
            places.append(
                NewPlace(
                    id=uuid.uuid5(uuid.NAMESPACE_URL, f"place:{code}"),
                    name=f"{props['name'].split('第')[0]}{PLACE_TYPES[type_]}{n + 1}号",
                    type=type_,
                    lat=south + (north - south) * (row + 1) / 4,
                    lon=west + (east - west) * (col + 1) / 5,
                    address=f"{props['name']}{n + 1}号",
                    code=code,
                )
            )
    return places


def load_places(session, grid_features, office):
    """Create the demo places that are missing (12 in each grid)."""
    wanted = demo_places(grid_features)
    have = set(session.scalars(sa.select(Place.code).where(Place.code.like("%P__"))))
    missing = [p for p in wanted if p.code not in have]
    if missing:
        import_places(session, missing, office)
    session.flush()
    return len(wanted)


def load_demo_inspections(session, grid_features, office, now=None):
    """Load the checklists and places of the demo district."""
    load_checklists(session, now or utcnow())
    return load_places(session, grid_features, office)
