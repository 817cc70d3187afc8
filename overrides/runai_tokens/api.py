"""TokensApi and AsyncTokensApi: the interface of swagger_client.TokensApi, on the generated client.

Code written against the older swagger-codegen Run:ai client keeps working: the same method names,
the same positional required parameters, `*_with_http_info` variants returning
(data, status, headers), and ApiException on failure. Underneath, requests are the generated
operations' (see _api_io for why the answers are parsed here rather than by sync_detailed).

    api = TokensApi(connect("https://tenant.run.ai"))
    token = api.grant_token({"grantType": "password", "username": ..., "password": ...})

Bodies are the generated models (TokenRequest, AppTokenRequest) or plain dicts of wire keys
(camelCase, as in openapi.yaml). Errors:
- TypeError: the call itself is wrong (a body that is not a valid request, a parameter that is
  not a str); raised before anything is sent, like the swagger client's own argument checks.
- ApiException: the server did not answer with the promised model (any non-2xx; HTML, broken
  JSON or a wrong shape in a 2xx), or no response came at all (status None, httpx's error as
  __cause__). Its subclass RetryAfterExceedsDeadline comes through from the retry transport as is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import httpx

from . import _generated as gen
from ._api_io import (
    Call,
    WireModel,
    asend,
    request_body,
    require_str,
    send,
    warn_deprecated,
)
from ._generated import (
    UNSET,
    AppTokenRequest,
    AppTokenResponse,
    AuthenticatedClient,
    Client,
    TokenRequest,
    TokenResponse,
)
from ._redact import install_log_redaction

Model = TypeVar("Model", bound=WireModel)
HttpInfo = tuple[Model, int, httpx.Headers]
AnyClient = Client | AuthenticatedClient
TokenBody = TokenRequest | Mapping[str, Any] | None
AppTokenBody = AppTokenRequest | Mapping[str, Any] | None


def _app_token(body: AppTokenBody) -> Call[AppTokenResponse]:
    request = request_body(AppTokenRequest, body, "app_token")
    return Call(gen.app_token._get_kwargs(body=request), AppTokenResponse)


def _exchange_code_for_token(redirect_uri: str, code: str) -> Call[TokenResponse]:
    require_str("exchange_code_for_token", redirect_uri=redirect_uri, code=code)
    kwargs = gen.exchange_code_for_token._get_kwargs(redirect_uri=redirect_uri, code=code)
    return Call(kwargs, TokenResponse)


def grant_token_call(body: TokenBody, user_agent: str | None) -> Call[TokenResponse]:
    """grant_token's request, ready to send (TokenAuth's grants use it too)."""
    request = request_body(TokenRequest, body, "grant_token")
    if user_agent is not None:
        require_str("grant_token", user_agent=user_agent)
    kwargs = gen.grant_token._get_kwargs(
        body=request, user_agent=UNSET if user_agent is None else user_agent
    )
    return Call(kwargs, TokenResponse)


def _refresh_token(refresh_token: str) -> Call[TokenResponse]:
    require_str("refresh_token", refresh_token=refresh_token)
    return Call(gen.refresh_token._get_kwargs(refresh_token=refresh_token), TokenResponse)


class TokensApi:
    """The four token operations over a generated Client (e.g. from connect()), blocking.

    The client's transport and auth apply as configured; the token operations themselves need
    no token (TokenAuth never touches them).
    """

    def __init__(self, client: AnyClient) -> None:
        self.client = client
        install_log_redaction()

    def _send(self, call: Call[Model]) -> HttpInfo[Model]:
        model, response = send(self.client, call)
        return model, response.status_code, response.headers

    def app_token(self, body: AppTokenBody = None) -> AppTokenResponse:
        """Deprecated: POST /v1/k8s/auth/oauth/apptoken ({id, name, secret})."""
        warn_deprecated("app_token")
        return self._send(_app_token(body))[0]

    def app_token_with_http_info(self, body: AppTokenBody = None) -> HttpInfo[AppTokenResponse]:
        warn_deprecated("app_token")
        return self._send(_app_token(body))

    def exchange_code_for_token(self, redirect_uri: str, code: str) -> TokenResponse:
        """Deprecated: GET /v1/k8s/auth/token/exchange?redirect_uri=...&code=..."""
        warn_deprecated("exchange_code_for_token")
        return self._send(_exchange_code_for_token(redirect_uri, code))[0]

    def exchange_code_for_token_with_http_info(
        self, redirect_uri: str, code: str
    ) -> HttpInfo[TokenResponse]:
        warn_deprecated("exchange_code_for_token")
        return self._send(_exchange_code_for_token(redirect_uri, code))

    def grant_token(self, body: TokenBody = None, user_agent: str | None = None) -> TokenResponse:
        """POST /api/v1/token: every grant (client_credentials, password, refresh_token, ...)."""
        return self._send(grant_token_call(body, user_agent))[0]

    def grant_token_with_http_info(
        self, body: TokenBody = None, user_agent: str | None = None
    ) -> HttpInfo[TokenResponse]:
        return self._send(grant_token_call(body, user_agent))

    def refresh_token(self, refresh_token: str) -> TokenResponse:
        """Deprecated: POST /v1/k8s/auth/oauth/tokens/refresh?refresh_token=..."""
        warn_deprecated("refresh_token")
        return self._send(_refresh_token(refresh_token))[0]

    def refresh_token_with_http_info(self, refresh_token: str) -> HttpInfo[TokenResponse]:
        warn_deprecated("refresh_token")
        return self._send(_refresh_token(refresh_token))


class AsyncTokensApi:
    """TokensApi for asyncio: the same methods, as coroutines, on the client's AsyncClient."""

    def __init__(self, client: AnyClient) -> None:
        self.client = client
        install_log_redaction()

    async def _send(self, call: Call[Model]) -> HttpInfo[Model]:
        model, response = await asend(self.client, call)
        return model, response.status_code, response.headers

    async def app_token(self, body: AppTokenBody = None) -> AppTokenResponse:
        """Deprecated: POST /v1/k8s/auth/oauth/apptoken ({id, name, secret})."""
        warn_deprecated("app_token")
        return (await self._send(_app_token(body)))[0]

    async def app_token_with_http_info(
        self, body: AppTokenBody = None
    ) -> HttpInfo[AppTokenResponse]:
        warn_deprecated("app_token")
        return await self._send(_app_token(body))

    async def exchange_code_for_token(self, redirect_uri: str, code: str) -> TokenResponse:
        """Deprecated: GET /v1/k8s/auth/token/exchange?redirect_uri=...&code=..."""
        warn_deprecated("exchange_code_for_token")
        return (await self._send(_exchange_code_for_token(redirect_uri, code)))[0]

    async def exchange_code_for_token_with_http_info(
        self, redirect_uri: str, code: str
    ) -> HttpInfo[TokenResponse]:
        warn_deprecated("exchange_code_for_token")
        return await self._send(_exchange_code_for_token(redirect_uri, code))

    async def grant_token(
        self, body: TokenBody = None, user_agent: str | None = None
    ) -> TokenResponse:
        """POST /api/v1/token: every grant (client_credentials, password, refresh_token, ...)."""
        return (await self._send(grant_token_call(body, user_agent)))[0]

    async def grant_token_with_http_info(
        self, body: TokenBody = None, user_agent: str | None = None
    ) -> HttpInfo[TokenResponse]:
        return await self._send(grant_token_call(body, user_agent))

    async def refresh_token(self, refresh_token: str) -> TokenResponse:
        """Deprecated: POST /v1/k8s/auth/oauth/tokens/refresh?refresh_token=..."""
        warn_deprecated("refresh_token")
        return (await self._send(_refresh_token(refresh_token)))[0]

    async def refresh_token_with_http_info(self, refresh_token: str) -> HttpInfo[TokenResponse]:
        warn_deprecated("refresh_token")
        return await self._send(_refresh_token(refresh_token))


__all__ = ["AsyncTokensApi", "TokensApi"]
