"""novu-mock in front of the real Novu (DESIGN section 11): forward every call, run it again on
the engine in a shadow environment, keep the drift between the two answers, record exchanges,
and extract fixtures from a recording."""

#: Seconds the proxy waits for the upstream's whole answer before it answers 502.
DEFAULT_TIMEOUT = 30.0
