"""Calls that look like Novu's API but go to a base URL the mock does not intercept."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

    from .._core.engine import Engine


LOOPBACK = ("localhost", "127.0.0.1", "::1")


def novu_suffix(engine: Engine, method: str, host: str, path: str) -> str | None:
    """The part of `path` from its `/v1/` or `/v2/` segment on, when it names a Novu route.
    Never on loopback: a `novu-mock serve` or the `novu_mock_server` fixture lives there."""
    if host in LOOPBACK or host.startswith("127."):
        return None

    segments = path.split("/")
    for i, segment in enumerate(segments):
        if segment in ("v1", "v2"):
            suffix = "/" + "/".join(segments[i:])
            if engine.is_novu_route(method, suffix):
                return suffix
    return None


def explain(request: httpx.Request, suffix: str, base_urls: Sequence[str]) -> str:
    """novu-mock's message for a Novu call on an unknown base URL."""
    url = request.url
    path = url.raw_path.decode("ascii").partition("?")[0]
    base = f"{url.scheme}://{url.netloc.decode('ascii')}{path[: len(path) - len(suffix)]}"
    return (
        f"novu-mock: {request.method} {url} looks like Novu's API ({suffix.split('?')[0]}) but "
        f"{base} is not intercepted (intercepted: {', '.join(sorted(base_urls))}). Add it: "
        f'@pytest.mark.novu_mock(base_urls=["{base}"]), NovuMock(base_urls=["{base}"]) or '
        f'mock.intercept(base_urls=["{base}"]); the base URL is what the SDK gets as '
        "`server_url` (without /v1)."
    )
