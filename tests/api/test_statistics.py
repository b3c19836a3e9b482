"""Closure statistics checked against a district history worked out by hand.

The period is ISO week 2026-W40 (Mon 28 Sep to Sun 4 Oct, Asia/Shanghai), across
the National Day holiday (1 to 7 Oct off; Sat 10 Oct a make-up working day).
"""

import io
import uuid
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from server.demo import grid_centre
from server.extensions import db
from server.models import Hazard, User
from server.services import stats
from server.services.hazards import NewReport, report_hazard
from server.services.lifecycle import Step
from server.services.steps import StepRequest, apply_step
from server.services.workdays import SHANGHAI
from tests.helpers import add_user, assert_problem, file_report, login, report_body, upload
from tests.photos import encode, picture, sha

NOW = datetime(2026, 10, 20, 12, 0, tzinfo=SHANGHAI)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def at(month, day, hour=0, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


class History:
    """Builds hazards through the services at chosen times."""

    def __init__(self, session):
        self.session = session
        self.users = {u.username: u for u in session.scalars(sa.select(User))}

    def report(
        self, who, when, category="fire_lane_blocked", grid="110112001001G01", photos=(), nudge=0.0
    ):
        lat, lon = grid_centre(grid)
        hazard, _ = report_hazard(
            self.session,
            self.users[who],
            NewReport(
                id=uuid.uuid4(),
                category=category,
                description="测试隐患",
                lat=lat + nudge,
                lon=lon,
                observed_at=when,
                photos=tuple(photos),
            ),
            now=when,
        )
        return hazard.id

    def step(self, who, hazard_id, when, type_, **fields):
        apply_step(
            self.session,
            self.users[who],
            hazard_id,
            StepRequest(id=uuid.uuid4(), step=Step(type_, **fields)),
            now=when,
        )

    def close_out(self, hazard_id, rectified, verified, closed, fail_first=None):
        self.step("fire", hazard_id, rectified, "accept")
        self.step("fire", hazard_id, rectified, "start")
        self.step("fire", hazard_id, rectified, "rectify", photos=("a" * 64,))
        if fail_first:
            self.step("office", hazard_id, fail_first, "verify", result="fail", note="未整改到位")
            self.step("fire", hazard_id, fail_first, "rectify", photos=("b" * 64,))
        self.step("office", hazard_id, verified, "verify", result="pass")
        self.step("office", hazard_id, closed, "close")


@pytest.fixture
def week40(app, client, demo):
    """The hand-built history; returns the hazards by letter."""
    volunteer = login(client, "volunteer")
    no_exif = encode(picture(), "PNG")
    assert upload(client, volunteer, no_exif, "image/png").status_code == 201
    add_user(app, "gas", "dept_staff", "gas-staff-1", department_code="urban-mgmt")
    with app.app_context():
        h = History(db.session)
        ids = {}
        # A: on time. Mon 09:00 → closed Tue 11:00: 26 h, all on working days.
        ids["A"] = h.report("volunteer", at(9, 28, 9), photos=[sha(no_exif)])
        h.close_out(ids["A"], at(9, 28, 15), at(9, 29, 10), at(9, 29, 11))
        # B: by the grid worker, Wed 30 Sep 10:00; due Thu 8 Oct (holiday between);
        # closed 8 Oct 10:00, on time: 14 + 10 = 24 working hours, 8 calendar days.
        ids["B"] = h.report("gridworker", at(9, 30, 10), grid="110112001001G02")
        h.close_out(ids["B"], at(10, 8, 8), at(10, 8, 9), at(10, 8, 10))
        # C: gas, returned by its department then assigned again the same day; due
        # 14 Oct (make-up Saturday 10 Oct counts), still open on 20 Oct: overdue.
        ids["C"] = h.report(
            "volunteer", at(9, 29, 9), category="gas_no_alarm_or_valve", grid="110112001002G01"
        )
        h.step("gas", ids["C"], at(9, 29, 10), "return", note="不属于本部门")
        h.step("office", ids["C"], at(9, 29, 11), "assign", department="urban-mgmt")
        # D: reported on a holiday, invalid.
        ids["D"] = h.report("volunteer", at(10, 1, 12), grid="110112002001G01")
        h.step("office", ids["D"], at(10, 2, 9), "invalidate", note="非安全隐患")
        # G: Fri 2 Oct (holiday) 10:00, due 8 Oct; fails verification once, closed
        # Fri 9 Oct 12:00, late: 24 + 12 = 36 working hours, 7 days 2 hours.
        ids["G"] = h.report("volunteer", at(10, 2, 10), nudge=0.002)
        h.close_out(ids["G"], at(10, 8, 9), at(10, 9, 11), at(10, 9, 12), fail_first=at(10, 8, 15))
        # E: Sunday 23:59, the last minute of the week: merged as a duplicate of C.
        ids["E"] = h.report(
            "volunteer", at(10, 4, 23, 59), category="flammable_piles", grid="110112002001G01"
        )
        h.step("office", ids["E"], at(10, 5, 9), "merge", into=ids["C"])
        # Outside the week: Sunday 27 Sep 23:59 and Monday 5 Oct 00:00.
        ids["H"] = h.report("volunteer", at(9, 27, 23, 59), grid="110112004001G01")
        ids["I"] = h.report("volunteer", at(10, 5, 0, 0), grid="110112004001G01")
        db.session.commit()
    return {k: str(v) for k, v in ids.items()}


def summary(client, headers, query):
    response = client.get(f"/api/v1/stats/summary?{query}", headers=headers)
    assert response.status_code == 200, response.json
    return response.json


@pytest.fixture
def frozen_now(monkeypatch):
    """The statistics are read on 20 Oct 2026, noon Shanghai time."""
    import server.api.stats as api
    import server.services.hazards.listing as listing

    monkeypatch.setattr(api, "utcnow", lambda: NOW)
    monkeypatch.setattr(listing, "utcnow", lambda: NOW)


def test_week_totals_match_the_hand_worked_figures(client, week40, frozen_now):
    total = summary(client, login(client, "office"), "from=2026-09-28&to=2026-10-05")["total"]
    assert {
        k: total[k]
        for k in (
            "reported",
            "valid",
            "assigned",
            "rectified",
            "verified",
            "closed",
            "closed_on_time",
            "closed_or_overdue",
            "open",
            "open_overdue",
            "reopened",
            "returned",
            "by_volunteers",
            "by_grid_workers",
            "photos_flagged",
        )
    } == {
        "reported": 6,
        "valid": 4,
        "assigned": 4,
        "rectified": 3,
        "verified": 3,
        "closed": 3,
        "closed_on_time": 2,
        "closed_or_overdue": 4,
        "open": 1,
        "open_overdue": 1,
        "reopened": 1,
        "returned": 1,
        "by_volunteers": 5,
        "by_grid_workers": 1,
        "photos_flagged": 1,
    }
    assert total["closure_rate"] == {"value": 0.75, "numerator": 3, "denominator": 4}
    # The open overdue hazard is late already: 2 on time of 3 closed and 1 overdue.
    assert total["on_time_rate"] == {"value": 0.5, "numerator": 2, "denominator": 4}
    assert total["working_hours_to_close"] == {"p50": 26.0, "p90": 36.0}
    assert total["days_to_close"] == {"p50": 7.08, "p90": 8.0}


def test_figures_by_street(client, week40, frozen_now):
    rows = summary(
        client, login(client, "office"), "from=2026-09-28&to=2026-10-05&group_by=street"
    )["rows"]
    by_street = {
        r["label"]: (r["reported"], r["valid"], r["closed"], r["open_overdue"]) for r in rows
    }
    assert by_street == {"中仓街道": (4, 4, 3, 1), "新华街道": (2, 0, 0, 0)}
    zhongcang = next(r for r in rows if r["label"] == "中仓街道")
    assert zhongcang["working_hours_to_close"] == {"p50": 26.0, "p90": 36.0}
    xinhua = next(r for r in rows if r["label"] == "新华街道")
    assert xinhua["closure_rate"] == {"value": None, "numerator": 0, "denominator": 0}


def test_percentiles_are_nearest_rank_in_every_group_and_overall(app, demo):
    """Times to close ranked per street, per department sheet and for the whole period;
    each time on its own ranking; a hazard in no street is a group of its own."""
    hours = {
        "110112001001G01": [5, 1, 9, 3, 7, 11, 13],  # 中仓: rank 4 of 7 is 7, rank 7 is 13
        "110112002001G01": [2, 4, 6, 8, 10, 12, 14, 16, 18, 20],  # 新华: ranks 5, 9
        None: [100, 50, 75],  # in no street: ranks 2 and 3
    }
    with app.app_context():
        h = History(db.session)
        for grid, values in hours.items():
            for value in values:
                hazard_id = h.report("volunteer", at(9, 28, 9), grid=grid or "110112004001G01")
                # The closure facts as the lifecycle keeps them; calendar days run
                # the other way round from working hours, so each ranks on its own.
                db.session.execute(
                    sa.update(Hazard)
                    .where(Hazard.id == hazard_id)
                    .values(
                        status="closed",
                        closed_at=at(9, 29),
                        close_working_hours=value,
                        close_seconds=(100 - value) * 86400,
                        street_id=Hazard.street_id if grid else None,
                    )
                )
        # Open in a third street: reported, nothing to rank.
        h.report("volunteer", at(9, 28, 9), grid="110112003001G01")
        db.session.commit()
        week = stats.Period(date(2026, 9, 28), date(2026, 9, 28) + timedelta(days=7))
        for _ in range(2):  # the second run finds no scratch left behind by the first
            rows, total = stats.summary(db.session, week, "street", now=NOW)
        times = {r["label"]: (r["working_hours_to_close"], r["days_to_close"]) for r in rows}
        nothing = {"p50": None, "p90": None}
        assert times == {
            "中仓街道": ({"p50": 7.0, "p90": 13.0}, {"p50": 93.0, "p90": 99.0}),
            "新华街道": ({"p50": 10.0, "p90": 18.0}, {"p50": 88.0, "p90": 96.0}),
            "北苑街道": (nothing, nothing),
            None: ({"p50": 75.0, "p90": 100.0}, {"p50": 25.0, "p90": 50.0}),
        }
        # All 20, ranks 10 and 18: hours 1 2 3 4 5 6 7 8 9 [10] 11 12 13 14 16 18 20 [50]
        # 75 100; days 0 25 50 80 82 84 86 87 88 [89] 90 91 92 93 94 95 96 [97] 98 99.
        assert total["working_hours_to_close"] == {"p50": 10.0, "p90": 50.0}
        assert total["days_to_close"] == {"p50": 89.0, "p90": 97.0}
        _, _, _, sheets = stats.weekly_report(db.session, week, now=NOW, district_name="通州区")
        (name, sheet_rows, sheet_total), *others = sheets
        assert name == "区消防救援支队" and others == []
        assert sheet_total["working_hours_to_close"] == {"p50": 10.0, "p90": 50.0}
        assert {r["label"]: r["working_hours_to_close"]["p90"] for r in sheet_rows} == {
            "中仓街道": 13.0,
            "新华街道": 18.0,
            "北苑街道": None,
            None: 100.0,
        }
        if db.engine.dialect.name == "sqlite":
            temp = db.session.execute(sa.text("SELECT name FROM sqlite_temp_master")).all()
            assert temp == []


def test_extensions_and_reopens_are_judged_by_the_deadline_in_force(client, demo, app, frozen_now):
    """Week 2026-W42 (Mon 12 to Sun 18 Oct, all ordinary working days), read on Tue
    20 Oct at noon: a blocked fire lane is due at the end of the next working day."""
    grid = "110112002001G01"  # 新华街道
    with app.app_context():
        h = History(db.session)
        # X: due Tue 13 Oct, extended to Fri 16 Oct; closed Thu 15 Oct 21:00: on time
        # by the extension. 15 + 24 + 24 + 21 = 84 working hours, 3.5 days.
        x = h.report("volunteer", at(10, 12, 9), grid=grid)
        h.step("fire", x, at(10, 12, 9, 30), "accept")
        h.step("fire", x, at(10, 12, 10), "request_extension", until=date(2026, 10, 16),
               note="需协调车主挪车")  # fmt: skip
        h.step("office", x, at(10, 12, 11), "grant_extension")
        h.step("fire", x, at(10, 15, 8), "start")
        h.step("fire", x, at(10, 15, 9), "rectify", photos=("c" * 64,))
        h.step("office", x, at(10, 15, 10), "verify", result="pass")
        h.step("office", x, at(10, 15, 21), "close")
        # Y: an extension refused; closed Wed 14 Oct 10:00, late. 48 hours, 2 days.
        y = h.report("volunteer", at(10, 12, 10), grid=grid, nudge=0.002)
        h.step("fire", y, at(10, 12, 10, 30), "accept")
        h.step("fire", y, at(10, 12, 11), "request_extension", until=date(2026, 10, 16),
               note="需协调车主挪车")  # fmt: skip
        h.step("office", y, at(10, 12, 11, 30), "refuse_extension", note="一天内可挪车")
        h.step("fire", y, at(10, 14, 8), "start")
        h.step("fire", y, at(10, 14, 8, 30), "rectify", photos=("d" * 64,))
        h.step("office", y, at(10, 14, 9), "verify", result="pass")
        h.step("office", y, at(10, 14, 10), "close")
        # Z: closed on time Wed 14 Oct, reopened Mon 19 Oct (due again Tue 20 Oct):
        # open, not overdue; its first closure no longer counts.
        z = h.report("volunteer", at(10, 13, 9), grid=grid, nudge=0.004)
        h.close_out(z, at(10, 14, 8), at(10, 14, 8, 30), at(10, 14, 9))
        h.step("office", z, at(10, 19, 9), "reopen", note="隐患反弹，车辆再次占道")
        # W: closed Tue 13 Oct 16:00, reopened Wed 14 Oct (due Thu 15 Oct), closed
        # again Fri 16 Oct 10:00: late; timed from the report, 72 hours, 3 days.
        w = h.report("volunteer", at(10, 13, 10), grid=grid, nudge=0.006)
        h.close_out(w, at(10, 13, 14), at(10, 13, 15), at(10, 13, 16))
        h.step("office", w, at(10, 14, 9), "reopen", note="复查发现再次堵塞")
        h.close_out(w, at(10, 16, 8), at(10, 16, 9), at(10, 16, 10))
        db.session.commit()
    office = login(client, "office")
    deadline = client.get(f"/api/v1/hazards/{x}", headers=office).json["deadline"]
    assert datetime.fromisoformat(deadline) == at(10, 16, 23, 59) + timedelta(seconds=59)
    total = summary(client, office, "from=2026-10-12&to=2026-10-19")["total"]
    counts = {k: total[k] for k in ("reported", "closed", "closed_on_time", "open",
                                    "open_overdue", "reopened")}  # fmt: skip
    assert counts == {
        "reported": 4,
        "closed": 3,  # X, Y, W
        "closed_on_time": 1,  # X, by its extension
        "open": 1,  # Z
        "open_overdue": 0,  # Z is due at the end of today
        "reopened": 2,  # Z, W
    }
    assert total["on_time_rate"] == {"value": 0.3333, "numerator": 1, "denominator": 3}
    assert total["closure_rate"] == {"value": 0.75, "numerator": 3, "denominator": 4}
    # Hours 48, 72, 84 and days 2, 3, 3.5: ranks 2 and 3 of 3.
    assert total["working_hours_to_close"] == {"p50": 72.0, "p90": 84.0}
    assert total["days_to_close"] == {"p50": 3.0, "p90": 3.5}
    overdue = client.get("/api/v1/stats/overdue", headers=office).json
    assert [r for r in overdue if r["street"] == "110112002"] == []


def test_week_boundaries_fall_at_monday_midnight_shanghai(client, week40, frozen_now):
    trend = client.get(
        "/api/v1/stats/trend?from=2026-09-21&to=2026-10-12", headers=login(client, "office")
    ).json
    assert [(r["label"], r["reported"]) for r in trend["rows"]] == [
        ("2026-W39", 1),
        ("2026-W40", 6),
        ("2026-W41", 1),
    ]


@pytest.mark.parametrize(
    ("group_by", "expected"),
    [
        ("department", {"fire-rescue": 5, "urban-mgmt": 1}),
        ("category", {"fire_lane_blocked": 4, "gas_no_alarm_or_valve": 1, "flammable_piles": 1}),
        ("severity", {"general": 6}),
    ],
)
def test_other_groupings_count_the_same_hazards(client, week40, frozen_now, group_by, expected):
    rows = summary(
        client, login(client, "office"), f"from=2026-09-28&to=2026-10-05&group_by={group_by}"
    )["rows"]
    assert {r["key"]: r["reported"] for r in rows} == expected


def test_a_department_sees_only_its_own_hazards(client, week40, frozen_now):
    fire = login(client, "fire")
    total = summary(client, fire, "from=2026-09-28&to=2026-10-05")["total"]
    assert total["reported"] == 5  # A, B, D, E, G; C is the city management's
    own = summary(client, fire, "from=2026-09-28&to=2026-10-05&department=fire-rescue")
    assert own["total"]["reported"] == 5
    other = client.get(
        "/api/v1/stats/summary?from=2026-09-28&to=2026-10-05&department=urban-mgmt", headers=fire
    )
    assert_problem(other, 403)


def test_overdue_by_escalation_department_and_street(client, week40, frozen_now):
    rows = client.get("/api/v1/stats/overdue", headers=login(client, "office")).json
    c = [r for r in rows if r["department"] == "urban-mgmt"]
    # Due 14 Oct; on 20 Oct four working days have passed (15, 16, 19, 20): level 2.
    assert c == [
        {
            "level": 2,
            "department": "urban-mgmt",
            "department_name": "区城市管理委",
            "street": "110112001",
            "street_name": "中仓街道",
            "count": 1,
        }
    ]


def test_volunteer_leaderboard_is_for_the_office_only(client, week40, frozen_now):
    board = client.get(
        "/api/v1/stats/volunteers?from=2026-09-28&to=2026-10-05", headers=login(client, "office")
    ).json
    assert board[0] == {
        "username": "volunteer",
        "display_name": "王志愿",
        "role": "volunteer",
        "reported": 5,
        "valid": 4,
        "closed": 2,
    }
    assert_problem(
        client.get(
            "/api/v1/stats/volunteers?from=2026-09-28&to=2026-10-05", headers=login(client, "fire")
        ),
        403,
    )


def test_weekly_xlsx_cells_equal_the_api_figures(client, week40, frozen_now):
    office = login(client, "office")
    api = summary(client, office, "from=2026-09-28&to=2026-10-05&group_by=street")
    response = client.get("/api/v1/stats/weekly.xlsx?week=2026-W40", headers=office)
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.data))
    sheet = workbook["全区"]
    assert "2026年第40周" in sheet["A1"].value
    headers = [c.value for c in sheet[2]]
    assert headers[:3] == ["街道乡镇", "排查隐患数", "有效隐患数"]
    assert sheet.freeze_panes == "B3"
    rows = {
        sheet.cell(r, 1).value: [c.value for c in sheet[r]] for r in range(3, sheet.max_row + 1)
    }
    for figures in api["rows"]:
        line = rows[figures["label"]]
        assert line[headers.index("排查隐患数")] == figures["reported"]
        assert line[headers.index("已销号数")] == figures["closed"]
        assert line[headers.index("超期未整改数")] == figures["open_overdue"]
        assert line[headers.index("随手拍举报数")] == figures["by_volunteers"]
    totals = rows["合计"]
    assert totals[headers.index("销号率")] == api["total"]["closure_rate"]["value"]
    assert sheet.cell(3, headers.index("销号率") + 1).number_format == "0.0%"
    assert "区消防救援支队" in workbook.sheetnames


def test_weekly_csv_has_chinese_headers_and_a_totals_row(client, week40, frozen_now):
    response = client.get("/api/v1/stats/weekly.csv?week=2026-W40", headers=login(client, "office"))
    text = response.data.decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[1].startswith("街道乡镇,排查隐患数") and lines[-1].startswith("合计,6,4")


def test_export_weekly_cli_writes_the_same_workbook(app, week40, tmp_path):
    out = tmp_path / "w40.xlsx"
    result = app.test_cli_runner().invoke(
        args=["export-weekly", "--week", "2026-W40", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    sheet = load_workbook(out)["全区"]
    assert sheet.cell(sheet.max_row, 1).value == "合计"
    assert sheet.cell(sheet.max_row, 2).value == 6


def test_hazards_geojson_for_maps(client, week40):
    office = login(client, "office")
    collection = client.get("/api/v1/hazards.geojson?limit=200&status=closed", headers=office)
    assert collection.mimetype == "application/geo+json"
    features = collection.json["features"]
    assert {f["properties"]["status"] for f in features} == {"closed"}
    assert all(f["geometry"]["type"] == "Point" for f in features)
    assert "reporter" not in features[0]["properties"]
    fire = client.get("/api/v1/hazards.geojson?limit=200", headers=login(client, "fire")).json
    assert all(f["properties"]["lead_department"] == "fire-rescue" for f in fire["features"])
    gcj = client.get("/api/v1/hazards.geojson?limit=1&crs=gcj02", headers=office).json
    assert gcj["crs_name"] == "gcj02"


@pytest.mark.parametrize(
    ("path", "status", "field"),
    [
        ("summary?from=2026-10-05&to=2026-09-28", 422, "from"),
        ("summary?from=2026-09-28&to=2026-09-28", 422, "from"),
        ("summary?from=yesterday&to=2026-10-05", 422, "from"),
        ("summary?from=2026-09-28", 422, "to"),
        ("summary?from=2026-09-28&to=2026-10-05&group_by=planet", 422, "group_by"),
        ("summary?from=2020-01-01&to=2026-01-02", 422, "to"),
        ("summary?from=2026-09-28&to=2026-10-05&department=nope", 422, "department"),
        ("weekly.xlsx?week=2026-53", 422, "week"),
        ("weekly.csv?week=2026-W40&from=2026-09-28", 422, "week"),
        ("trend?from=2026-09-28&to=2026-10-05&interval=day", 422, "interval"),
    ],
)
def test_bad_statistics_requests_are_refused_by_field(client, demo, path, status, field):
    response = client.get(f"/api/v1/stats/{path}", headers=login(client, "office"))
    assert field in assert_problem(response, status)["errors"]


@pytest.mark.parametrize("who", ["volunteer", "gridworker"])
def test_statistics_are_not_for_volunteers_or_grid_workers(client, demo, who):
    response = client.get(
        "/api/v1/stats/summary?from=2026-09-28&to=2026-10-05", headers=login(client, who)
    )
    assert_problem(response, 403)


WEEK40 = "from=2026-09-28&to=2026-10-05"
# The figures of /stats/summary a list can be narrowed to (credited_* are the leaderboard's).
SUMMARY_FIGURES = [f for f in stats.LISTED_FIGURES if not f.startswith("credited_")]


def listed(client, headers, query):
    """Return how many hazards the list finds for `query`, all pages together."""
    response = client.get(f"/api/v1/hazards?count=true&limit=200&{query}", headers=headers)
    assert response.status_code == 200, response.json
    page = response.json
    assert page["next"] is not None or len(page["items"]) == page["total"]
    return page["total"]


def _row_filter(group_by, key):
    """The list's filters for the hazards of one row of the statistics."""
    if group_by == "week":
        monday = date.fromisoformat(key)
        return f"from={monday}&to={monday + timedelta(days=7)}"
    return f"{WEEK40}&{group_by}={key if key is not None else '-'}"


@pytest.mark.parametrize("group_by", ["street", "department", "category", "week"])
def test_every_figure_clicks_through_to_a_list_of_as_many_hazards(
    client, week40, frozen_now, group_by
):
    """Each count of /stats/summary, total and per row, is the count of the hazard list
    narrowed to that figure and row: the office's click-through finds its hazards."""
    office = login(client, "office")
    figures = summary(client, office, f"{WEEK40}&group_by={group_by}")
    for figure in SUMMARY_FIGURES:
        assert listed(client, office, f"{WEEK40}&figure={figure}") == figures["total"][figure]
        for row in figures["rows"]:
            query = f"{_row_filter(group_by, row['key'])}&figure={figure}"
            assert listed(client, office, query) == row[figure], (row["label"], figure)
    # The on-time rate's parts are lists too: 2 on time of the 4 whose time is known.
    rate = figures["total"]["on_time_rate"]
    assert listed(client, office, f"{WEEK40}&figure=closed_on_time") == rate["numerator"] == 2
    assert listed(client, office, f"{WEEK40}&figure=closed_or_overdue") == rate["denominator"]


def test_a_hazard_open_past_its_deadline_counts_against_the_on_time_rate(
    client, week40, frozen_now
):
    office = login(client, "office")
    total = summary(client, office, WEEK40)["total"]
    assert (total["closed"], total["closed_on_time"], total["open_overdue"]) == (3, 2, 1)
    assert total["on_time_rate"]["denominator"] == total["closed"] + total["open_overdue"]
    page = client.get(
        f"/api/v1/hazards?{WEEK40}&figure=closed_or_overdue&overdue=true", headers=office
    ).json
    assert [h["id"] for h in page["items"]] == [week40["C"]]


def test_overdue_by_level_clicks_through_to_its_hazards(client, week40, frozen_now):
    office = login(client, "office")
    rows = client.get("/api/v1/stats/overdue", headers=office).json
    assert rows
    for row in rows:
        query = f"level={row['level']}&department={row['department'] or '-'}"
        query += f"&street={row['street'] or '-'}"
        assert listed(client, office, query) == row["count"], row
    for level in range(4):
        expected = sum(r["count"] for r in rows if r["level"] == level)
        assert listed(client, office, f"level={level}") == expected


def test_a_departments_figures_click_through_to_its_own_list(client, week40, frozen_now):
    fire = login(client, "fire")
    total = summary(client, fire, WEEK40)["total"]
    for figure in SUMMARY_FIGURES:
        assert listed(client, fire, f"{WEEK40}&figure={figure}") == total[figure], figure


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-09-28", "to"),
        ("to=2026-10-05", "from"),
        ("from=2026-10-05&to=2026-09-28", "from"),
        ("from=2020-01-01&to=2026-01-02", "to"),
        ("figure=by_volunteers", "figure"),
        ("figure=everything", "figure"),
        ("level=4", "level"),
        ("level=-1", "level"),
        ("count=perhaps", "count"),
    ],
)
def test_bad_list_filters_are_refused_by_field(client, demo, query, field):
    response = client.get(f"/api/v1/hazards?{query}", headers=login(client, "office"))
    assert field in assert_problem(response, 422)["errors"]


def test_the_list_counts_only_when_asked(client, week40):
    office = login(client, "office")
    assert client.get(f"/api/v1/hazards?{WEEK40}", headers=office).json["total"] is None
    assert listed(client, office, f"{WEEK40}&street=-") == 0
    assert listed(client, office, "department=-&status=reported") == listed(
        client, office, "status=reported"
    )


def _workbook_rows(response):
    """The rows of an exported hazard list, as {header: value} each."""
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == XLSX
    sheet = load_workbook(io.BytesIO(response.data))["隐患清单"]
    headers = [c.value for c in sheet[1]]
    return headers, [dict(zip(headers, row, strict=True)) for row in sheet.iter_rows(min_row=2)]


def test_the_excel_export_holds_exactly_the_filtered_list(client, week40, frozen_now):
    office = login(client, "office")
    query = f"{WEEK40}&figure=closed"
    shown = client.get(f"/api/v1/hazards?limit=200&{query}", headers=office).json["items"]
    response = client.get(f"/api/v1/hazards.xlsx?{query}", headers=office)
    assert (
        "filename*=UTF-8''%E9%9A%90%E6%82%A3%E6%B8%85%E5%8D%95"
        in (response.headers["Content-Disposition"])
    )  # 隐患清单-….xlsx
    headers, rows = _workbook_rows(response)
    assert headers[:4] == ["序号", "隐患类别", "隐患等级", "隐患描述"]
    assert "上报人" in headers and "整改后照片1" in headers
    assert len(rows) == len(shown) == 3
    for row, hazard in zip(rows, shown, strict=True):  # the same order: newest first
        assert row["隐患页面"].hyperlink.target.endswith(f"/console/hazards/{hazard['id']}")
        assert row["状态"].value == "已销号"
        assert row["街道乡镇"].value == hazard["street_name"]
        assert row["上报人"].value == hazard["reporter"]["display_name"]
        assert row["上报时间"].value.strftime("%Y-%m-%d %H:%M") == (
            datetime.fromisoformat(hazard["received_at"])
            .astimezone(SHANGHAI)
            .strftime("%Y-%m-%d %H:%M")
        )
    a = next(r for r in rows if r["隐患页面"].hyperlink.target.endswith(week40["A"]))
    report_photo = a["上报照片1"].hyperlink.target
    assert report_photo.endswith("/display") and "/api/v1/photos/" in report_photo
    assert a["整改后照片1"].hyperlink.target.endswith(f"/api/v1/photos/{'a' * 64}/display")


def test_a_departments_export_never_names_a_reporter(app, client, week40, frozen_now):
    fire = login(client, "fire")
    shown = client.get(f"/api/v1/hazards?limit=200&{WEEK40}", headers=fire).json["items"]
    headers, rows = _workbook_rows(client.get(f"/api/v1/hazards.xlsx?{WEEK40}", headers=fire))
    assert len(rows) == len(shown) == 5
    assert not {"上报人", "上报人电话"} & set(headers)
    with app.app_context():
        names = {u.display_name for u in db.session.scalars(sa.select(User))}
    cells = {str(c.value) for row in rows for c in row.values()}
    assert not names & cells


def test_an_export_too_large_is_refused(client, week40, monkeypatch):
    import server.api.hazards as api

    monkeypatch.setattr(api, "EXPORT_MAX", 2)
    response = client.get(f"/api/v1/hazards.xlsx?{WEEK40}", headers=login(client, "office"))
    assert "filters" in assert_problem(response, 422)["errors"]


def test_the_weekly_preview_holds_the_cells_of_the_workbook(client, week40, frozen_now):
    office = login(client, "office")
    preview = client.get("/api/v1/stats/weekly?week=2026-W40", headers=office)
    assert preview.status_code == 200, preview.json
    download = client.get("/api/v1/stats/weekly.xlsx?week=2026-W40", headers=office)
    assert "weekly-2026-W40.xlsx" in download.headers["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(download.data))
    assert [s["name"] for s in preview.json["sheets"]] == workbook.sheetnames
    for sheet in preview.json["sheets"]:
        cells = [[c.value for c in row] for row in workbook[sheet["name"]].iter_rows(min_row=2)]
        assert sheet["rows"] == cells
        assert workbook[sheet["name"]]["A1"].value == sheet["title"]
    district = preview.json["sheets"][0]
    assert district["rows"][-1][0] == "合计"
    assert district["kinds"][district["rows"][0].index("销号率")] == "%"
    # The same figures are the same file: downloaded again, byte for byte.
    again = client.get("/api/v1/stats/weekly.xlsx?week=2026-W40", headers=office)
    assert again.data == download.data
    csv = client.get("/api/v1/stats/weekly.csv?week=2026-W40", headers=office)
    assert "weekly-2026-W40.csv" in csv.headers["Content-Disposition"]
    assert_problem(
        client.get("/api/v1/stats/weekly?week=2026-W40", headers=login(client, "fire")), 403
    )


def test_the_leaderboards_counts_click_through_to_each_reporters_hazards(
    client, week40, frozen_now
):
    """A reporter's valid reports include one merged into another (E into C); closed ones,
    those closed or merged into a closed hazard: the list by reporter counts the same."""
    office = login(client, "office")
    board = client.get(f"/api/v1/stats/volunteers?{WEEK40}", headers=office).json
    for row in board:
        mine = f"{WEEK40}&reporter={row['username']}"
        assert listed(client, office, mine) == row["reported"]
        assert listed(client, office, f"{mine}&figure=credited_valid") == row["valid"]
        assert listed(client, office, f"{mine}&figure=credited_closed") == row["closed"]
    assert {r["username"]: r["valid"] for r in board} == {"volunteer": 4, "gridworker": 1}


def test_only_the_office_lists_hazards_by_reporter(client, week40):
    for who in ("fire", "gridworker", "volunteer"):
        response = client.get("/api/v1/hazards?reporter=volunteer", headers=login(client, who))
        assert_problem(response, 403)


def test_a_units_hazards_are_found_by_their_address(client, demo):
    """The hazards of one shop, to print its notice: the address contains the text typed,
    whose % and _ are characters, not wildcards."""
    volunteer, office = login(client, "volunteer"), login(client, "office")
    addresses = ["新华大街12号 好运来超市", "新华大街12号好运来超市后门", "新华大街14号"]
    for n, address in enumerate(addresses):
        body = report_body(address=address)
        body["lat"] += 0.0007 * n
        file_report(client, volunteer, **body)
    assert listed(client, office, "address=好运来超市") == 2
    assert listed(client, office, "address=新华大街1_号") == 0
    assert listed(client, office, "address=%25") == 0
