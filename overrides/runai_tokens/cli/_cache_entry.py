"""One entry of the CLI's token cache: whose token it is, the token, and the JSON it is kept as.

Apart from the directory (_cache) because this is what an entry means, not where it lives: the
value types the CLI hands around, and the rule that anything unreadable in a file (corrupt JSON,
a wrong shape, a different identity, a token that cannot go into a header) is a miss, not an
error. The cache is an optimisation: it never turns a working `get` into a failure.

Expiry is absolute wall-clock time (seconds since the epoch): the entry outlives the process
that wrote it, so a monotonic clock cannot be used.
"""

from __future__ import annotations

import json
import math
from typing import Any, TypeGuard

from .._untrusted import header_value_problem

_FORMAT = 2
MAX_ENTRY = 256 * 1024  # an entry is a token of a few KB and a few fields


class CacheKey:
    """Who a cached token belongs to. digest is the keyed hash that names the entry's file."""

    __slots__ = ("base_url", "digest", "grant", "identity")

    def __init__(self, base_url: str, grant: str, identity: str, digest: str) -> None:
        self.base_url = base_url
        self.grant = grant
        self.identity = identity
        self.digest = digest

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CacheKey):
            return NotImplemented
        return (self.base_url, self.grant, self.identity, self.digest) == (
            other.base_url,
            other.grant,
            other.identity,
            other.digest,
        )

    def __hash__(self) -> int:
        return hash(self.digest)

    def __repr__(self) -> str:
        return f"CacheKey({self.base_url!r}, {self.grant!r}, {self.identity!r})"

    @property
    def file_stem(self) -> str:
        return self.digest[:40]


class CachedToken:
    """A token and its absolute wall-clock expiry (None when the server did not say)."""

    __slots__ = ("access_token", "expires_at", "issued_at")

    def __init__(self, access_token: str, expires_at: float | None, issued_at: float) -> None:
        self.access_token = access_token
        self.expires_at = expires_at
        self.issued_at = issued_at

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CachedToken):
            return NotImplemented
        return (self.access_token, self.expires_at, self.issued_at) == (
            other.access_token,
            other.expires_at,
            other.issued_at,
        )

    def __hash__(self) -> int:
        return hash((self.access_token, self.expires_at, self.issued_at))

    def __repr__(self) -> str:  # the token stays out of tracebacks and logs
        return f"CachedToken(expires_at={self.expires_at!r}, issued_at={self.issued_at!r})"

    def valid_at(self, now: float, margin: float) -> bool:
        """Usable at `now` with at least `margin` seconds to spare."""
        return self.expires_at is not None and self.expires_at - margin > now


def reuse_margin(lifetime: float) -> float:
    """How long a cached token must still be valid to be handed out again.

    The caller uses the printed token after we exit (kubectl for a burst of requests, a script for
    a job step), so it needs real time left: a tenth of the lifetime, capped at five minutes (a
    3600 s token is reused until its last 5 minutes; a 10 s token until its last second).
    """
    return min(300.0, max(0.0, lifetime) / 10)


def encode(key: CacheKey, token: CachedToken) -> bytes:
    """The file's content. It repeats whose entry it is, so decode can refuse someone else's."""
    entry = {
        "format": _FORMAT,
        "baseUrl": key.base_url,
        "grant": key.grant,
        "identity": key.identity,
        "keyHmac": key.digest,
        "accessToken": token.access_token,
        "expiresAt": token.expires_at,
        "issuedAt": token.issued_at,
    }
    return json.dumps(entry).encode()


def decode(raw: str, key: CacheKey) -> CachedToken | None:
    """The token in a file's content, or None when it is not key's or cannot be trusted."""
    try:
        entry: Any = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: a file of nested brackets
        return None
    if not isinstance(entry, dict) or entry.get("format") != _FORMAT:
        return None
    expected = {
        "baseUrl": key.base_url,
        "grant": key.grant,
        "identity": key.identity,
        "keyHmac": key.digest,
    }
    if any(entry.get(name) != value for name, value in expected.items()):
        return None
    token, expires_at, issued_at = (entry.get(k) for k in ("accessToken", "expiresAt", "issuedAt"))
    if not isinstance(token, str) or header_value_problem(token) is not None:
        return None
    if not _is_number(issued_at):
        return None
    if expires_at is None:
        return CachedToken(token, None, float(issued_at))
    if not _is_number(expires_at):
        return None
    return CachedToken(token, float(expires_at), float(issued_at))


def _is_number(value: object) -> TypeGuard[float]:
    # bool is an int subclass; true/false in the file is corruption, not a timestamp. So is a
    # time no float can hold (10**400 would overflow float(); 1e400 reads as inf).
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False
