"""The control plane's identity provider, as far as a browser login needs it.

Run:ai's is Keycloak at <control plane>/auth/realms/runai. Three endpoints are played here:
- the OpenID discovery document (.well-known/openid-configuration), which says where to send
  the browser, and advertises the revocation endpoint and RFC 9207's `iss` response parameter;
- the authorization endpoint, which at once "logs in" the subject set with login_as() and
  redirects the browser back to the client's loopback redirect_uri with a fresh single-use code,
  the state it was given and `iss` (RFC 9207), the way Keycloak does after a successful login;
- the revocation endpoint (RFC 7009), where a public client revokes a refresh token.
The code is then exchanged at /api/v2/token (authorization_code) or at /api/v1/token
(exchange_token). A code whose authorization request carried a PKCE challenge is refused without
its verifier, at either endpoint (RFC 7636 section 4.6; see TokenService.exchange): v1 carries
none in any document, so such a code can only be exchanged at v2.

Only PKCE S256 is accepted, when a challenge is sent, and only loopback redirect URIs, as for a
public client (RFC 8252); anything else is a 400 page, never a redirect, so the fake cannot be an
open redirector. Two policies of real providers are options:
- require_pkce: an authorization request without a challenge is refused, with an error
  redirect (Keycloak's "PKCE required", oidc-provider's default for public clients);
- offline_access_only: the code's exchange issues a refresh token only when the scope has
  `offline_access` and the prompt `consent` (oidc-provider's stock policy, OIDC Core section 11;
  Okta, Entra ID and Auth0 also issue one only for offline_access).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping
from urllib.parse import parse_qs, urlencode, urlsplit

from ._grants import INVALID_CLIENT, INVALID_REQUEST, GrantError, TokenService
from ._routes import WireReply

REALM_PATH = "/auth/realms/runai"
DISCOVERY_PATH = f"{REALM_PATH}/.well-known/openid-configuration"
AUTHORIZE_PATH = f"{REALM_PATH}/protocol/openid-connect/auth"
REVOKE_PATH = f"{REALM_PATH}/protocol/openid-connect/revoke"
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
# What the request log keeps out, besides the contract's secrets: the revoked token.
_SECRET_FIELDS = frozenset({"token"})
_FORM = "application/x-www-form-urlencoded"


class IdentityProvider:
    def __init__(
        self,
        service: TokenService,
        base_url: Callable[[], str],
        *,
        require_pkce: bool = False,
        offline_access_only: bool = False,
    ) -> None:
        self._service = service
        self._base_url = base_url  # known once the server has bound its port
        self.subject = "fake-person@example.com"
        self.require_pkce = require_pkce
        self.offline_access_only = offline_access_only

    @property
    def issuer(self) -> str:
        return self._base_url() + REALM_PATH

    def handles(self, path: str) -> bool:
        return path in (DISCOVERY_PATH, AUTHORIZE_PATH, REVOKE_PATH)

    def is_secret(self, name: str) -> bool:
        return name in _SECRET_FIELDS

    def dispatch(
        self,
        method: str,
        path: str,
        query: Mapping[str, list[str]],
        body: bytes = b"",
        content_type: str | None = None,
    ) -> WireReply:
        if path == REVOKE_PATH:
            if method != "POST":
                return _page(405, "method not allowed", {"Allow": "POST"})
            return self._revoke(body, content_type)
        if method != "GET":
            return _page(405, "method not allowed", {"Allow": "GET"})
        if path == DISCOVERY_PATH:
            body = json.dumps(self.discovery()).encode()
            return WireReply(200, body, {"Content-Type": "application/json"})
        return self._authorize({name: values[-1] for name, values in query.items() if values})

    def discovery(self) -> dict[str, object]:
        base_url = self._base_url()
        issuer = base_url + REALM_PATH
        return {
            "issuer": issuer,
            "authorization_endpoint": base_url + AUTHORIZE_PATH,
            "token_endpoint": f"{issuer}/protocol/openid-connect/token",
            "revocation_endpoint": base_url + REVOKE_PATH,
            "revocation_endpoint_auth_methods_supported": ["none"],
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": ["openid", "offline_access"],
            "authorization_response_iss_parameter_supported": True,
        }

    def _authorize(self, query: Mapping[str, str]) -> WireReply:
        redirect_uri = query.get("redirect_uri", "")
        split = urlsplit(redirect_uri)
        if split.scheme != "http" or split.hostname not in _LOOPBACK_HOSTS:
            return _page(400, "redirect_uri must be an http loopback URI")
        if query.get("response_type") != "code":
            return _page(400, "response_type must be code")
        if not query.get("client_id"):
            return _page(400, "client_id is required")
        challenge = query.get("code_challenge")
        if challenge is not None and (
            not challenge or query.get("code_challenge_method") != "S256"
        ):
            return _page(400, "PKCE with code_challenge_method S256 is required")
        back: dict[str, str]
        if challenge is None and self.require_pkce:
            back = {
                "error": "invalid_request",
                "error_description": "PKCE is required: the request has no code_challenge",
            }
        else:
            code = secrets.token_urlsafe(24)
            self._service.add_code(
                code,
                redirect_uri,
                query["client_id"],
                self.subject,
                challenge=challenge,
                offline=self._offline(query),
            )
            back = {"code": code}
        if "state" in query:
            back["state"] = query["state"]
        back["iss"] = self.issuer  # RFC 9207, on every answer, errors included
        separator = "&" if split.query else "?"
        return WireReply(302, b"", {"Location": f"{redirect_uri}{separator}{urlencode(back)}"})

    def _offline(self, query: Mapping[str, str]) -> bool:
        """Whether the code's exchange may issue a refresh token."""
        if not self.offline_access_only:
            return True
        scopes, prompts = query.get("scope", "").split(), query.get("prompt", "").split()
        return "offline_access" in scopes and "consent" in prompts

    def _revoke(self, body: bytes, content_type: str | None) -> WireReply:
        """RFC 7009 for a public client: token, token_type_hint and client_id in a form; 200 for
        any token (an unknown one too, section 2.2), an error only for a bad request."""
        if (content_type or "").split(";")[0].strip().lower() != _FORM:
            return _oauth2_error(400, INVALID_REQUEST, "a form is required")
        try:
            form = parse_qs(body.decode("utf-8"), strict_parsing=bool(body), max_num_fields=10)
        except ValueError:
            return _oauth2_error(400, INVALID_REQUEST, "the form cannot be read")
        if any(len(values) > 1 for values in form.values()):
            return _oauth2_error(400, INVALID_REQUEST, "a field is repeated")
        token, client_id = form.get("token", [""])[0], form.get("client_id", [""])[0]
        if not client_id:
            return _oauth2_error(401, INVALID_CLIENT, "client_id is required")
        if not token:
            return _oauth2_error(400, INVALID_REQUEST, "token is required")
        try:
            self._service.revoke_refresh_token(token, client_id)
        except GrantError as exc:
            return _oauth2_error(400, exc.oauth2, exc.message)
        return WireReply(200, b"", {"Cache-Control": "no-store"})


def _oauth2_error(status: int, error: str, description: str) -> WireReply:
    body = json.dumps({"error": error, "error_description": description}).encode()
    return WireReply(
        status, body, {"Content-Type": "application/json", "Cache-Control": "no-store"}
    )


def _page(status: int, message: str, headers: Mapping[str, str] | None = None) -> WireReply:
    body = f"<html><body><h1>{status}</h1><p>{message}</p></body></html>".encode()
    return WireReply(status, body, {"Content-Type": "text/html; charset=utf-8", **(headers or {})})
