"""Token requests through the generated grant_token operation, with every failure an ApiException.

The generated operation parses as it goes: an HTML body on a documented status, or a 200 whose
JSON is truncated, raises a bare JSONDecodeError or KeyError before we see the response. A
response event hook keeps the last httpx.Response in a ContextVar (per thread, per task), so even
then the ApiException carries the status, headers and body the server sent.

One sync client, and one async client per event loop: an async connection pool belongs to the
loop that opened its connections, and TokenAuth may be shared by tasks on several loops.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

import httpx

from ._generated import Client, Response, TokenRequest, TokenResponse, grant_token
from .errors import ApiException

REJECTED = frozenset({400, 401, 403})
# What the generated operation raises on a body it cannot parse, and what httpx raises when no
# response arrives. Anything else is a bug and propagates as itself.
_PARSE_OR_TRANSPORT_ERRORS = (httpx.HTTPError, ValueError, KeyError, TypeError, AttributeError)

_last_response: ContextVar[httpx.Response | None] = ContextVar("_last_response", default=None)


def _remember(response: httpx.Response) -> None:
    _last_response.set(response)


async def _aremember(response: httpx.Response) -> None:
    _last_response.set(response)


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
        _last_response.set(None)
        try:
            detailed = grant_token.sync_detailed(client=self._sync_client(), body=body)
        except ApiException:
            raise
        except _PARSE_OR_TRANSPORT_ERRORS as exc:
            raise _failure(exc) from exc
        return _token_response(detailed)

    async def agrant(self, body: TokenRequest) -> TokenResponse:
        _last_response.set(None)
        try:
            detailed = await grant_token.asyncio_detailed(client=self._async_client(), body=body)
        except ApiException:
            raise
        except _PARSE_OR_TRANSPORT_ERRORS as exc:
            raise _failure(exc) from exc
        return _token_response(detailed)

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
                self._sync = self._client(_remember)
            return self._sync

    def _async_client(self) -> Client:
        loop = asyncio.get_running_loop()
        with self._lock:
            client = self._async.get(loop)
            if client is None:
                client = self._async[loop] = self._client(_aremember)
            return client

    def _client(self, hook: Callable[[httpx.Response], Any]) -> Client:
        return Client(
            base_url=self._base_url,
            timeout=self._timeout,
            httpx_args={
                "transport": self._new_transport(),
                "event_hooks": {"response": [hook]},
            },
        )


def _failure(exc: Exception) -> ApiException:
    response = _last_response.get()
    if response is not None:
        # The response arrived but the generated parser choked on it (HTML, broken JSON, ...).
        return ApiException.from_response(response, reason=_malformed_reason(response))
    # Nothing arrived: the httpx error (connect error, timeout) is the __cause__.
    return ApiException(None, f"token request failed: {type(exc).__name__}")


def _token_response(detailed: Response[Any]) -> TokenResponse:
    parsed = detailed.parsed
    if detailed.status_code == 200 and isinstance(parsed, TokenResponse):
        if isinstance(parsed.access_token, str) and parsed.access_token:
            return parsed
        raise _exception(detailed, "malformed token response: no accessToken")
    if detailed.status_code == 200:
        raise _exception(detailed, "malformed token response")
    raise _exception(detailed, None)


def _exception(detailed: Response[Any], reason: str | None) -> ApiException:
    response = _last_response.get()
    if response is not None:
        return ApiException.from_response(response, reason)
    # Only when a transport bypassed the event hooks; keep what the generated Response holds.
    return ApiException(int(detailed.status_code), reason, headers=httpx.Headers(detailed.headers))


def _malformed_reason(response: httpx.Response) -> str | None:
    return "malformed token response" if response.status_code == 200 else None
