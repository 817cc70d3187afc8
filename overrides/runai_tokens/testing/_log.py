"""The fake server's request log: what came in, with every secret value replaced by "***"."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import attrs

REDACTED = "***"

# Keys (compared lower-case, without "_" and "-") whose values are secrets: client and app
# secrets, passwords, every kind of token, and authorization codes.
_SECRET_KEYS = frozenset(
    {
        "secret",
        "clientsecret",
        "appsecret",
        "password",
        "token",
        "accesstoken",
        "idtoken",
        "refreshtoken",
        "externaltoken",
        "code",
    }
)
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})


def is_secret_key(key: str) -> bool:
    return key.lower().replace("_", "").replace("-", "") in _SECRET_KEYS


def redact(value: Any) -> Any:
    """A copy of decoded JSON with the value of every secret-named key replaced."""
    if isinstance(value, Mapping):
        return {k: REDACTED if is_secret_key(str(k)) else redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def redact_body(raw: bytes) -> Any:
    """The redacted JSON body; None when empty; a size note when it is not JSON (kept unread)."""
    if not raw.strip():
        return None
    try:
        return redact(json.loads(raw))
    except ValueError:
        return f"<{len(raw)} bytes, not JSON>"


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in headers.items():
        lower = name.lower()
        if lower in _SECRET_HEADERS:
            scheme = value.split(" ", 1)[0] if " " in value else ""
            value = f"{scheme} {REDACTED}".strip()
        out[lower] = value
    return out


@attrs.frozen
class RequestRecord:
    """One request the server received, safe to print.

    status is None when the connection was dropped; fault names the injected fault that answered
    it (fail, drop, delay, html, truncated) or is None; operation is the contract's operationId
    (or "whoami", or None for an unknown path).
    """

    method: str
    path: str
    query: Mapping[str, str]
    body: Any
    headers: Mapping[str, str]
    status: int | None
    operation: str | None = None
    fault: str | None = None
