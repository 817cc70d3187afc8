"""How long a response asks the client to wait: Retry-After and retry-after-ms.

Retry-After (RFC 9110 section 10.2.3) is either delta-seconds or an HTTP-date. retry-after-ms is
the millisecond variant some API gateways send; it wins when both are present because it is the
more precise of the two. Anything unparseable is ignored (None), never an error: a malformed
header must not turn a retryable response into a crash.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

import httpx

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
    # Here, not at the top: dateutil.parser (with dateutil.tz, decimal, zoneinfo) cost a sixth of
    # connect()'s import time, and only a Retry-After written as a date needs it.
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
