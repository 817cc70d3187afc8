"""Driving a flow: a generator that yields what to send and is sent the answer.

The decisions of a grant or a token fetch are written once, as a generator without I/O (the
style of httpx's Auth.auth_flow); run() and arun() are the thin sync and async drivers. A step
that fails with ApiException is thrown into the flow, which may handle it (fall back, try
another endpoint) or let it out.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from typing import TypeVar

from ..errors import ApiException

Ask = TypeVar("Ask")
Answer = TypeVar("Answer")
Result = TypeVar("Result")

Flow = Generator[Ask, Answer, Result]


def run(flow: Flow[Ask, Answer, Result], step: Callable[[Ask], Answer]) -> Result:
    try:
        ask = next(flow)
        while True:
            try:
                answer = step(ask)
            except ApiException as exc:
                ask = flow.throw(exc)
            else:
                ask = flow.send(answer)
    except StopIteration as stop:
        result: Result = stop.value
        return result


async def arun(flow: Flow[Ask, Answer, Result], step: Callable[[Ask], Awaitable[Answer]]) -> Result:
    try:
        ask = next(flow)
        while True:
            try:
                answer = await step(ask)
            except ApiException as exc:
                ask = flow.throw(exc)
            else:
                ask = flow.send(answer)
    except StopIteration as stop:
        result: Result = stop.value
        return result
