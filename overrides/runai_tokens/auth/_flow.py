"""Driving a flow: a generator that yields what to send and is sent the answer.

The decisions of a grant or a token fetch are written once, as a generator without I/O (the
style of httpx's Auth.auth_flow); run() and arun() are the thin sync and async drivers. A step
that fails with ApiException is thrown into the flow, which may handle it (fall back, try
another endpoint) or let it out.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from typing import Generic, TypeVar

from .._value import Value
from ..errors import ApiException

Ask = TypeVar("Ask")
Answer = TypeVar("Answer")
Result = TypeVar("Result")

Flow = Generator[Ask, Answer, Result]


def run(flow: Flow[Ask, Answer, Result], step: Callable[[Ask], Answer]) -> Result:
    outcome: Answer | ApiException | None = None  # sending None starts the generator
    while not isinstance(ask := _resume(flow, outcome), _Done):
        try:
            outcome = step(ask)
        except ApiException as exc:
            outcome = exc
    return ask.value


async def arun(flow: Flow[Ask, Answer, Result], step: Callable[[Ask], Awaitable[Answer]]) -> Result:
    outcome: Answer | ApiException | None = None
    while not isinstance(ask := _resume(flow, outcome), _Done):
        try:
            outcome = await step(ask)
        except ApiException as exc:
            outcome = exc
    return ask.value


class _Done(Value, Generic[Result]):
    __slots__ = _fields = ("value",)
    value: Result

    def __init__(self, value: Result) -> None:
        self._set(value)


def _resume(
    flow: Flow[Ask, Answer, Result], outcome: Answer | ApiException | None
) -> Ask | _Done[Result]:
    """The flow's next ask, given the last step's answer or failure; _Done when it returns."""
    try:
        if isinstance(outcome, ApiException):
            return flow.throw(outcome)
        return flow.send(outcome)  # type: ignore[arg-type]  # None only to start it
    except StopIteration as stop:
        return _Done(stop.value)
