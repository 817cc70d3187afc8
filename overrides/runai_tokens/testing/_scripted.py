"""ScriptedServer: a loopback HTTP server that answers each request as a function says.

Each test passes a function that turns a recorded request into a Reply. The server records every
request it saw, so a test can assert on what went over the wire. It is a real socket server (the
fake server's threaded HTTP plumbing), so httpx's real transports, pools and timeouts are exercised.

The behaviour server for end-to-end flows is FakeRunaiServer; this one is for retry and auth edge
cases that need a reply scripted per request. Reply is also what FakeRunaiServer.script_grants()
takes.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

import attrs

from .._generated import GRANT_PATH, GRANT_V2_PATH
from ._faults import Delivery
from ._http import Server, handler_class
from ._routes import WireReply


@attrs.frozen
class Recorded:
    """One request as the server received it."""

    method: str
    path: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@attrs.frozen
class Reply:
    """What to answer. drop=True closes the socket without answering; a delivery (the fake
    server's) trickles it or cuts it off."""

    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = attrs.field(factory=dict)
    drop: bool = False
    delivery: Delivery | None = None

    @classmethod
    def json(cls, status: int, data: Any, headers: Mapping[str, str] | None = None) -> Reply:
        return cls(
            status,
            json.dumps(data).encode(),
            {"Content-Type": "application/json", **(headers or {})},
        )

    @classmethod
    def token(cls, request: Recorded, access_token: str, expires_in: int | None = None) -> Reply:
        """A grant's 200 shaped for the endpoint asked: OAuth2 on /api/v2/token, else v1."""
        if request.path.endswith(GRANT_V2_PATH):
            oauth2: dict[str, Any] = {"access_token": access_token, "token_type": "Bearer"}
            if expires_in is not None:
                oauth2["expires_in"] = expires_in
            return cls.json(200, oauth2)
        v1: dict[str, Any] = {"accessToken": access_token}
        if expires_in is not None:
            v1["expiresIn"] = expires_in
        return cls.json(200, v1)

    @classmethod
    def envelope(cls, status: int, message: str) -> Reply:
        """Run:ai's Error envelope {code, message} with `status`."""
        return cls.json(status, {"code": status, "message": message})

    def wire(self) -> WireReply:
        return WireReply(self.status, self.body, self.headers, self.drop, self.delivery)


def is_grant(request: Recorded) -> bool:
    """A request to either grant endpoint."""
    return request.path.endswith((GRANT_PATH, GRANT_V2_PATH))


Handler = Callable[[Recorded], Reply]


class ScriptedServer:
    """Serves `handler` on 127.0.0.1 and an ephemeral port; use as a context manager."""

    def __init__(self, handler: Handler, *, tls: ssl.SSLContext | None = None) -> None:
        self.handler = handler
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        # The fake server's own HTTP plumbing (chunked bodies, dropped connections, no Nagle
        # delay), with a per-test script in place of its routes.
        self._httpd = Server(("127.0.0.1", 0), handler_class(self._handle, _untracked))
        self._scheme = "http"
        if tls is not None:
            self._httpd.socket = tls.wrap_socket(self._httpd.socket, server_side=True)
            self._scheme = "https"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"{self._scheme}://{host!s}:{port}"

    def count(self, path: str | None = None) -> int:
        with self._lock:
            return sum(1 for r in self.requests if path is None or r.path == path)

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def _handle(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes
    ) -> WireReply:
        split = urlsplit(target)
        request = Recorded(method, split.path, parse_qs(split.query), headers, body)
        with self._lock:
            self.requests.append(request)
        return self.handler(request).wire()


@contextmanager
def scripted(handler: Handler, *, tls: ssl.SSLContext | None = None) -> Iterator[ScriptedServer]:
    with ScriptedServer(handler, tls=tls) as server:
        yield server


def _untracked(connection: socket.socket, opened: bool) -> None:
    """Stopping a scripted server needs no list of open connections: its threads are daemons."""


def sequence(*replies: Reply) -> Handler:
    """A handler that answers with `replies` in order, then repeats the last one."""
    lock = threading.Lock()
    remaining = list(replies)

    def handle(_: Recorded) -> Reply:
        with lock:
            return remaining.pop(0) if len(remaining) > 1 else remaining[0]

    return handle
