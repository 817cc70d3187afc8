"""What TokenAuth trades for a token: one immutable class per grant.

Each grant class builds its request with the generated models, so the wire keys come from the
contract, not from string literals here: `token_request()` for POST /api/v1/token (TokenRequest,
camelCase JSON) and `oauth2_request()` for POST /api/v2/token (OAuth2TokenRequest, an OAuth2
form), or None where v2 has no such grant (app_token, external_token_exchange). Secrets are kept
out of repr() and str(): a credential object ends up in tracebacks, debug logs and REPLs.
The models are read as `gen.TokenRequest` when a request is built, so that making credentials
(and connect()) does not import them (see _generated).

`since` is the first control-plane version that has the grant, for the message an older one gets.
"""

from __future__ import annotations

import os
import typing
from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

from . import _generated as gen
from . import _validate
from ._base_errors import InvalidArgument, InvalidArgumentType
from ._untrusted import header_value_problem
from ._value import Value
from .errors import MissingCredentialsError

if TYPE_CHECKING:
    from ._generated import OAuth2TokenRequest, TokenRequest


class ClientCredentials(Value):
    """A service account: grantType client_credentials, sending clientID and clientSecret."""

    __slots__ = _fields = ("client_id", "client_secret")
    _hidden = frozenset({"client_secret"})
    client_id: str
    client_secret: str

    def __init__(self, client_id: str, client_secret: str) -> None:
        self._set(
            _identifier(client_id, "ClientCredentials: client_id"),
            _secret(client_secret, "ClientCredentials: client_secret"),
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ClientCredentials:
        """Read RUNAI_CLIENT_ID and RUNAI_CLIENT_SECRET (from os.environ unless given)."""
        env = os.environ if environ is None else environ
        values = [_from_env(env, name) for name in ("RUNAI_CLIENT_ID", "RUNAI_CLIENT_SECRET")]
        return cls(values[0], values[1])

    since: ClassVar[str] = "2.20"

    def token_request(self) -> TokenRequest:
        return gen.TokenRequest(
            grant_type=gen.GrantType.CLIENT_CREDENTIALS,
            client_id=self.client_id,
            client_secret=self.client_secret,
        )

    def oauth2_request(self) -> OAuth2TokenRequest | None:
        return gen.OAuth2TokenRequest(
            grant_type=gen.OAuth2GrantType.CLIENT_CREDENTIALS,
            client_id=self.client_id,
            client_secret=self.client_secret,
        )


class AppCredentials(Value):
    """An application (deprecated by Run:ai): grantType app_token, sending appID and appSecret."""

    __slots__ = _fields = ("app_id", "app_secret")
    _hidden = frozenset({"app_secret"})
    app_id: str
    app_secret: str

    def __init__(self, app_id: str, app_secret: str) -> None:
        self._set(
            _identifier(app_id, "AppCredentials: app_id"),
            _secret(app_secret, "AppCredentials: app_secret"),
        )

    since: ClassVar[str] = "2.18"

    def token_request(self) -> TokenRequest:
        return gen.TokenRequest(
            grant_type=gen.GrantType.APP_TOKEN, app_id=self.app_id, app_secret=self.app_secret
        )

    def oauth2_request(self) -> OAuth2TokenRequest | None:
        return None  # /api/v2/token has no app grant


class PasswordCredentials(Value):
    """A user's name and password: grantType password.

    client_id goes with the grant on /api/v2/token when given (v2's own example sends one; v1
    takes none).
    """

    __slots__ = _fields = ("username", "password", "client_id")
    _hidden = frozenset({"password"})
    username: str
    password: str
    client_id: str | None

    def __init__(self, username: str, password: str, client_id: str | None = None) -> None:
        self._set(
            _identifier(username, "PasswordCredentials: username"),
            _secret(password, "PasswordCredentials: password"),
            _optional_identifier(client_id, "PasswordCredentials: client_id"),
        )

    since: ClassVar[str] = "2.18"

    def token_request(self) -> TokenRequest:
        return gen.TokenRequest(
            grant_type=gen.GrantType.PASSWORD, username=self.username, password=self.password
        )

    def oauth2_request(self) -> OAuth2TokenRequest | None:
        request = gen.OAuth2TokenRequest(
            grant_type=gen.OAuth2GrantType.PASSWORD, username=self.username, password=self.password
        )
        if self.client_id is not None:
            request.client_id = self.client_id
        return request


class RefreshTokenCredentials(Value):
    """A refresh token (e.g. from a login elsewhere): grantType refresh_token.

    There is nothing to fall back to when the server rejects it, so a rejection is final.
    """

    __slots__ = _fields = ("refresh_token", "client_id")
    _hidden = frozenset({"refresh_token"})
    refresh_token: str
    client_id: str | None

    def __init__(self, refresh_token: str, client_id: str | None = None) -> None:
        self._set(
            _secret(refresh_token, "RefreshTokenCredentials: refresh_token"),
            _optional_identifier(client_id, "RefreshTokenCredentials: client_id"),
        )

    since: ClassVar[str] = "2.18"

    def token_request(self) -> TokenRequest:
        request = gen.TokenRequest(
            grant_type=gen.GrantType.REFRESH_TOKEN, refresh_token=self.refresh_token
        )
        if self.client_id is not None:
            request.client_id = self.client_id
        return request

    def oauth2_request(self) -> OAuth2TokenRequest | None:
        request = gen.OAuth2TokenRequest(
            grant_type=gen.OAuth2GrantType.REFRESH_TOKEN, refresh_token=self.refresh_token
        )
        if self.client_id is not None:
            request.client_id = self.client_id
        return request


class ExternalTokenCredentials(Value):
    """A token from an external identity provider: grantType external_token_exchange (2.22+).

    Only /api/v1/token has this grant. The external token is what is traded, so the server's
    rejection is final, like a refresh token's.
    """

    __slots__ = _fields = ("external_token",)
    _hidden = frozenset({"external_token"})
    external_token: str

    def __init__(self, external_token: str) -> None:
        self._set(_secret(external_token, "ExternalTokenCredentials: external_token"))

    since: ClassVar[str] = "2.22"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ExternalTokenCredentials:
        """Read RUNAI_EXTERNAL_TOKEN (from os.environ unless given)."""
        env = os.environ if environ is None else environ
        return cls(_from_env(env, "RUNAI_EXTERNAL_TOKEN"))

    def token_request(self) -> TokenRequest:
        return gen.TokenRequest(
            grant_type=gen.GrantType.EXTERNAL_TOKEN_EXCHANGE, external_token=self.external_token
        )

    def oauth2_request(self) -> OAuth2TokenRequest | None:
        return None  # /api/v2/token has no external token exchange


# Each field is checked as it is given (see _validate.text): a bad one fails here, naming the class
# and the argument, never at the first grant.


def _identifier(value: str, name: str) -> str:
    checked = _validate.text(value, name, secret=False)
    assert checked is not None  # None is refused unless optional
    return checked


def _optional_identifier(value: str | None, name: str) -> str | None:
    return _validate.text(value, name, secret=False, optional=True)


def _secret(value: str, name: str) -> str:
    checked = _validate.text(value, name, secret=True)
    assert checked is not None
    return checked


def _from_env(env: Mapping[str, str], name: str) -> str:
    """An environment variable's value, stripped; MissingCredentialsError when it is unset or
    blank, ValueError when it is not UTF-8 (os.environ keeps such bytes as lone surrogates)."""
    value = env.get(name, "").strip()
    if not value:
        raise MissingCredentialsError(name)
    if not _validate.utf8(value):
        raise InvalidArgument(f"{name} is not UTF-8 text")
    return value


def _header_token(value: str) -> str:
    if not isinstance(value, str):
        raise InvalidArgumentType(
            f"StaticToken: the access token must be a str, not {type(value).__name__}"
        )
    value = value.strip()
    problem = header_value_problem(value)
    if problem is not None:
        raise InvalidArgument(f"StaticToken: the access token {problem}")
    return value


class StaticToken(Value):
    """A fixed access token, e.g. one printed by the runai CLI.

    No grant is made: it is sent until the server answers 401, and that 401 reaches the caller.
    Surrounding whitespace is stripped (a token read from a file ends in a newline); a token that
    still cannot go into a header is refused here, not at the first request.
    """

    __slots__ = _fields = ("access_token",)
    _hidden = frozenset({"access_token"})
    access_token: str

    def __init__(self, access_token: str) -> None:
        self._set(_header_token(access_token))


GrantCredentials = (
    ClientCredentials
    | AppCredentials
    | PasswordCredentials
    | RefreshTokenCredentials
    | ExternalTokenCredentials
)
# The core's own credentials. A person's session (RunaiCliSession, LoginSession) is the people
# layer's: TokenAuth takes it through auth's SessionCredentials protocol.
Credentials = GrantCredentials | StaticToken
CORE_CREDENTIALS: tuple[type, ...] = typing.get_args(Credentials)


def client_id_of(credentials: Credentials) -> str | None:
    """The client id to send with a refresh_token grant, when the credentials carry one."""
    if isinstance(credentials, ClientCredentials | PasswordCredentials | RefreshTokenCredentials):
        return credentials.client_id
    return None


__all__ = [
    "AppCredentials",
    "ClientCredentials",
    "Credentials",
    "ExternalTokenCredentials",
    "GrantCredentials",
    "MissingCredentialsError",
    "PasswordCredentials",
    "RefreshTokenCredentials",
    "StaticToken",
]
