"""The fake server's tokens: minting them, and checking the bearer tokens sent back to it.

Access tokens are HS256 JWTs under the server's key (or, opaque_tokens=True, random strings whose
claims only the server knows). Each access token stays live until its exact expiry on `clock` or
until revoke_all(); the JWT's own exp is whole seconds, so a token lives its lifetime on a clock
a test moves by fractions.
"""

from __future__ import annotations

import secrets
import threading
import uuid
from collections.abc import Callable
from typing import Any

from ._jwt import InvalidToken, decode_jwt, encode_jwt

ISSUER = "runai-tokens-fake"


class BearerRejected(Exception):
    """A bearer token the protected endpoints refuse. stale: one this server issued, unrevoked,
    that has expired; otherwise it is unknown (never issued here, not an access token, or
    revoked). The message never holds the token."""

    def __init__(self, message: str, *, stale: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.stale = stale


class Minter:
    """Mints access and ID tokens and remembers which access tokens are live; thread-safe."""

    def __init__(
        self,
        *,
        lifetime: float,
        clock: Callable[[], float],
        signing_key: bytes,
        opaque_tokens: bool = False,
        standard_base64_safe: bool = False,
    ) -> None:
        self.lifetime = lifetime
        self._clock = clock
        self._key = signing_key
        self._opaque_tokens = opaque_tokens
        self._standard_base64_safe = standard_base64_safe
        self._lock = threading.Lock()
        self._opaque: dict[str, dict[str, Any]] = {}  # opaque access token -> its claims
        self._live: dict[str, float] = {}  # jti -> exact expiry, of every unrevoked access token
        self.issued = 0  # access tokens minted

    def mint(self, subject: str, client_id: str | None, typ: str) -> str:
        """A signed token; access tokens ("Bearer") count and stay live until they expire."""
        now = self._clock()
        lifetime = self.lifetime
        jti = str(uuid.uuid4())
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "sub": subject,
            "iat": int(now),
            "exp": int(now + lifetime),
            "jti": jti,
            "typ": typ,
        }
        if client_id is not None:
            claims["azp"] = client_id
        if typ == "Bearer":
            with self._lock:
                self._live[jti] = now + lifetime
                self.issued += 1
                if self._opaque_tokens:
                    token = f"fake-opaque-token-{self.issued}-{secrets.token_urlsafe(8)}"
                    self._opaque[token] = claims
                    return token
        return encode_jwt(claims, self._key, standard_base64_safe=self._standard_base64_safe)

    def verify(self, token: str) -> dict[str, Any]:
        """The claims of a live, unexpired access token; BearerRejected otherwise."""
        with self._lock:
            opaque = self._opaque.get(token)
        try:
            claims = opaque if opaque is not None else decode_jwt(token, self._key)
        except InvalidToken as exc:
            raise BearerRejected(f"invalid bearer token: {exc}") from None
        if claims.get("typ") != "Bearer":
            raise BearerRejected("not an access token")
        with self._lock:
            expires = self._live.get(claims.get("jti", ""))
        if expires is None:
            raise BearerRejected("token revoked")
        if not self._clock() < expires:
            raise BearerRejected("token expired", stale=True)
        return claims

    def revoke_all(self) -> None:
        with self._lock:
            self._live.clear()
