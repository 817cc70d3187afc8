"""ApiException: the one error type callers catch, and the two kinds of it this layer adds.

ApiException itself is the generated package's (runai_tokens_client.errors, written by
templates/errors.py.jinja), so the generated operation functions raise the very class that
`except runai_tokens.ApiException` catches, without importing this package. It carries what the
server said (status, reason, headers, body, the parsed error) but its str() and repr() show only
the status, the reason and the error's message: a body can hold a token (a 200 with a truncated
JSON body, say), so it is kept on the object and never printed.

The parsed error is Run:ai's envelope (Error: code, message, details) from most operations, or an
RFC 6749 error (OAuth2Error: error, error_description, error_uri) from POST /api/v2/token: each
operation's own documented error models, as openapi.yaml lists them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import _generated as gen
from ._generated import ApiException, UnexpectedStatus, parse_error

if TYPE_CHECKING:
    import httpx

    from ._generated import Error, ErrorModel


def parse_error_envelope(body: str | None) -> Error | None:
    """The Error envelope {code, message, details?} in a body, or None when it is not one."""
    error = parse_error(body, (gen.Error,))
    return error if isinstance(error, gen.Error) else None


class RetryAfterExceedsDeadline(ApiException):
    """The server asked to wait (Retry-After) past the retry deadline, so no retry was made.

    Raised at once rather than sleeping into a request that could not finish in time. It carries
    the response it was built from (status, headers, body, envelope) and the delay asked for.
    """

    def __init__(
        self,
        status: int | None = None,
        reason: str | None = None,
        *,
        retry_after: float,
        attempts: int,
        headers: httpx.Headers | None = None,
        body: str | None = None,
        error: ErrorModel | None = None,
    ) -> None:
        self.retry_after = retry_after
        self.attempts = attempts
        super().__init__(status, reason, headers=headers, body=body, error=error)

    def _summary(self) -> str:
        return (
            f"{super()._summary()} (server asked to retry after {self.retry_after:g}s, past the "
            f"retry deadline; {self.attempts} attempt(s) made)"
        )


class GrantNotSupported(ApiException):
    """The control plane refused a grant it predates (client_credentials before 2.20, say).

    Raised for a 400 to a grant newer than the oldest control plane, from one that has no
    /api/v2/token (and so is older than 2.24). It carries the response as any ApiException.
    """


__all__ = [
    "ApiException",
    "GrantNotSupported",
    "RetryAfterExceedsDeadline",
    "UnexpectedStatus",
    "parse_error_envelope",
]
