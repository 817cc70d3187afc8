"""Reading the pasted address from a stream, for a bounded time: paste mode's wait.

A person who never pastes (or a script whose stdin stays open) must not hold `runai-token login`
forever: the wait ends after --timeout seconds, as the browser's does. Where the stream is a pipe
or a terminal its file descriptor is waited on with selectors and read directly, so nothing is
left blocked in a read when the wait gives up (a thread stuck in stdin's readline holds its lock,
which the interpreter may need at exit). Other streams (an in-memory one, a regular file, a
console where selectors take only sockets) are read with readline on a daemon thread.

Standard library only: the CLI imports this when a login starts, nothing more.
"""

from __future__ import annotations

import os
import selectors
import threading
import time
from typing import TextIO

from ._errors import CallbackError

# A redirect address is a few hundred bytes; anything this long is no paste of one.
MAX_LINE = 64 * 1024


def read_line(stream: TextIO, timeout: float) -> str:
    """One line of stream, its newline included, or "" when the stream ended first.

    Raises TimeoutError when no whole line came within timeout seconds, and CallbackError for a
    line longer than MAX_LINE.
    """
    selector = _selector_for(stream)
    if selector is None:
        return _on_thread(stream, timeout)
    with selector:
        return _from_descriptor(selector, _encoding(stream), timeout)


def _selector_for(stream: TextIO) -> selectors.BaseSelector | None:
    """A selector watching stream's descriptor, or None when it has none selectors can watch."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation, a closed stream
        return None
    selector = selectors.DefaultSelector()
    try:
        selector.register(fd, selectors.EVENT_READ)
    except (OSError, ValueError):  # epoll refuses a regular file (EPERM); Windows, a pipe
        selector.close()
        return None
    return selector


def _from_descriptor(selector: selectors.BaseSelector, encoding: str, timeout: float) -> str:
    # The stream's own buffer is bypassed: nothing reads stdin before the paste, and nothing
    # after it, so what follows the newline is not needed.
    [key] = selector.get_map().values()
    fd = key.fd
    deadline = time.monotonic() + timeout
    got = bytearray()
    while b"\n" not in got:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        if not selector.select(left):
            continue
        chunk = os.read(fd, 4096)
        if not chunk:  # end of input
            break
        got += chunk
        if b"\n" not in got:
            _check_length(len(got))
    line = bytes(got).partition(b"\n")
    return (line[0] + line[1]).decode(encoding, errors="replace")


def _on_thread(stream: TextIO, timeout: float) -> str:
    read: list[str | BaseException] = []
    done = threading.Event()

    def run() -> None:
        try:
            read.append(stream.readline(MAX_LINE + 1))
        except Exception as exc:  # re-raised on the waiting side
            read.append(exc)
        finally:
            done.set()

    threading.Thread(target=run, name="runai-token-paste", daemon=True).start()
    if not done.wait(timeout):
        raise TimeoutError
    [line] = read
    if isinstance(line, BaseException):
        raise line
    if not line.endswith("\n"):
        _check_length(len(line))
    return line


def _check_length(size: int) -> None:
    if size > MAX_LINE:
        raise CallbackError(
            f"more than {MAX_LINE // 1024} KiB was pasted without a line end: that is no "
            "redirect address"
        )


def _encoding(stream: TextIO) -> str:
    encoding = getattr(stream, "encoding", None)
    return encoding if isinstance(encoding, str) and encoding else "utf-8"
