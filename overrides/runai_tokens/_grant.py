"""Token requests through the generated grant_token operation, with every failure an ApiException.

They are sent the way TokensApi.grant_token sends them (_api_io.send): the request built by the
generated operation, the answer parsed inside a guard, because the generated parser raises a bare
JSONDecodeError or KeyError on an HTML or truncated body before the response can be seen. A grant
must also carry an accessToken, which the contract leaves optional.

One sync client, and one async client per event loop: an async connection pool belongs to the
loop that opened its connections, and TokenAuth may be shared by tasks on several loops.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Callable
from typing import Any

import httpx

from ._api_io import asend, send
from ._generated import Client, TokenRequest, TokenResponse
from ._untrusted import header_value_problem
from .api import grant_token_call
from .errors import ApiException

REJECTED = frozenset({400, 401, 403})


class Grants:
    """Makes token grants against one control plane.

    transport makes the transport for each new client (TLS options live there, so the client's
    own verify setting is left alone).
    """

    def __init__(
        self,
        base_url: str,
        *,
        transport: Callable[[], Any],
        timeout: float,
    ) -> None:
        self._base_url = base_url
        self._new_transport = transport
        self._timeout = httpx.Timeout(timeout)
        self._lock = threading.Lock()
        self._sync: Client | None = None
        self._async: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Client] = (
            weakref.WeakKeyDictionary()
        )

    def grant(self, body: TokenRequest) -> TokenResponse:
        return _with_access_token(*send(self._sync_client(), grant_token_call(body, None)))

    async def agrant(self, body: TokenRequest) -> TokenResponse:
        call = grant_token_call(body, None)
        return _with_access_token(*await asend(self._async_client(), call))

    def close(self) -> None:
        with self._lock:
            client, self._sync = self._sync, None
        if client is not None:
            client.get_httpx_client().close()

    async def aclose(self) -> None:
        """Closes the async client of the running event loop."""
        with self._lock:
            client = self._async.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.get_async_httpx_client().aclose()

    def _sync_client(self) -> Client:
        with self._lock:
            if self._sync is None:
                self._sync = self._client()
            return self._sync

    def _async_client(self) -> Client:
        loop = asyncio.get_running_loop()
        with self._lock:
            client = self._async.get(loop)
            if client is None:
                client = self._async[loop] = self._client()
            return client

    def _client(self) -> Client:
        return Client(
            base_url=self._base_url,
            timeout=self._timeout,
            httpx_args={"transport": self._new_transport()},
        )


def _with_access_token(token: TokenResponse, response: httpx.Response) -> TokenResponse:
    # Stricter than TokensApi, which takes any 2xx: a grant is documented as 200 only, and a
    # token is worth trusting only from an answer that is exactly what the contract promises.
    if response.status_code != 200:
        raise ApiException.from_response(response)
    if not (isinstance(token.access_token, str) and token.access_token):
        raise ApiException.from_response(response, "malformed TokenResponse: no accessToken")
    # Checked here, where the token is accepted, so it never reaches a header it would break.
    problem = header_value_problem(token.access_token)
    if problem is not None:
        raise ApiException.from_response(response, f"unusable TokenResponse: accessToken {problem}")
    return token
