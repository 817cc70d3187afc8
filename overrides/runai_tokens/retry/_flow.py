"""One request's way through its attempts, free of I/O so the sync and async transports share it.

exchange() is a generator in the style of httpx's Auth.auth_flow: it yields what to do next (Send
a request, Read a body, Discard an answer, Sleep) and is sent the outcome, or thrown the error.
RetryTransport's two drivers do the I/O; every decision is made once, by an Attempts (_attempts):
give up (hand the response back, or re-raise the error), retry after a delay, or stop because the
server asked for a wait past the deadline.

The deadline bounds the whole exchange: every attempt's timeouts are cut to the time left, a body
read inside the loop is checked against it chunk by chunk, and the async driver also cancels an
attempt that outlives it.
"""

from __future__ import annotations

from collections.abc import Generator

import httpx

from ._actions import Action, Discard, Read, Send, Sleep
from ._attempts import Attempts, TooLate
from ._clock import Clock, DeadlineExceeded

# Importable from here as before the flow was split: the drivers' tests name them with it.
__all__ = ["Clock", "DeadlineExceeded", "Discard", "Read", "Send", "exchange"]


def exchange(attempts: Attempts) -> Generator[Action, httpx.Response | None, httpx.Response]:
    """The attempts of one request, until a response to hand back or an error to raise."""
    while True:
        try:
            response = yield attempts.send()
            assert response is not None
            step = attempts.after_response(response)
            if step is None:
                read = attempts.read(response)
                if read is not None:
                    response = yield read
                    assert response is not None
                return attempts.finish(response)
            drained = yield Discard(attempts.drain(response))
            assert drained is not None
            if isinstance(step, TooLate):
                raise attempts.too_late(drained, step.retry_after)
        except httpx.TransportError as error:
            if attempts.after_error(error) is None:
                attempts.note_failure(error)
                if attempts.ran_out(error):
                    raise attempts.deadline_exceeded() from error
                raise
        yield Sleep(attempts.wait())
