"""Contains shared errors types that can be raised from API functions"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from functools import cache
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

import httpx

from .types import Response, field_problem, is_model

if TYPE_CHECKING:
    from .models import Error, OAuth2Error

    # The models operations document for an error status: ApiException.error is one of them.
    ErrorModel = Error | OAuth2Error
    ERROR_MODELS: tuple[type[Any], ...]


def __getattr__(name: str) -> Any:
    # ErrorModel and ERROR_MODELS import the models, which this module does not do itself: a
    # program that builds a Client, or whose calls all succeed, never loads the error models.
    if name == "ERROR_MODELS":
        return tuple(_says())
    if name == "ErrorModel":
        from . import models

        return models.Error | models.OAuth2Error
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@cache
def _says() -> dict[type[Any], tuple[str | None, str | None]]:
    """For each error model, from its schema: the attribute holding what it says (its first
    required string, else its first string) and the one holding its code, when that is an
    enum (its first required enum). Its keys are every error model, in the contract's order."""
    from .models import Error, OAuth2Error  # on the first error, see __getattr__

    return {
        Error: ("message", None),
        OAuth2Error: ("error_description", "error"),
    }


# C0 and C1 controls and DEL, and the Unicode bidirectional controls, which reorder what a
# terminal shows: the set runai_tokens._untrusted escapes (the CLI's warm path uses that one
# without importing this package). A pattern, compiled (and kept by re's cache) on the first
# escape: compiling its Unicode ranges took about 1 ms of every import of this module.
_CONTROLS = "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
# Every HTTPStatus by its number: a look-up, where HTTPStatus(code) goes through Enum's call.
_STATUSES = {status.value: status for status in HTTPStatus}


def escape_controls(text: str) -> str:
    """text with every control character shown as a Python escape (\\x1b, \\n)."""
    return re.sub(_CONTROLS, lambda match: repr(match.group())[1:-1], text)


class ApiException(Exception):
    """An operation did not return what openapi.yaml promises, or got no answer at all.

    status, reason and headers are the response's, body its text, and error the body
    parsed as one of the operation's error models (None when it is none of them). str()
    and repr() show the status, the reason and what the error says, escaped; never the
    body or a header, which can hold a token. status is None when no response arrived:
    the httpx error is then __cause__, its query values redacted, without a traceback.
    """

    def __init__(
        self,
        status: int | None = None,
        reason: str | None = None,
        *,
        headers: httpx.Headers | None = None,
        body: str | None = None,
        error: ErrorModel | None = None,
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
        response: httpx.Response | Response[Any],
        reason: str | None = None,
        *,
        error: ErrorModel | None = None,
        error_models: tuple[type[Any], ...] | None = None,
    ) -> ApiException:
        """From an httpx or a *_detailed response. Without error, the body is parsed as
        each of error_models in turn (every documented error model by default)."""
        body = _text(response)
        if error is None:
            models = tuple(_says()) if error_models is None else error_models
            error = parse_error(body, models)
        headers = httpx.Headers(response.headers)
        return cls(
            response.status_code, reason, headers=headers, body=body, error=error
        )

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
        if self.error is None:  # no need to load the models to know that
            return None, None
        text_attr, code_attr = _says().get(type(self.error), (None, None))
        text = getattr(self.error, text_attr) if text_attr else None
        code = (
            getattr(getattr(self.error, code_attr), "value", None)
            if code_attr
            else None
        )
        return _str_or_none(text), _str_or_none(code)

    def _summary(self) -> str:
        status = "(no response)" if self.status is None else f"({self.status})"
        # The server's words, escaped: a line break would forge a log line, an escape
        # sequence would reach whatever terminal shows the message.
        said = ": ".join(
            escape_controls(part) for part in reversed(self._said()) if part
        )
        return f"{status} {self.reason} - {said}" if said else f"{status} {self.reason}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, reason={self.reason!r})"


class UnexpectedStatus(ApiException):
    """A status openapi.yaml does not list for the operation, whatever
    Client.raise_on_unexpected_status says (None would fail later, somewhere else).
    status_code and content are openapi-python-client's names for status and the body."""

    def __init__(self, status_code: int, content: bytes, **details: Any) -> None:
        self.status_code = status_code
        self.content = content
        body = content.decode("utf-8", "replace")
        super().__init__(status_code, body=body, **details)


def checked_response(
    response: httpx.Response,
    parse: Callable[[], Any],
    *,
    success: Mapping[tuple[int, int], Any],
    documented: tuple[tuple[int, int], ...],
    default: bool,
    error_models: tuple[type[Any], ...],
) -> Response[Any]:
    """The Response of a documented 2xx that parse() reads as documented; else raises.

    success maps the 2xx status ranges to what they parse as, documented lists every
    range with an answer, and error_models are the models the operation documents for an
    error status, tried in turn on any other answer.
    """
    status = response.status_code
    expected = None
    for (low, high), kind in success.items():
        if low <= status <= high:
            expected = kind
            break
    known = _STATUSES.get(status)
    if expected is None or known is None:
        if default or any(low <= status <= high for low, high in documented):
            error = _own_error(response.content, parse, error_models)
            raise ApiException.from_response(
                response, error=error, error_models=error_models
            )
        error = parse_error(_text(response), error_models)
        raise UnexpectedStatus(
            status, response.content, headers=response.headers, error=error
        )
    # response.content each time, never a local: a traceback that shows locals shows this
    # frame's, and the body is a token.
    try:
        parsed = parse()
    except Exception as exc:  # any way from_dict fails on what came over the network
        problem = _why_unparsable(response.content, exc, expected)
    else:
        problem = _not_an_object(response.content, expected) or field_problem(parsed)
    # Raised out here: no parse error (nor its frames, which hold the body) as context.
    if problem is not None:
        reason = f"malformed {getattr(expected, '__name__', expected)}: {problem}"
        raise ApiException.from_response(response, reason, error_models=error_models)
    return Response(
        status_code=known,
        content=response.content,
        headers=response.headers,
        parsed=parsed,
    )


def _own_error(
    content: bytes, parse: Callable[[], Any], models: tuple[type[Any], ...]
) -> Any:
    # The generated parse of a documented error status: its model, if the body is one.
    try:
        error = parse()
    except Exception:  # not that model: the caller tries each error model instead
        return None
    if not isinstance(error, models) or _not_an_object(content, type(error)):
        return None
    return error if field_problem(error) is None else None


def _not_an_object(content: bytes, expected: Any) -> str | None:
    # from_dict takes any iterable of pairs: [{"a": 1, "b": 2}] makes {"a": "b"}.
    if (
        content[:1] == b"{"
        or content.lstrip(b" \t\r\n")[:1] == b"{"
        or not is_model(expected)
    ):
        return None
    data = json.loads(content)  # parsed once already; only an odd encoding gets here
    return (
        None
        if isinstance(data, dict)
        else f"expected a JSON object, got {type(data).__name__}"
    )


def parse_error(body: str | bytes | None, models: tuple[type[Any], ...]) -> Any:
    """body as the first of models it is, every field of its declared type; else None."""
    try:
        data = json.loads(body) if body else None
    except (ValueError, RecursionError):
        return None
    for model in models if isinstance(data, dict) else ():
        try:
            error = model.from_dict(data)
        except Exception:  # not this model: try the next one
            continue
        if field_problem(error) is None:
            return error
    return None


def _why_unparsable(content: bytes, exc: Exception, expected: Any) -> str:
    """Why a body did not parse, naming keys and JSON types, never a value."""
    try:
        data = json.loads(content)
    except (ValueError, RecursionError):  # also bytes that are not UTF-8
        return "the body is not JSON"
    if is_model(expected) and not isinstance(data, dict):
        return f"expected a JSON object, got {type(data).__name__}"
    if isinstance(exc, KeyError):
        return f"missing required key {str(exc.args[0])!r}"
    return f"a value of the wrong type or out of range ({type(exc).__name__})"


def _text(response: httpx.Response | Response[Any]) -> str | None:
    if not isinstance(response, httpx.Response):
        return response.content.decode("utf-8", "replace")
    try:
        return response.text
    except (httpx.ResponseNotRead, UnicodeDecodeError, LookupError):
        return None


def _phrase(status: int | None) -> str:
    if status is None:
        return "no response"
    return HTTPStatus(status).phrase if status in _STATUSES else "Unknown status"


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


__all__ = [
    "ERROR_MODELS",
    "ApiException",
    "ErrorModel",
    "UnexpectedStatus",
    "checked_response",
    "escape_controls",
    "parse_error",
]
