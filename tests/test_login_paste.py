"""Paste mode's bounded read: a line from a pipe, the end of input, a wait that gives up, and
input too long to be an address. Pipes are real (os.pipe); no test asserts how long anything took.
"""

from __future__ import annotations

import contextlib
import io
import os
import threading
from collections.abc import Iterator
from typing import TextIO

import pytest
from runai_tokens.login._errors import CallbackError
from runai_tokens.login._paste import MAX_LINE, read_line


@pytest.fixture
def pipe() -> Iterator[tuple[TextIO, int]]:
    """The reading end as a text stream (as sys.stdin is), and the writing end's descriptor."""
    read_fd, write_fd = os.pipe()
    stream = open(read_fd, encoding="utf-8")  # noqa: SIM115 - closed below
    try:
        yield stream, write_fd
    finally:
        stream.close()
        with contextlib.suppress(OSError):  # the test closed it already
            os.close(write_fd)


def test_a_line_written_in_pieces_is_read_whole(pipe: tuple[TextIO, int]) -> None:
    stream, writer = pipe
    os.write(writer, b"http://127.0.0.1:43121/callback")
    os.write(writer, "?code=fake-code&state=\u00e9t\u00e9\nmore\n".encode())
    assert (
        read_line(stream, 30)
        == "http://127.0.0.1:43121/callback?code=fake-code&state=\u00e9t\u00e9\n"
    )


def test_the_end_of_input_is_an_empty_string(pipe: tuple[TextIO, int]) -> None:
    stream, writer = pipe
    os.close(writer)
    assert read_line(stream, 30) == ""


def test_a_last_line_without_its_newline_is_read(pipe: tuple[TextIO, int]) -> None:
    stream, writer = pipe
    os.write(writer, b"http://127.0.0.1:43121/callback?code=x")
    os.close(writer)
    assert read_line(stream, 30) == "http://127.0.0.1:43121/callback?code=x"


def test_an_open_pipe_with_no_line_times_out(pipe: tuple[TextIO, int]) -> None:
    stream, writer = pipe
    os.write(writer, b"half a line, and the writer stays")
    with pytest.raises(TimeoutError):
        read_line(stream, 0.05)


def test_input_too_long_for_an_address_is_refused(pipe: tuple[TextIO, int]) -> None:
    stream, writer = pipe

    def flood() -> None:  # more than a pipe holds: written as the reader reads
        with contextlib.suppress(OSError):  # the reader gave up and closed its end
            os.write(writer, b"x" * (MAX_LINE + 4096))

    flooding = threading.Thread(target=flood, daemon=True)
    flooding.start()
    with pytest.raises(CallbackError, match="no redirect address"):
        read_line(stream, 30)
    stream.close()
    flooding.join(30)
    assert not flooding.is_alive()


def test_a_stream_without_a_descriptor_is_read_too() -> None:
    assert read_line(io.StringIO("http://localhost:43121/callback?code=x\nmore\n"), 30) == (
        "http://localhost:43121/callback?code=x\n"
    )
    assert read_line(io.StringIO(""), 30) == ""
    with pytest.raises(CallbackError, match="no redirect address"):
        read_line(io.StringIO("x" * (MAX_LINE + 10)), 30)
