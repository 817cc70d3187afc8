"""From a request to a reply: the protected endpoint, the four operations, and injected faults.

The contract decides what a valid request is, TokenService what to answer; this module only
routes and turns outcomes into HTTP replies, every error in the contract's Error envelope.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from typing import Any

import attrs

from ._contract import Contract, ContractViolation, Request
from ._faults import HTML_502, Fault, FaultKind, envelope, retry_after_header, truncated
from ._grants import GrantError, TokenService
from ._jwt import make_jwt


@attrs.frozen
class Reply:
    """What to send back; drop=True closes the connection without an answer."""

    status: int
    body: bytes = b""
    headers: Mapping[str, str] = attrs.field(factory=dict)
    drop: bool = False


def json_reply(status: int, data: Any, headers: Mapping[str, str] | None = None) -> Reply:
    body = json.dumps(data).encode()
    return Reply(status, body, {"Content-Type": "application/json", **(headers or {})})


def error_reply(
    status: int, message: str, details: str | None = None, headers: Mapping[str, str] | None = None
) -> Reply:
    body = envelope(status, message, details)
    return Reply(status, body, {"Content-Type": "application/json", **(headers or {})})


def fault_reply(fault: Fault) -> Reply:
    """The reply of a fault that replaces the answer (every kind but DELAY)."""
    if fault.kind is FaultKind.DROP:
        return Reply(0, drop=True)
    if fault.kind is FaultKind.HTML:
        return Reply(502, HTML_502, {"Content-Type": "text/html"})
    if fault.kind is FaultKind.TRUNCATED:
        # A token body cut off mid-token, so a client that prints what it could not parse leaks
        # something a test can look for. The token is signed with a throwaway key.
        token = make_jwt("fake-truncated", key=secrets.token_bytes(16))
        full = json.dumps({"accessToken": token, "idToken": token, "expiresIn": 3600}).encode()
        return Reply(200, truncated(full), {"Content-Type": "application/json"})
    headers = {}
    if fault.retry_after is not None:
        headers["Retry-After"] = retry_after_header(fault.retry_after)
    return error_reply(fault.status, "injected failure", "FakeRunaiServer.fail_next", headers)


class Router:
    """Answers requests that no fault intercepted."""

    def __init__(self, contract: Contract, service: TokenService, protected_path: str) -> None:
        self.contract = contract
        self.service = service
        self.protected_path = protected_path

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
    ) -> Reply:
        if path == self.protected_path:
            if method != "GET":
                return error_reply(405, f"method {method} not allowed", headers={"Allow": "GET"})
            return self._whoami(headers.get("authorization"))
        op = self.contract.match(method, path)
        if op is None:
            allowed = self.contract.methods(path)
            if allowed:
                allow = {"Allow": ", ".join(allowed)}
                return error_reply(405, f"method {method} not allowed", headers=allow)
            return error_reply(404, "no such path")
        try:
            request = self.contract.validate_request(op, query, body, headers.get("content-type"))
            data = self._operation(request)
        except ContractViolation as exc:
            return error_reply(400, str(exc), f"violates openapi.yaml ({op.operation_id})")
        except GrantError as exc:
            return error_reply(exc.status, exc.message)
        return json_reply(200, data)

    def _operation(self, request: Request) -> dict[str, Any]:
        service, op = self.service, request.operation.operation_id
        if op == "grant_token":
            return service.grant_token(request.body)
        if op == "app_token":
            return service.app_token(request.body)
        if op == "exchange_code_for_token":
            return service.exchange_code_for_token(request.query)
        if op == "refresh_token":
            return service.refresh_token(request.query)
        raise GrantError(501, f"operation {op} is not implemented by FakeRunaiServer")

    def _whoami(self, authorization: str | None) -> Reply:
        challenge = {"WWW-Authenticate": 'Bearer realm="runai"'}
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return error_reply(401, "missing bearer token", headers=challenge)
        try:
            claims = self.service.verify(token.strip())
        except GrantError as exc:
            return error_reply(401, exc.message, headers=challenge)
        return json_reply(200, {"sub": claims["sub"], "exp": claims["exp"]})
