"""novu-mock: an in-memory mock of the Novu notification API for tests.

The public names load on first use (PEP 562), so that the pytest plugin, which pytest imports in
every session of a project that has novu-mock installed, costs nothing until a test uses it.
"""

import typing

from ._version import __version__

if typing.TYPE_CHECKING:
    from ._core.engine import Engine
    from ._core.errors import NovuError
    from ._core.http import Call, Reply
    from ._fixtures import FixtureError, bundled
    from ._model.clock import Clock
    from ._testing.mock import NovuMock
    from ._transports.asgi import create_app
    from ._transports.respx import NOVU_BASE_URLS
    from ._transports.server import MockServer

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


def _load() -> dict[str, typing.Any]:
    from ._core.engine import Engine
    from ._core.errors import NovuError
    from ._core.http import Call, Reply
    from ._fixtures import FixtureError, bundled
    from ._model.clock import Clock
    from ._testing.mock import NovuMock
    from ._transports.asgi import create_app
    from ._transports.respx import NOVU_BASE_URLS
    from ._transports.server import MockServer

    return {
        "NOVU_BASE_URLS": NOVU_BASE_URLS,
        "Call": Call,
        "Clock": Clock,
        "Engine": Engine,
        "FixtureError": FixtureError,
        "MockServer": MockServer,
        "NovuError": NovuError,
        "NovuMock": NovuMock,
        "Reply": Reply,
        "bundled": bundled,
        "create_app": create_app,
    }


def __getattr__(name: str) -> typing.Any:
    if name not in __all__:
        raise AttributeError(f"module 'novu_mock' has no attribute {name!r}")
    # The whole public API at once: after the first use the module is as if imported eagerly.
    globals().update(_load())
    return globals()[name]


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
