"""novu-mock: an in-memory mock of the Novu notification API for tests."""

from ._app import create_app
from ._clock import Clock
from ._engine import Engine
from ._errors import NovuError
from ._fixtures import FixtureError, bundled
from ._http import Call, Reply
from ._mock import NovuMock
from ._respx import NOVU_BASE_URLS
from ._server import MockServer
from ._version import __version__

__all__ = [
    "NOVU_BASE_URLS",
    "Call",
    "Clock",
    "Engine",
    "FixtureError",
    "MockServer",
    "NovuError",
    "NovuMock",
    "Reply",
    "__version__",
    "bundled",
    "create_app",
]
