"""Reading a body inside the retry loop: bounded in size (token operations) and by the deadline.

A token answer is a few kilobytes; a 600 MB one is an attack or a misrouted download, and is
refused with an ApiException as soon as it shows, from its Content-Length or from the bytes
counted so far, without reading on. A gzip or deflate body is also measured as it inflates (and
thrown away), so that a small bomb cannot become gigabytes when httpx decodes it.

The deadline is checked after every chunk, so a server that trickles its body cannot hold an
attempt past it by more than the gap between two chunks; under asyncio the driver also cancels
a send or a read at the deadline itself (_transport; within() for a drain). discard() closes an
answer that is not handed back, draining it first when it is small.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Awaitable
from typing import TypeVar

import httpx

from ..errors import ApiException
from ._attempts import Read
from ._deadline import Clock, DeadlineExceeded

T = TypeVar("T")
# A discarded answer is drained so its connection can go back to the pool, unless it is big
# enough that opening a new connection is cheaper than reading it.
_DRAIN_LIMIT = 64 * 1024


class Body:
    """The chunks of one body read so far; add() raises once a limit is crossed."""

    def __init__(self, read: Read, clock: Clock) -> None:
        self._read = read
        self._clock = clock
        self._chunks: list[bytes] = []
        self._size = 0
        self._declared = read.declared
        self._inflated: _Inflated | None = None
        if read.limit is None:
            return  # no cap, so nothing to count as it inflates
        if self._declared is not None and self._declared > read.limit:
            raise self._too_large()
        # get_list: a missing header (the usual case) is an empty list here, a KeyError in get.
        encoding = ",".join(read.response.headers.get_list("content-encoding")).strip().lower()
        if encoding in _Inflated.ENCODINGS:
            self._inflated = _Inflated(encoding)

    def already_read(self) -> bool:
        """True for a response whose body is already in memory (a MockTransport's, say)."""
        if not self._read.response.is_stream_consumed:
            return False  # the common case, told without raising ResponseNotRead
        try:
            content = self._read.response.content
        except httpx.ResponseNotRead:
            return False
        if self._read.limit is not None and len(content) > self._read.limit:
            raise self._too_large()
        return True

    def add(self, chunk: bytes) -> None:
        self._size += len(chunk)
        limit = self._read.limit
        if limit is not None:
            if self._size > limit:
                raise self._too_large()
            if self._inflated is not None and self._inflated.feed(chunk, limit):
                raise self._too_large("once decompressed")
        self._chunks.append(chunk)
        complete = self._declared is not None and self._size >= self._declared
        if not complete and self._clock.monotonic() >= self._read.deadline:
            raise self.deadline_exceeded()

    def response(self) -> httpx.Response:
        """The response, its body now in memory, still encoded as it came (httpx decodes it).

        The same object, its stream swapped: response.stream is the transport-level body that
        httpx's own client replaces too, and reading it here leaves is_stream_consumed unset, so
        the client reads the body once more from memory rather than a second Response being
        built (a copy that would be a good share of a grant's overhead)."""
        response = self._read.response
        response.stream = httpx.ByteStream(b"".join(self._chunks))
        return response

    def deadline_exceeded(self) -> DeadlineExceeded:
        return DeadlineExceeded(
            "the retry deadline passed while the response body was still arriving",
            request=self._read.request,
        )

    def _too_large(self, how: str = "") -> ApiException:
        limit = self._read.limit
        return ApiException(
            self._read.response.status_code,
            f"the response body is larger than {limit} bytes{' ' + how if how else ''}, the "
            "limit for a token operation (RetryPolicy.max_body_bytes); not read further",
            headers=self._read.response.headers,
        )


def read_body(read: Read, clock: Clock) -> httpx.Response:
    """The response with its body read (its raw stream, what iter_raw reads) and that stream
    closed, which frees the connection; on any failure the response is closed."""
    response = read.response
    stream = response.stream
    try:
        body = Body(read, clock)
        if body.already_read():
            response.close()
            return response
        assert isinstance(stream, httpx.SyncByteStream)
        for chunk in stream:
            body.add(chunk)
    except BaseException:
        response.close()
        raise
    stream.close()
    return body.response()


async def aread_body(read: Read, clock: Clock) -> httpx.Response:
    response = read.response
    stream = response.stream
    try:
        body = Body(read, clock)
        if body.already_read():
            await response.aclose()
            return response
        assert isinstance(stream, httpx.AsyncByteStream)
        async for chunk in stream:
            body.add(chunk)
    except BaseException:
        await response.aclose()
        raise
    await stream.aclose()
    return body.response()


class _Inflated:
    """How many bytes a gzip or deflate body inflates to, counted without keeping them."""

    ENCODINGS = frozenset({"gzip", "x-gzip", "deflate"})

    def __init__(self, encoding: str) -> None:
        # deflate is meant to be zlib-wrapped, but servers send it raw too (httpx reads both).
        self._raw_fallback = encoding == "deflate"
        self._inflater = zlib.decompressobj(zlib.MAX_WBITS | (16 if encoding != "deflate" else 0))
        self._broken = False
        self.size = 0

    def feed(self, data: bytes, limit: int) -> bool:
        """Inflate data, stopping as soon as the total passes limit; True when it has."""
        while data and not self._broken and self.size <= limit:
            try:
                out = self._inflater.decompress(data, limit + 1 - self.size)
            except zlib.error:
                if not (self._raw_fallback and self.size == 0):
                    self._broken = True  # not ours to report: httpx's decoder will say so
                    return False
                self._raw_fallback = False
                self._inflater = zlib.decompressobj(-zlib.MAX_WBITS)
                continue
            self.size += len(out)
            data = self._inflater.unconsumed_tail
        return self.size > limit


async def within(seconds: float, request: httpx.Request, step: Awaitable[T], what: str) -> T:
    """Await step, cancelled at the deadline: the hard bound sockets alone cannot give."""
    import asyncio  # here, not at the top: a sync program never needs asyncio (see _deadline)

    scope = asyncio.timeout(None if math.isinf(seconds) else max(seconds, 0.0))
    try:
        async with scope:
            return await step
    except TimeoutError:
        if not scope.expired():
            raise
        raise DeadlineExceeded(
            f"the retry deadline passed while waiting for the response {what}",
            request=request,
        ) from None


def _worth_draining(read: Read) -> bool:
    return read.declared is not None and read.declared <= _DRAIN_LIMIT


def discard(read: Read, clock: Clock) -> httpx.Response:
    """Close an answer we will not hand back, before sleeping, so its connection is free (with
    a pool of one, the retry would otherwise wait forever for it). A small one is read first,
    which keeps its connection and its body (for RetryAfterExceedsDeadline)."""
    if not _worth_draining(read):
        read.response.close()
        return read.response
    try:
        drained = read_body(read, clock)
        drained.read()
    except httpx.HTTPError:
        return read.response  # closed by read_body: a broken answer needs no more than that
    return drained


async def adiscard(read: Read, clock: Clock) -> httpx.Response:
    if not _worth_draining(read):
        await read.response.aclose()
        return read.response
    try:
        drained = await within(read.time_left, read.request, aread_body(read, clock), "body")
        await drained.aread()
    except httpx.HTTPError:
        return read.response
    return drained
