"""Revoking a login's refresh token at the identity provider, for `runai-token logout`.

RFC 7009 for a public client: a form of token, token_type_hint=refresh_token and client_id,
POSTed to the revocation_endpoint the discovery document advertises (kept only when it is on the
issuer's origin, as the authorization endpoint must be: the token is sent there). Keycloak
revokes the whole session with it. Nothing here raises for the provider's sake: the outcome says
whether the token was revoked and, when not, why in words fit for a person, so logout can say
that the token was forgotten locally but may still be valid until it expires.
"""

from __future__ import annotations

import httpx

from .._untrusted import UntrustedJsonError, escape_controls, json_object
from .._value import Value
from ..retry import HTTPTransports, RetryPolicy, RetryTransport
from ..retry._rules import certificate_failure
from ._discovery import default_issuer, discover
from ._errors import DiscoveryError
from ._store import StoredLogin

_ERROR_CODE = frozenset("abcdefghijklmnopqrstuvwxyz_")
# An RFC 6749 error answer is a few hundred bytes; a larger body is not read for its code.
MAX_ERROR_BODY = 64 * 1024


class Revocation(Value):
    """revoked: the provider said yes (200); why: when not, what stood in the way."""

    __slots__ = _fields = ("revoked", "why")
    revoked: bool
    why: str

    def __init__(self, revoked: bool, why: str = "") -> None:
        self._set(revoked, why)


def revoke(
    login: StoredLogin,
    *,
    issuer: str | None = None,
    proxy: str | None = None,
    timeout: float = 30.0,
) -> Revocation:
    """Revoke login's refresh token where its identity provider offers it."""
    transport = RetryTransport(RetryPolicy(), HTTPTransports(proxy=proxy))
    with httpx.Client(transport=transport, timeout=timeout) as http:
        try:
            provider = discover(issuer or default_issuer(login.base_url), http)
        except DiscoveryError as exc:
            return Revocation(False, str(exc))
        endpoint = provider.revocation_endpoint
        if endpoint is None:
            return Revocation(False, "the identity provider offers no revocation endpoint")
        return _post(http, endpoint, login)


def _post(http: httpx.Client, endpoint: str, login: StoredLogin) -> Revocation:
    try:
        response = http.post(
            endpoint,
            data={
                "token": login.refresh_token,
                "token_type_hint": "refresh_token",
                "client_id": login.client_id,
            },
            headers={"Accept": "application/json"},
        )
    except httpx.HTTPError as exc:
        failure = certificate_failure(exc)
        if failure is not None:
            reason = failure.verify_message or failure.reason or "no reason given"
            return Revocation(False, f"TLS certificate verification failed: {reason}")
        return Revocation(
            False, f"the revocation endpoint could not be reached ({type(exc).__name__})"
        )
    if response.status_code == 200:
        return Revocation(True)
    return Revocation(
        False,
        f"the identity provider refused the revocation (HTTP {response.status_code}"
        f"{_error_code(response)})",
    )


def _error_code(response: httpx.Response) -> str:
    """RFC 6749's error code of the answer, when it is one (a short lowercase word): nothing
    else of the provider's text is repeated."""
    try:
        error = json_object(response.content, limit=MAX_ERROR_BODY).get("error")
    except UntrustedJsonError:
        return ""
    if isinstance(error, str) and 0 < len(error) <= 40 and _ERROR_CODE.issuperset(error):
        return f": {escape_controls(error)}"
    return ""
