"""The change feed never skips a change, whatever order transactions commit in."""

import random
import threading
import time
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.extensions import db
from server.models import Change, User
from server.models.sync import _stamp
from server.services.lifecycle import Step
from server.services.steps import StepRequest, apply_step
from tests.helpers import file_report, login


def _comment(session, username, hazard_id, note):
    user = session.scalar(sa.select(User).filter_by(username=username))
    apply_step(
        session,
        user,
        uuid.UUID(hazard_id),
        StepRequest(id=uuid.uuid4(), step=Step("comment", note=note)),
    )


def _seqs_after(engine, cursor):
    with Session(bind=engine) as reader:
        return list(
            reader.scalars(sa.select(Change.seq).where(Change.seq > cursor).order_by(Change.seq))
        )


def test_a_change_committed_late_is_still_delivered(app, client, demo):
    """Writer A takes its number and holds; B commits; a pull runs; A commits; pull again."""
    volunteer = login(client, "volunteer")
    first, second = file_report(client, volunteer)["id"], file_report(client, volunteer)["id"]
    with app.app_context():
        engine = db.engine
        cursor = max(_seqs_after(engine, 0))
        writer_a, writer_b = Session(bind=engine), Session(bind=engine)
        _comment(writer_a, "office", first, "A")
        _stamp(writer_a)  # A has its number and holds the counter until it commits
        b_done = threading.Event()

        def commit_b():
            _comment(writer_b, "office", second, "B")
            writer_b.commit()  # waits for A's lock, then takes the next number
            b_done.set()

        thread = threading.Thread(target=commit_b)
        thread.start()
        time.sleep(0.3)
        early = _seqs_after(engine, cursor)  # neither A nor B is visible yet
        assert early == [] and not b_done.is_set()
        writer_a.commit()
        thread.join(20)
        late = _seqs_after(engine, cursor)
        writer_a.close()
        writer_b.close()
    assert late == [cursor + 1, cursor + 2]  # both, in commit order, none skipped


def test_random_interleavings_of_many_writers_never_skip(app, client, demo):
    volunteer = login(client, "volunteer")
    hazards = [file_report(client, volunteer)["id"] for _ in range(6)]
    with app.app_context():
        engine = db.engine
        start = max(_seqs_after(engine, 0))
        delivered, stop = [], threading.Event()
        errors = []

        def writer(n):
            rng = random.Random(n)
            try:
                for k in range(8):
                    with Session(bind=engine) as session:
                        _comment(session, "office", hazards[n], f"{n}-{k}")
                        _stamp(session)
                        time.sleep(rng.uniform(0, 0.01))  # hold the number a while
                        session.commit()
            except Exception as error:  # surfaced below, not swallowed
                errors.append(error)

        def reader():
            cursor = start
            while not stop.is_set():
                page = _seqs_after(engine, cursor)
                delivered.extend(page)
                if page:
                    cursor = page[-1]
                time.sleep(0.002)
            delivered.extend(_seqs_after(engine, cursor))

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
        pulling = threading.Thread(target=reader)
        pulling.start()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        stop.set()
        pulling.join(20)
    assert errors == []
    assert delivered == list(range(start + 1, start + 1 + 6 * 8))


def test_writers_in_separate_processes_never_make_a_reader_skip(app, client, demo, database_url):
    import multiprocessing

    from tests.integration.feed_writer import write

    volunteer = login(client, "volunteer")
    hazards = [file_report(client, volunteer)["id"] for _ in range(4)]
    with app.app_context():
        engine = db.engine
        start = max(_seqs_after(engine, 0))
        context = multiprocessing.get_context("spawn")
        writers = [
            context.Process(target=write, args=(database_url, hazards[n], 6, n)) for n in range(4)
        ]
        for process in writers:
            process.start()
        delivered, cursor = [], start
        while any(p.is_alive() for p in writers):
            page = _seqs_after(engine, cursor)
            delivered.extend(page)
            cursor = page[-1] if page else cursor
            time.sleep(0.003)
        for process in writers:
            process.join(60)
        delivered.extend(_seqs_after(engine, cursor))
    assert [p.exitcode for p in writers] == [0, 0, 0, 0]
    assert delivered == list(range(start + 1, start + 1 + 4 * 6))
