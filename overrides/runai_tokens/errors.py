"""ApiException: the one error type callers catch.

It carries what the server said (status, reason, headers, body, the parsed error) but its str()
and repr() show only the status, the reason and the error's message: a body can hold a token (a
200 with a truncated JSON body, say), so it is kept on the object and never printed.

The parsed error is Run:ai's envelope (Error: code, message, details) from most operations, or an
RFC 6749 error (OAuth2Error: error, error_description, error_uri) from POST /api/v2/token.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

import httpx

from ._generated import Error, OAuth2Error, OAuth2ErrorCode
from ._untrusted import escape_controls


class ApiException(Exception):
    """An operation did not return what the contract promises.

    status is None when no response arrived at all (connection refused, timeout after retries);
    the underlying httpx error is then the exception's __cause__.
    """

    def __init__(
        self,
        status: int | None = None,
        reason: str | None = None,
        *,
        headers: httpx.Headers | None = None,
        body: str | None = None,
        error: Error | OAuth2Error | None = None,
    ) -> None:
        self.status = status
        self.reason = reason or (_status_phrase(status) if status is not None else "no response")
        self.headers = headers if headers is not None else httpx.Headers()
        self.body = body
        self.error = error
        super().__init__(self._summary())

    @classmethod
    def from_response(cls, response: httpx.Response, reason: str | None = None) -> ApiException:
        """Build from a response that is not what the contract promises; parses the envelope."""
        try:
            body: str | None = response.text
        except (httpx.ResponseNotRead, UnicodeDecodeError):
            body = None
        return cls(
            response.status_code,
            reason,
            headers=response.headers,
            body=body,
            error=parse_error_envelope(body) or parse_oauth2_error(body),
        )

    def _summary(self) -> str:
        parts = [f"({self.status})" if self.status is not None else "(no response)", self.reason]
        # The server's words, escaped: a line break would forge a log line, an escape
        # sequence would reach whatever terminal shows the message.
        if isinstance(self.error, Error):
            parts.append(f"- {escape_controls(self.error.message)}")
        elif isinstance(self.error, OAuth2Error):
            parts.append(f"- {self.error.error.value}")
            if isinstance(self.error.error_description, str):
                parts[-1] += f": {escape_controls(self.error.error_description)}"
        return " ".join(parts)

    @property
    def oauth2_error(self) -> str | None:
        """The RFC 6749 error code (invalid_client, invalid_grant, ...), if the server sent one."""
        return self.error.error.value if isinstance(self.error, OAuth2Error) else None

    @property
    def message(self) -> str | None:
        """What the server said, whichever error shape it used; None when it said nothing."""
        if isinstance(self.error, Error):
            return self.error.message
        if isinstance(self.error, OAuth2Error):
            description = self.error.error_description
            return description if isinstance(description, str) else self.error.error.value
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, reason={self.reason!r})"


def parse_error_envelope(body: str | None) -> Error | None:
    """The Error envelope {code, message, details?} in a body, or None when it is not one."""
    if not body:
        return None
    try:
        data: Any = json.loads(body)
    except ValueError:
        return None
    if not (
        isinstance(data, dict)
        and isinstance(data.get("code"), int)
        and isinstance(data.get("message"), str)
    ):
        return None
    if "details" in data and not isinstance(data["details"], str):
        return None
    return Error.from_dict(data)


def parse_oauth2_error(body: str | None) -> OAuth2Error | None:
    """An RFC 6749 error {error, error_description?, error_uri?}, or None when it is not one.

    An error code outside the contract's list is not one either: the generated enum would refuse
    it, and a message must not be made of whatever a server put there.
    """
    if not body:
        return None
    try:
        data: Any = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("error") not in _OAUTH2_CODES:
        return None
    # RFC 6749 section 5.2's optional fields are text.
    if any(k in data and not isinstance(data[k], str) for k in ("error_description", "error_uri")):
        return None
    return OAuth2Error.from_dict(data)


_OAUTH2_CODES = frozenset(code.value for code in OAuth2ErrorCode)


def _status_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown status"


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
        error: Error | OAuth2Error | None = None,
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
