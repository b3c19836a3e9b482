"""Every use case, called as the doors call it: it commits all it did, or nothing.

Each use case gets a success test, read back on a connection of its own (so it
proves the commit, not just the session's view), and a failure test that
compares every row of every table before and after (so it proves that nothing,
not just the obvious row, was left behind). Where a service can be made to fail
after it has flushed or added something (an areas import whose last grid is
nested wrongly, a draft whose items were already deleted, an inspection whose
row was already inserted), the failure test does so: that is what shows the
rollback. The unit of work itself is tested last: which table a real key
violation names, and which errors are tried again.
"""

import io
import re
import uuid
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.exc import StaleDataError

from server.demo import DEMO_PASSWORD, DEMO_USERS, grid_centre
from server.extensions import db
from server.models import (
    Area,
    Base,
    Category,
    Change,
    ChecklistTemplate,
    ChecklistVersion,
    Department,
    DeviceToken,
    Hazard,
    HazardEvent,
    HazardPhoto,
    Inspection,
    InspectionTask,
    Invite,
    Photo,
    PhotoUpload,
    Place,
    RoutingRule,
    User,
    task_places,
    utcnow,
)
from server.services import accounts, photos, routing, unit_of_work, use_cases
from server.services.errors import (
    AlreadyExists,
    AuthenticationFailed,
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from server.services.hazards import NewReport
from server.services.inspections import NewAnswer, NewInspection, NewItem, NewPlace, hazard_id_for
from server.services.lifecycle import IllegalTransition, Step
from server.services.steps import StaleVersion, StepRequest
from server.services.unit_of_work import Claimed, version_moved
from tests.conftest import FAST_HASH
from tests.photos import jpeg, png_claiming, sha
from uploads import intake
from uploads.authenticity import DEFAULT_RULES
from uploads.errors import DecompressionBomb, UnsupportedImage
from uploads.storage import LocalStorage, photo_key

GRID = "110112001001G01"  # 中仓社区, one of the demo grid worker's grids
OTHER_GRID = "110112004003G01"  # 玉桥街道: nobody's grid
V1 = ("fire_lane_clear", "evacuation_clear", "exits_unlocked", "signs_lit", "no_window_bars")
MAX_PIXELS = 100_000_000


def demo_hazard(n=0):
    """Return the id of the demo's nth report (0: a blocked fire lane in GRID, led by fire)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"demo-hazard-{n}")


def demo_place(code):
    """Return the id of a demo place (grid code, P, number: P01 is residential)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"place:{code}")


def who(session, username):
    """Return the User of a username, loaded in `session`."""
    return session.scalar(sa.select(User).filter_by(username=username))


@contextmanager
def elsewhere():
    """Yield a session on a connection of its own: it sees only what was committed."""
    with Session(db.engine) as other:
        yield other


def count(other, model, **where):
    """Return how many rows of `model` match `where`, in session `other`."""
    return other.scalar(sa.select(sa.func.count()).select_from(model).filter_by(**where))


def database_state():
    """Return every row of every table, read on a connection of its own."""
    with db.engine.connect() as connection:
        return {
            table.name: sorted(repr(tuple(row)) for row in connection.execute(table.select()))
            for table in Base.metadata.sorted_tables
        }


def refused(error_type, call, *args, **kwargs):
    """Call a use case that must refuse; assert it raised `error_type` and left every
    row of every table as it was. Return the error."""
    before = database_state()
    with pytest.raises(error_type) as caught:
        call(*args, **kwargs)
    assert database_state() == before
    return caught.value


def refusals(subtests, call, cases):
    """Check each refusal of one use case as a subtest: {name: (error, *arguments)}.

    A refusal leaves the district as it was (each one checks that), so the refusals
    of one use case share one copy of it instead of loading one each.
    """
    for name, (error, *args) in cases.items():
        with subtests.test(name):
            refused(error, call, *args)


def report(grid=GRID, **overrides):
    """Return a volunteer's report of a blocked fire lane at the centre of `grid`."""
    lat, lon = grid_centre(grid)
    values = {
        "id": uuid.uuid4(),
        "category": "fire_lane_blocked",
        "description": "小区东门消防车通道被私家车占用",
        "lat": lat,
        "lon": lon,
        "observed_at": utcnow() - timedelta(minutes=5),
        "accuracy_m": 6.5,
        "address": "中仓社区3号楼东侧",
    }
    values.update(overrides)
    return NewReport(**values)


def step(type_, base_version=None, **fields):
    """Return a lifecycle step request with a fresh client id."""
    return StepRequest(id=uuid.uuid4(), step=Step(type_, **fields), base_version=base_version)


def inspection(place=GRID + "P01", fails=(), items=V1, **overrides):
    """Return an inspection of a demo place on lifeline v1; items pass unless in `fails`."""
    finished = utcnow() - timedelta(minutes=30)
    answers = tuple(
        NewAnswer(uuid.uuid4(), item, "fail" if item in fails else "pass", note="现场发现")
        for item in items
    )
    values = {
        "id": uuid.uuid4(),
        "place": demo_place(place),
        "template": "lifeline",
        "version": 1,
        "started_at": finished - timedelta(minutes=20),
        "finished_at": finished,
        "answers": answers,
    }
    values.update(overrides)
    return NewInspection(**values)


def item(code="door_closed", category="fire_equipment_damaged", **overrides):
    """Return a checklist item as the office writes it."""
    return NewItem(code, "常闭式防火门处于关闭状态", category, **overrides)


def storage(app):
    """Return the app's photo storage."""
    return app.extensions["photo_storage"]


def media_files(app):
    """Return every file under the media directory, scratch files included."""
    root = Path(app.config["MEDIA_ROOT"])
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def upload(session, app, uploader, data, content_type="image/jpeg", store=None):
    """Receive bytes as the door does (hashed into a scratch file) and accept them."""
    store = store or storage(app)
    received = intake.receive(
        io.BytesIO(data), sha(data), scratch_dir=store.scratch_dir(), max_bytes=25_000_000
    )
    try:
        return use_cases.accept_photo(
            session, uploader, received, content_type, store, max_pixels=MAX_PIXELS
        )
    finally:
        received.discard()


def photo_files(app, sha256):
    """Return the paths of a photo's original, display and thumbnail files."""
    root = Path(app.config["MEDIA_ROOT"])
    return [root / photo_key(kind, sha256) for kind in ("original", "display", "thumb")]


def rules_of(other, category):
    """Return (department, area or None, priority) of every rule of a category."""
    area = aliased(Area)
    rows = other.execute(
        sa.select(Department.code, area.code, RoutingRule.priority)
        .join(Category, Category.id == RoutingRule.category_id)
        .join(Department, Department.id == RoutingRule.department_id)
        .outerjoin(area, area.id == RoutingRule.area_id)
        .where(Category.code == category)
        .order_by(RoutingRule.id)
    )
    return [tuple(row) for row in rows]


def rule_id(session, category):
    """Return the id of the demo's district-wide rule of a category."""
    return session.scalar(sa.select(RoutingRule.id).join(Category).where(Category.code == category))


def box(west, south, east, north):
    """Return a GeoJSON polygon of a lon/lat box."""
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def area(code, level, parent, geometry, name=None):
    """Return a GeoJSON feature of an area."""
    props = {"code": code, "name": name or f"区域{code}", "level": level, "parent": parent}
    return {"type": "Feature", "geometry": geometry, "properties": props}


def collection(*features):
    """Return a GeoJSON FeatureCollection."""
    return {"type": "FeatureCollection", "features": list(features)}


# East of the demo district: a new street with one community and one grid.
NEW_STREET = [
    area("110112005", "street", "110112", box(116.72, 39.86, 116.76, 39.94), "宋庄镇"),
    area("110112005001", "community", "110112005", box(116.72, 39.86, 116.76, 39.94)),
    area("110112005001G01", "grid", "110112005001", box(116.72, 39.86, 116.76, 39.90)),
]


# --- Reports and the lifecycle (闭环) ---------------------------------------------


def test_a_filed_report_is_routed_and_committed_with_its_change(session, demo):
    new = report()
    hazard, created = use_cases.file_report(session, who(session, "volunteer"), new)
    assert created and hazard.status == "assigned" and hazard.lead_department.code == "fire-rescue"
    with elsewhere() as other:
        stored = other.get(Hazard, new.id)
        assert (stored.status, stored.version, stored.grid.code) == ("assigned", 2, GRID)
        events = other.scalars(sa.select(HazardEvent.type).filter_by(hazard_id=new.id)).all()
        assert sorted(events) == ["report", "route"]
        # Phones learn of it from the change feed, stamped in the same commit.
        assert count(other, Change, hazard_id=new.id) == 1


def test_a_refused_report_leaves_no_hazard_behind(session, demo, subtests):
    def file(username, new):
        return use_cases.file_report(session, who(session, username), new)

    cases = {
        "a filed id with other content": (AlreadyExists, "volunteer", report(id=demo_hazard(0))),
        "from department staff": (PermissionDenied, "fire", report()),
        "of an unknown kind": (InvalidInput, "volunteer", report(category="alien_landing")),
        "too long": (InvalidInput, "volunteer", report(description="占" * 2001)),
    }
    refusals(subtests, file, cases)


def test_a_report_resent_at_the_same_moment_is_filed_once(session, demo):
    """The phone's retry lands between the first send's look and its insert: the insert
    meets the winner's row, and the second attempt answers as a resend would."""
    new = report()
    rival_ran = []

    def rival_files_first(_conn, _cursor, statement, *_args):
        if statement.startswith("INSERT INTO hazards ") and not rival_ran:
            rival_ran.append(True)
            with elsewhere() as other:
                use_cases.file_report(other, who(other, "volunteer"), new)

    event.listen(db.engine, "before_cursor_execute", rival_files_first)
    try:
        hazard, created = use_cases.file_report(session, who(session, "volunteer"), new)
    finally:
        event.remove(db.engine, "before_cursor_execute", rival_files_first)
    assert rival_ran and not created and hazard.id == new.id
    with elsewhere() as other:
        assert count(other, Hazard, id=new.id) == 1
        assert count(other, HazardEvent, hazard_id=new.id) == 2


def test_a_step_is_taken_and_committed(session, demo):
    fire = who(session, "fire")
    taken, created = use_cases.take_step(session, fire, demo_hazard(0), step("accept"))
    assert created and taken.to_status == "accepted"
    with elsewhere() as other:
        hazard = other.get(Hazard, demo_hazard(0))
        assert (hazard.status, hazard.version) == ("accepted", 3)
        assert other.get(HazardEvent, taken.id).type == "accept"


def test_a_refused_step_leaves_the_hazard_as_it_was(session, demo, subtests):
    def take(username, request):
        return use_cases.take_step(session, who(session, username), demo_hazard(0), request)

    late = step("request_extension", until=date(2020, 1, 1), note="缺材料")
    cases = {
        "start before accepting": (IllegalTransition, "fire", step("start")),
        "a volunteer closing": (PermissionDenied, "volunteer", step("close")),
        "on a version moved on": (StaleVersion, "fire", step("accept", base_version=1)),
        "a merge into nothing": (InvalidInput, "office", step("merge", into=uuid.uuid4())),
        "an extension into the past": (InvalidInput, "fire", late),
    }
    refusals(subtests, take, cases)


def test_a_step_whose_hazard_moved_meanwhile_is_taken_again_on_the_new_version(session, demo):
    """The office comments between fire's reading the hazard and fire's writing: fire's
    write finds the version moved, and the second attempt accepts on top of the comment."""
    rival_ran = []

    def office_comments_first(*_args):
        if not rival_ran:
            rival_ran.append(True)
            with elsewhere() as other:
                comment = step("comment", note="请尽快处理")
                use_cases.take_step(other, who(other, "office"), demo_hazard(0), comment)

    event.listen(session(), "before_flush", office_comments_first)
    try:
        accept = step("accept")
        _, created = use_cases.take_step(session, who(session, "fire"), demo_hazard(0), accept)
    finally:
        event.remove(session(), "before_flush", office_comments_first)
    assert rival_ran and created
    with elsewhere() as other:
        events = other.scalars(
            sa.select(HazardEvent).filter_by(hazard_id=demo_hazard(0)).order_by(HazardEvent.seq)
        ).all()
        steps = [(e.seq, e.type) for e in events]
        assert steps == [(1, "report"), (2, "route"), (3, "comment"), (4, "accept")]
        assert events[-1].id == accept.id
        assert other.get(Hazard, demo_hazard(0)).version == 4


def test_two_duplicates_sharing_a_photo_merged_into_one_hazard_at_once_both_merge(session, demo):
    """Two reports cite one photo; two office staff merge one each into the original at
    the same moment. Each merge moves the photo's citation onto the original, whose own
    version does not move, so the second meets the first's citation row."""
    photo = "ab" * 32
    volunteer = who(session, "volunteer")
    first, second = (
        use_cases.file_report(session, volunteer, report(photos=(photo,)))[0].id for _ in range(2)
    )
    rival_ran = []

    def rival_merges_first(*_args):
        if not rival_ran:
            rival_ran.append(True)
            with elsewhere() as other:
                merge = step("merge", into=demo_hazard(0))
                use_cases.take_step(other, who(other, "office"), second, merge)

    event.listen(session(), "before_flush", rival_merges_first)
    try:
        merge = step("merge", into=demo_hazard(0))
        use_cases.take_step(session, who(session, "office"), first, merge)
    finally:
        event.remove(session(), "before_flush", rival_merges_first)
    with elsewhere() as other:
        statuses = [other.get(Hazard, hazard).status for hazard in (first, second)]
        assert statuses == ["duplicate", "duplicate"]


# --- Photos ------------------------------------------------------------------------


def test_an_accepted_photo_is_stored_and_committed(session, app, demo):
    data = jpeg(lat=39.95, lon=116.67)
    photo, created = upload(session, app, who(session, "volunteer"), data)
    assert created and photo.sha256 == sha(data)
    assert all(path.is_file() for path in photo_files(app, sha(data)))
    with elsewhere() as other:
        stored = other.get(Photo, sha(data))
        assert (stored.width, stored.height, stored.media_type) == (800, 600, "image/jpeg")
        assert other.get(PhotoUpload, (sha(data), who(other, "volunteer").id)) is not None


class FullDisk(LocalStorage):
    """Storage that fails as the original moves in, after both derivatives were written."""

    def put_file(self, key, source):
        raise OSError(28, "No space left on device")


def test_a_refused_photo_leaves_no_row_and_no_file(session, app, demo, subtests):
    volunteer = who(session, "volunteer")
    # Not in the database: the row's foreign key to its uploader fails after all three
    # files were stored.
    ghost = User(id=987_654, username="ghost", role="volunteer")
    full = FullDisk(app.config["MEDIA_ROOT"])
    bomb = png_claiming(50_000, 50_000)
    cases = {
        "not an image": (UnsupportedImage, volunteer, b"GIF89a not a photo", "image/gif"),
        "a JPEG sent as PNG": (UnsupportedImage, volunteer, jpeg(), "image/png"),
        "a decompression bomb": (DecompressionBomb, volunteer, bomb, "image/png"),
        "a full disk after the derivatives": (OSError, volunteer, jpeg(), "image/jpeg", full),
        "an uploader gone after the files": (IntegrityError, ghost, jpeg(), "image/jpeg"),
    }
    for name, (error, uploader, data, content_type, *store) in cases.items():
        with subtests.test(name):
            refused(error, upload, session, app, uploader, data, content_type, *store)
            assert media_files(app) == []


class RacedStorage(LocalStorage):
    """Storage whose first original lets a rival upload of the same bytes finish first."""

    def __init__(self, root, rival):
        super().__init__(root)
        self.rival = rival

    def put_file(self, key, source):
        if self.rival is not None:
            rival, self.rival = self.rival, None
            rival()
        super().put_file(key, source)


def test_two_uploads_of_one_photo_at_once_both_succeed_one_as_new(session, app, demo):
    data = jpeg(lat=39.91, lon=116.67)

    def gridworker_uploads_first():
        with elsewhere() as other:
            upload(other, app, who(other, "gridworker"), data)

    store = RacedStorage(app.config["MEDIA_ROOT"], gridworker_uploads_first)
    photo, created = upload(session, app, who(session, "volunteer"), data, store=store)
    assert not created and photo.sha256 == sha(data)
    with elsewhere() as other:
        assert other.get(Photo, sha(data)).uploader_id == who(other, "gridworker").id
        uploaders = other.scalars(sa.select(PhotoUpload.user_id).filter_by(sha256=sha(data)))
        assert sorted(uploaders) == sorted(who(other, n).id for n in ("gridworker", "volunteer"))
    assert all(path.is_file() for path in photo_files(app, sha(data)))


def spoiled_photo(session, app):
    """Upload a photo with GPS, then damage its row and lose its display file, as an
    older, buggier pipeline might have; return its sha256."""
    data = jpeg(lat=39.95, lon=116.67)
    upload(session, app, who(session, "volunteer"), data)
    with db.engine.begin() as connection:
        connection.execute(sa.update(Photo).values(width=1, height=1, gps_lat=None, gps_lon=None))
    photo_files(app, sha(data))[1].unlink()
    return sha(data)


def test_reprocessing_a_photo_rebuilds_its_facts_and_files(session, app, demo):
    sha256 = spoiled_photo(session, app)
    use_cases.reprocess_photo(session, sha256, storage(app), MAX_PIXELS)
    with elsewhere() as other:
        photo = other.get(Photo, sha256)
        assert (photo.width, photo.height) == (800, 600)
        assert photo.gps_lat == pytest.approx(39.95, abs=1e-4)
    assert photo_files(app, sha256)[1].is_file()


def test_a_failed_reprocessing_leaves_the_photo_row_as_it_was(session, app, demo):
    sha256 = spoiled_photo(session, app)
    reprocess = use_cases.reprocess_photo
    refused(DecompressionBomb, reprocess, session, sha256, storage(app), 1000)
    photo_files(app, sha256)[0].unlink()
    refused(FileNotFoundError, reprocess, session, sha256, storage(app), MAX_PIXELS)


def cited_photos(session, app):
    """Upload two photos taken 5 km from where a report citing both says it was, then
    wipe the flags filing gave them; return their sha256s."""
    data = [jpeg(lat=39.95, lon=116.67), jpeg(lat=39.96, lon=116.67)]
    for each in data:
        upload(session, app, who(session, "volunteer"), each)
    shas = [sha(each) for each in data]
    use_cases.file_report(session, who(session, "volunteer"), report(photos=tuple(shas)))
    with db.engine.begin() as connection:
        connection.execute(sa.update(HazardPhoto).values(flags=None, distance_m=None))
        connection.execute(sa.update(Hazard).values(photos_flagged=0))
    return shas


def test_assessing_photos_flags_their_citations(session, app, demo):
    shas = cited_photos(session, app)
    use_cases.assess_photos(session, shas, DEFAULT_RULES)
    with elsewhere() as other:
        links = other.scalars(sa.select(HazardPhoto).where(HazardPhoto.sha256.in_(shas))).all()
        assert [link.flags for link in links] == [["location_mismatch"]] * 2
        assert links[0].hazard.photos_flagged == 2


class BreaksOnTheSecondPhoto:
    """Authenticity thresholds that fail part-way, after one citation was assessed."""

    max_age = DEFAULT_RULES.max_age
    future_slack = DEFAULT_RULES.future_slack

    def __init__(self):
        self.asked = 0

    @property
    def max_distance_m(self):
        self.asked += 1
        if self.asked > 1:
            raise RuntimeError("the thresholds could not be read")
        return DEFAULT_RULES.max_distance_m


def test_an_assessment_that_fails_part_way_leaves_no_flag_behind(session, app, demo):
    """The service refuses no input; a failure after the first citation was flagged
    must still leave none flagged."""
    shas = cited_photos(session, app)
    rules = BreaksOnTheSecondPhoto()
    refused(RuntimeError, use_cases.assess_photos, session, shas, rules)
    assert rules.asked == 2


# --- Accounts and devices ----------------------------------------------------------


def test_signing_in_stores_the_devices_token(session, demo):
    token, row = use_cases.sign_in(session, "volunteer", DEMO_PASSWORD, "小米手机")
    with elsewhere() as other:
        stored = other.get(DeviceToken, row.id)
        assert (stored.device_name, stored.revoked_at) == ("小米手机", None)
        assert accounts.authenticate(other, token).user.username == "volunteer"


def test_a_refused_sign_in_stores_no_token(session, demo, subtests):
    def sign_in(username, password):
        return use_cases.sign_in(session, username, password, "手机")

    cases = {
        "a wrong password": (AuthenticationFailed, "volunteer", "wrong-password"),
        "an unknown user": (AuthenticationFailed, "nobody", DEMO_PASSWORD),
    }
    refusals(subtests, sign_in, cases)
    use_cases.change_account(session, who(session, "office"), "volunteer", {"active": False})
    refused(AuthenticationFailed, sign_in, "volunteer", DEMO_PASSWORD)  # a disabled account


def test_signing_out_revokes_the_token_for_good(session, demo):
    token, row = use_cases.sign_in(session, "volunteer", DEMO_PASSWORD, "手机")
    use_cases.sign_out(session, row)
    with elsewhere() as other:
        assert other.get(DeviceToken, row.id).revoked_at is not None
        with pytest.raises(AuthenticationFailed):
            accounts.authenticate(other, token)


def test_signing_out_a_token_deleted_meanwhile_fails_and_writes_nothing(session, demo):
    """The service refuses nothing; the one way it fails is a token row gone under it
    (the account was removed). That is no race it names, so it is not tried again."""
    _, row = use_cases.sign_in(session, "volunteer", DEMO_PASSWORD, "手机")
    use_cases.sign_in(session, "volunteer", DEMO_PASSWORD, "平板")
    with db.engine.begin() as connection:
        connection.execute(sa.delete(DeviceToken).where(DeviceToken.id == row.id))
    refused(StaleDataError, use_cases.sign_out, session, row)


def test_a_created_account_is_committed_with_its_grids(session, demo):
    grids = ("110112002001G01", "110112002001G02")
    details = {"display_name": "李伟", "password_method": FAST_HASH}
    use_cases.create_account(
        session, "liwei", role="grid_worker", password="s3cret-pass", grid_codes=grids, **details
    )
    with elsewhere() as other:
        user = who(other, "liwei")
        assert (user.role, user.display_name) == ("grid_worker", "李伟")
        assert tuple(grid.code for grid in user.grids) == grids


def test_a_refused_account_is_not_created(session, demo, subtests):
    def create(username, details):
        fields = {"password": "long-enough", "password_method": FAST_HASH, **details}
        return use_cases.create_account(session, username, **fields)

    unknown_department = {"role": "dept_staff", "department_code": "no-such-dept"}
    street_as_grid = {"role": "grid_worker", "grid_codes": ("110112001",)}
    cases = {
        "a username taken": (AlreadyExists, "volunteer", {"role": "volunteer"}),
        "staff without a department": (InvalidInput, "x", {"role": "dept_staff"}),
        "an unknown department": (InvalidInput, "x", unknown_department),
        "a street given as a grid": (InvalidInput, "x", street_as_grid),
        "a short password": (InvalidInput, "x", {"role": "volunteer", "password": "short"}),
    }
    refusals(subtests, create, cases)


def test_disabling_an_account_is_committed_with_its_devices_signed_out(session, demo):
    _, row = use_cases.sign_in(session, "volunteer", DEMO_PASSWORD, "手机")
    changes = {"active": False, "display_name": "王志愿（离职）"}
    use_cases.change_account(session, who(session, "office"), "volunteer", changes)
    with elsewhere() as other:
        user = who(other, "volunteer")
        assert (user.active, user.display_name) == (False, "王志愿（离职）")
        assert other.get(DeviceToken, row.id).revoked_at is not None


def test_a_refused_account_change_changes_nothing(session, demo, subtests):
    def change(username, changes):
        return use_cases.change_account(session, who(session, "office"), username, changes)

    grids = {"grids": ["110112001001G01", "no-such-grid"], "phone": "13900000000"}
    cases = {
        "the office disabling itself": (Conflict, "office", {"active": False}),
        "an unknown grid": (InvalidInput, "gridworker", grids),
        "an unknown user": (NotFound, "nobody", {"phone": "13900000000"}),
    }
    refusals(subtests, change, cases)


def test_a_reset_password_is_committed_and_signs_out_every_device(session, demo):
    _, row = use_cases.sign_in(session, "volunteer", DEMO_PASSWORD, "手机")
    changes = {"password": "new-pass-2026"}
    office = who(session, "office")
    use_cases.change_account(session, office, "volunteer", changes, password_method=FAST_HASH)
    with elsewhere() as other:
        assert other.get(DeviceToken, row.id).revoked_at is not None
    refused(AuthenticationFailed, use_cases.sign_in, session, "volunteer", DEMO_PASSWORD, "x")
    assert use_cases.sign_in(session, "volunteer", "new-pass-2026", "新手机")[1].id


def test_a_password_too_short_is_not_set(session, demo):
    office = who(session, "office")
    refused(InvalidInput, use_cases.change_account, session, office, "volunteer", {"password": "x"})


def test_a_devices_use_is_committed_once_it_is_due(session, demo):
    _, row = use_cases.sign_in(session, "volunteer", DEMO_PASSWORD, "手机")
    signed_in = row.last_used_at
    use_cases.note_device_use(session, row.id, now=signed_in + timedelta(minutes=1))
    with elsewhere() as other:
        assert other.get(DeviceToken, row.id).last_used_at == signed_in  # not yet due
    later = signed_in + timedelta(minutes=6)
    use_cases.note_device_use(session, row.id, now=later)
    with elsewhere() as other:
        assert other.get(DeviceToken, row.id).last_used_at == later


def test_the_office_signs_out_someones_lost_device(session, demo):
    _, row = use_cases.sign_in(session, "volunteer", DEMO_PASSWORD, "丢失的手机")
    use_cases.sign_out_device(session, who(session, "office"), "volunteer", row.id)
    with elsewhere() as other:
        assert other.get(DeviceToken, row.id).revoked_at is not None


def test_a_refused_device_sign_out_leaves_the_device_signed_in(session, demo, subtests):
    _, row = use_cases.sign_in(session, "gridworker", DEMO_PASSWORD, "网格员手机")

    def sign_out(username, device_id):
        return use_cases.sign_out_device(session, who(session, username), "gridworker", device_id)

    cases = {
        "someone else's": (PermissionDenied, "volunteer", row.id),
        "an unknown device": (NotFound, "office", 987_654),
    }
    refusals(subtests, sign_out, cases)


# --- Reference data: categories, routing rules, areas ------------------------------


def test_an_added_department_is_committed(session, demo):
    use_cases.add_department(session, code="gas-co", name="区燃气集团", kind="sector")
    with elsewhere() as other:
        department = other.scalar(sa.select(Department).filter_by(code="gas-co"))
        assert (department.name, department.kind, department.active) == (
            "区燃气集团",
            "sector",
            True,
        )


def test_a_refused_department_is_not_added(session, demo, subtests):
    def add(code, kind, area=None):
        return use_cases.add_department(session, code=code, name="某单位", kind=kind, area=area)

    cases = {
        "a code taken": (AlreadyExists, "fire-rescue", "sector"),
        "a street with its office": (AlreadyExists, "street-2", "territorial", "110112001"),
        "a street office without a street": (InvalidInput, "street-x", "territorial"),
        "a grid for a street": (InvalidInput, "street-x", "territorial", GRID),
        "the office's kind": (InvalidInput, "office-2", "office"),
    }
    refusals(subtests, add, cases)


def test_a_deactivated_department_is_committed_and_routing_skips_it(session, demo):
    use_cases.change_department(session, "fire-rescue", {"name": "区消防救援支队", "active": False})
    with elsewhere() as other:
        assert other.scalar(sa.select(Department.active).filter_by(code="fire-rescue")) is False
        category = other.scalar(sa.select(Category).filter_by(code="fire_lane_blocked"))
        grid = other.scalar(sa.select(Area).filter_by(code=GRID))
        assert routing.choose_department(other, category.id, [grid.id]) is None


def test_changing_an_unknown_department_changes_nothing(session, demo):
    refused(NotFound, use_cases.change_department, session, "no-such-dept", {"active": False})


# --- Invite codes (邀请码) -----------------------------------------------------------


def new_invite(session, **fields):
    """Create and commit an invite code of the office's for a month; return its code."""
    values = {"label": "安全生产月", "quota": 2, "expires_at": utcnow() + timedelta(days=30)}
    invite = use_cases.create_invite(session, who(session, "office"), **{**values, **fields})
    return invite.code


def joining(code, phone="13912345678", **fields):
    """Return the arguments of a join with `code`."""
    values = {"display_name": "张三", "password": "join-pass-2026", "device_id": "d-1"}
    return {"code": code, "phone": phone, "password_method": FAST_HASH, **values, **fields}


def test_a_created_invite_code_is_committed(session, demo):
    code = new_invite(session, area="110112001001", quota=7)
    with elsewhere() as other:
        invite = other.scalar(sa.select(Invite).filter_by(code=code))
        assert (invite.quota, invite.used, invite.active) == (7, 0, True)
        assert (invite.area.code, invite.created_by.username) == ("110112001001", "office")


def test_a_refused_invite_code_is_not_created(session, demo, subtests):
    def create(fields):
        values = {"label": "安全生产月", "quota": 5, "expires_at": utcnow() + timedelta(days=1)}
        return use_cases.create_invite(session, who(session, "office"), **{**values, **fields})

    cases = {
        "no places": (InvalidInput, {"quota": 0}),
        "already expired": (InvalidInput, {"expires_at": utcnow() - timedelta(seconds=1)}),
        "an unknown area": (InvalidInput, {"area": "nowhere"}),
        "a blank label": (InvalidInput, {"label": " "}),
    }
    refusals(subtests, create, cases)


def test_a_code_drawn_twice_is_drawn_again(session, demo, monkeypatch):
    from server.services import invites

    taken = new_invite(session)
    draws = iter([taken, "ZZZZ2222"])
    monkeypatch.setattr(invites, "new_code", lambda: next(draws))
    assert new_invite(session) == "ZZZZ2222"


def test_a_deactivated_invite_code_is_committed(session, demo):
    code = new_invite(session)
    use_cases.change_invite(session, code, {"active": False, "quota": 9})
    with elsewhere() as other:
        invite = other.scalar(sa.select(Invite).filter_by(code=code))
        assert (invite.active, invite.quota) == (False, 9)


def test_a_refused_invite_change_changes_nothing(session, demo, subtests):
    code = new_invite(session, quota=3)
    use_cases.join_with_invite(session, **joining(code))
    use_cases.join_with_invite(session, **joining(code, phone="13912345679"))
    cases = {
        "an unknown code": (NotFound, "NOPE2345", {"active": False}),
        "a quota below who joined": (InvalidInput, code, {"active": False, "quota": 1}),
        "an expiry in the past": (
            InvalidInput,
            code,
            {"active": False, "expires_at": utcnow() - timedelta(days=1)},
        ),
    }
    refusals(subtests, lambda *args: use_cases.change_invite(session, *args), cases)


def test_joining_with_an_invite_code_commits_the_volunteer_their_token_and_the_place(session, demo):
    code = new_invite(session)
    token, _ = use_cases.join_with_invite(session, **joining(code.lower()))
    with elsewhere() as other:
        user = accounts.authenticate(other, token).user
        assert (user.username, user.role, user.phone) == ("13912345678", "volunteer", "13912345678")
        assert other.scalar(sa.select(Invite.used).filter_by(code=code)) == 1


def test_a_refused_join_makes_no_account_and_takes_no_place(session, demo, subtests):
    code = new_invite(session, quota=1)
    stopped = new_invite(session)
    use_cases.change_invite(session, stopped, {"active": False})
    expired = new_invite(session, expires_at=utcnow() + timedelta(seconds=60))
    later = utcnow() + timedelta(seconds=61)

    def join(fields):
        return use_cases.join_with_invite(session, **{**joining(code), **fields})

    cases = {
        "an unknown code": (NotFound, {"code": "NOPE2345"}),
        "a deactivated code": (Conflict, {"code": stopped}),
        "an expired code": (Conflict, {"code": expired, "now": later}),
        "a phone already registered": (AlreadyExists, {"phone": "13800000000"}),
        "not a mobile number": (InvalidInput, {"phone": "12345678901"}),
        # Refused by the accounts after the place was taken: the place goes back too.
        "a password the accounts refuse": (InvalidInput, {"password": "short"}),
    }
    use_cases.change_account(session, who(session, "office"), "volunteer", {"phone": "13800000000"})
    refusals(subtests, join, cases)
    use_cases.join_with_invite(session, **joining(code))
    refused(Conflict, join, {"phone": "13900000000"})  # used up


def new_category(code="balcony_clutter", department="fire-rescue"):
    """Return the office's fields of a new kind of hazard."""
    return {
        "code": code,
        "name_zh": "阳台堆放杂物",
        "name_en": "Balcony clutter",
        "department": department,
        "default_severity": "general",
        "deadline_days": 3,
    }


def test_an_added_category_is_committed_with_its_district_wide_rule(session, demo):
    use_cases.add_category(session, **new_category())
    with elsewhere() as other:
        category = other.scalar(sa.select(Category).filter_by(code="balcony_clutter"))
        assert (category.department.code, category.deadline_days) == ("fire-rescue", 3)
        assert rules_of(other, "balcony_clutter") == [("fire-rescue", None, 0)]


def test_a_refused_category_is_not_added(session, demo, subtests):
    def add(fields):
        return use_cases.add_category(session, **fields)

    cases = {
        "a code taken": (AlreadyExists, new_category("fire_lane_blocked")),
        "an unknown department": (InvalidInput, new_category(department="no-such-dept")),
    }
    refusals(subtests, add, cases)


def test_a_changed_category_is_committed(session, demo):
    use_cases.change_category(session, "fire_lane_blocked", deadline_days=2, active=False)
    with elsewhere() as other:
        category = other.scalar(sa.select(Category).filter_by(code="fire_lane_blocked"))
        assert (category.deadline_days, category.active) == (2, False)


def test_changing_an_unknown_category_changes_nothing(session, demo):
    refused(NotFound, use_cases.change_category, session, "alien_landing", active=False)


def test_an_added_rule_is_committed_and_routes_there(session, demo):
    use_cases.add_rule(
        session, category="fire_lane_blocked", department="housing", area="110112004", priority=1
    )
    with elsewhere() as other:
        assert ("housing", "110112004", 1) in rules_of(other, "fire_lane_blocked")
        street = other.scalar(sa.select(Area).filter_by(code="110112004"))
        category = other.scalar(sa.select(Category).filter_by(code="fire_lane_blocked"))
        assert routing.choose_department(other, category.id, [street.id]).code == "housing"


def test_a_rule_naming_unknown_things_is_not_added(session, demo, subtests):
    def add(category, department, area=None):
        return use_cases.add_rule(session, category=category, department=department, area=area)

    cases = {
        "an unknown category": (InvalidInput, "alien_landing", "housing"),
        "an unknown department": (InvalidInput, "fire_lane_blocked", "no-such-dept"),
        "an unknown area": (InvalidInput, "fire_lane_blocked", "housing", "nowhere"),
    }
    refusals(subtests, add, cases)
    use_cases.change_department(session, "housing", {"active": False})
    refused(InvalidInput, add, "fire_lane_blocked", "housing")  # a deactivated department


def test_a_changed_rule_is_committed(session, demo):
    rule = rule_id(session, "fire_lane_blocked")
    use_cases.change_rule(session, rule, department="housing", priority=2)
    with elsewhere() as other:
        assert rules_of(other, "fire_lane_blocked") == [("housing", None, 2)]


def test_a_refused_rule_change_changes_nothing(session, demo):
    """The new category is set and flushed (looking up the department autoflushes)
    before the department is found unknown: only the rollback undoes it."""
    rule = rule_id(session, "fire_lane_blocked")
    changes = {"category": "ebike_indoor_charging", "department": "no-such-dept"}
    refused(InvalidInput, use_cases.change_rule, session, rule, **changes)
    refused(NotFound, use_cases.change_rule, session, 987_654, priority=5)  # no such rule


def test_a_removed_rule_is_gone_and_reports_of_its_kind_wait_for_triage(session, demo):
    use_cases.remove_rule(session, rule_id(session, "fire_lane_blocked"))
    with elsewhere() as other:
        assert rules_of(other, "fire_lane_blocked") == []
        category = other.scalar(sa.select(Category).filter_by(code="fire_lane_blocked"))
        grid = other.scalar(sa.select(Area).filter_by(code=GRID))
        assert routing.choose_department(other, category.id, [grid.id]) is None


def test_removing_an_unknown_rule_removes_nothing(session, demo):
    refused(NotFound, use_cases.remove_rule, session, 987_654)


def test_imported_areas_are_committed_under_their_parents(session, demo):
    assert use_cases.import_areas(session, collection(*NEW_STREET)) == (3, 0)
    with elsewhere() as other:
        grid = other.scalar(sa.select(Area).filter_by(code="110112005001G01"))
        lineage = (grid.level, grid.parent.code, grid.parent.parent.code)
        assert lineage == ("grid", "110112005001", "110112005")


BOWTIE = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
RENAMED = area("110112001", "street", "110112", box(116.66, 39.90, 116.72, 39.94), "中仓街道改")


def test_a_refused_area_import_leaves_no_area_behind(session, demo, subtests):
    # Refused in the loop that adds them: the new street and community are in the
    # session and 中仓街道 renamed when the last feature, a grid inside a grid, is found.
    nested = area("110112005001G01", "grid", GRID, NEW_STREET[2]["geometry"])
    # Refused while checking, before anything was added.
    bowtie = area("110112005001G01", "grid", "110112005001", BOWTIE)

    def import_with(last):
        return use_cases.import_areas(session, collection(RENAMED, *NEW_STREET[:2], last))

    cases = {
        "a grid inside a grid": (InvalidInput, nested),
        "a self-intersecting grid": (InvalidInput, bowtie),
    }
    refusals(subtests, import_with, cases)


# --- Field inspections (检查) -------------------------------------------------------


def field_place(grid=GRID, **overrides):
    """Return a shop a grid worker found in the field at the centre of `grid`."""
    lat, lon = grid_centre(grid)
    values = {"id": uuid.uuid4(), "name": "中仓社区便利店", "type": "shop", "lat": lat, "lon": lon}
    return NewPlace(**{**values, **overrides})


def test_a_place_added_in_the_field_is_committed_as_proposed(session, demo):
    new = field_place()
    place, created = use_cases.add_place(session, who(session, "gridworker"), new)
    assert created and place.status == "proposed"
    with elsewhere() as other:
        stored = other.get(Place, new.id)
        assert (stored.status, stored.grid.code, stored.name) == ("proposed", GRID, new.name)


def test_a_refused_place_is_not_added(session, demo, subtests):
    def add(username, new):
        return use_cases.add_place(session, who(session, username), new)

    cases = {
        "outside my grids": (PermissionDenied, "gridworker", field_place(OTHER_GRID)),
        "by a volunteer": (PermissionDenied, "volunteer", field_place()),
        "of an unknown type": (InvalidInput, "gridworker", field_place(type="spaceport")),
        "outside every grid": (InvalidInput, "office", field_place(lat=31.2, lon=121.5)),
        "an id taken": (AlreadyExists, "gridworker", field_place(id=demo_place(GRID + "P01"))),
    }
    refusals(subtests, add, cases)


def imported_place(code, name, type_):
    """Return a place in GRID as an import file gives it (its id follows from its code)."""
    lat, lon = grid_centre(GRID)
    place_id = uuid.uuid5(uuid.NAMESPACE_URL, f"place:{code}")
    return NewPlace(place_id, name, type_, lat, lon, address="中仓路1号", code=code)


def test_imported_places_are_created_and_updated_by_code(session, demo):
    places = [
        imported_place(GRID + "P01", "中仓小区1号楼（更名）", "residential"),
        imported_place("ZC-0001", "中仓菜市场", "crowded_place"),
    ]
    assert use_cases.import_places(session, places, who(session, "office")) == (1, 1)
    with elsewhere() as other:
        assert other.get(Place, demo_place(GRID + "P01")).name == "中仓小区1号楼（更名）"
        new = other.scalar(sa.select(Place).filter_by(code="ZC-0001"))
        assert (new.status, new.grid.code) == ("confirmed", GRID)


def test_an_import_whose_second_place_the_database_refuses_leaves_the_first_unchanged(
    session, demo
):
    """The service trusts its caller (parse_places) to check types; the database's CHECK
    refuses the second place after the first one's update was made."""
    places = [
        imported_place(GRID + "P01", "中仓小区1号楼（更名）", "residential"),
        imported_place("ZC-0002", "太空港", "spaceport"),
    ]
    refused(IntegrityError, use_cases.import_places, session, places, who(session, "office"))


def test_a_confirmed_place_is_committed(session, demo):
    place, _ = use_cases.add_place(session, who(session, "gridworker"), field_place())
    use_cases.confirm_place(session, place.id)
    with elsewhere() as other:
        assert other.get(Place, place.id).status == "confirmed"


def test_confirming_an_unknown_place_changes_nothing(session, demo):
    refused(NotFound, use_cases.confirm_place, session, uuid.uuid4())


def test_a_created_checklist_is_committed_as_a_draft(session, demo):
    use_cases.create_checklist(session, "fire_doors", "防火门检查", ["residential"], [item()])
    with elsewhere() as other:
        template = other.scalar(sa.select(ChecklistTemplate).filter_by(code="fire_doors"))
        [version] = template.versions
        assert (version.number, version.status) == (1, "draft")
        assert [i.code for i in version.items] == ["door_closed"]


def test_a_refused_checklist_leaves_no_checklist_behind(session, demo, subtests):
    def create(code, items):
        return use_cases.create_checklist(session, code, "防火门检查", ["residential"], items)

    cases = {
        # The checklist and its version are in the session when the item is refused.
        "an item of an unknown kind": (
            InvalidInput,
            "fire_doors",
            [item(), item("gate", category="alien_landing")],
        ),
        "a code taken": (AlreadyExists, "lifeline", [item()]),
    }
    refusals(subtests, create, cases)


def draft_v2(session):
    """Start version 2 of the lifeline checklist: v1's items and a fire-door item."""
    items = [item(code) for code in V1] + [item()]
    return use_cases.new_checklist_version(session, "lifeline", ["residential"], items)


def lifeline_versions(other):
    """Return (number, status, item codes) of every version of the lifeline checklist."""
    versions = other.scalars(
        sa.select(ChecklistVersion)
        .join(ChecklistTemplate)
        .where(ChecklistTemplate.code == "lifeline")
        .order_by(ChecklistVersion.number)
    )
    return [(v.number, v.status, [i.code for i in v.items]) for v in versions]


def test_a_new_checklist_version_is_committed_as_a_draft(session, demo):
    draft_v2(session)
    with elsewhere() as other:
        assert lifeline_versions(other) == [
            (1, "published", list(V1)),
            (2, "draft", [*V1, "door_closed"]),
        ]


def test_a_refused_checklist_version_leaves_no_version_behind(session, demo):
    # The version is in the session when its second item is refused.
    items = [item(), item("gate", severity="catastrophic")]
    refused(InvalidInput, use_cases.new_checklist_version, session, "lifeline", [], items)
    draft_v2(session)
    refused(Conflict, draft_v2, session)  # one draft at a time


def test_an_edited_draft_is_committed(session, demo):
    draft_v2(session)
    use_cases.edit_checklist_draft(session, "lifeline", 2, ["shop"], [item("exit_lit")])
    with elsewhere() as other:
        assert lifeline_versions(other)[1] == (2, "draft", ["exit_lit"])


def test_a_refused_draft_edit_keeps_the_old_items(session, demo, subtests):
    draft_v2(session)

    def edit(number, items):
        return use_cases.edit_checklist_draft(session, "lifeline", number, ["shop"], items)

    cases = {
        # The draft's old items are deleted and flushed before the new ones are checked.
        "an item of an unknown kind": (InvalidInput, 2, [item(category="alien_landing")]),
        "a published version": (Conflict, 1, [item()]),
    }
    refusals(subtests, edit, cases)


def test_a_published_draft_is_committed_as_published(session, demo):
    draft_v2(session)
    use_cases.publish_checklist(session, "lifeline", 2)
    with elsewhere() as other:
        assert [status for _, status, _ in lifeline_versions(other)] == ["published"] * 2


def test_a_refused_publication_publishes_nothing(session, demo, subtests):
    use_cases.create_checklist(session, "empty", "空清单", [], [])

    def publish(code, number):
        return use_cases.publish_checklist(session, code, number)

    cases = {
        "already published": (Conflict, "lifeline", 1),
        "an unknown version": (NotFound, "lifeline", 9),
        "a draft with no items": (InvalidInput, "empty", 1),
    }
    refusals(subtests, publish, cases)


def test_a_submitted_inspection_is_committed_with_the_hazard_it_found(session, demo):
    new = inspection(fails=("signs_lit",))
    found, created = use_cases.submit_inspection(session, who(session, "gridworker"), new)
    assert created and found.id == new.id
    [failed] = [answer for answer in new.answers if answer.answer == "fail"]
    with elsewhere() as other:
        assert len(other.get(Inspection, new.id).answers) == 5
        hazard = other.get(Hazard, hazard_id_for(failed.id))
        assert (hazard.status, hazard.lead_department.code) == ("assigned", "fire-rescue")
        assert (hazard.inspection_id, hazard.place_id) == (new.id, new.place)


def test_an_inspection_whose_hazard_id_is_taken_leaves_no_inspection_behind(session, demo):
    """A report already holds the id the failed item's hazard takes: found only after
    the inspection's row was inserted, when its hazards are filed."""
    new = inspection(fails=("signs_lit",))
    [failed] = [answer for answer in new.answers if answer.answer == "fail"]
    use_cases.file_report(session, who(session, "volunteer"), report(id=hazard_id_for(failed.id)))
    refused(AlreadyExists, use_cases.submit_inspection, session, who(session, "gridworker"), new)


def test_a_refused_inspection_leaves_no_inspection_answer_or_hazard(session, demo, subtests):
    def submit(username, new):
        return use_cases.submit_inspection(session, who(session, username), new)

    second_not_in_v1 = inspection(items=(V1[0], "fire_door_closed"))
    cases = {
        "a second answer not in the version": (InvalidInput, "gridworker", second_not_in_v1),
        "a place outside my grids": (
            PermissionDenied,
            "gridworker",
            inspection(place=OTHER_GRID + "P01"),
        ),
        "an unknown version": (InvalidInput, "gridworker", inspection(version=2)),
        "by a volunteer": (PermissionDenied, "volunteer", inspection()),
    }
    refusals(subtests, submit, cases)


def task(**changes):
    """Return the office's fields of a task: lifeline for GRID's residential places."""
    return {
        "title": "生命通道排查",
        "template": "lifeline",
        "due_on": date.today() + timedelta(days=7),
        "place_types": ("residential",),
        "area": GRID,
        "assignees": ("gridworker",),
        **changes,
    }


def test_a_created_task_is_committed_with_its_places_and_assignees(session, demo):
    created = use_cases.create_task(session, who(session, "office"), **task())
    with elsewhere() as other:
        stored = other.get(InspectionTask, created.id)
        assert (stored.title, stored.template.code) == ("生命通道排查", "lifeline")
        places = other.scalars(
            sa.select(task_places.c.place_id).where(task_places.c.task_id == created.id)
        )
        # The grid's two residential places, not the other kinds lifeline is for.
        assert sorted(places) == sorted(demo_place(GRID + p) for p in ("P01", "P02"))


def test_a_refused_task_is_not_created(session, demo, subtests):
    def create(fields):
        return use_cases.create_task(session, who(session, "office"), **fields)

    cases = {
        "an unknown assignee": (InvalidInput, task(assignees=("gridworker", "nobody"))),
        "no place of its types": (InvalidInput, task(place_types=("construction_site",))),
        "an unknown checklist": (NotFound, task(template="no_such_checklist")),
        "nobody to do it": (InvalidInput, task(assignees=())),
    }
    refusals(subtests, create, cases)


# --- The demo district ---------------------------------------------------------------


def test_the_demo_loads_and_is_committed(session):
    users = use_cases.load_demo(session, password_method=FAST_HASH)
    assert [user.username for user in users] == [user.username for user in DEMO_USERS]
    with elsewhere() as other:
        counts = [count(other, model) for model in (Area, User, Hazard, Place)]
        assert counts == [47, 5, 9, 360]


def test_a_demo_refused_part_way_leaves_nothing_of_it(session):
    """A fire-lane category already here but retired: the lifeline checklist cannot use
    it, which is found after the areas, departments and users were flushed."""
    with db.engine.begin() as connection:
        fire = connection.execute(
            sa.insert(Department).values(code="fire-rescue", name="区消防救援支队")
        ).inserted_primary_key[0]
        retired = {"name_zh": "消防车通道", "name_en": "Fire lane", "active": False}
        connection.execute(
            sa.insert(Category).values(code="fire_lane_blocked", department_id=fire, **retired)
        )
    refused(InvalidInput, use_cases.load_demo, session, password_method=FAST_HASH)


# --- The unit of work --------------------------------------------------------------


def test_every_use_case_is_tested_here():
    """A use case added later gets its tests here too."""
    source = Path(__file__).read_text(encoding="utf-8")
    names = [
        name
        for name, value in vars(use_cases).items()
        if hasattr(value, "__wrapped__") or value is photos.accept_photo
    ]
    assert len(names) == 32
    assert [name for name in names if not re.search(rf"use_cases\.{name}\b", source)] == []


def insert_again(session, table, drop=(), **changes):
    """Insert the first row of `table` again, without the columns in `drop`, with `changes`."""
    row = session.execute(sa.select(Base.metadata.tables[table])).mappings().first()
    values = {key: value for key, value in row.items() if key not in drop}
    session.execute(sa.insert(Base.metadata.tables[table]).values({**values, **changes}))


def test_unique_violation_names_the_table_of_a_key_violation_and_only_of_one(
    session, demo, subtests
):
    cases = {
        "unique": ("users", ("id",), {}, "users"),  # the username is taken
        "primary key": ("departments", (), {"code": "copy"}, "departments"),
        "composite unique": ("hazard_events", (), {"id": uuid.uuid4()}, "hazard_events"),
        "composite key": ("user_grids", (), {}, "user_grids"),
        "foreign key": ("routing_rules", ("id",), {"department_id": 987_654}, None),
        "not null": ("departments", ("id",), {"code": "copy", "name": None}, None),
        "check": ("users", ("id",), {"username": "copy", "role": "emperor"}, None),
    }
    for name, (table, drop, changes, named) in cases.items():
        with subtests.test(name):
            with pytest.raises(IntegrityError) as caught:
                insert_again(session, table, drop, **changes)
            session.rollback()
            assert unit_of_work.unique_violation(caught.value) == named


def counted(work):
    """Return `work` wrapped to count its calls in `.attempts`; it is passed the count."""

    def attempt():
        attempt.attempts += 1
        return work(attempt.attempts)

    attempt.attempts = 0
    return attempt


def test_run_tries_a_named_race_again_and_takes_the_winners_row(session, demo):
    """A rival commits the same key between this work's look and its insert."""

    @counted
    def claim(attempt):
        found = session.scalar(sa.select(Department).filter_by(code="night-market"))
        if found is not None:
            return found
        if attempt == 1:
            with db.engine.begin() as rival:
                rival.execute(sa.insert(Department).values(code="night-market", name="夜市先到"))
        session.add(Department(code="night-market", name="夜市管理办"))
        session.flush()
        return None

    department = unit_of_work.run(session, claim, (Claimed("departments"),))
    assert claim.attempts == 2 and department.name == "夜市先到"
    with elsewhere() as other:
        assert count(other, Department, code="night-market") == 1


def test_run_does_not_try_again_an_integrity_error_that_is_no_named_race(session, demo, subtests):
    departments = (Claimed("departments"),)
    cases = {
        "not null": ({"name": None}, departments),
        "foreign key": ({"area_id": 987_654}, departments),
        "check": ({"kind": "galaxy"}, departments),
        "a unique key of a table not named": ({"code": "fire-rescue"}, (Claimed("users"),)),
    }
    for name, (fields, races) in cases.items():

        @counted
        def add(_attempt, fields=fields):
            session.add(Department(**{"code": "night-market", "name": "夜市", **fields}))
            session.flush()

        with subtests.test(name):
            refused(IntegrityError, unit_of_work.run, session, add, (*races, version_moved))
            assert add.attempts == 1


def test_run_gives_up_on_a_race_that_keeps_happening(session, demo):
    @counted
    def add(_attempt):
        session.add(Department(code="fire-rescue", name="又一个消防"))
        session.flush()

    refused(IntegrityError, unit_of_work.run, session, add, (Claimed("departments"),))
    assert add.attempts == unit_of_work.ATTEMPTS
