"""A server process for the sync fault test: killed outright part-way through a push."""

import os

import sqlalchemy as sa
from sqlalchemy.orm import Session


def push_and_die(url, mutations, die_at):
    """Push `mutations` as the grid worker and die (no cleanup) once seq `die_at` is written."""
    import sync.push as engine
    from server.models import User

    real_file = engine._file

    def file_then_die(session, user, batch, creates, policy):
        seqs = [mutation.seq for _, mutation, _, _ in creates]
        real_file(session, user, batch, creates, policy)
        if die_at in seqs:
            session.flush()
            os._exit(137)  # as if killed: no rollback, no goodbye

    engine._file = file_then_die
    options = {"connect_args": {"prepare_threshold": None}} if url.startswith("postgresql") else {}
    with Session(bind=sa.create_engine(url, **options)) as session:
        user = session.scalar(sa.select(User).filter_by(username="gridworker"))
        engine.push(session, user, "phone-1", engine.read(mutations))
