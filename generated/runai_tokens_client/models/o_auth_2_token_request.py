from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.o_auth_2_grant_type import OAuth2GrantType
from ..types import UNSET, Unset

T = TypeVar("T", bound="OAuth2TokenRequest")


@_attrs_define
class OAuth2TokenRequest:
    """The form body of grant_token_v2 (2.24); grant_type says which other keys it needs.

    Attributes:
        grant_type (OAuth2GrantType): Which grant `grant_token_v2` performs (RFC 6749), and so which OAuth2TokenRequest
            keys it
            reads: authorization_code (code, redirect_uri, client_id, code_verifier),
            client_credentials (client_id, client_secret), password (username, password, client_id),
            refresh_token (refresh_token, client_id).
        client_id (str | Unset): OAuth2 client identifier
        client_secret (str | Unset): OAuth2 client secret
        username (str | Unset): Resource owner username (for password grant)
        password (str | Unset): The password of the resource owner. Required only when using the password grant type.
        refresh_token (str | Unset): The refresh token used to obtain a new access token. Required only when using the
            refresh_token grant type.
        code (str | Unset): Authorization code issued by the authorization server. Used in the authorization_code grant
            to exchange the code for an access token.
        redirect_uri (str | Unset): The redirect URI used during the authorization request. Required for the
            authorization_code grant to validate the redirect destination.
        code_verifier (str | Unset): The PKCE code verifier (RFC 7636 section 4.5), sent with
            grant_type=authorization_code: the secret whose S256 hash went with the authorization request as code_challenge.
            Run:ai's published documents omit it; it is sent because the identity provider behind the control plane
            (Run:ai's Keycloak) checks PKCE for the clients that require it, and the code of such a client is refused
            without it.
    """

    grant_type: OAuth2GrantType
    client_id: str | Unset = UNSET
    client_secret: str | Unset = _attrs_field(repr=False, default=UNSET)
    username: str | Unset = UNSET
    password: str | Unset = _attrs_field(repr=False, default=UNSET)
    refresh_token: str | Unset = _attrs_field(repr=False, default=UNSET)
    code: str | Unset = _attrs_field(repr=False, default=UNSET)
    redirect_uri: str | Unset = UNSET
    code_verifier: str | Unset = _attrs_field(repr=False, default=UNSET)
    additional_properties: dict[str, Any] = _attrs_field(
        init=False, factory=dict, repr=False
    )

    def to_dict(self) -> dict[str, Any]:
        grant_type = self.grant_type.value

        client_id = self.client_id

        client_secret = self.client_secret

        username = self.username

        password = self.password

        refresh_token = self.refresh_token

        code = self.code

        redirect_uri = self.redirect_uri

        code_verifier = self.code_verifier

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "grant_type": grant_type,
            }
        )
        if client_id is not UNSET:
            field_dict["client_id"] = client_id
        if client_secret is not UNSET:
            field_dict["client_secret"] = client_secret
        if username is not UNSET:
            field_dict["username"] = username
        if password is not UNSET:
            field_dict["password"] = password
        if refresh_token is not UNSET:
            field_dict["refresh_token"] = refresh_token
        if code is not UNSET:
            field_dict["code"] = code
        if redirect_uri is not UNSET:
            field_dict["redirect_uri"] = redirect_uri
        if code_verifier is not UNSET:
            field_dict["code_verifier"] = code_verifier

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        grant_type = OAuth2GrantType(d.pop("grant_type"))

        client_id = d.pop("client_id", UNSET)

        client_secret = d.pop("client_secret", UNSET)

        username = d.pop("username", UNSET)

        password = d.pop("password", UNSET)

        refresh_token = d.pop("refresh_token", UNSET)

        code = d.pop("code", UNSET)

        redirect_uri = d.pop("redirect_uri", UNSET)

        code_verifier = d.pop("code_verifier", UNSET)

        o_auth_2_token_request = cls(
            grant_type=grant_type,
            client_id=client_id,
            client_secret=client_secret,
            username=username,
            password=password,
            refresh_token=refresh_token,
            code=code,
            redirect_uri=redirect_uri,
            code_verifier=code_verifier,
        )

        o_auth_2_token_request.additional_properties = d
        return o_auth_2_token_request

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
