"""The flow protocol: decisions written once as a generator, driven by thin sync and async loops.

A flow is a generator without I/O, in the style of httpx's Auth.auth_flow: it yields what it asks
for (a grant call, an attempt to send, a wait for another caller's token), is sent the answer, or
is thrown the error the step raised, and returns its result. A driver does the I/O of each ask.
Every sans-I/O generator of the package speaks this protocol: the grants and token fetches
(auth/_grant, auth/_source), the token keeper (auth/_keeper) and a request's retries
(retry/_attempts).

send() and throw() advance a flow by one step and say Done when it has returned. run() and
arun() are the drivers for a flow whose every ask is one call of `step`; a driver that does
more per ask (the retry transport's, which bounds several asks by one deadline) loops over
send() and throw() itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from typing import Generic, NamedTuple, TypeVar

from .errors import ApiException

Ask = TypeVar("Ask")
Answer = TypeVar("Answer")
Result = TypeVar("Result")

Flow = Generator[Ask, Answer, Result]


# A NamedTuple: one is made per flow, and a retried request's flow is one per request.
class Done(NamedTuple, Generic[Result]):
    """The flow has returned `value`."""

    value: Result


def send(flow: Flow[Ask, Answer, Result], answer: Answer | None) -> Ask | Done[Result]:
    """The flow's next ask, given the answer to its last one (None starts it); Done once it
    returns."""
    try:
        return flow.send(answer)  # type: ignore[arg-type]  # None only to start it
    except StopIteration as stop:
        return Done(stop.value)


def throw(flow: Flow[Ask, Answer, Result], error: BaseException) -> Ask | Done[Result]:
    """The flow's next ask, given that its last one failed with error; Done once it returns.
    An error the flow does not handle comes out of here."""
    try:
        return flow.throw(error)
    except StopIteration as stop:
        return Done(stop.value)


def run(
    flow: Flow[Ask, Answer, Result],
    step: Callable[[Ask], Answer],
    catch: type[Exception] = ApiException,
) -> Result:
    """Drive flow to its result, each ask answered by step(ask). An error of type `catch` that a
    step raises is thrown into the flow, which may handle it (fall back, try another endpoint)
    or let it out; any other error leaves at once."""
    ask = send(flow, None)
    while not isinstance(ask, Done):
        try:
            answer = step(ask)
        except catch as exc:
            ask = throw(flow, exc)
        else:
            ask = send(flow, answer)
    result: Result = ask.value  # isinstance() narrows to Done[Any]
    return result


async def arun(
    flow: Flow[Ask, Answer, Result],
    step: Callable[[Ask], Awaitable[Answer]],
    catch: type[Exception] = ApiException,
) -> Result:
    """run() for asyncio: each ask is answered by awaiting step(ask)."""
    ask = send(flow, None)
    while not isinstance(ask, Done):
        try:
            answer = await step(ask)
        except catch as exc:
            ask = throw(flow, exc)
        else:
            ask = send(flow, answer)
    result: Result = ask.value  # isinstance() narrows to Done[Any]
    return result
