"""TokensApi and AsyncTokensApi: the interface of swagger_client.TokensApi, on the generated client.

grant_token_v2 (POST /api/v2/token, 2.24+) is new: the swagger client never had it.

This is the way to call the token operations. Code written against the older swagger-codegen
Run:ai client keeps working: the same method names, the same positional required parameters,
`*_with_http_info` variants returning (data, status, headers), and ApiException on failure.
Underneath, each method builds its request and parses the answer with the generated operation's
own functions, and checks the answer against the contract (_shape); the generated functions
themselves keep openapi-python-client's contract (a union of the documented models).

    api = TokensApi(connect("https://tenant.run.ai"))
    token = api.grant_token({"grantType": "password", "username": ..., "password": ...})

Bodies are the generated models (TokenRequest, AppTokenRequest) or plain dicts of wire keys
(as in openapi.yaml: camelCase for grant_token, snake_case for grant_token_v2). Errors:
- TypeError: the call itself is wrong (a body that is not a valid request, a parameter that is
  not a str); raised before anything is sent, like the swagger client's own argument checks.
- ApiException: the server did not answer with the promised model (any non-2xx; HTML, broken
  JSON or a wrong shape in a 2xx), or no response came at all (status None, httpx's error as
  __cause__); its subclass RetryAfterExceedsDeadline comes through from the retry transport.

A failure shows no secret in a traceback that captures locals (rich, pytest --showlocals): each
method's arguments (a body with a client secret, a refresh token, a code) are dropped from its
frame before the error leaves it, and the error, and what it chains, keep no traceback of the
frames below (see _sealed).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

import httpx

from .._fields import WireModel
from .._generated import AuthenticatedClient, Client
from . import _calls as calls
from ._io import Call, asend, scrubbed, send, warn_deprecated
from ._shape import Answer

if TYPE_CHECKING:
    # Annotations only: each model loads when a call first parses one (see _generated).
    from .._generated import AppTokenResponse, OAuth2TokenResponse, TokenResponse
    from ._calls import AppTokenBody, OAuth2Body, TokenBody

Model = TypeVar("Model", bound=WireModel)
HttpInfo = tuple[Model, int, httpx.Headers]
AnyClient = Client | AuthenticatedClient
Api = TypeVar("Api", "TokensApi", "AsyncTokensApi")
P = ParamSpec("P")
R = TypeVar("R")


def _sealed(method: Callable[Concatenate[Api, P], R]) -> Callable[Concatenate[Api, P], R]:
    """method, whose failure is raised from this frame with its arguments deleted first.

    The arguments are a body with a secret, a refresh token or a code, and every frame below holds
    them too: the error (and what it chains) leaves without their tracebacks. The cost is that
    a bug's traceback ends here; what the server did is on the ApiException.
    """

    @functools.wraps(method)
    def sealed(self: Api, /, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(self, *args, **kwargs)
        except Exception as exc:
            failure = scrubbed(exc)
        del args, kwargs
        raise failure

    return sealed


def _asealed(
    method: Callable[Concatenate[Api, P], Coroutine[Any, Any, R]],
) -> Callable[Concatenate[Api, P], Coroutine[Any, Any, R]]:
    """_sealed for a coroutine method."""

    @functools.wraps(method)
    async def sealed(self: Api, /, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await method(self, *args, **kwargs)
        except Exception as exc:
            failure = scrubbed(exc)
        del args, kwargs
        raise failure

    return sealed


class TokensApi:
    """The four token operations over a generated Client (e.g. from connect()), blocking.

    The client's transport and auth apply as configured; the token operations themselves need
    no token (TokenAuth never touches them).
    """

    def __init__(self, client: AnyClient) -> None:
        self.client = client

    def _send(self, call: Call[Model]) -> HttpInfo[Model]:
        return _http_info(send(self.client, call))

    @_sealed
    def app_token(self, body: AppTokenBody = None) -> AppTokenResponse:
        """Deprecated: POST /v1/k8s/auth/oauth/apptoken ({id, name, secret})."""
        warn_deprecated("app_token")
        return self._send(calls.app_token(body))[0]

    @_sealed
    def app_token_with_http_info(self, body: AppTokenBody = None) -> HttpInfo[AppTokenResponse]:
        warn_deprecated("app_token")
        return self._send(calls.app_token(body))

    @_sealed
    def exchange_code_for_token(self, redirect_uri: str, code: str) -> TokenResponse:
        """Deprecated: GET /v1/k8s/auth/token/exchange?redirect_uri=...&code=..."""
        warn_deprecated("exchange_code_for_token")
        return self._send(calls.exchange_code_for_token(redirect_uri, code))[0]

    @_sealed
    def exchange_code_for_token_with_http_info(
        self, redirect_uri: str, code: str
    ) -> HttpInfo[TokenResponse]:
        warn_deprecated("exchange_code_for_token")
        return self._send(calls.exchange_code_for_token(redirect_uri, code))

    @_sealed
    def grant_token(self, body: TokenBody = None, user_agent: str | None = None) -> TokenResponse:
        """POST /api/v1/token: every grant (client_credentials, password, refresh_token, ...)."""
        return self._send(calls.grant_token(body, user_agent))[0]

    @_sealed
    def grant_token_with_http_info(
        self, body: TokenBody = None, user_agent: str | None = None
    ) -> HttpInfo[TokenResponse]:
        return self._send(calls.grant_token(body, user_agent))

    @_sealed
    def grant_token_v2(self, body: OAuth2Body) -> OAuth2TokenResponse:
        """POST /api/v2/token (2.24+): an OAuth2 form (grant_type, client_id, client_secret, ...).

        A rejection is an ApiException whose error is the RFC 6749 OAuth2Error.
        """
        return self._send(calls.grant_token_v2(body))[0]

    @_sealed
    def grant_token_v2_with_http_info(self, body: OAuth2Body) -> HttpInfo[OAuth2TokenResponse]:
        return self._send(calls.grant_token_v2(body))

    @_sealed
    def refresh_token(self, refresh_token: str) -> TokenResponse:
        """Deprecated: POST /v1/k8s/auth/oauth/tokens/refresh?refresh_token=..."""
        warn_deprecated("refresh_token")
        return self._send(calls.refresh_token(refresh_token))[0]

    @_sealed
    def refresh_token_with_http_info(self, refresh_token: str) -> HttpInfo[TokenResponse]:
        warn_deprecated("refresh_token")
        return self._send(calls.refresh_token(refresh_token))


class AsyncTokensApi:
    """TokensApi for asyncio: the same methods, as coroutines, on the client's AsyncClient."""

    def __init__(self, client: AnyClient) -> None:
        self.client = client

    async def _send(self, call: Call[Model]) -> HttpInfo[Model]:
        return _http_info(await asend(self.client, call))

    @_asealed
    async def app_token(self, body: AppTokenBody = None) -> AppTokenResponse:
        """Deprecated: POST /v1/k8s/auth/oauth/apptoken ({id, name, secret})."""
        warn_deprecated("app_token")
        return (await self._send(calls.app_token(body)))[0]

    @_asealed
    async def app_token_with_http_info(
        self, body: AppTokenBody = None
    ) -> HttpInfo[AppTokenResponse]:
        warn_deprecated("app_token")
        return await self._send(calls.app_token(body))

    @_asealed
    async def exchange_code_for_token(self, redirect_uri: str, code: str) -> TokenResponse:
        """Deprecated: GET /v1/k8s/auth/token/exchange?redirect_uri=...&code=..."""
        warn_deprecated("exchange_code_for_token")
        return (await self._send(calls.exchange_code_for_token(redirect_uri, code)))[0]

    @_asealed
    async def exchange_code_for_token_with_http_info(
        self, redirect_uri: str, code: str
    ) -> HttpInfo[TokenResponse]:
        warn_deprecated("exchange_code_for_token")
        return await self._send(calls.exchange_code_for_token(redirect_uri, code))

    @_asealed
    async def grant_token(
        self, body: TokenBody = None, user_agent: str | None = None
    ) -> TokenResponse:
        """POST /api/v1/token: every grant (client_credentials, password, refresh_token, ...)."""
        return (await self._send(calls.grant_token(body, user_agent)))[0]

    @_asealed
    async def grant_token_with_http_info(
        self, body: TokenBody = None, user_agent: str | None = None
    ) -> HttpInfo[TokenResponse]:
        return await self._send(calls.grant_token(body, user_agent))

    @_asealed
    async def grant_token_v2(self, body: OAuth2Body) -> OAuth2TokenResponse:
        """POST /api/v2/token (2.24+): an OAuth2 form (grant_type, client_id, ...)."""
        return (await self._send(calls.grant_token_v2(body)))[0]

    @_asealed
    async def grant_token_v2_with_http_info(
        self, body: OAuth2Body
    ) -> HttpInfo[OAuth2TokenResponse]:
        return await self._send(calls.grant_token_v2(body))

    @_asealed
    async def refresh_token(self, refresh_token: str) -> TokenResponse:
        """Deprecated: POST /v1/k8s/auth/oauth/tokens/refresh?refresh_token=..."""
        warn_deprecated("refresh_token")
        return (await self._send(calls.refresh_token(refresh_token)))[0]

    @_asealed
    async def refresh_token_with_http_info(self, refresh_token: str) -> HttpInfo[TokenResponse]:
        warn_deprecated("refresh_token")
        return await self._send(calls.refresh_token(refresh_token))


def _http_info(answer: Answer[Model]) -> HttpInfo[Model]:
    # The swagger client's (data, status, headers).
    return answer.parsed, answer.status_code, httpx.Headers(answer.headers)


__all__ = ["AsyncTokensApi", "TokensApi"]
