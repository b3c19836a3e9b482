"""A writer process for the change-feed test: comments on a hazard, holding its number."""

import random
import time
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Session


def write(url, hazard_id, count, seed):
    """Commit `count` comments, each holding its change number a random while."""
    from server.models import User
    from server.models.sync import _stamp
    from server.services.lifecycle import Step
    from server.services.steps import StepRequest, apply_step

    options = {"connect_args": {"prepare_threshold": None}} if url.startswith("postgresql") else {}
    engine = sa.create_engine(url, **options)
    rng = random.Random(seed)
    try:
        for k in range(count):
            with Session(bind=engine) as session:
                office = session.scalar(sa.select(User).filter_by(username="office"))
                request = StepRequest(id=uuid.uuid4(), step=Step("comment", note=f"{seed}-{k}"))
                apply_step(session, office, uuid.UUID(hazard_id), request)
                _stamp(session)  # the number is taken and held …
                time.sleep(rng.uniform(0, 0.02))  # … a while, before commit
                session.commit()
    finally:
        engine.dispose()
