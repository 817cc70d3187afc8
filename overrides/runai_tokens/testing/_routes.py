"""From a request to a reply: the protected endpoint, the token operations, and injected faults.

The contract decides what a valid request is, _operations and TokenService what to answer; this
module only routes and turns outcomes into HTTP replies. Errors take the shape the operation
documents for its 400: RFC 6749's {error, error_description} (grant_token_v2) or Run:ai's
Error envelope (every other operation, and every 404, 405 and injected fault).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from . import _operations
from ._contract import Contract, ContractViolation, Operation, Request
from ._faults import HTML_502, Delivery, Fault, FaultKind, envelope, retry_after_header, truncated
from ._grants import INVALID_REQUEST, UNSUPPORTED_GRANT_TYPE, GrantError, TokenService
from ._jwt import make_jwt
from ._log import OK, STALE, UNKNOWN
from ._tokens import BearerRejected

# RFC 6749 sections 5.1 and 5.2: token answers, errors included, must not be cached.
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}

_Handler = Callable[[TokenService, Request], dict[str, Any]]
# Each operation's handler, by the operationId the contract gives it.
_OPERATIONS: dict[str, _Handler] = {
    "grant_token": _operations.grant_token,
    "grant_token_v2": _operations.grant_token_v2,
    "app_token": _operations.app_token,
    "exchange_code_for_token": _operations.exchange_code_for_token,
    "refresh_token": _operations.refresh_token,
}


@attrs.frozen
class WireReply:
    """What the HTTP layer (_http) sends back for one request; the scripted server's public
    Reply becomes one (Reply.wire()). drop=True closes the connection without an answer, a
    delivery says how a fault bends the way it goes out. outcome: a protected path's verdict on
    the bearer token (OK, STALE or UNKNOWN), None for every other request."""

    status: int
    body: bytes = b""
    headers: Mapping[str, str] = attrs.field(factory=dict)
    drop: bool = False
    delivery: Delivery | None = None
    outcome: str | None = None


def json_reply(status: int, data: Any, headers: Mapping[str, str] | None = None) -> WireReply:
    body = json.dumps(data).encode()
    return WireReply(status, body, {"Content-Type": "application/json", **(headers or {})})


def error_reply(
    status: int, message: str, details: str | None = None, headers: Mapping[str, str] | None = None
) -> WireReply:
    body = envelope(status, message, details)
    return WireReply(status, body, {"Content-Type": "application/json", **(headers or {})})


def fault_reply(fault: Fault) -> WireReply:
    """The reply of a fault that replaces the answer (every kind but DELAY, TRICKLE, RESET)."""
    if fault.kind is FaultKind.DROP:
        return WireReply(0, drop=True)
    if fault.kind is FaultKind.HTML:
        return WireReply(502, HTML_502, {"Content-Type": "text/html"})
    if fault.kind is FaultKind.OVERSIZED:
        return WireReply(200, headers={"Content-Type": "application/json"}, delivery=fault.delivery)
    if fault.kind is FaultKind.TRUNCATED:
        # A token body cut off mid-token, so a client that prints what it could not parse leaks
        # something a test can look for. The token is signed with a throwaway key.
        token = make_jwt("fake-truncated", key=secrets.token_bytes(16))
        full = json.dumps({"accessToken": token, "idToken": token, "expiresIn": 3600}).encode()
        return WireReply(200, truncated(full), {"Content-Type": "application/json"})
    headers = {}
    if fault.retry_after is not None:
        headers["Retry-After"] = retry_after_header(fault.retry_after)
    return error_reply(fault.status, "injected failure", "FakeRunaiServer.fail_next", headers)


class Router:
    """Answers requests that no fault intercepted."""

    def __init__(
        self,
        contract: Contract,
        service: TokenService,
        protected_path: str,
        api_paths: Mapping[str, int] | None = None,
    ) -> None:
        self.contract = contract
        self.service = service
        self.protected_path = protected_path
        self.api_paths = api_paths if api_paths is not None else {}

    def operation_id(self, method: str, path: str) -> str | None:
        """The name a request is logged under: its operationId, "whoami", or None."""
        if path == self.protected_path:
            return "whoami"
        op = self.contract.match(method, path)
        return op.operation_id if op is not None else None

    def dispatch(
        self,
        method: str,
        path: str,
        query: Mapping[str, list[str]],
        headers: Mapping[str, str],
        body: bytes,
    ) -> WireReply:
        if path == self.protected_path:
            if method != "GET":
                return error_reply(405, f"method {method} not allowed", headers={"Allow": "GET"})
            return self._whoami(headers.get("authorization"))
        if path in self.api_paths:
            return self._api_call(self.api_paths[path], headers.get("authorization"))
        op = self.contract.match(method, path)
        if op is None or not self.service.offers(op.operation_id):
            # An operation newer than this version is an unknown path here, as it was upstream.
            allowed = [
                m
                for m in self.contract.methods(path)
                if self.service.offers(self.contract.operations[(m, path)].operation_id)
            ]
            if allowed:
                allow = {"Allow": ", ".join(allowed)}
                return error_reply(405, f"method {method} not allowed", headers=allow)
            return error_reply(404, "no such path")
        if self.contract.rfc6749_errors(op):
            return self._oauth2(op, query, headers, body)
        try:
            request = self.contract.validate_request(op, query, body, headers.get("content-type"))
            data = self._operation(request)
        except ContractViolation as exc:
            return error_reply(400, str(exc), f"violates openapi.yaml ({op.operation_id})")
        except GrantError as exc:
            return error_reply(exc.status, exc.message)
        return json_reply(200, data)

    def _oauth2(
        self, op: Operation, query: Mapping[str, list[str]], headers: Mapping[str, str], body: bytes
    ) -> WireReply:
        """An OAuth2 token endpoint: RFC 6749 error bodies, and no caching of any answer."""
        authorization = headers.get("authorization")
        try:
            request = self.contract.validate_request(op, query, body, headers.get("content-type"))
            data = self._operation(_operations.with_basic_client(request, authorization))
        except ContractViolation as exc:
            # The grant-type field's enum is the list of grants the endpoint supports, so
            # naming another grant is RFC 6749's unsupported_grant_type, not a malformed request.
            unknown_grant = exc.rule == "enum" and exc.field == _operations.GRANT_TYPE
            code = UNSUPPORTED_GRANT_TYPE if unknown_grant else INVALID_REQUEST
            status, error = _operations.oauth2_error(GrantError(400, str(exc), code))
            return json_reply(status, error, _NO_STORE)
        except GrantError as exc:
            status, error = _operations.oauth2_error(exc)
            answer_headers = dict(_NO_STORE)
            if status == 401 and (authorization or "").lower().startswith("basic "):
                # RFC 6749 section 5.2: a client refused after trying Basic is challenged so.
                answer_headers["WWW-Authenticate"] = 'Basic realm="runai"'
            return json_reply(status, error, answer_headers)
        return json_reply(200, data, _NO_STORE)

    def _operation(self, request: Request) -> dict[str, Any]:
        op = request.operation.operation_id
        handler = _OPERATIONS.get(op)
        if handler is None:
            raise GrantError(501, f"operation {op} is not implemented by FakeRunaiServer")
        return handler(self.service, request)

    def _api_call(self, status: int, authorization: str | None) -> WireReply:
        """A path of add_protected_path(): whoami's answer to any method, or `status`."""
        reply = self._whoami(authorization)
        if reply.status != 200 or status == 200:
            return reply
        return attrs.evolve(error_reply(status, f"the test's answer: {status}"), outcome=OK)

    def _whoami(self, authorization: str | None) -> WireReply:
        challenge = {"WWW-Authenticate": 'Bearer realm="runai"'}
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            reply = error_reply(401, "missing bearer token", headers=challenge)
            return attrs.evolve(reply, outcome=UNKNOWN)
        try:
            claims = self.service.tokens.verify(token.strip())
        except BearerRejected as exc:
            reply = error_reply(401, exc.message, headers=challenge)
            return attrs.evolve(reply, outcome=STALE if exc.stale else UNKNOWN)
        reply = json_reply(200, {"sub": claims["sub"], "exp": claims["exp"]})
        return attrs.evolve(reply, outcome=OK)
