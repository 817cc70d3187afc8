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
holding an int), so each field is checked against its declared type (_fields.field_problem).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Generic, TypeVar

import attrs
import httpx

from .. import _generated as gen
from .._fields import WireModel, field_problem
from .._generated import GeneratedUnexpectedStatus
from ..errors import ApiException, UnexpectedStatus, parse_error

if TYPE_CHECKING:
    from types import ModuleType

Model = TypeVar("Model", bound=WireModel)


@attrs.frozen
class Answer(Generic[Model]):
    """A documented 2xx, checked: its status, headers, body and the model it parsed as.

    The body and the headers stay out of repr (a token operation's body is a token).
    """

    status_code: int
    headers: httpx.Headers = attrs.field(repr=False)
    content: bytes = attrs.field(repr=False)
    parsed: Model


def checked(response: httpx.Response, operation: ModuleType, model: type[Model]) -> Answer[Model]:
    """The Answer of a documented 2xx of the generated operation that parses as model; else
    raises ApiException.

    response.content is read each time, never kept in a local: a traceback that shows locals
    shows this frame's, and the body is a token.
    """
    try:
        parsed = gen.parse_response(operation, response)
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
    if problem is None and not isinstance(parsed, model):
        problem = f"expected a {model.__name__}, got {type(parsed).__name__}"
    if problem is not None:
        raise ApiException.from_response(response, f"malformed {model.__name__}: {problem}")
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


__all__ = ["Answer", "checked"]
