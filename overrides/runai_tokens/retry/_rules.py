"""What the request and its answer say about retrying: whether a resend is safe, and how long
the server asks to wait. Stateless rules; the decisions that weigh them are _attempts'.

A retry is only safe when sending the request twice cannot do harm. Three kinds of request:

- repeatable: idempotent methods, and token requests that mint a fresh token from long-lived
  credentials (a client secret, an app secret, a password). Retried on network errors, timeouts
  and the policy's statuses.
- single-use: token requests that spend a one-time input, a refresh token (which a server may
  rotate) or an authorization code. A 500 or a read timeout may mean the server consumed it, and
  a resend would fail with a misleading 400, so these retry only failures that prove the request
  was not processed: never sent at all, or answered 429 / 503 (turned away before any work).
- anything else (POST, PATCH): retried only when it was never sent.

How long to wait: Retry-After (RFC 9110 section 10.2.3) is either delta-seconds or an HTTP-date.
retry-after-ms is the millisecond variant some API gateways send; it wins when both are present
because it is the more precise of the two. Anything unparseable is ignored (None), never an
error: a malformed header must not turn a retryable response into a crash.
"""

from __future__ import annotations

import enum
import functools
import json
import re
import ssl
import urllib.parse
from collections.abc import Callable, Collection
from datetime import UTC, datetime

import httpx

from .._generated import TOKEN_PATHS, TokenOperation, token_operation


class Kind(enum.Enum):
    REPEATABLE = "repeatable"
    SINGLE_USE = "single-use"
    UNSAFE = "unsafe"


IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})

# The request never reached the server: no connection, or no free connection in the pool.
NEVER_SENT: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
)
# The request may have reached the server. RemoteProtocolError is what a keep-alive connection the
# server closed in the meantime looks like, the commonest transient failure of all.
MAYBE_SENT: tuple[type[Exception], ...] = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
)
# Statuses that mean "not processed", so safe even for a single-use request.
NOT_PROCESSED_STATUSES = frozenset({429, 503})

# Grants that spend a one-time input: a refresh token (which a server may rotate) or an
# authorization code (exchange_token on /api/v1/token, authorization_code on /api/v2/token).
# These are the grant types' names (RFC 6749 and Run:ai's), not properties of the contract.
_SINGLE_USE_GRANTS = frozenset({"refresh_token", "exchange_token", "authorization_code"})


def classify(request: httpx.Request) -> Kind:
    """Which kind a request is. Token operations are whatever openapi.yaml tags Tokens."""
    return kind_of(request, operation_of(request))


def kind_of(request: httpx.Request, op: TokenOperation | None) -> Kind:
    """classify() for a request whose operation_of() is known already."""
    if op is None:
        return Kind.REPEATABLE if request.method in IDEMPOTENT_METHODS else Kind.UNSAFE
    # Whatever its method, a token operation mints a new token each time, unless its input is
    # spent by the first use. One without a body takes its input in the query string (the
    # deprecated code exchange and refresh do), where nothing shows that a resend is harmless.
    if op.body is None:
        return Kind.SINGLE_USE
    if op.grant_field is None:
        return Kind.REPEATABLE
    grant = _grant_type(request, op.grant_field)
    # A body we cannot read counts as single-use: nothing proves a resend is harmless.
    if grant is None or grant in _SINGLE_USE_GRANTS:
        return Kind.SINGLE_USE
    return Kind.REPEATABLE


# A tuple, for str.endswith: most requests are no token operation, and one call says so.
_TOKEN_PATHS = tuple(TOKEN_PATHS)


def operation_of(request: httpx.Request) -> TokenOperation | None:
    """token_operation() for a request, without its search for the many that are none."""
    path = request.url.path
    return _token_operation(request.method, path) if path.endswith(_TOKEN_PATHS) else None


# A client sends its token requests to the same few paths: each is searched for once.
_token_operation = functools.lru_cache(maxsize=64)(token_operation)


def is_replayable(request: httpx.Request) -> bool:
    """True when the body can be sent again. Streams (iterators, generators, multipart) cannot:
    httpx turns content it has read into a ByteStream, anything else may be consumed."""
    return isinstance(request.stream, httpx.ByteStream)


def error_is_retryable(kind: Kind, error: Exception) -> bool:
    if is_certificate_failure(error):
        return False  # the same certificate fails the same way: retrying only delays the news
    if isinstance(error, NEVER_SENT):
        return True
    return kind is Kind.REPEATABLE and isinstance(error, MAYBE_SENT)


def status_is_retryable(kind: Kind, status: int, statuses: Collection[int]) -> bool:
    if status not in statuses:
        return False
    if kind is Kind.REPEATABLE:
        return True
    return kind is Kind.SINGLE_USE and status in NOT_PROCESSED_STATUSES


def _grant_type(request: httpx.Request, field: str) -> str | None:
    """The grant a token request names in its JSON or form body, or None if it is unreadable."""
    try:
        content = request.content
    except httpx.RequestNotRead:
        return None
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        values = urllib.parse.parse_qs(content.decode("ascii", "replace")).get(field, [])
        return values[0] if len(values) == 1 else None
    try:
        data = json.loads(content)
    except ValueError:
        return None
    grant = data.get(field) if isinstance(data, dict) else None
    return grant if isinstance(grant, str) else None


def certificate_failure(error: BaseException) -> ssl.SSLCertVerificationError | None:
    """The certificate verification failure behind error (httpx wraps httpcore's wrap of the ssl
    error), or None."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLCertVerificationError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def is_certificate_failure(error: BaseException) -> bool:
    return certificate_failure(error) is not None


# --- how long the server asks to wait ------------------------------------------------------------

# dateutil is lenient enough to read "May" as a date this year; every HTTP-date form (IMF-fixdate,
# RFC 850, asctime) carries a clock time, so demanding one rejects words that merely parse.
_CLOCK_TIME = re.compile(r"\b\d{1,2}:\d{2}:\d{2}\b")
_NUMBER = re.compile(r"\s*\d+(\.\d*)?\s*")
# A longer wait is past any deadline, math.inf included: no client should sleep a day because a
# header said so, and time.sleep() raises OverflowError past ~292 years (asyncio's never ends).
LONGEST_RETRY_AFTER = 24 * 3600.0


def retry_after_seconds(headers: httpx.Headers, *, wall_clock: Callable[[], float]) -> float | None:
    """Seconds the server asked to wait (never negative, maybe inf), or None when it asked
    nothing usable.

    An HTTP-date is measured against the response's own Date header when it has one, so a client
    whose clock is off still waits as long as the server meant; else against wall_clock().
    """
    millis = _parse_number(headers.get("retry-after-ms"))
    if millis is not None:
        return millis / 1000.0
    value = headers.get("retry-after")
    if value is None:
        return None
    seconds = _parse_number(value)
    if seconds is not None:
        return seconds
    when = parse_http_date(value)
    if when is None:
        return None
    now = parse_http_date(headers.get("date") or "")
    reference = now.timestamp() if now is not None else wall_clock()
    return max(0.0, when.timestamp() - reference)


def parse_http_date(value: str) -> datetime | None:
    """An HTTP-date as an aware datetime (naive forms are GMT by definition), or None."""
    if not _CLOCK_TIME.search(value):
        return None
    # Here, not at the top: dateutil.parser (with dateutil.tz, decimal, zoneinfo) is a large
    # share of connect()'s import time, and only a Retry-After written as a date needs it.
    from dateutil import parser as date_parser

    try:
        parsed = date_parser.parse(value)
    except (ValueError, OverflowError):
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _parse_number(value: str | None) -> float | None:
    # delta-seconds is digits only; a decimal point is tolerated because gateways send "1.5".
    # Digits too many for a float become inf: still a wait past any deadline, never no wait.
    if value is None or not _NUMBER.fullmatch(value):
        return None
    return float(value)
