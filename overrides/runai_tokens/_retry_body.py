"""Reading a body inside the retry loop: bounded in size (token operations) and by the deadline.

A token answer is a few kilobytes; a 600 MB one is an attack or a misrouted download, and is
refused with an ApiException as soon as it shows, from its Content-Length or from the bytes
counted so far, without reading on. The deadline is checked after every chunk, so a server that
trickles its body cannot hold an attempt past it by more than the gap between two chunks (the
async driver also cancels the read at the deadline itself).
"""

from __future__ import annotations

import httpx

from ._retry_flow import Clock, DeadlineExceeded, Read
from .errors import ApiException


class Body:
    """The chunks of one body read so far; add() raises once a limit is crossed."""

    def __init__(self, read: Read, clock: Clock) -> None:
        self._read = read
        self._clock = clock
        self._chunks: list[bytes] = []
        self._size = 0
        length = read.response.headers.get("content-length", "")
        self._declared = int(length) if length.isdigit() else None
        if read.limit is not None and self._declared is not None and self._declared > read.limit:
            raise self._too_large()

    def already_read(self) -> bool:
        """True for a response whose body is already in memory (a MockTransport's, say)."""
        try:
            content = self._read.response.content
        except httpx.ResponseNotRead:
            return False
        if self._read.limit is not None and len(content) > self._read.limit:
            raise self._too_large()
        return True

    def add(self, chunk: bytes) -> None:
        self._size += len(chunk)
        if self._read.limit is not None and self._size > self._read.limit:
            raise self._too_large()
        self._chunks.append(chunk)
        complete = self._declared is not None and self._size >= self._declared
        if not complete and self._clock.monotonic() >= self._read.deadline:
            raise self.deadline_exceeded()

    def response(self) -> httpx.Response:
        """The response with its body in memory, still encoded as it came (httpx decodes it)."""
        original = self._read.response
        return httpx.Response(
            original.status_code,
            headers=original.headers,
            stream=httpx.ByteStream(b"".join(self._chunks)),
            extensions=dict(original.extensions),
        )

    def deadline_exceeded(self) -> DeadlineExceeded:
        return DeadlineExceeded(
            "the retry deadline passed while the response body was still arriving",
            request=self._read.request,
        )

    def _too_large(self) -> ApiException:
        limit = self._read.limit
        return ApiException(
            self._read.response.status_code,
            f"the response body is larger than {limit} bytes, the limit for a token operation "
            "(RetryPolicy.max_body_bytes); not read",
            headers=self._read.response.headers,
        )


def read_body(read: Read, clock: Clock) -> httpx.Response:
    try:
        body = Body(read, clock)
        if body.already_read():
            return read.response
        for chunk in read.response.iter_raw():
            body.add(chunk)
    finally:
        read.response.close()
    return body.response()


async def aread_body(read: Read, clock: Clock) -> httpx.Response:
    try:
        body = Body(read, clock)
        if body.already_read():
            return read.response
        async for chunk in read.response.aiter_raw():
            body.add(chunk)
    finally:
        await read.response.aclose()
    return body.response()
