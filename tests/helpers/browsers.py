"""Browsers for the login tests: each does what a real one would with the authorize URL."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit
from urllib.request import urlopen


def follow(url: str) -> bool:
    """A browser: fetch the authorize URL and follow its redirect to the loopback listener."""
    with urlopen(url, timeout=30) as answer:  # noqa: S310 - a loopback URL the test made
        answer.read()
    return True


def get(url: str, *, method: str = "GET", host: str | None = None) -> tuple[int, str]:
    """One request, redirects not followed: the status and the body."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=30)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = {"Host": host} if host is not None else {}
        connection.request(method, target or "/", headers=headers)
        answer = connection.getresponse()
        return answer.status, answer.read().decode("utf-8", "replace")
    finally:
        connection.close()


def location(url: str) -> str:
    """Where the authorize endpoint sends the browser (the redirect, not followed)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=30)
    try:
        connection.request("GET", f"{parts.path}?{parts.query}")
        answer = connection.getresponse()
        answer.read()
        assert answer.status == 302, answer.status
        found = answer.getheader("Location")
        assert found is not None
        return found
    finally:
        connection.close()


@contextmanager
def serving(make_body: Callable[[str], bytes], status: int = 200) -> Iterator[str]:
    """A loopback server answering every GET with make_body(its own base URL): a stand-in
    identity provider whose discovery document a test writes. Yields that base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = make_body(url)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
