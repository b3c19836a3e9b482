"""Flask extensions, created unbound and attached in create_app."""

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from server.models import Base
from server.openapi import ProblemApi

db = SQLAlchemy(metadata=Base.metadata)
migrate = Migrate()
api = ProblemApi()
