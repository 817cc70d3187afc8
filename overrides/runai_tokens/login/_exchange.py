"""Trading the authorization code for tokens, through the endpoint the control plane has.

/api/v2/token with grant_type=authorization_code (2.24+): code, redirect_uri, client_id and the
PKCE verifier (RFC 7636: how the identity provider behind it checks the code is ours). Run:ai's
documents omit the verifier; openapi.yaml has it, marked secret, so the model sends it and keeps
it out of its repr and of the fake server's log. A control plane without v2 answers 404 or 405
there, and then /api/v1/token gets grantType exchange_token (2.18+): code, redirectUri, clientID,
and no verifier: no document of v1 has one.

Which of the two is decided before the browser opens (exchange_endpoint), because it decides the
authorization request: RFC 7636 section 4.6 has a provider that saw a challenge demand the
verifier, so a challenge is sent only when the exchange will carry its verifier, on v2. The
answer is kept the way TokenAuth keeps it, in the Grants that makes the exchange (its endpoint
pinned), with that Grants' retry rules: a spent code is never sent twice.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import httpx

from .._generated import (
    GRANT_V2_PATH,
    UNSET,
    GrantType,
    OAuth2GrantType,
    OAuth2TokenRequest,
    TokenRequest,
)
from .._value import Value
from ..auth._grant import NO_SUCH_ENDPOINT, Granted, Grants, TokenEndpoint
from ..retry._rules import certificate_failure
from ._errors import TokenEndpointError


class AuthorizationCode(Value):
    """A one-off grant: the code the browser brought back, and what proves it is ours (the PKCE
    verifier; None when no challenge was sent)."""

    __slots__ = _fields = ("code", "redirect_uri", "client_id", "verifier")
    _hidden = frozenset({"code", "verifier"})
    code: str
    redirect_uri: str
    client_id: str
    verifier: str | None

    def __init__(
        self, code: str, redirect_uri: str, client_id: str, verifier: str | None = None
    ) -> None:
        self._set(code, redirect_uri, client_id, verifier)

    since: ClassVar[str] = "2.18"

    def token_request(self) -> TokenRequest:
        return TokenRequest(
            grant_type=GrantType.EXCHANGE_TOKEN,
            code=self.code,
            redirect_uri=self.redirect_uri,
            client_id=self.client_id,
        )

    def oauth2_request(self) -> OAuth2TokenRequest | None:
        return OAuth2TokenRequest(
            grant_type=OAuth2GrantType.AUTHORIZATION_CODE,
            code=self.code,
            redirect_uri=self.redirect_uri,
            client_id=self.client_id,
            code_verifier=UNSET if self.verifier is None else self.verifier,
        )


def exchange_endpoint(
    http: httpx.Client, base_url: str, pinned: TokenEndpoint
) -> Literal["v1", "v2"]:
    """Where the code will be exchanged: pinned's choice, or ("auto") what the control plane
    answers a POST of an incomplete authorization_code form at /api/v2/token: 404 or 405 is a
    control plane older than 2.24 (v1), any other refusal is v2's. Raises TokenEndpointError when
    it cannot be asked."""
    if pinned != "auto":
        return pinned
    url = base_url.rstrip("/") + GRANT_V2_PATH
    try:
        response = http.post(
            url, data={"grant_type": "authorization_code"}, headers={"Accept": "application/json"}
        )
        response.close()
    except httpx.HTTPError as exc:
        raise TokenEndpointError(
            f"the control plane at {base_url} could not be reached ({_why(exc)})",
            unreachable=True,
        ) from None
    status = response.status_code
    if status in NO_SUCH_ENDPOINT:
        return "v1"
    if status == 429 or status >= 500:
        raise TokenEndpointError(
            f"the control plane's token endpoint {url} is unavailable (HTTP {status})",
            unreachable=True,
        )
    return "v2"


def exchange(grants: Grants, code: AuthorizationCode) -> Granted:
    """The tokens for code. Raises ApiException (refused, unreachable, malformed answer)."""
    return grants.grant(code)


def _why(exc: httpx.HTTPError) -> str:
    failure = certificate_failure(exc)
    if failure is not None:
        reason = failure.verify_message or failure.reason or "no reason given"
        return f"TLS certificate verification failed: {reason}"
    return type(exc).__name__
