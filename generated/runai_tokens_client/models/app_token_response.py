from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

T = TypeVar("T", bound="AppTokenResponse")


class AppTokenResponse:
    """
    Attributes:
        access_token (str):
        id_token (str):
    """

    access_token: str
    id_token: str
    additional_properties: dict[str, Any]

    __match_args__ = (
        "access_token",
        "id_token",
    )
    __slots__ = (*__match_args__, "additional_properties", "__weakref__")

    def __init__(
        self,
        access_token: str,
        id_token: str,
    ) -> None:
        self.access_token = access_token
        self.id_token = id_token
        self.additional_properties = {}

    def __repr__(self) -> str:
        return f"{type(self).__qualname__}()"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__ or not isinstance(
            other, AppTokenResponse
        ):
            return NotImplemented
        return (
            self.access_token,
            self.id_token,
            self.additional_properties,
        ) == (
            other.access_token,
            other.id_token,
            other.additional_properties,
        )

    __hash__ = None  # type: ignore[assignment]

    def to_dict(self) -> dict[str, Any]:
        access_token = self.access_token

        id_token = self.id_token

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "access_token": access_token,
                "id_token": id_token,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        access_token = d.pop("access_token")

        id_token = d.pop("id_token")

        app_token_response = cls(
            access_token=access_token,
            id_token=id_token,
        )

        app_token_response.additional_properties = d
        return app_token_response

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
