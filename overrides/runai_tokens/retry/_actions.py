"""What the retry flow asks its driver to do next: Send, Read, Discard or Sleep.

Apart from the flow and the decisions because they are the vocabulary between them and the two
drivers (sync and async) in _transport, which do the I/O each one names.
"""

from __future__ import annotations

from typing import NamedTuple

import httpx


# The actions are NamedTuples rather than attrs classes: one is made per attempt, and defining an
# attrs class costs 0.4-1 ms of connect()'s start-up, a NamedTuple a fifth of that. They keep
# their request and response out of repr: a deprecated operation's URL carries a refresh token or
# a code in its query, and actions are locals a traceback can show.
class Send(NamedTuple):
    request: httpx.Request
    time_left: float  # seconds before the deadline, inf for none
    # A sync driver shuts the connection down at the deadline (token operations: _cutoff).
    cut: bool = False

    def __repr__(self) -> str:
        return f"Send(time_left={self.time_left!r}, cut={self.cut!r})"


class Read(NamedTuple):
    """Read the body now, inside the retry loop, so a connection lost mid-body can be retried."""

    response: httpx.Response
    request: httpx.Request
    deadline: float  # on Clock.monotonic, inf for none
    time_left: float
    limit: int | None  # bytes; past it ApiException (token operations), None: no cap
    declared: int | None = None  # the answer's Content-Length, None when it gives none
    cut: bool = False

    def __repr__(self) -> str:
        return (
            f"Read(deadline={self.deadline!r}, time_left={self.time_left!r}, "
            f"limit={self.limit!r}, declared={self.declared!r}, cut={self.cut!r})"
        )


class Discard(NamedTuple):
    """Close an answer that will not be handed back; drain it first if small (its connection
    then goes back to the pool), within the deadline. Answered with the response, read or not."""

    read: Read


class Sleep(NamedTuple):
    seconds: float


Action = Send | Read | Discard | Sleep
