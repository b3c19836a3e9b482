"""Two staff act on one hazard at the same moment, each on their own connection."""

import threading
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from server.extensions import db
from server.models import Hazard, HazardEvent, User
from server.services.lifecycle import Step
from server.services.steps import StepRequest, apply_step
from tests.helpers import add_user, file_report, login


def _staff_session(engine, username):
    session = Session(bind=engine)
    return session, session.scalar(sa.select(User).filter_by(username=username))


def _accept(session, user, hazard_id, note):
    request = StepRequest(id=uuid.uuid4(), step=Step("accept", note=note))
    return apply_step(session, user, uuid.UUID(hazard_id), request)


@pytest.fixture
def hazard_id(client, demo):
    add_user(
        client.application, "fire2", "dept_staff", "fire-two-22", department_code="fire-rescue"
    )
    return file_report(client, login(client, "volunteer"))["id"]


def test_the_second_of_two_simultaneous_steps_is_refused_and_nothing_is_lost(app, hazard_id):
    with app.app_context():
        engine = db.engine
        first, first_user = _staff_session(engine, "fire")
        second, second_user = _staff_session(engine, "fire2")
        # Both have read the hazard at the same version before either writes.
        for session in (first, second):
            session.get(Hazard, uuid.UUID(hazard_id))
        flushed = threading.Event()
        outcome = {}

        def act_second():
            flushed.wait(10)
            try:
                _accept(second, second_user, hazard_id, "二号签收")
                second.commit()
                outcome["second"] = "committed"
            except StaleDataError:
                second.rollback()
                outcome["second"] = "stale"

        thread = threading.Thread(target=act_second)
        thread.start()
        _accept(first, first_user, hazard_id, "一号签收")
        first.flush()  # holds the row (PostgreSQL) or the write lock (SQLite)
        flushed.set()
        threading.Event().wait(0.3)  # let the second writer reach the database and wait
        first.commit()
        thread.join(20)
        first.close()
        second.close()
        assert outcome == {"second": "stale"}
        events = db.session.scalars(
            sa.select(HazardEvent)
            .where(HazardEvent.hazard_id == uuid.UUID(hazard_id))
            .order_by(HazardEvent.seq)
        ).all()
        assert [(e.type, e.note) for e in events][-1] == ("accept", "一号签收")
        hazard = db.session.get(Hazard, uuid.UUID(hazard_id))
        assert (hazard.status, hazard.version) == ("accepted", events[-1].seq)


def test_the_loser_over_http_gets_409_with_the_current_state(app, hazard_id):
    client = app.test_client()
    headers = [login(client, "fire"), login(client, "fire2", password="fire-two-22")]
    barrier = threading.Barrier(2)
    responses = []

    def act(h):
        barrier.wait()
        body = {"id": str(uuid.uuid4()), "type": "accept"}
        responses.append(
            app.test_client().post(f"/api/v1/hazards/{hazard_id}/events", json=body, headers=h)
        )

    threads = [threading.Thread(target=act, args=(h,)) for h in headers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    codes = sorted(r.status_code for r in responses)
    assert codes == [201, 409], [r.json for r in responses]
    loser = next(r for r in responses if r.status_code == 409).json
    assert loser["current"] == {"status": "accepted", "version": 3}
