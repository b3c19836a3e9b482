"""Flask extensions, created unbound and attached in create_app."""

from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy

from schemas.common import ProblemSchema
from server.models import Base


class ProblemApi(Api):
    """flask-smorest's Api, documenting errors as problem+json."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self):
        # server.errors registers one handler for every failure instead.
        pass


db = SQLAlchemy(metadata=Base.metadata)
migrate = Migrate()
api = ProblemApi()
