"""The strict contract: an answer is a documented 2xx whose body is the documented model, or an
ApiException.

The generated functions parse what a status documents and let everything else through as
openapi-python-client does (a union of the documented models, None or the generator's
UnexpectedStatus for an undocumented status, JSONDecodeError for an HTML page, KeyError for a
missing key). Here the same parse (the generated operation's own) is checked:

- a documented error status raises ApiException with its body parsed as the model documented
  for it (or, failing that, as any documented error model);
- a status the operation does not document raises UnexpectedStatus;
- a 2xx whose body is not JSON, not a JSON object, misses a required key or holds a field of the
  wrong type raises ApiException, saying which key or type, never a value.

The generated models copy JSON values unchecked ({"accessToken": 42} makes a TokenResponse
holding an int), so field_problem checks each field against its declared type (attrs fields
and the models' annotations: no second list to keep in step).
"""

from __future__ import annotations

import json
import typing
from functools import cache
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import attrs
import httpx

from .. import _generated as gen
from .._generated import GeneratedUnexpectedStatus, Unset
from ..errors import ApiException, UnexpectedStatus, parse_error

if TYPE_CHECKING:
    from ._io import Call, WireModel

Model = TypeVar("Model", bound="WireModel")


@attrs.frozen
class Answer(Generic[Model]):
    """A documented 2xx, checked: its status, headers, body and the model it parsed as.

    The body and the headers stay out of repr (a token operation's body is a token).
    """

    status_code: int
    headers: httpx.Headers = attrs.field(repr=False)
    content: bytes = attrs.field(repr=False)
    parsed: Model


def checked(response: httpx.Response, call: Call[Model]) -> Answer[Model]:
    """The Answer of a documented 2xx that parses as call's model; else raises ApiException.

    response.content is read each time, never kept in a local: a traceback that shows locals
    shows this frame's, and the body is a token.
    """
    try:
        parsed = gen.parse_response(call.operation, response)
    except GeneratedUnexpectedStatus:
        problem: str | None = "undocumented"
    except Exception as exc:  # any way the generated parse fails on what came over the network
        problem = _why_unparsable(response.content, exc, response.is_success)
    else:
        problem = None
    # Raised out here: no parse error (nor its frames, which hold the body) as context.
    if problem == "undocumented":
        raise UnexpectedStatus(
            response.status_code,
            response.content,
            headers=response.headers,
            error=parse_error(response.content),
        )
    if not response.is_success:
        error = None
        if problem is None and not _not_an_object(response.content) and not field_problem(parsed):
            error = parsed  # the model documented for this status, as the generator parsed it
        raise ApiException.from_response(response, error=error)
    if problem is None:
        problem = _not_an_object(response.content) or field_problem(parsed)
    if problem is None and not isinstance(parsed, call.model):
        problem = f"expected a {call.model.__name__}, got {type(parsed).__name__}"
    if problem is not None:
        raise ApiException.from_response(response, f"malformed {call.model.__name__}: {problem}")
    return Answer(response.status_code, response.headers, response.content, parsed)


def _not_an_object(content: bytes) -> str | None:
    # from_dict takes any iterable of pairs: [["accessToken", "x"]] makes a TokenResponse.
    if content.lstrip(b" \t\r\n")[:1] == b"{":
        return None
    data = json.loads(content)  # parsed once already; only a body that is no object gets here
    return None if isinstance(data, dict) else f"expected a JSON object, got {type(data).__name__}"


def _why_unparsable(content: bytes, exc: Exception, success: bool) -> str:
    """Why a body did not parse, naming keys and JSON types, never a value."""
    try:
        data = json.loads(content)
    except (ValueError, RecursionError):  # also bytes that are not UTF-8
        return "the body is not JSON"
    if not isinstance(data, dict):
        return f"expected a JSON object, got {type(data).__name__}"
    if isinstance(exc, KeyError):
        return f"missing required key {str(exc.args[0])!r}"
    return f"a value of the wrong type or out of range ({type(exc).__name__})"


def field_problem(value: object) -> str | None:
    """'Model.field is int, expected str' for the first field of a model (or of a model in it)
    whose value is not of its declared type; None when every one is. Names types, never values."""
    if isinstance(value, list):
        return next(filter(None, map(field_problem, value)), None)
    model: Any = type(value)
    if not is_model(model):
        return None
    for name, annotation in field_types(model).items():
        field_value = getattr(value, name)
        members = typing.get_args(annotation) if _is_union(annotation) else (annotation,)
        if not any(_is_a(field_value, member) for member in members):
            wanted = " or ".join(_type_name(m) for m in members if m is not Unset)
            return f"{model.__name__}.{name} is {type(field_value).__name__}, expected {wanted}"
        problem = field_problem(field_value)
        if problem is not None:
            return problem
    return None


def is_model(kind: object) -> bool:
    """Whether kind is a generated model: an attrs class with from_dict."""
    return isinstance(kind, type) and attrs.has(kind) and hasattr(kind, "from_dict")


def _is_a(value: object, kind: Any) -> bool:
    origin = typing.get_origin(kind)
    if kind is Any:
        return True
    if kind is None or kind is type(None):
        return value is None
    if origin is list:
        (item,) = typing.get_args(kind)
        return isinstance(value, list) and all(_is_a(v, item) for v in value)
    if origin is dict:
        item = typing.get_args(kind)[1]
        return isinstance(value, dict) and all(_is_a(v, item) for v in value.values())
    if origin is not None:  # a parametrised generic the models do not use: not checked
        return True
    if isinstance(value, bool):  # JSON true is an int to isinstance
        return kind is bool
    if kind is float:
        return isinstance(value, int | float)
    return isinstance(value, kind)


def _is_union(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (typing.Union, type(int | str))


def _type_name(kind: Any) -> str:
    return "None" if kind is type(None) else getattr(kind, "__name__", str(kind))


@cache
def field_types(model: type[Any]) -> dict[str, Any]:
    """Each property of a model (its attrs fields but additional_properties) and its type. The
    models use `from __future__ import annotations` and import each other for type checking
    only: the strings resolve against the package that holds them."""
    import importlib

    package = importlib.import_module(model.__module__.rpartition(".")[0])
    hints = typing.get_type_hints(model, localns=vars(package))
    return {
        field.name: hints[field.name]
        for field in attrs.fields(model)
        if field.name != "additional_properties"
    }


__all__ = ["Answer", "checked", "field_problem", "field_types", "is_model"]
