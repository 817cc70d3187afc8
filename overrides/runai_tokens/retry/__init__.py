"""Retries that survive a flaky control plane: RetryPolicy says how hard to try, RetryTransport
does it around any httpx transport, sync or async.

    client = httpx.Client(transport=RetryTransport(RetryPolicy(max_attempts=5)))

One request's way, by module: _transport drives it (the I/O, sync and async); _attempts decides
it, free of I/O (retry or give up, how long to wait, what to read inside the loop); _rules says
what is safe to resend and reads Retry-After; _policy holds the limits, and the retry budget that
keeps a fleet from hammering; _body reads answers inside the loop, capped and bounded by the
deadline; _deadline is the clock it is measured on and the hard stop of a sync attempt, whose
alarms ring on _watchdog's one thread.
"""

from ._deadline import Clock, DeadlineExceeded
from ._policy import RetryPolicy
from ._transport import HTTPTransports, RetryTransport

__all__ = ["Clock", "DeadlineExceeded", "HTTPTransports", "RetryPolicy", "RetryTransport"]
