"""novu-mock: an in-memory mock of the Novu notification API for tests."""

from ._app import create_app
from ._clock import Clock
from ._engine import Engine
from ._errors import NovuError
from ._fixtures import FixtureError, bundled
from ._http import Call, Reply
from ._version import __version__

__all__ = [
    "Call",
    "Clock",
    "Engine",
    "FixtureError",
    "NovuError",
    "Reply",
    "__version__",
    "bundled",
    "create_app",
]
