from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="OAuth2TokenResponse")


@_attrs_define
class OAuth2TokenResponse:
    """The OAuth2 token response of grant_token_v2 (2.24, RFC 6749 section 5.1).

    Attributes:
        access_token (str): The access token issued by the authorization server
        token_type (str): The type of the token issued (typically "Bearer") Example: Bearer.
        expires_in (int | Unset): The lifetime in seconds of the access token Example: 3600.
        refresh_token (str | Unset): The refresh token, which can be used to obtain new access tokens
        id_token (str | Unset): ID Token value associated with the authenticated session (OpenID Connect)
        scope (str | Unset): The scope of the access token
    """

    access_token: str = _attrs_field(repr=False)
    token_type: str
    expires_in: int | Unset = UNSET
    refresh_token: str | Unset = _attrs_field(repr=False, default=UNSET)
    id_token: str | Unset = _attrs_field(repr=False, default=UNSET)
    scope: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(
        init=False, factory=dict, repr=False
    )

    def to_dict(self) -> dict[str, Any]:
        access_token = self.access_token

        token_type = self.token_type

        expires_in = self.expires_in

        refresh_token = self.refresh_token

        id_token = self.id_token

        scope = self.scope

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "access_token": access_token,
                "token_type": token_type,
            }
        )
        if expires_in is not UNSET:
            field_dict["expires_in"] = expires_in
        if refresh_token is not UNSET:
            field_dict["refresh_token"] = refresh_token
        if id_token is not UNSET:
            field_dict["id_token"] = id_token
        if scope is not UNSET:
            field_dict["scope"] = scope

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        access_token = d.pop("access_token")

        token_type = d.pop("token_type")

        expires_in = d.pop("expires_in", UNSET)

        refresh_token = d.pop("refresh_token", UNSET)

        id_token = d.pop("id_token", UNSET)

        scope = d.pop("scope", UNSET)

        o_auth_2_token_response = cls(
            access_token=access_token,
            token_type=token_type,
            expires_in=expires_in,
            refresh_token=refresh_token,
            id_token=id_token,
            scope=scope,
        )

        o_auth_2_token_response.additional_properties = d
        return o_auth_2_token_response

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
