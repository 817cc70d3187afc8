from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

T = TypeVar("T", bound="AppTokenRequest")


class AppTokenRequest:
    """
    Attributes:
        id (str):
        name (str):
        secret (str):
    """

    id: str
    name: str
    secret: str
    additional_properties: dict[str, Any]

    __match_args__ = (
        "id",
        "name",
        "secret",
    )
    __slots__ = (*__match_args__, "additional_properties", "__weakref__")

    def __init__(
        self,
        id: str,
        name: str,
        secret: str,
    ) -> None:
        self.id = id
        self.name = name
        self.secret = secret
        self.additional_properties = {}

    def __repr__(self) -> str:
        return f"{type(self).__qualname__}(id={self.id!r}, name={self.name!r})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__ or not isinstance(
            other, AppTokenRequest
        ):
            return NotImplemented
        return (
            self.id,
            self.name,
            self.secret,
            self.additional_properties,
        ) == (
            other.id,
            other.name,
            other.secret,
            other.additional_properties,
        )

    __hash__ = None  # type: ignore[assignment]

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        name = self.name

        secret = self.secret

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "name": name,
                "secret": secret,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id")

        name = d.pop("name")

        secret = d.pop("secret")

        app_token_request = cls(
            id=id,
            name=name,
            secret=secret,
        )

        app_token_request.additional_properties = d
        return app_token_request

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
