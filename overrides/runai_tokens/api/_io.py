"""What TokensApi, AsyncTokensApi and TokenAuth's grants share: a checked request, sent.

A Call names a generated operation and the arguments of its functions. Sending it builds the
request with the generated module's own _get_kwargs, sends it on the client's httpx client, and
checks the answer against the contract (_shape.checked): a documented 2xx of the documented shape
comes back as an Answer, anything else raises ApiException, and so does no answer at all.

Before anything is sent, the caller's side is checked too, which the generated functions leave
alone: a body that is not a valid request model, or a parameter that is not a str, raises
TypeError, as the swagger client's own argument checks did.

What a failure carries holds no secret: the frames of httpx an error came up through hold the
request's body and query as locals, and its request the URL with the deprecated operations'
?refresh_token= and ?code=. So the ApiException for no answer is raised outside the except
block, every exception in its chain loses its traceback, and the URLs they hold lose their
query values.
"""

from __future__ import annotations

import enum
import typing
import warnings
from collections.abc import Iterator, Mapping
from functools import cache
from types import ModuleType
from typing import Any, Generic, TypeVar

import httpx

from .. import _generated as gen
from .._base_errors import InvalidArgumentType
from .._fields import WireModel, field_problem
from .._fields import field_types as _field_types
from .._generated import (
    TOKEN_OPERATIONS,
    UNSET,
    AuthenticatedClient,
    Client,
    GrantType,
    Unset,
)
from .._value import Value
from ..errors import ApiException
from ._shape import Answer, checked

REDACTED = "REDACTED"


Model = TypeVar("Model", bound=WireModel)
Body = TypeVar("Body", bound=WireModel)


class Call(Value, Generic[Model]):
    """One generated operation, ready to send: its module, the arguments of its *_detailed
    function, and the model a 2xx parses as."""

    __slots__ = _fields = ("operation", "arguments", "model")
    # Out of repr: the arguments hold the body (a client secret) or a query parameter that is a
    # secret (a refresh token), and a Call is a local in every frame that sends one.
    _hidden = frozenset({"arguments"})
    operation: ModuleType
    arguments: dict[str, Any]
    model: type[Model]

    def __init__(self, operation: ModuleType, arguments: dict[str, Any], model: type[Model]):
        self._set(operation, arguments, model)

    def __repr__(self) -> str:
        return f"Call({self.describe()}, {self.model.__name__})"

    def describe(self) -> str:
        """METHOD /path, never the query (the deprecated operations put secrets there)."""
        operation = TOKEN_OPERATIONS[self.operation.__name__.rpartition(".")[2]]
        return f"{operation.method} {operation.path}"


# The grant that replaces each deprecated operation, and the TokenRequest keys it takes.
_REPLACEMENTS: dict[str, tuple[GrantType, str]] = {
    "app_token": (
        GrantType.APP_TOKEN,
        "appID, appSecret; the grant is itself deprecated, client_credentials replaces it on 2.20+",
    ),
    "exchange_code_for_token": (GrantType.EXCHANGE_TOKEN, "code, redirectUri, clientID"),
    "refresh_token": (GrantType.REFRESH_TOKEN, "refreshToken, clientID"),
}


def warn_deprecated(operation: str) -> None:
    """Warn that `operation` is deprecated, pointing at the code that called the public method."""
    grant, keys = _REPLACEMENTS[operation]
    warnings.warn(
        f"{operation} is deprecated (it left Run:ai's published API in 2.20): use "
        f"grant_token with grantType {grant.value!r} ({keys})",
        DeprecationWarning,
        stacklevel=4,  # warn_deprecated -> the TokensApi method -> _sealed's -> its caller
    )


def request_body(model: type[Body], body: Body | Mapping[str, Any] | None, op: str) -> Body | Unset:
    """body as the generated request model: a model instance as is, a dict of wire keys converted.

    Raises TypeError for anything that would not serialise to a valid request, before any send.
    """
    if body is None:
        return UNSET
    name = model.__name__
    if isinstance(body, Mapping):
        try:
            converted = model.from_dict(body)
        except KeyError as exc:
            raise InvalidArgumentType(
                f"{op}: body lacks the required {name} key {exc.args[0]!r}"
            ) from None
        except (TypeError, ValueError, AttributeError):
            raise InvalidArgumentType(
                f"{op}: body is not a valid {name}{_enum_hint(model)}"
            ) from None
        misnamed = [
            k
            for k in converted.additional_properties
            if k in _field_types(model) and k not in _wire_keys(model)
        ]
        if misnamed:
            raise InvalidArgumentType(
                f"{op}: body key {misnamed[0]!r} is a Python attribute name; a dict body uses "
                f"the wire keys of openapi.yaml ({', '.join(sorted(_wire_keys(model))[:4])}, ...)"
            )
        body = converted
    elif not isinstance(body, model):
        raise InvalidArgumentType(
            f"{op}: body must be a {name} or a dict, not {type(body).__name__}"
        )
    wrong = field_problem(body)
    if wrong is not None:
        raise InvalidArgumentType(f"{op}: body {wrong}")
    return body


def require_str(op: str, **params: object) -> None:
    """The swagger client's check for required parameters, as TypeError before any send."""
    for param, value in params.items():
        if not isinstance(value, str):
            raise InvalidArgumentType(f"{op}: {param} must be a str, not {type(value).__name__}")


def send(client: Client | AuthenticatedClient, call: Call[Model]) -> Answer[Model]:
    """call on client's httpx client: its checked Answer, or ApiException.

    The request's arguments are never a local here: they hold the body (a client secret) or
    the query (a refresh token), and this frame is in the traceback of every failure.
    """
    try:
        response = client.get_httpx_client().request(
            **gen.request_kwargs(call.operation, call.arguments)
        )
    except (httpx.RequestError, ApiException) as exc:
        failure = scrubbed(exc, call)
    else:
        return checked(response, call.operation, call.model)
    raise failure


async def asend(client: Client | AuthenticatedClient, call: Call[Model]) -> Answer[Model]:
    """send() on client's httpx.AsyncClient."""
    try:
        response = await client.get_async_httpx_client().request(
            **gen.request_kwargs(call.operation, call.arguments)
        )
    except (httpx.RequestError, ApiException) as exc:
        failure = scrubbed(exc, call)
    else:
        return checked(response, call.operation, call.model)
    raise failure


def scrubbed(exc: BaseException, call: Call[Any] | None = None) -> BaseException:
    """exc, or for an httpx error an ApiException(None) caused by it, whose chain holds no
    traceback and no URL with a query value. (An ApiException from the transport, such as
    RetryAfterExceedsDeadline, comes through as itself, cleaned the same way.)"""
    failure = exc
    if isinstance(exc, httpx.RequestError):
        where = "" if call is None else f" on {call.describe()}"
        detail = _redact_urls(str(exc), exc) or "no detail"
        failure = ApiException(None, f"{type(exc).__name__}{where}: {detail}")
        failure.__cause__ = exc
    for error in _chain(failure):
        error.__traceback__ = None
        request = getattr(error, "_request", None)
        if isinstance(error, httpx.HTTPError) and request is not None:
            error.args = tuple(_redact_urls(a, error) for a in error.args)
            error.request = httpx.Request(request.method, _redacted(request.url))
    failure.__context__ = None
    return failure


def _chain(error: BaseException) -> Iterator[BaseException]:
    """error and every exception it was caused by or raised while handling."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [error]
    while todo:
        current = todo.pop()
        if current is not None and id(current) not in seen:
            seen.add(id(current))
            yield current
            todo += [current.__cause__, current.__context__]


def _redacted(url: httpx.URL) -> httpx.URL:
    """url without userinfo, each query value replaced by REDACTED."""
    return url.copy_with(userinfo=b"", params={key: REDACTED for key in url.params})


def _redact_urls(text: object, error: Exception) -> object:
    # httpx quotes the request URL in some messages; its query may hold a token or a code.
    request = getattr(error, "_request", None)
    if not isinstance(text, str) or request is None or not request.url.query:
        return text
    url, safe = request.url, _redacted(request.url)
    query = url.query.decode("ascii", "replace")
    return text.replace(str(url), str(safe)).replace(query, safe.query.decode("ascii"))


def _enum_hint(model: Any) -> str:
    """' (grantType is one of ...)' for a model with an enum field, so a typo'd grant is clear."""
    for name, annotation in _field_types(model).items():
        for member in _members(annotation):
            if isinstance(member, type) and issubclass(member, enum.Enum):
                wire = _wire_name(model, name)
                return f" ({wire} is one of {', '.join(str(v.value) for v in member)})"
    return ""


@cache
def _wire_keys(model: Any) -> frozenset[str]:
    """The model's wire keys (clientID, grant_type, ...), from its own to_dict."""
    return frozenset(_wire_name(model, name) for name in _field_types(model))


def _wire_name(model: Any, python_name: str) -> str:
    # The generated models map names in to_dict only: read it off a model built with every
    # field set to a marker (None passes through to_dict unconverted for str and enum fields).
    return _wire_names(model).get(python_name, python_name)


@cache
def _wire_names(model: Any) -> dict[str, str]:
    instance = object.__new__(model)
    names = list(_field_types(model))
    for index, name in enumerate(names):
        object.__setattr__(instance, name, _Marker(index))
    object.__setattr__(instance, "additional_properties", {})
    try:
        wire = instance.to_dict()
    except Exception:  # a model whose to_dict needs real values: fall back to the Python names
        return {}
    return {names[value.index]: key for key, value in wire.items() if isinstance(value, _Marker)}


class _Marker(Value):
    __slots__ = _fields = ("index",)
    index: int

    def __init__(self, index: int) -> None:
        self._set(index)

    @property
    def value(self) -> _Marker:  # to_dict reads enum fields' .value
        return self


def _members(annotation: Any) -> tuple[Any, ...]:
    return typing.get_args(annotation) or (annotation,)
