from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from ..types import UNSET, Unset

T = TypeVar("T", bound="Error")


class Error:
    """
    Example:
        {'code': 400, 'message': 'Bad request - Resource should have a name'}

    Attributes:
        code (int):
        message (str):
        details (str | Unset):
    """

    code: int
    message: str
    details: str | Unset
    additional_properties: dict[str, Any]

    __match_args__ = (
        "code",
        "message",
        "details",
    )
    __slots__ = (*__match_args__, "additional_properties", "__weakref__")

    def __init__(
        self,
        code: int,
        message: str,
        details: str | Unset = UNSET,
    ) -> None:
        self.code = code
        self.message = message
        self.details = details
        self.additional_properties = {}

    def __repr__(self) -> str:
        return (
            f"{type(self).__qualname__}("
            f"code={self.code!r}"
            f", message={self.message!r}"
            f", details={self.details!r}"
            f", additional_properties={self.additional_properties!r}"
            ")"
        )

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__ or not isinstance(other, Error):
            return NotImplemented
        return (
            self.code,
            self.message,
            self.details,
            self.additional_properties,
        ) == (
            other.code,
            other.message,
            other.details,
            other.additional_properties,
        )

    __hash__ = None  # type: ignore[assignment]

    def to_dict(self) -> dict[str, Any]:
        code = self.code

        message = self.message

        details = self.details

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "code": code,
                "message": message,
            }
        )
        if details is not UNSET:
            field_dict["details"] = details

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        code = d.pop("code")

        message = d.pop("message")

        details = d.pop("details", UNSET)

        error = cls(
            code=code,
            message=message,
            details=details,
        )

        error.additional_properties = d
        return error

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
