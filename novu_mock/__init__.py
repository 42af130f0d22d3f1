"""novu-mock: an in-memory mock of the Novu notification API for tests."""

from ._core.engine import Engine
from ._core.errors import NovuError
from ._core.http import Call, Reply
from ._model.clock import Clock
from ._model.fixtures import FixtureError, bundled
from ._testing.mock import NovuMock
from ._transports.asgi import create_app
from ._transports.respx import NOVU_BASE_URLS
from ._transports.server import MockServer
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
