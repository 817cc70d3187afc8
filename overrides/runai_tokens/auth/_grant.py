"""Token grants: which endpoint, what to send, and what counts as a token.

A grant goes to POST /api/v2/token (OAuth2, 2.24+) when the credentials have a v2 form, and to
POST /api/v1/token otherwise. With token_endpoint="auto" the first v2 grant that gets a 404 or a
405 (a control plane older than 2.24) switches this Grants to v1 for good, so an old control
plane costs one extra request per TokenAuth, not per refresh. "v1" and "v2" pin the endpoint.

A grant is a Call of the generated operation (api._io.send), which raises ApiException for
anything but a documented 2xx of the documented shape. A grant is stricter still: 200 only,
an access token (which v1's contract leaves optional) that can go into a header, and on v2 a
token_type of Bearer.

One sync client, and one async client per event loop: an async connection pool belongs to the
loop that opened its connections, and TokenAuth may be shared by tasks on several loops.
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any, ClassVar, Literal, NamedTuple, Protocol

import httpx

from .. import _generated as gen
from .._flow import arun, run
from .._generated import Client, Unset
from .._untrusted import header_value_problem
from ..errors import ApiException, GrantNotSupported

if TYPE_CHECKING:
    import asyncio

    from .._generated import OAuth2TokenRequest, OAuth2TokenResponse, TokenRequest, TokenResponse
    from ..api._io import Call
    from ..api._shape import Answer

    # A grant flow yields the Call to send and is sent its checked Answer (parsed, status).
    _GrantFlow = Generator[Call[Any], Answer[Any], "Granted"]

logger = logging.getLogger("runai_tokens.auth")

TokenEndpoint = Literal["auto", "v1", "v2"]
TOKEN_ENDPOINTS: tuple[TokenEndpoint, ...] = ("auto", "v1", "v2")
REJECTED = frozenset({400, 401, 403})
# What a control plane without /api/v2/token answers there.
NO_SUCH_ENDPOINT = frozenset({404, 405})
_OLDEST_VERSION = "2.18"


class Grant(Protocol):
    """What Grants trades for a token: every GrantCredentials class, and the one-off grants that
    are no credentials (a browser login's authorization code, runai_tokens.login)."""

    since: ClassVar[str]

    def token_request(self) -> TokenRequest: ...

    def oauth2_request(self) -> OAuth2TokenRequest | None: ...


class Granted(NamedTuple):
    """What a grant brought, whichever endpoint it came from. (A NamedTuple, as a flow's other
    per-call records are: the cheapest record to define and to make.)"""

    access_token: str
    expires_in: int | None
    refresh_token: str | None
    # The OpenID Connect id_token, when the answer has one (a browser login reads its subject).
    id_token: str | None = None

    def __repr__(self) -> str:  # the tokens stay out of tracebacks and logs
        return f"Granted(expires_in={self.expires_in!r})"


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
        endpoint: TokenEndpoint = "auto",
    ) -> None:
        self._base_url = base_url
        self._new_transport = transport
        self._timeout = httpx.Timeout(timeout)
        self._endpoint = endpoint
        # Whether the server has /api/v2/token: None until a v2 grant has been answered.
        self._has_v2: bool | None = {"auto": None, "v1": False, "v2": True}[endpoint]
        self._forget_clients()
        _LIVE.add(self)

    def _forget_clients(self) -> None:
        """No clients yet. Also what a forked child starts from: the parent's clients, their
        pools and locks belong to threads the child does not have (they are dropped, not closed:
        closing would shut the parent's connections)."""
        self._lock = threading.Lock()
        self._sync: Client | None = None
        self._async: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Client] = (
            weakref.WeakKeyDictionary()
        )

    @property
    def endpoint(self) -> str:
        """ "v2" or "v1" once known, else "auto"."""
        return {None: "auto", True: "v2", False: "v1"}[self._has_v2]

    def grant(self, credentials: Grant) -> Granted:
        from ..api._io import send  # with the generated operations: on the first grant

        client = self._sync_client()
        return run(self._flow(credentials), lambda call: send(client, call))

    async def agrant(self, credentials: Grant) -> Granted:
        from ..api._io import asend  # with the generated operations: on the first grant

        client = self._async_client()
        return await arun(self._flow(credentials), lambda call: asend(client, call))

    def _flow(self, credentials: Grant) -> _GrantFlow:
        """Yields the Call to send; is sent its Answer or thrown the ApiException."""
        # The request builders import the generated operations and models, which a TokenAuth
        # that has not granted yet (connect()'s, say) does not need.
        from ..api import _calls as calls

        form = credentials.oauth2_request() if self._has_v2 is not False else None
        if form is not None:
            try:
                response = yield calls.grant_token_v2(form)
            except ApiException as exc:
                if self._has_v2 is not None or exc.status not in NO_SUCH_ENDPOINT:
                    raise
                logger.info(
                    "the control plane has no /api/v2/token (%s); using /api/v1/token", exc.status
                )
                self._has_v2 = False
            else:
                self._has_v2 = True
                return _granted_v2(response)
        try:
            response = yield calls.grant_token(credentials.token_request())
        except ApiException as exc:
            raise self._explain(exc, credentials) from exc.__cause__
        return _granted_v1(response)

    def _explain(self, exc: ApiException, credentials: Grant) -> ApiException:
        """A control plane's 400 to a grant newer than the oldest one most likely means it is older.

        Only for Run:ai's own answer (its Error envelope, not a proxy's page), and not when the
        server is known to have /api/v2/token (2.24+, which has every grant).
        """
        if (
            exc.status != 400
            or not isinstance(exc.error, gen.Error)
            or credentials.since == _OLDEST_VERSION
            or self._has_v2
        ):
            return exc
        grant = credentials.token_request().grant_type
        name = getattr(grant, "value", "this")
        reason = (
            f"the {name} grant is not supported by this control plane "
            f"(Run:ai added it in {credentials.since})"
        )
        return GrantNotSupported(
            exc.status, reason, headers=exc.headers, body=exc.body, error=exc.error
        )

    def close(self) -> None:
        with self._lock:
            client, self._sync = self._sync, None
        if client is not None:
            client.get_httpx_client().close()

    async def aclose(self) -> None:
        """Closes the async client of the running event loop."""
        import asyncio  # only the async side needs it; a sync program never loads asyncio

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
        import asyncio  # only the async side needs it; a sync program never loads asyncio

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


_LIVE: weakref.WeakSet[Grants] = weakref.WeakSet()


def _forget_clients_after_fork() -> None:
    for grants in list(_LIVE):
        grants._forget_clients()


os.register_at_fork(after_in_child=_forget_clients_after_fork)


def _granted_v1(response: Answer[TokenResponse]) -> Granted:
    _require_200(response)
    token = response.parsed
    if not (isinstance(token.access_token, str) and token.access_token):
        raise ApiException.from_response(response, "malformed TokenResponse: no accessToken")
    _require_header_safe(token.access_token, response, "TokenResponse: accessToken")
    return Granted(
        token.access_token,
        _int(token.expires_in),
        _str(token.refresh_token),
        _str(token.id_token),
    )


def _granted_v2(response: Answer[OAuth2TokenResponse]) -> Granted:
    _require_200(response)
    token = response.parsed
    if not token.access_token:
        raise ApiException.from_response(response, "malformed OAuth2TokenResponse: no access_token")
    # RFC 6749 section 7.1: the type is case-insensitive; anything but a bearer token we could
    # not use the way TokenAuth does.
    if token.token_type.lower() != "bearer":
        raise ApiException.from_response(response, "OAuth2TokenResponse: token_type is not Bearer")
    _require_header_safe(token.access_token, response, "OAuth2TokenResponse: access_token")
    return Granted(
        token.access_token,
        _int(token.expires_in),
        _str(token.refresh_token),
        _str(token.id_token),
    )


def _require_200(response: Answer[Any]) -> None:
    # Stricter than TokensApi, which takes any 2xx: a grant is documented as 200 only, and a
    # token is worth trusting only from an answer that is exactly what the contract promises.
    if response.status_code != 200:
        raise ApiException.from_response(response)


def _require_header_safe(token: str, response: Answer[Any], what: str) -> None:
    # Checked here, where the token is accepted, so it never reaches a header it would break.
    problem = header_value_problem(token)
    if problem is not None:
        raise ApiException.from_response(response, f"unusable {what} {problem}")


# The generated check has made sure each field is of its declared type: an int or a str, or Unset.
def _int(value: int | Unset) -> int | None:
    return None if isinstance(value, Unset) else value


def _str(value: str | Unset) -> str | None:
    return None if isinstance(value, Unset) or not value else value


__all__ = ["TOKEN_ENDPOINTS", "Grant", "Granted", "Grants", "TokenEndpoint"]
