"""ApiException: the one error type the hand-written layer raises for what a server did.

TokensApi, AsyncTokensApi, TokenAuth's grants, connect()'s helpers and the CLI raise it for
anything but a documented 2xx of the documented shape: a documented 4xx or 5xx, a status the
contract does not list (UnexpectedStatus), a proxy's HTML page, a 2xx whose body is not JSON or
not the documented model, and no answer at all (status None, httpx's error as __cause__).

It carries what the server said (status, reason, headers, body, the parsed error) but its str()
and repr() show only the status, the reason and what the error says, escaped: a body can hold a
token (a 200 with a truncated JSON body, say), so it is kept on the object and never printed.

The parsed error is one of the error models openapi.yaml documents: Run:ai's envelope (Error:
code, message, details) from most operations, or an RFC 6749 error (OAuth2Error: error,
error_description, error_uri) from POST /api/v2/token. What one says is read off its fields,
not named here: its text is its first required str field (else its first str field), its code
its first enum field.

The generated functions keep openapi-python-client's own contract (a union of the documented
models, runai_tokens_client.errors.UnexpectedStatus with raise_on_unexpected_status): this
module is the hand-written layer's, and the generated package never imports it.
"""

from __future__ import annotations

import enum
import json
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Protocol

import attrs
import httpx

from ._base_errors import (
    InvalidArgument,
    InvalidArgumentType,
    LoginRequiredError,
    MissingCredentialsError,
    RunaiTokensError,
)
from ._untrusted import escape_controls

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "ApiException",
    "GrantNotSupported",
    "InvalidArgument",
    "InvalidArgumentType",
    "LoginRequiredError",
    "MissingCredentialsError",
    "RetryAfterExceedsDeadline",
    "RunaiTokensError",
    "UnexpectedStatus",
    "parse_error_envelope",
]


class Received(Protocol):
    """What from_response reads of a response that is not an httpx.Response: api._shape's
    Answer, named here by its shape so that this module imports nothing of api/."""

    @property
    def status_code(self) -> int: ...
    @property
    def headers(self) -> Mapping[str, str] | httpx.Headers: ...
    @property
    def content(self) -> bytes: ...


# Every HTTPStatus by its number: a status outside it (520, say) has no phrase.
_STATUSES = {status.value: status for status in HTTPStatus}


class ApiException(RunaiTokensError):
    """An operation did not return what openapi.yaml promises, or got no answer at all.

    status, reason and headers are the response's, body its text, and error the body parsed as
    one of the documented error models (None when it is none of them). str() and repr() show
    the status, the reason and what the error says, escaped; never the body or a header, which
    can hold a token. status is None when no response arrived: the httpx error is then
    __cause__, its query values redacted, without a traceback.
    """

    def __init__(
        self,
        status: int | None = None,
        reason: str | None = None,
        *,
        headers: httpx.Headers | None = None,
        body: str | None = None,
        error: Any = None,
    ) -> None:
        self.status = None if status is None else int(status)
        self.reason = reason or _phrase(self.status)
        self.headers = headers if headers is not None else httpx.Headers()
        self.body = body
        self.error = error
        super().__init__(self._summary())

    @classmethod
    def from_response(
        cls,
        response: httpx.Response | Received,
        reason: str | None = None,
        *,
        error: Any = None,
    ) -> ApiException:
        """From an httpx response or a checked Answer (a Received). Without error, the body is
        parsed as each documented error model in turn."""
        body = _text(response)
        if error is None:
            error = parse_error(body)
        headers = httpx.Headers(response.headers)
        return cls(response.status_code, reason, headers=headers, body=body, error=error)

    @property
    def message(self) -> str | None:
        """What the server said, whichever error model it used; None if it said nothing."""
        text, code = self._said()
        return text if text is not None else code

    @property
    def oauth2_error(self) -> str | None:
        """The error's code when its model has an enumerated one (RFC 6749's error, as
        invalid_client); None otherwise."""
        return self._said()[1]

    def _said(self) -> tuple[str | None, str | None]:
        return _says(self.error)

    def _summary(self) -> str:
        status = "(no response)" if self.status is None else f"({self.status})"
        # The server's words, escaped: a line break would forge a log line, an escape sequence
        # would reach whatever terminal shows the message.
        said = ": ".join(escape_controls(part) for part in reversed(self._said()) if part)
        return f"{status} {self.reason} - {said}" if said else f"{status} {self.reason}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, reason={self.reason!r})"


class UnexpectedStatus(ApiException):
    """A status openapi.yaml does not list for the operation. status_code and content are
    openapi-python-client's names for status and the body."""

    def __init__(self, status_code: int, content: bytes, **details: Any) -> None:
        self.status_code = status_code
        self.content = content
        super().__init__(status_code, body=content.decode("utf-8", "replace"), **details)


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
        error: Any = None,
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


def parse_error(body: str | bytes | None, models: tuple[type[Any], ...] | None = None) -> Any:
    """body as the first of models (every documented error model by default) it is, each field
    of its declared type; else None."""
    from . import _generated as gen
    from ._fields import field_problem

    try:
        data: Any = json.loads(body) if body else None
    except (ValueError, RecursionError):
        return None
    for model in (gen.ERROR_MODELS if models is None else models) if isinstance(data, dict) else ():
        try:
            error = model.from_dict(data)
        except Exception:  # noqa: S112 - not this model: try the next one
            continue
        if field_problem(error) is None:
            return error
    return None


def parse_error_envelope(body: str | None) -> Any:
    """The Error envelope {code, message, details?} in a body, or None when it is not one."""
    from . import _generated as gen

    return parse_error(body, (gen.Error,))


def _says(error: object) -> tuple[str | None, str | None]:
    """What an error model says and its code, read off its fields (see the module's docstring)."""
    model: Any = type(error)
    if error is None or not attrs.has(model):
        return None, None
    text = optional = code = None
    for field in attrs.fields(model):
        value = getattr(error, field.name)
        if isinstance(value, enum.Enum):
            if code is None and isinstance(value.value, str):
                code = value.value
        elif isinstance(value, str):
            if field.default is attrs.NOTHING and text is None:
                text = value
            elif optional is None:
                optional = value
    return (text if text is not None else optional), code


def _text(response: httpx.Response | Received) -> str | None:
    if not isinstance(response, httpx.Response):
        return response.content.decode("utf-8", "replace")
    try:
        return response.text
    except (httpx.ResponseNotRead, UnicodeDecodeError, LookupError):
        return None


def _phrase(status: int | None) -> str:
    if status is None:
        return "no response"
    known = _STATUSES.get(status)
    return known.phrase if known is not None else "Unknown status"
