"""What a live server refuses before the engine sees a call (README "Security defaults").

- A `Host` that is not an address the server listens on (DNS rebinding: a web page whose name
  resolves to 127.0.0.1 would otherwise read and change the mock).
- A state-changing `/_mock` call (any method but GET and HEAD) from a foreign `Origin`, or with a
  body type a web page may send without asking (text/plain, forms: SIMPLE_TYPES): any page could
  otherwise reset the mock or arm faults with a simple cross-site request.

Refusals are Novu error bodies: 403 for the Host and the Origin, 415 for the content type.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
_WILDCARDS = ("0.0.0.0", "::", "")
_SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# The body types a web page may send to any origin without a CORS preflight (the Fetch
# standard's CORS-safelisted request content types). Any other type (JSON, YAML) makes a
# browser ask first, and the mock never allows it.
SIMPLE_TYPES = ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data")


def _is_ip_literal(name: str) -> bool:
    try:
        ipaddress.ip_address(name.removeprefix("[").removesuffix("]"))
    except ValueError:
        return False
    return True


class Guard:
    """The Host and Origin rules of one listening address. `allowed` are extra host names
    (`--allow-host`); `*` among them accepts any Host."""

    def __init__(self, host: str, port: int, allowed: Iterable[str] = ()) -> None:
        self.port = port
        extra = [a.strip().lower() for a in allowed if a.strip()]
        self.any_host = "*" in extra
        self.wildcard = host in _WILDCARDS
        shown = f"[{host}]" if ":" in host else host
        names = {shown.lower(), *LOOPBACK_NAMES, *extra}
        if self.wildcard:
            names.add(socket.gethostname().lower())
        self.names = frozenset(names)

    def host_ok(self, host: str | None) -> bool:
        """Whether a Host header (`name:port`) names this server."""
        if host is None or self.any_host:
            return True  # HTTP/1.0 without Host: no browser sends that
        name, port = _split(host.strip().lower())
        if port is None:
            port = 80
        if port != self.port:
            return False
        if name in self.names:
            return True
        # Bound to every interface: any of the machine's addresses, which are IP literals
        # (rebinding needs a DNS name).
        return self.wildcard and _is_ip_literal(name)

    def refusal(self, method: str, path: str, headers: dict[str, str]) -> tuple[int, str] | None:
        """(status, message) when the call must be refused, else None."""
        host = headers.get("host")
        if not self.host_ok(host):
            return 403, (
                f"Forbidden: Host {host!r} is not an address this mock listens on "
                "(allow more names with --allow-host)"
            )
        admin = path == "/_mock" or path.startswith("/_mock/")
        if not admin or method.upper() in _SAFE_METHODS:
            return None
        origin = headers.get("origin")
        if origin is not None and not self.origin_ok(origin):
            return 403, f"Forbidden: /_mock calls from the origin {origin!r} are refused"
        ctype = headers.get("content-type")
        if ctype is not None:
            media = ctype.split(";", 1)[0].strip().lower()
            if media in SIMPLE_TYPES:
                return 415, (
                    "Unsupported Media Type: /_mock calls take JSON (Content-Type: "
                    "application/json; fixtures also application/yaml), not a type a web page "
                    f"may send cross-site, got {ctype!r}"
                )
        return None

    def origin_ok(self, origin: str) -> bool:
        scheme, _, rest = origin.strip().lower().partition("://")
        return scheme == "http" and "/" not in rest and self.host_ok(rest)


def _split(host: str) -> tuple[str, int | None]:
    if host.startswith("["):
        name, _, rest = host.partition("]")
        name += "]"
        port_text = rest.removeprefix(":") if rest.startswith(":") else ""
    elif host.count(":") == 1:
        name, _, port_text = host.partition(":")
    else:
        name, port_text = host, ""
    if not port_text:
        return name, None
    if not port_text.isascii() or not port_text.isdigit():
        return name, -1
    return name, int(port_text)
