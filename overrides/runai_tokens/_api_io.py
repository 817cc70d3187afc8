"""What TokensApi and AsyncTokensApi share: building a request, and reading the answer.

Requests are built by the generated operations' own `_get_kwargs` (method, path, query, JSON
body, headers: all from openapi.yaml). Answers are NOT read with the generated `sync_detailed`:
its `_parse_response` calls `response.json()` and `Model.from_dict()` unguarded, so an HTML 502
or a truncated body escapes as a bare JSONDecodeError/KeyError before we could see the response,
and its `HTTPStatus(status)` raises ValueError on a status outside the enum (a proxy's 520). So
the facade sends the generated request on the client's own httpx client, exactly as
sync_detailed does, and parses the body itself with the generated from_dict inside a guard.

Caller mistakes (a body that is not a valid request model) raise TypeError before anything is
sent; whatever the server does (a non-2xx, a body that is not the promised model) raises
ApiException; a request that got no response at all raises ApiException(status=None) with the
httpx error as __cause__.
"""

from __future__ import annotations

import enum
import json
import typing
import warnings
from collections.abc import Mapping
from functools import cache
from typing import Any, Generic, Protocol, Self, TypeVar

import attrs
import httpx

from ._generated import UNSET, AuthenticatedClient, Client, GrantType, Unset
from ._redact import redact_token_queries
from .errors import ApiException


class WireModel(Protocol):
    """What the generated models have in common (attrs classes with from_dict)."""

    additional_properties: dict[str, Any]

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self: ...


Model = TypeVar("Model", bound=WireModel)
Body = TypeVar("Body", bound=WireModel)


@attrs.frozen
class Call(Generic[Model]):
    """One operation, ready to send: the generated request kwargs and what a 2xx must parse as."""

    # Out of repr: the kwargs hold the body (a client secret, a refresh token) or a query that
    # does, and a Call is a local in every frame that sends one.
    kwargs: dict[str, Any] = attrs.field(repr=False)
    model: type[Model]

    def __repr__(self) -> str:
        return f"Call({self.describe()}, {self.model.__name__})"

    def describe(self) -> str:
        """METHOD /path, never the query (the deprecated operations put secrets there)."""
        return f"{str(self.kwargs['method']).upper()} {self.kwargs['url']}"


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
        stacklevel=3,  # warn_deprecated -> the TokensApi method -> its caller
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
            raise TypeError(f"{op}: body lacks the required {name} key {exc.args[0]!r}") from None
        except (TypeError, ValueError, AttributeError):
            raise TypeError(f"{op}: body is not a valid {name}{_enum_hint(model)}") from None
        misnamed = [
            k
            for k in converted.additional_properties
            if k in _field_types(model) and k not in _wire_keys(model)
        ]
        if misnamed:
            raise TypeError(
                f"{op}: body key {misnamed[0]!r} is a Python attribute name; a dict body uses "
                f"the wire keys of openapi.yaml ({', '.join(sorted(_wire_keys(model))[:4])}, ...)"
            )
        body = converted
    elif not isinstance(body, model):
        raise TypeError(f"{op}: body must be a {name} or a dict, not {type(body).__name__}")
    wrong = wrong_field(body)
    if wrong is not None:
        raise TypeError(f"{op}: body {wrong}")
    return body


def require_str(op: str, **params: object) -> None:
    """The swagger client's check for required parameters, as TypeError before any send."""
    for param, value in params.items():
        if not isinstance(value, str):
            raise TypeError(f"{op}: {param} must be a str, not {type(value).__name__}")


def parse(call: Call[Model], response: httpx.Response) -> Model:
    """The 2xx body as call.model; ApiException for anything else, whatever the body holds."""
    if not response.is_success:
        raise ApiException.from_response(response)
    what = f"malformed {call.model.__name__}"
    try:
        data = json.loads(response.content)
    except ValueError:  # JSONDecodeError, and UnicodeDecodeError for bytes that are not text
        raise ApiException.from_response(response, f"{what}: the body is not JSON") from None
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise ApiException.from_response(response, f"{what}: expected a JSON object, got {kind}")
    try:
        parsed = call.model.from_dict(data)
    except KeyError as exc:
        reason = f"{what}: missing required key {exc.args[0]!r}"
        raise ApiException.from_response(response, reason) from None
    except (TypeError, ValueError, AttributeError):
        raise ApiException.from_response(response, what) from None
    wrong = wrong_field(parsed)
    if wrong is not None:
        raise ApiException.from_response(response, f"{what}: {wrong}")
    return parsed


def send(client: Client | AuthenticatedClient, call: Call[Model]) -> tuple[Model, httpx.Response]:
    """Send call on the client's httpx.Client: the parsed model and the response it came in."""
    try:
        response = client.get_httpx_client().request(**call.kwargs)
    except httpx.RequestError as exc:
        raise no_response(call, exc) from exc
    return parse(call, response), response


async def asend(
    client: Client | AuthenticatedClient, call: Call[Model]
) -> tuple[Model, httpx.Response]:
    """send() on the client's httpx.AsyncClient."""
    try:
        response = await client.get_async_httpx_client().request(**call.kwargs)
    except httpx.RequestError as exc:
        raise no_response(call, exc) from exc
    return parse(call, response), response


def no_response(call: Call[Any], exc: httpx.RequestError) -> ApiException:
    """The ApiException for a request that got no usable response (after the transport's retries).

    The message names the method and path only; httpx's own text is scrubbed of token queries.
    """
    detail = redact_token_queries(str(exc)) or "no detail"
    return ApiException(None, f"{type(exc).__name__} on {call.describe()}: {detail}")


def wrong_field(obj: object) -> str | None:
    """'Model.field is int, expected str' for the first field whose value has the wrong type.

    The generated from_dict copies JSON values without checking them, so {"accessToken": 42}
    would otherwise come back as a TokenResponse holding an int. Names types, never values.
    """
    model: Any = type(obj)
    for name, expected in _field_types(model).items():
        value = getattr(obj, name)
        try:
            ok = isinstance(value, expected)
        except TypeError:  # a parametrised generic; the token models have none
            continue
        # JSON true is an int to isinstance; no field of these models is a bool.
        if not ok or (isinstance(value, bool) and bool not in _members(expected)):
            wanted = " or ".join(t.__name__ for t in _members(expected) if t is not Unset)
            return f"{model.__name__}.{name} is {type(value).__name__}, expected {wanted}"
    return None


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


@attrs.frozen
class _Marker:
    index: int

    @property
    def value(self) -> _Marker:  # to_dict reads enum fields' .value
        return self


@cache
def _field_types(model: Any) -> dict[str, Any]:
    # The generated modules use `from __future__ import annotations`: resolve the strings.
    hints = typing.get_type_hints(model)
    return {f.name: hints[f.name] for f in attrs.fields(model) if f.name != "additional_properties"}


def _members(annotation: Any) -> tuple[Any, ...]:
    return typing.get_args(annotation) or (annotation,)
