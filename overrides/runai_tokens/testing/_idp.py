"""The control plane's identity provider, as far as a browser login needs it.

Run:ai's is Keycloak at <control plane>/auth/realms/runai. Two endpoints are played here:
- the OpenID discovery document (.well-known/openid-configuration), which says where to send
  the browser;
- the authorization endpoint, which at once "logs in" the subject set with login_as() and
  redirects the browser back to the client's loopback redirect_uri with a fresh single-use code
  and the state it was given, the way Keycloak does after a successful login.
The code is then exchanged at /api/v2/token (authorization_code), which checks its PKCE S256
challenge against the verifier sent (see TokenService.exchange), or at /api/v1/token
(exchange_token), which has no verifier in any document and so checks none.

Only PKCE S256 is accepted and only loopback redirect URIs, as for a public client (RFC 8252);
anything else is a 400 page, never a redirect, so the fake cannot be an open redirector.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping
from urllib.parse import urlencode, urlsplit

from ._grants import TokenService
from ._routes import Reply

REALM_PATH = "/auth/realms/runai"
DISCOVERY_PATH = f"{REALM_PATH}/.well-known/openid-configuration"
AUTHORIZE_PATH = f"{REALM_PATH}/protocol/openid-connect/auth"
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class IdentityProvider:
    def __init__(self, service: TokenService, base_url: Callable[[], str]) -> None:
        self._service = service
        self._base_url = base_url  # known once the server has bound its port
        self.subject = "fake-person@example.com"

    def handles(self, path: str) -> bool:
        return path in (DISCOVERY_PATH, AUTHORIZE_PATH)

    def dispatch(self, method: str, path: str, query: Mapping[str, list[str]]) -> Reply:
        if method != "GET":
            return _page(405, "method not allowed", {"Allow": "GET"})
        if path == DISCOVERY_PATH:
            body = json.dumps(self.discovery()).encode()
            return Reply(200, body, {"Content-Type": "application/json"})
        return self._authorize({name: values[-1] for name, values in query.items() if values})

    def discovery(self) -> dict[str, object]:
        base_url = self._base_url()
        issuer = base_url + REALM_PATH
        return {
            "issuer": issuer,
            "authorization_endpoint": base_url + AUTHORIZE_PATH,
            "token_endpoint": f"{issuer}/protocol/openid-connect/token",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "code_challenge_methods_supported": ["S256"],
        }

    def _authorize(self, query: Mapping[str, str]) -> Reply:
        redirect_uri = query.get("redirect_uri", "")
        split = urlsplit(redirect_uri)
        if split.scheme != "http" or split.hostname not in _LOOPBACK_HOSTS:
            return _page(400, "redirect_uri must be an http loopback URI")
        if query.get("response_type") != "code":
            return _page(400, "response_type must be code")
        if not query.get("client_id"):
            return _page(400, "client_id is required")
        challenge = query.get("code_challenge", "")
        if not challenge or query.get("code_challenge_method") != "S256":
            return _page(400, "PKCE with code_challenge_method S256 is required")
        code = secrets.token_urlsafe(24)
        self._service.add_code(
            code, redirect_uri, query["client_id"], self.subject, challenge=challenge
        )
        back = {"code": code, **({"state": query["state"]} if "state" in query else {})}
        separator = "&" if split.query else "?"
        return Reply(302, b"", {"Location": f"{redirect_uri}{separator}{urlencode(back)}"})


def _page(status: int, message: str, headers: Mapping[str, str] | None = None) -> Reply:
    body = f"<html><body><h1>{status}</h1><p>{message}</p></body></html>".encode()
    return Reply(status, body, {"Content-Type": "text/html; charset=utf-8", **(headers or {})})
