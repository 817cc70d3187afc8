"""What TokenAuth trades for a token: one immutable class per grant.

Each grant class builds its request with the generated TokenRequest model, so the wire keys
(camelCase, grantType) come from the contract, not from string literals here. Secrets are kept
out of repr() and str(): a credential object ends up in tracebacks, debug logs and REPLs.
"""

from __future__ import annotations

import os
import typing
from collections.abc import Mapping

import attrs

from ._generated import GrantType, TokenRequest
from ._untrusted import header_value_problem


class MissingCredentialsError(ValueError):
    """A credential could not be read from the environment; names the variable, never a value."""

    def __init__(self, variable: str) -> None:
        self.variable = variable
        super().__init__(f"environment variable {variable} is not set (or is empty)")


@attrs.frozen
class ClientCredentials:
    """A service account: grantType client_credentials, sending clientID and clientSecret."""

    client_id: str
    client_secret: str = attrs.field(repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ClientCredentials:
        """Read RUNAI_CLIENT_ID and RUNAI_CLIENT_SECRET (from os.environ unless given)."""
        env = os.environ if environ is None else environ
        values = []
        for name in ("RUNAI_CLIENT_ID", "RUNAI_CLIENT_SECRET"):
            value = env.get(name, "").strip()
            if not value:
                raise MissingCredentialsError(name)
            values.append(value)
        return cls(values[0], values[1])

    def token_request(self) -> TokenRequest:
        return TokenRequest(
            grant_type=GrantType.CLIENT_CREDENTIALS,
            client_id=self.client_id,
            client_secret=self.client_secret,
        )


@attrs.frozen
class AppCredentials:
    """An application (deprecated by Run:ai): grantType app_token, sending appID and appSecret."""

    app_id: str
    app_secret: str = attrs.field(repr=False)

    def token_request(self) -> TokenRequest:
        return TokenRequest(
            grant_type=GrantType.APP_TOKEN, app_id=self.app_id, app_secret=self.app_secret
        )


@attrs.frozen
class PasswordCredentials:
    """A user's name and password: grantType password."""

    username: str
    password: str = attrs.field(repr=False)

    def token_request(self) -> TokenRequest:
        return TokenRequest(
            grant_type=GrantType.PASSWORD, username=self.username, password=self.password
        )


@attrs.frozen
class RefreshTokenCredentials:
    """A refresh token (e.g. from a login elsewhere): grantType refresh_token.

    There is nothing to fall back to when the server rejects it, so a rejection is final.
    """

    refresh_token: str = attrs.field(repr=False)
    client_id: str | None = None

    def token_request(self) -> TokenRequest:
        return refresh_request(self.refresh_token, self.client_id)


def _header_token(value: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"StaticToken: the access token must be a str, not {type(value).__name__}")
    value = value.strip()
    problem = header_value_problem(value)
    if problem is not None:
        raise ValueError(f"StaticToken: the access token {problem}")
    return value


@attrs.frozen
class StaticToken:
    """A fixed access token, e.g. one printed by the runai CLI.

    No grant is made: it is sent until the server answers 401, and that 401 reaches the caller.
    Surrounding whitespace is stripped (a token read from a file ends in a newline); a token that
    still cannot go into a header is refused here, not at the first request.
    """

    access_token: str = attrs.field(repr=False, converter=_header_token)


GrantCredentials = (
    ClientCredentials | AppCredentials | PasswordCredentials | RefreshTokenCredentials
)
Credentials = GrantCredentials | StaticToken
# For messages that say what would have been accepted.
CREDENTIAL_NAMES = ", ".join(kind.__name__ for kind in typing.get_args(Credentials))


def refresh_request(refresh_token: str, client_id: str | None) -> TokenRequest:
    """The refresh_token grant; clientID goes along when we know it."""
    request = TokenRequest(grant_type=GrantType.REFRESH_TOKEN, refresh_token=refresh_token)
    if client_id is not None:
        request.client_id = client_id
    return request


def client_id_of(credentials: Credentials) -> str | None:
    """The client id to send with a refresh_token grant, when the credentials carry one."""
    if isinstance(credentials, ClientCredentials | RefreshTokenCredentials):
        return credentials.client_id
    return None


__all__ = [
    "AppCredentials",
    "ClientCredentials",
    "Credentials",
    "GrantCredentials",
    "MissingCredentialsError",
    "PasswordCredentials",
    "RefreshTokenCredentials",
    "StaticToken",
]
