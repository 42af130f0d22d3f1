"""novu_mock beside pytest-httpx's httpx_mock: Novu's base URLs answered by novu-mock.

httpx_mock replaces httpx's transports, so a Novu call never reaches novu-mock's interception
(which sits below, in httpcore). pytest-httpx's supported way in is a callback: the novu_mock
fixture registers one for its base URLs, optional (no "not requested" failure) and reusable.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .._transports.respx import NovuRouter


def base_url_pattern(router: NovuRouter) -> re.Pattern[str]:
    """A URL pattern that matches the router's base URLs and everything under them."""
    bases = sorted(router.base_urls(), key=len, reverse=True)
    return re.compile("(" + "|".join(re.escape(b) for b in bases) + r")([/?].*)?$")


def answer_through_httpx_mock(httpx_mock: Any, router: NovuRouter) -> None:
    """Register `router` as an httpx_mock callback for its base URLs."""
    httpx_mock.add_callback(
        router.handler, url=base_url_pattern(router), is_optional=True, is_reusable=True
    )
