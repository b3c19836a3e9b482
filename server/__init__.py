"""随手拍 hazard reporting backend: the Flask application and its domain services.

`flask --app server ...` finds `create_app` here. The import is deferred so that
`server.models` and `server.services` stay importable without Flask.
"""


def create_app(test_config=None):
    """Create the Flask application (see server.app.create_app)."""
    from server.app import create_app as _create_app

    return _create_app(test_config)
