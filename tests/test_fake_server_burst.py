"""FakeRunaiServer under a burst of callers, its request validators built once, and a small
answer sent in one write.

No timing here: the burst test counts answers, the backlog test counts queued connections, the
validator test counts validators built, and the one-write test reads once. Timeouts are only
guards against a hang.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import jsonschema
import pytest
from runai_tokens.testing import FakeRunaiServer
from runai_tokens.testing._http import Server

BURST = 256
GRANT = "/api/v1/token"
CLIENT = ("burst-client", "fake-secret-burst")
BODY = json.dumps(
    {"grantType": "client_credentials", "clientId": CLIENT[0], "clientSecret": CLIENT[1]}
)
GUARD = 60.0  # seconds: a hang guard, not a threshold


@pytest.fixture
def server() -> Iterator[FakeRunaiServer]:
    with FakeRunaiServer() as server:
        server.add_client(*CLIENT)
        yield server


def test_a_burst_of_256_callers_all_get_answers(server: FakeRunaiServer) -> None:
    host, port = server.url.removeprefix("http://").split(":")
    start = threading.Barrier(BURST)
    statuses: list[int] = []
    failures: list[str] = []
    lock = threading.Lock()

    def call() -> None:
        try:
            start.wait(GUARD)  # every thread connects at once: the burst
            conn = http.client.HTTPConnection(host, int(port), timeout=GUARD)
            try:
                headers = {"Content-Type": "application/json"}
                conn.request("POST", GRANT, body=BODY, headers=headers)
                response = conn.getresponse()
                response.read()
                with lock:
                    statuses.append(response.status)
            finally:
                conn.close()
        except Exception as exc:
            with lock:
                failures.append(type(exc).__name__)

    threads = [threading.Thread(target=call) for _ in range(BURST)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(GUARD)
    assert failures == []
    assert statuses == [200] * BURST


def test_the_listen_backlog_queues_256_connections_nobody_has_accepted_yet() -> None:
    # The server is bound but not serving: every connection has to wait in the kernel's accept
    # queue. With socketserver's default backlog of 5, only about six would ever get there.
    with Server(("127.0.0.1", 0), BaseHTTPRequestHandler) as httpd:
        address = ("127.0.0.1", httpd.server_address[1])
        clients = [socket.create_connection(address) for _ in range(BURST)]
        httpd.socket.settimeout(GUARD)
        accepted = []
        try:
            for _ in range(BURST):
                accepted.append(httpd.socket.accept()[0])
            assert len(accepted) == BURST
        finally:
            for sock in accepted + clients:
                sock.close()


def test_the_request_validators_are_built_once_per_schema(
    server: FakeRunaiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[object] = []
    real = jsonschema.Draft202012Validator

    def counting(*args: Any, **kwargs: Any) -> Any:
        built.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(jsonschema, "Draft202012Validator", counting)
    host, port = server.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=GUARD)
    try:
        for _ in range(20):
            conn.request("POST", GRANT, body=BODY, headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            response.read()
            assert response.status == 200
    finally:
        conn.close()
    # At most one for the grant's body (none if an earlier test built it already), not twenty.
    assert len(built) <= 1


def test_a_small_answer_arrives_whole_in_one_read(server: FakeRunaiServer) -> None:
    """Head and body go out in one write, as a production server sends them: a client reads the
    answer in one wakeup. Two writes (head, then body) cost every client a second one."""
    host, port = server.url.removeprefix("http://").split(":")
    request = (
        f"POST {GRANT} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(BODY)}\r\n\r\n{BODY}"
    )
    with socket.create_connection((host, int(port)), timeout=GUARD) as sock:
        for _ in range(3):  # a fresh connection and kept-alive ones alike
            sock.sendall(request.encode())
            # One recv: the loopback queues one write as one segment, and hands it over whole.
            answer = sock.recv(65536)
            head, _, body = answer.partition(b"\r\n\r\n")
            length = next(
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            assert head.startswith(b"HTTP/1.1 200 ")
            assert len(body) == length > 0
            assert json.loads(body)["accessToken"]
