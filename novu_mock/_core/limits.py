"""How much of a request the mock reads and keeps (contract decision D15).

Novu's body-parser refuses a body over 20 MB on the routes it extends and over 100 kB on every
other route, before parsing it; the mock does the same before reading further (the ASGI
adapter stops storing a body at its limit) and journals at most an excerpt of what it refused
or could not route.
"""

from __future__ import annotations

EXTENDED_PREFIXES = ("/v1/events", "/v1/workflows", "/v1/notification-templates", "/v1/layouts")
EXTENDED_LIMIT = 20 * 1024 * 1024  # body-parser's "20mb"
DEFAULT_LIMIT = 100 * 1024  # body-parser's default "100kb"
ADMIN_LIMIT = EXTENDED_LIMIT  # /_mock: fixture documents may be large, but not unbounded
EXCERPT = 2048  # bytes of a refused or unrouted body the request journal keeps
TOO_LARGE = "request entity too large"


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def body_limit(path: str) -> int:
    """The largest body, in bytes, accepted on `path` (a normalised path)."""
    if any(_under(path, prefix) for prefix in EXTENDED_PREFIXES):
        return EXTENDED_LIMIT
    if _under(path, "/_mock"):
        return ADMIN_LIMIT
    return DEFAULT_LIMIT


def excerpt(body: bytes, size: int) -> str:
    """The first EXCERPT bytes of a body of `size` bytes, as text, saying how much there was."""
    if size <= EXCERPT:
        return body[:EXCERPT].decode("utf-8", "replace")
    text = body[:EXCERPT].decode("utf-8", "ignore")
    return f"{text}… ({size:,} bytes; the journal keeps the first {EXCERPT:,})"
