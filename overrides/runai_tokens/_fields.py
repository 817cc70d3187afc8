"""Whether a generated model holds what its fields declare, and what the generated models are.

The generated models copy JSON values unchecked ({"accessToken": 42} makes a TokenResponse
holding an int), so field_problem checks each field against its declared type (attrs fields and
the models' annotations: no second list to keep in step). api/_shape checks an answer's model
with it, api/_io a caller's body, and errors.parse_error an error model; each of them imports
this module, which imports none of them.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from functools import cache
from typing import Any, Protocol, Self

import attrs

from ._generated import Unset


class WireModel(Protocol):
    """What the generated models have in common (classes with from_dict)."""

    additional_properties: dict[str, Any]

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self: ...


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


__all__ = ["WireModel", "field_problem", "field_types", "is_model"]
