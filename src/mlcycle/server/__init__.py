"""The REST API server (FastAPI): ``create_app(settings)`` gives the ASGI application that `mlcycle server` runs."""

from mlcycle.server.app import API_PREFIX, create_app

__all__ = ["API_PREFIX", "create_app"]
