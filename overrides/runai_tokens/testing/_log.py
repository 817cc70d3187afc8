"""The fake server's request log: what came in, with every secret value replaced by "***".

Which values are secret is the contract's call (Contract.is_secret: every name it marks
`format: password`), so a secret added to openapi.yaml is kept out of the log with no change here.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Collection, Mapping
from typing import Any
from urllib.parse import parse_qs

import attrs

REDACTED = "***"

# What a protected path made of the bearer token it was sent (RequestRecord.outcome, Counts).
OK, STALE, UNKNOWN = "ok", "stale", "unknown"

# Headers that carry credentials whatever the operation (they are not contract properties).
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})

_FORM_NAME = re.compile(r"[\w.\-\[\]]+")

IsSecret = Callable[[str], bool]


def redact(value: Any, is_secret: IsSecret) -> Any:
    """A copy of decoded JSON (or a form) with the value of every secret key replaced."""
    if isinstance(value, Mapping):
        return {
            k: REDACTED if is_secret(str(k)) else redact(v, is_secret) for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact(v, is_secret) for v in value]
    return value


def redact_query(query: Mapping[str, list[str]], is_secret: IsSecret) -> dict[str, str]:
    """Query parameters, first value per name, secrets redacted."""
    redacted: dict[str, str] = redact({k: v[0] for k, v in query.items()}, is_secret)
    return redacted


def redact_body(raw: bytes, content_type: str | None, is_secret: IsSecret) -> Any:
    """The redacted body: decoded JSON, or a form as {name: value} ({name: [values]} when a name
    repeats); None when empty; a size note when it is neither (kept unread: it may be a secret)."""
    if not raw.strip():
        return None
    media = (content_type or "").split(";")[0].strip().lower()
    if media == "application/x-www-form-urlencoded":
        try:
            form = parse_qs(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
        except ValueError:  # UnicodeDecodeError included
            form = {}
        # A name that is not a word is something else (JSON sent as a form, say), whose
        # "names" could hold a secret: such a body is not shown at all.
        if not form or not all(_FORM_NAME.fullmatch(name) for name in form):
            return f"<{len(raw)} bytes, not a form>"
        return redact({k: v[0] if len(v) == 1 else v for k, v in form.items()}, is_secret)
    try:
        return redact(json.loads(raw), is_secret)
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
    it (fail, drop, delay, html, truncated, trickle, reset, oversized) or is None; operation is
    the contract's operationId for the method and path, even when this version answered 404 to
    it (or "whoami", or None).
    """

    method: str
    path: str
    query: Mapping[str, str]
    body: Any
    headers: Mapping[str, str]
    status: int | None
    operation: str | None = None
    fault: str | None = None
    # A protected path's verdict on the bearer token: "ok", "stale" or "unknown" (see Counts).
    outcome: str | None = None


@attrs.frozen
class Counts:
    """One snapshot of what a FakeRunaiServer has seen; subtract an earlier snapshot for what
    happened in between (`server.counts - before`).

    token_requests: requests to a token operation's path, faulted ones included. ok, stale and
    unknown: requests to a protected path (PROTECTED_PATH, add_protected_path()) that the server
    looked at (an injected fault's are not), by what their bearer token was: ok, live; stale,
    one this server issued that had expired; unknown, none, never issued here, or revoked.
    """

    token_requests: int = 0
    ok: int = 0
    stale: int = 0
    unknown: int = 0

    def __sub__(self, other: object) -> Counts:
        if not isinstance(other, Counts):
            return NotImplemented
        mine, theirs = attrs.astuple(self), attrs.astuple(other)
        return Counts(*(a - b for a, b in zip(mine, theirs, strict=True)))


class RequestLog:
    """The records of a server's requests, appended from its handler threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []

    def add(self, record: RequestRecord) -> None:
        with self._lock:
            self._records.append(record)

    def records(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    def count(self, path: str | None = None) -> int:
        with self._lock:
            return sum(1 for r in self._records if path is None or r.path == path)

    def counts(self, token_paths: Collection[str]) -> Counts:
        records = self.records()
        outcomes = [r.outcome for r in records]
        return Counts(
            token_requests=sum(1 for r in records if r.path in token_paths),
            ok=outcomes.count(OK),
            stale=outcomes.count(STALE),
            unknown=outcomes.count(UNKNOWN),
        )
