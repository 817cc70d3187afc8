"""Trading the authorization code for tokens, through the endpoint the control plane has.

/api/v2/token with grant_type=authorization_code (2.24+): code, redirect_uri, client_id and the
PKCE verifier (RFC 7636: how the identity provider behind it checks the code is ours). Run:ai's
documents omit the verifier; openapi.yaml has it, marked secret, so the model sends it and keeps
it out of its repr and of the fake server's log. A control plane without v2 answers 404 or 405
there, and then /api/v1/token gets grantType exchange_token (2.18+): code, redirectUri, clientID,
and no verifier (no document of v1 has one). That switch is
auth._grant.Grants', the same one every grant goes through, with its retry rules: a spent code
is never sent twice (a 500 on a code grant is not retried).
"""

from __future__ import annotations

from typing import ClassVar

from .._generated import GrantType, OAuth2GrantType, OAuth2TokenRequest, TokenRequest
from .._value import Value
from ..auth._grant import Granted, Grants


class AuthorizationCode(Value):
    """A one-off grant: the code the browser brought back, and what proves it is ours."""

    __slots__ = _fields = ("code", "redirect_uri", "client_id", "verifier")
    _hidden = frozenset({"code", "verifier"})
    code: str
    redirect_uri: str
    client_id: str
    verifier: str

    def __init__(self, code: str, redirect_uri: str, client_id: str, verifier: str) -> None:
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
            code_verifier=self.verifier,
        )


def exchange(grants: Grants, code: AuthorizationCode) -> Granted:
    """The tokens for code. Raises ApiException (refused, unreachable, malformed answer)."""
    return grants.grant(code)
