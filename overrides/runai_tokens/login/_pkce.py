"""PKCE (RFC 7636) with S256, and the state that ties a redirect to the request that caused it.

The verifier is 64 random bytes as base64url: 86 characters of [A-Za-z0-9_-], inside RFC 7636's
43 to 128 of its unreserved set. The challenge is base64url(sha256(verifier)) without padding.
The state is 32 random bytes (RFC 6749 section 10.12: unguessable, bound to this login).
"""

from __future__ import annotations

import base64
import hashlib
import secrets

from .._value import Value

METHOD = "S256"
_VERIFIER_BYTES = 64
_STATE_BYTES = 32


class Pkce(Value):
    __slots__ = _fields = ("verifier", "challenge")
    _hidden = frozenset({"verifier"})
    verifier: str
    challenge: str

    def __init__(self, verifier: str, challenge: str) -> None:
        self._set(verifier, challenge)

    @classmethod
    def new(cls) -> Pkce:
        verifier = secrets.token_urlsafe(_VERIFIER_BYTES)
        return cls(verifier, challenge_of(verifier))


def challenge_of(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def new_state() -> str:
    return secrets.token_urlsafe(_STATE_BYTES)
