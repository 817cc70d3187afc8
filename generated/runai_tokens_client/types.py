"""Contains some shared types for properties"""

import importlib
import typing
from collections.abc import Mapping, MutableMapping
from functools import cache
from http import HTTPStatus
from typing import IO, Any, BinaryIO, Generic, Literal, TypeVar


class Unset:
    def __bool__(self) -> Literal[False]:
        return False

    def __reduce__(self) -> str:
        return "UNSET"


UNSET: Unset = Unset()

# The types that `httpx.Client(files=)` can accept, copied from that library.
FileContent = IO[bytes] | bytes | str
FileTypes = (
    # (filename, file (or bytes), content_type)
    tuple[str | None, FileContent, str | None]
    # (filename, file (or bytes), content_type, headers)
    | tuple[str | None, FileContent, str | None, Mapping[str, str]]
)
RequestFiles = list[tuple[str, FileTypes]]


class File:
    """Contains information for file uploads"""

    payload: BinaryIO
    file_name: str | None
    mime_type: str | None

    __slots__ = ("payload", "file_name", "mime_type", "__weakref__")
    __match_args__ = ("payload", "file_name", "mime_type")

    def __init__(
        self,
        payload: BinaryIO,
        file_name: str | None = None,
        mime_type: str | None = None,
    ) -> None:
        self.payload = payload
        self.file_name = file_name
        self.mime_type = mime_type

    def __repr__(self) -> str:
        return (
            f"{type(self).__qualname__}(payload={self.payload!r}, file_name={self.file_name!r}, "
            f"mime_type={self.mime_type!r})"
        )

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__ or not isinstance(other, File):
            return NotImplemented
        return (self.payload, self.file_name, self.mime_type) == (
            other.payload,
            other.file_name,
            other.mime_type,
        )

    __hash__ = None  # type: ignore[assignment]

    def to_tuple(self) -> FileTypes:
        """Return a tuple representation that httpx will accept for multipart/form-data"""
        return self.file_name, self.payload, self.mime_type


T = TypeVar("T")


class Response(Generic[T]):
    """A response from an endpoint: status_code and parsed in its repr, never content or headers"""

    status_code: HTTPStatus
    content: bytes
    headers: MutableMapping[str, str]
    parsed: T

    __slots__ = ("status_code", "content", "headers", "parsed", "__weakref__")
    __match_args__ = ("status_code", "content", "headers", "parsed")

    def __init__(
        self,
        status_code: HTTPStatus,
        content: bytes,
        headers: MutableMapping[str, str],
        parsed: T,
    ) -> None:
        self.status_code = status_code
        self.content = content
        self.headers = headers
        self.parsed = parsed

    def __repr__(self) -> str:
        return f"{type(self).__qualname__}(status_code={self.status_code!r}, parsed={self.parsed!r})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__ or not isinstance(other, Response):
            return NotImplemented
        return (self.status_code, self.content, self.headers, self.parsed) == (
            other.status_code,
            other.content,
            other.headers,
            other.parsed,
        )

    __hash__ = None  # type: ignore[assignment]


class RequestKwargs(dict[str, Any]):
    """The keyword arguments of one request: a dict with the method and the path in its repr"""

    def __repr__(self) -> str:
        return f"RequestKwargs(method={self.get('method')!r}, url={self.get('url')!r})"


def field_problem(value: object) -> str | None:
    """'Model.field is int, expected str' for the first field of a model (or of a model in it)
    whose value is not of its declared type; None when every one is.

    The generated from_dict copies JSON values without checking them, so {"accessToken": 42}
    would come back as a model holding an int. Names types, never values.
    """
    if isinstance(value, list):
        return next(filter(None, map(field_problem, value)), None)
    model = type(value)
    plain = _plain_types(model)
    if plain is None:
        return None
    # Most models hold plain values (str, int, an enum, UNSET): one look-up each says so. Any
    # other value (a bool for an int, a list, a model) gets the full check below.
    for name, kinds in plain:
        if type(getattr(value, name)) not in kinds:
            return _model_problem(value, model)
    return None


def _model_problem(value: object, model: type[Any]) -> str | None:
    # field_problem's full check of a model, field by field, into the models it holds.
    for name, annotation in _field_types(model).items():
        field_value = getattr(value, name)
        members = (
            typing.get_args(annotation) if _is_union(annotation) else (annotation,)
        )
        if not any(_is_a(field_value, member) for member in members):
            wanted = " or ".join(_type_name(m) for m in members if m is not Unset)
            return f"{model.__name__}.{name} is {type(field_value).__name__}, expected {wanted}"
        problem = field_problem(field_value)
        if problem is not None:
            return problem
    return None


def is_model(kind: object) -> bool:
    """Whether kind is a generated model: a class with from_dict that lists its properties in
    __match_args__ (templates/model.py.jinja writes both)."""
    return (
        isinstance(kind, type)
        and isinstance(getattr(kind, "__match_args__", None), tuple)
        and hasattr(kind, "from_dict")
    )


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
        return isinstance(value, (int, float))
    return isinstance(value, kind)


def _is_union(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (typing.Union, type(int | str))


def _type_name(kind: Any) -> str:
    return "None" if kind is type(None) else getattr(kind, "__name__", str(kind))


@cache
def _plain_types(
    kind: type[Any],
) -> tuple[tuple[str, frozenset[type[Any]]], ...] | None:
    """Per field of a model, the types a value of which is of the declared type whatever it
    holds (a str, an int, an enum member, UNSET, None: not a model, a list or a float, which
    an int is too); None when kind is no model."""
    if not is_model(kind):
        return None
    plain = []
    for name, annotation in _field_types(kind).items():
        members = (
            typing.get_args(annotation) if _is_union(annotation) else (annotation,)
        )
        kinds = {
            type(None) if member is None else member
            for member in members
            if member is None
            or (
                isinstance(member, type)
                and typing.get_origin(member) is None
                and member is not float
                and not is_model(member)
            )
        }
        plain.append((name, frozenset(kinds)))
    return tuple(plain)


@cache
def _field_types(model: type[Any]) -> dict[str, Any]:
    # The models use `from __future__ import annotations`, and import each other only for type
    # checking: the strings resolve against the package that holds them (loaded by then).
    package = importlib.import_module(model.__module__.rpartition(".")[0])
    hints = typing.get_type_hints(model, localns=vars(package))
    return {name: hints[name] for name in model.__match_args__}


__all__ = [
    "UNSET",
    "File",
    "FileTypes",
    "RequestFiles",
    "RequestKwargs",
    "Response",
    "Unset",
    "field_problem",
    "is_model",
]
