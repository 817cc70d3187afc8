"""Value: the base of the library's small immutable classes (credentials, RetryPolicy, ...).

Plain classes instead of attrs: attrs compiles each class's methods from generated source when
the class is defined, which connect()'s start-up would pay for every credential class, policy
and clock (the generated package's models and clients already pay it; the figures are in
bench/RESULTS.md); a Value subclass costs what any class does. Each subclass
names its fields once, as `__slots__ = _fields = (...)`, writes its own __init__ (its checks and
conversions, in the open), and stores the results with _set(). What a subclass then has:

- immutability: assigning or deleting a field raises FrozenInstanceError (an AttributeError,
  as for a read-only property or a frozen dataclass);
- == and hash() over its fields (less those in _uncompared), between instances of one class;
- a repr naming each field but those in _hidden (secrets: a value ends up in tracebacks,
  debug logs and REPLs); str() is the repr;
- replace(**changes): a copy with some fields changed, made through __init__ so every check
  runs again (keyword names are the constructor's);
- pickling and copy.copy/deepcopy, which restore the fields without calling __init__.

Standard library only, and nothing beyond what connect() has loaded anyway.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

from ._base_errors import RunaiTokensError


class FrozenInstanceError(RunaiTokensError, AttributeError):
    """A field of an immutable value was assigned or deleted: make a changed copy with
    replace() instead."""


class Value:
    """An immutable record of _fields (see the module docstring)."""

    __slots__ = ()

    _fields: ClassVar[tuple[str, ...]] = ()
    _hidden: ClassVar[frozenset[str]] = frozenset()  # left out of repr (secrets)
    _uncompared: ClassVar[frozenset[str]] = frozenset()  # left out of == and hash()

    def _set(self, *values: object) -> None:
        """Store the fields, in _fields' order (the only writes a Value ever takes)."""
        for name, value in zip(self._fields, values, strict=True):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenInstanceError(f"{type(self).__name__} is immutable: use replace()")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"{type(self).__name__} is immutable")

    def _compared(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self._fields if name not in self._uncompared)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._compared() == other._compared()

    def __hash__(self) -> int:
        return hash((self.__class__, *self._compared()))

    def __repr__(self) -> str:
        shown = [name for name in self._fields if name not in self._hidden]
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in shown)
        return f"{type(self).__qualname__}({fields})"

    def replace(self, **changes: Any) -> Self:
        """A copy with the given fields changed, checked like a new one.

        The keywords are the constructor's: a field kept under a leading underscore is named
        without it (LoginSession's base_url)."""
        current = {name.lstrip("_"): getattr(self, name) for name in self._fields}
        return type(self)(**(current | changes))

    def __getstate__(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self._fields)

    def __setstate__(self, state: tuple[object, ...]) -> None:
        self._set(*state)
