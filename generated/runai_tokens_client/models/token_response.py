from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from ..types import UNSET, Unset

T = TypeVar("T", bound="TokenResponse")


class TokenResponse:
    """All keys are optional; a client must tolerate any subset and unknown extra keys.

    Attributes:
        access_token (str | Unset): The access token, a JWT (2.18).
        id_token (str | Unset): The OpenID Connect id token (2.18).
        refresh_token (str | Unset): A refresh token, when the grant issues one (2.18).
        external_token (str | Unset): The external identity provider's token (2.18 to 2.22; gone from 2.23).
        expires_in (int | Unset): Token lifetime in seconds (introduced in 2.24).
    """

    access_token: str | Unset
    id_token: str | Unset
    refresh_token: str | Unset
    external_token: str | Unset
    expires_in: int | Unset
    additional_properties: dict[str, Any]

    __match_args__ = (
        "access_token",
        "id_token",
        "refresh_token",
        "external_token",
        "expires_in",
    )
    __slots__ = (*__match_args__, "additional_properties", "__weakref__")

    def __init__(
        self,
        access_token: str | Unset = UNSET,
        id_token: str | Unset = UNSET,
        refresh_token: str | Unset = UNSET,
        external_token: str | Unset = UNSET,
        expires_in: int | Unset = UNSET,
    ) -> None:
        self.access_token = access_token
        self.id_token = id_token
        self.refresh_token = refresh_token
        self.external_token = external_token
        self.expires_in = expires_in
        self.additional_properties = {}

    def __repr__(self) -> str:
        return f"{type(self).__qualname__}(expires_in={self.expires_in!r})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__ or not isinstance(
            other, TokenResponse
        ):
            return NotImplemented
        return (
            self.access_token,
            self.id_token,
            self.refresh_token,
            self.external_token,
            self.expires_in,
            self.additional_properties,
        ) == (
            other.access_token,
            other.id_token,
            other.refresh_token,
            other.external_token,
            other.expires_in,
            other.additional_properties,
        )

    __hash__ = None  # type: ignore[assignment]

    def to_dict(self) -> dict[str, Any]:
        access_token = self.access_token

        id_token = self.id_token

        refresh_token = self.refresh_token

        external_token = self.external_token

        expires_in = self.expires_in

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if access_token is not UNSET:
            field_dict["accessToken"] = access_token
        if id_token is not UNSET:
            field_dict["idToken"] = id_token
        if refresh_token is not UNSET:
            field_dict["refreshToken"] = refresh_token
        if external_token is not UNSET:
            field_dict["externalToken"] = external_token
        if expires_in is not UNSET:
            field_dict["expiresIn"] = expires_in

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        access_token = d.pop("accessToken", UNSET)

        id_token = d.pop("idToken", UNSET)

        refresh_token = d.pop("refreshToken", UNSET)

        external_token = d.pop("externalToken", UNSET)

        expires_in = d.pop("expiresIn", UNSET)

        token_response = cls(
            access_token=access_token,
            id_token=id_token,
            refresh_token=refresh_token,
            external_token=external_token,
            expires_in=expires_in,
        )

        token_response.additional_properties = d
        return token_response

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
