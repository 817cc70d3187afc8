from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="TokenResponse")


@_attrs_define
class TokenResponse:
    """All keys are optional; a client must tolerate any subset and unknown extra keys.

    Attributes:
        access_token (str | Unset): The access token, a JWT (2.18).
        id_token (str | Unset): The OpenID Connect id token (2.18).
        refresh_token (str | Unset): A refresh token, when the grant issues one (2.18).
        external_token (str | Unset): The external identity provider's token (2.18 to 2.22; gone from 2.23).
        expires_in (int | Unset): Token lifetime in seconds (introduced in 2.24).
    """

    access_token: str | Unset = _attrs_field(repr=False, default=UNSET)
    id_token: str | Unset = _attrs_field(repr=False, default=UNSET)
    refresh_token: str | Unset = _attrs_field(repr=False, default=UNSET)
    external_token: str | Unset = _attrs_field(repr=False, default=UNSET)
    expires_in: int | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(
        init=False, factory=dict, repr=False
    )

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
