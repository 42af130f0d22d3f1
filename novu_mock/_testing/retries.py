"""What a test sees when its client keeps retrying a call that a fault or rate limit refuses."""

from __future__ import annotations

from respx.models import AllMockedAssertionError


class RetryLoopError(AssertionError):
    """Raised in the test (in-process) when one call has been retried more than a few times
    under an armed fault or rate limit; the message says how to turn the SDK's retries off.

    An AssertionError, so that the SDK does not retry it (novu-py re-raises anything that is not
    a network error or a retryable status) and pytest reports it as the test's failure.
    """


class UnmatchedNovuRequest(AllMockedAssertionError):
    """A Novu API path on a host that no interception covers (respx's AllMockedAssertionError,
    so that another respx router of the test still gets its turn)."""
