"""Retries that survive a flaky control plane: RetryPolicy says how hard to try, RetryTransport
does it around any httpx transport, sync or async.

    client = httpx.Client(transport=RetryTransport(RetryPolicy(max_attempts=5)))

_transport drives the attempts; _flow strings them together without I/O, _attempts decides each
one (_actions is what they ask the driver to do, _clock the time they measure); _rules says what
is safe to resend; _after reads Retry-After; _budget keeps a fleet from hammering; _body reads
answers inside the loop, capped and bounded by the deadline; _cutoff ends a sync attempt at it.
"""

from ._policy import RetryPolicy
from ._transport import Clock, DeadlineExceeded, HTTPTransports, RetryTransport

__all__ = ["Clock", "DeadlineExceeded", "HTTPTransports", "RetryPolicy", "RetryTransport"]
