"""FakeRunaiServer: Run:ai's token API on loopback, for tests and demos (see its docstring)."""

from __future__ import annotations

import contextlib
import logging
import secrets
import socket
import threading
import time
from collections.abc import Callable, Mapping
from typing import ClassVar, Self
from urllib.parse import parse_qs, urlsplit

import attrs

from ._contract import load_contract
from ._faults import FaultKind, FaultQueue, seconds
from ._grants import TokenService
from ._http import Server, handler_class
from ._idp import IdentityProvider
from ._inject import FaultInjection
from ._log import Counts, RequestLog, RequestRecord, redact_body, redact_headers, redact_query
from ._registries import Registries
from ._routes import Router, WireReply, fault_reply
from ._script import GrantScript

logger = logging.getLogger("runai_tokens.testing")

# Faults that deliver the server's own answer, late or bent on the way.
_REAL_ANSWER = frozenset({FaultKind.DELAY, FaultKind.TRICKLE, FaultKind.RESET})


# The one endpoint behind TokenAuth that the server serves (see FakeRunaiServer).
PROTECTED_PATH = "/api/v1/whoami"


class FakeRunaiServer(Registries, FaultInjection, GrantScript):
    """Run:ai's token operations, plus one protected endpoint, on 127.0.0.1, as `version` has them.

    A real threaded HTTP server on an ephemeral port (or `port`), speaking openapi.yaml's wire
    format. Use it as a context manager (`with FakeRunaiServer() as server: server.url`), or
    start() and stop() it. Register what it should accept with add_client(), add_app(),
    add_user(), add_code(), add_external_token() and issue_refresh_token().

    Semantics, decided to be strict where Run:ai leaves room, so that client bugs show up here:

    - Every request to a contract path is validated against openapi.yaml first (required query
      parameters, a body of the media type the contract declares, types and enums). JSON keys
      match the contract case-insensitively (clientId, ClientID and clientID are one key), as the
      service does; form fields are exact and may not repeat (RFC 6749). Unknown paths get 404,
      wrong methods 405.
    - POST /api/v1/token and the deprecated operations answer errors with the Error envelope
      {code, message, details?}: 400 for a request that is malformed or lacks a field its grant
      needs (the message names the violation); 401 for a well-formed request whose credential is
      rejected (unknown client or wrong secret, wrong app secret or name, wrong password, unknown
      external token, an unknown, used, revoked or mismatched refresh token or code).
    - POST /api/v2/token (2.24+; 404 before, as for any unknown path) takes a form with
      grant_type client_credentials (client_id, client_secret), password (username, password,
      client_id?), refresh_token (refresh_token, client_id?) or authorization_code (code,
      redirect_uri, client_id?), and answers {access_token, token_type: "Bearer", expires_in,
      id_token, refresh_token?}. Errors are RFC 6749's {error, error_description}: 400
      invalid_request (malformed, or a field missing), 400 unsupported_grant_type, 401
      invalid_client (client id or secret), 400 invalid_grant (password, refresh token, code).
      The client may authenticate with HTTP Basic instead of client_id and client_secret in
      the form (RFC 6749 section 2.3.1, each form-encoded, then base64), but not both ways at
      once (400 invalid_request); a client refused after Basic gets a Basic challenge.
    - Grants that issue a refresh token: password, exchange_token / authorization_code,
      refresh_token and the two deprecated query-string operations. Refresh tokens rotate and
      are single-use when rotate_refresh_tokens is True (the default); when False the same one
      is returned and stays valid. Authorization codes are always single-use.
    - Refresh-token reuse detection (detect_refresh_token_reuse, on by default, with rotation):
      each login's refresh tokens are one family, and a spent token presented again is refused
      (invalid_grant) and revokes the whole family, the live token included, as Keycloak,
      oidc-provider, Okta and Auth0 do with rotation on. Two refreshes with one token at once
      therefore end the login, as they do against a real provider. `refreshes` counts the
      refresh grants answered, `refresh_token_reuses` the reuses seen.
    - Versions: client_credentials on /api/v1/token from 2.20, external_token_exchange from 2.22
      (accepting a token registered with add_external_token(), 401 for any other), expiresIn
      from 2.24. An older version refuses a grant it lacks with 400 and the message
      "unsupported grantType <grant>: not supported by control plane version <v> (introduced in
      <since>)", never as a rejected credential.
    - Access tokens are HS256 JWTs (sub, iat, exp = iat + lifetime, jti, iss, typ) timed by
      `clock` (the wall clock by default), or with opaque_tokens=True opaque strings that only
      the server can time (a client must take expiresIn or guess). revoke_all() invalidates
      every token issued so far. standard_base64_safe=True writes every JWT's payload segment
      without '-' or '_' (the same claims, some characters as JSON escapes), for clients that
      decode it with the standard base64 alphabet where base64url is meant.
    - The identity provider (_idp): discovery, authorize and RFC 7009 revocation under
      /auth/realms/runai, RFC 9207's `iss` on every redirect, PKCE (RFC 7636 section 4.6)
      enforced at both exchange endpoints. require_pkce=True refuses an authorization request
      without a challenge; offline_access_only=True issues a code's refresh token only for the
      scope offline_access with prompt=consent, as oidc-provider, Okta, Entra ID and Auth0 do.
    - grant_delay: every token request the server answers itself (not an injected fault's)
      waits this many seconds first, as an identity provider takes tens of milliseconds to mint;
      on loopback a grant would otherwise finish before a second caller has started.

    The protected endpoint is GET PROTECTED_PATH ("/api/v1/whoami"): 200 {"sub", "exp"} with a
    valid, unexpired, unrevoked access token as `Authorization: Bearer`, else 401 + envelope.
    `counts` says how many token requests arrived, and how many protected requests carried a
    live token (ok), an expired one (stale) or none the server knows (unknown).

    Faults (fail_next and friends) are queued; each request takes at most one, the oldest that
    matches its path, before the request is looked at (so it is not validated or answered, and
    its answer is the Error envelope, on any path and version). delay_next, trickle_next and
    reset_next are the exceptions: the request is answered as usual, and the answer is held
    back, trickled, or cut off by a connection reset mid-body. Token requests that no fault took
    wait at a hold_grants() gate, then take a script_grants() reply if one is queued.

    `requests` is the log of what arrived, with the value of every property or parameter that
    openapi.yaml marks `format: password` redacted (JSON and form bodies, and query strings);
    the server's own log lines (logger "runai_tokens.testing", DEBUG) carry method, path and
    status only.
    """

    PROTECTED_PATH: ClassVar[str] = PROTECTED_PATH

    def __init__(
        self,
        *,
        version: str = "2.24",
        lifetime: float = 3600.0,
        port: int = 0,
        rotate_refresh_tokens: bool = True,
        detect_refresh_token_reuse: bool = True,
        clock: Callable[[], float] = time.time,
        signing_key: bytes | None = None,
        opaque_tokens: bool = False,
        standard_base64_safe: bool = False,
        grant_delay: float = 0.0,
        require_pkce: bool = False,
        offline_access_only: bool = False,
    ) -> None:
        GrantScript.__init__(self)
        self.version = version
        self.grant_delay = seconds("grant_delay", grant_delay)
        self._port = port
        self._key = signing_key if signing_key is not None else secrets.token_bytes(32)
        self._service = TokenService(
            version=version,
            lifetime=lifetime,
            rotate_refresh_tokens=rotate_refresh_tokens,
            detect_refresh_token_reuse=detect_refresh_token_reuse,
            clock=clock,
            signing_key=self._key,
            opaque_tokens=opaque_tokens,
            standard_base64_safe=standard_base64_safe,
        )
        self._faults = FaultQueue()
        self._api_paths: dict[str, int] = {}
        self._lock = threading.Lock()
        self._log = RequestLog()
        self._connections: set[socket.socket] = set()
        self._accepted = 0
        self._stopping = threading.Event()
        self._httpd: Server | None = None
        self._thread: threading.Thread | None = None
        self._router: Router | None = None
        self._idp = IdentityProvider(
            self._service,
            lambda: self.url,
            require_pkce=require_pkce,
            offline_access_only=offline_access_only,
        )

    def __repr__(self) -> str:
        where = self.url if self._httpd is not None else "not running"
        return f"FakeRunaiServer({where}, version={self.version!r})"

    # --- lifecycle ------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The base URL, http://127.0.0.1:<port> (no trailing slash)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("FakeRunaiServer is not running: call start() or use `with`")
        return int(self._httpd.server_address[1])

    def start(self) -> Self:
        """Bind and serve in a background thread; returns self. A server starts once."""
        if self._httpd is not None or self._stopping.is_set():
            raise RuntimeError("FakeRunaiServer can only be started once")
        self._router = Router(load_contract(), self._service, self.PROTECTED_PATH, self._api_paths)
        handler = handler_class(self._handle, self._track, self._stopping.wait)
        self._httpd = Server(("127.0.0.1", self._port), handler)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            name=f"FakeRunaiServer:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, cut open connections and wake delayed requests. Safe to call twice."""
        self._stopping.set()
        self._release_gate()
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        with self._lock:
            for conn in self._connections:
                with contextlib.suppress(OSError):  # the client may have closed it already
                    conn.shutdown(socket.SHUT_RDWR)
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- what happened --------------------------------------------------------------------
    @property
    def requests(self) -> list[RequestRecord]:
        """Every request received so far, oldest first, secrets redacted (a copy)."""
        return self._log.records()

    def count(self, path: str | None = None) -> int:
        """How many requests arrived (to `path`, or in all), faulted ones included."""
        return self._log.count(path)

    @property
    def token_requests(self) -> int:
        """How many requests arrived at the token operations' paths (those of openapi.yaml),
        whether or not this version serves them: a client's try of /api/v2/token counts."""
        return self.counts.token_requests

    @property
    def counts(self) -> Counts:
        """Token requests and the protected paths' outcomes so far, as one snapshot (Counts)."""
        return self._log.counts(self._router.contract.paths if self._router else frozenset())

    @property
    def connections_accepted(self) -> int:
        """How many connections the server has accepted: a client that keeps its connections
        alive opens each once."""
        with self._lock:
            return self._accepted

    @property
    def tokens_issued(self) -> int:
        """How many access tokens the server has minted."""
        return self._service.tokens_issued

    @property
    def refreshes(self) -> int:
        """How many refresh_token grants the server has granted (refused ones not counted)."""
        return self._service.refresh_tokens.refreshed

    @property
    def refresh_token_reuses(self) -> int:
        """How many times a spent refresh token was presented again (with reuse detection on,
        each revoked its login's family)."""
        return self._service.refresh_tokens.reuses

    # --- serving (called from handler threads) --------------------------------------------
    def _track(self, conn: socket.socket, open: bool) -> None:
        with self._lock:
            (self._connections.add if open else self._connections.discard)(conn)
            self._accepted += open

    def _handle(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes
    ) -> WireReply:
        split = urlsplit(target)
        path, query = split.path, parse_qs(split.query, keep_blank_values=True)
        router = self._router
        assert router is not None  # requests arrive only between start() and stop()
        fault = self._faults.take(path)
        if fault is not None and fault.kind is FaultKind.DELAY:
            self._stopping.wait(fault.seconds)
        if fault is None or fault.kind in _REAL_ANSWER:
            reply = self._answer(router, method, path, query, headers, body)
            if fault is not None and fault.delivery is not None:
                reply = attrs.evolve(reply, delivery=fault.delivery)
        else:
            reply = fault_reply(fault)
        contract_secret, idp_path = router.contract.is_secret, self._idp.handles(path)

        def is_secret(name: str) -> bool:
            return contract_secret(name) or (idp_path and self._idp.is_secret(name))

        self._log.add(
            RequestRecord(
                method=method,
                path=path,
                query=redact_query(query, is_secret),
                body=redact_body(body, headers.get("content-type"), is_secret),
                headers=redact_headers(headers),
                status=None if reply.drop else reply.status,
                operation=router.operation_id(method, path),
                fault=fault.kind.value if fault is not None else None,
                outcome=reply.outcome,
            )
        )
        logger.debug("%s %s -> %s", method, path, "dropped" if reply.drop else reply.status)
        return reply

    def _answer(
        self,
        router: Router,
        method: str,
        path: str,
        query: Mapping[str, list[str]],
        headers: Mapping[str, str],
        body: bytes,
    ) -> WireReply:
        """The server's own answer: a grant (late by grant_delay, maybe held or scripted), the
        identity provider's pages, or whatever the router says."""
        if path in router.contract.paths:
            if self.grant_delay:
                self._stopping.wait(self.grant_delay)
            scripted = self._scripted_grant()
            if scripted is not None:
                return scripted
        if self._idp.handles(path):
            return self._idp.dispatch(method, path, query, body, headers.get("content-type"))
        return router.dispatch(method, path, query, headers, body)
