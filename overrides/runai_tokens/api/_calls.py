"""Each token operation as a Call of its generated function, ready to send.

Shared by the public facade (api.TokensApi) and TokenAuth's grants (_grant), which must not
import the facade. Every builder checks its arguments (TypeError before anything is sent) and
returns a Call: the generated operation, the arguments of its *_detailed function and the model
a 2xx parses as. Operations and models are read as `gen.X` when a Call is built, so a grant loads
only its own operation's models (see _generated).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .. import _generated as gen
from .._base_errors import InvalidArgumentType
from .._generated import UNSET
from ._io import Call, request_body, require_str

if TYPE_CHECKING:
    from .._generated import (
        AppTokenRequest,
        AppTokenResponse,
        OAuth2TokenRequest,
        OAuth2TokenResponse,
        TokenRequest,
        TokenResponse,
    )

    TokenBody = TokenRequest | Mapping[str, Any] | None
    OAuth2Body = OAuth2TokenRequest | Mapping[str, Any]
    AppTokenBody = AppTokenRequest | Mapping[str, Any] | None


def app_token(body: AppTokenBody) -> Call[AppTokenResponse]:
    request = request_body(gen.AppTokenRequest, body, "app_token")
    return Call(gen.app_token, {"body": request}, gen.AppTokenResponse)


def exchange_code_for_token(redirect_uri: str, code: str) -> Call[TokenResponse]:
    require_str("exchange_code_for_token", redirect_uri=redirect_uri, code=code)
    arguments = {"redirect_uri": redirect_uri, "code": code}
    return Call(gen.exchange_code_for_token, arguments, gen.TokenResponse)


def grant_token(body: TokenBody, user_agent: str | None = None) -> Call[TokenResponse]:
    request = request_body(gen.TokenRequest, body, "grant_token")
    if user_agent is not None:
        require_str("grant_token", user_agent=user_agent)
    arguments = {"body": request, "user_agent": UNSET if user_agent is None else user_agent}
    return Call(gen.grant_token, arguments, gen.TokenResponse)


def grant_token_v2(body: OAuth2Body) -> Call[OAuth2TokenResponse]:
    # The form body is required by the contract (grant_type at least).
    if body is None:
        raise InvalidArgumentType(
            "grant_token_v2: body is required (an OAuth2TokenRequest or a dict)"
        )
    request = request_body(gen.OAuth2TokenRequest, body, "grant_token_v2")
    assert isinstance(request, gen.OAuth2TokenRequest)
    return Call(gen.grant_token_v2, {"body": request}, gen.OAuth2TokenResponse)


def refresh_token(refresh_token: str) -> Call[TokenResponse]:
    require_str("refresh_token", refresh_token=refresh_token)
    return Call(gen.refresh_token, {"refresh_token": refresh_token}, gen.TokenResponse)
