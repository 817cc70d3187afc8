"""The scripted server itself: it answers what it is told and records what it got."""

import socket

import httpx
import pytest
from runai_tokens.testing import Reply, scripted, sequence


def test_replies_in_order_and_records_requests() -> None:
    handler = sequence(Reply.json(503, {"code": 503, "message": "busy"}), Reply(200, b"ok"))
    with scripted(handler) as server, httpx.Client(base_url=server.url) as client:
        first = client.post("/a?x=1", json={"k": "v"})
        second = client.get("/b")
        third = client.get("/b")
    assert [first.status_code, second.status_code, third.status_code] == [503, 200, 200]
    assert first.json() == {"code": 503, "message": "busy"}
    assert server.count() == 3
    assert server.count("/b") == 2
    assert server.requests[0].query == {"x": ["1"]}
    assert server.requests[0].json() == {"k": "v"}


def test_drop_closes_without_answer() -> None:
    with (
        scripted(sequence(Reply(drop=True))) as server,
        httpx.Client(base_url=server.url) as c,
        pytest.raises(httpx.RemoteProtocolError),
    ):
        c.get("/")
    assert server.count() == 1


def test_a_reply_that_says_connection_close_closes_its_connection() -> None:
    handler = sequence(Reply(200, b"bye", {"Connection": "close"}))
    with scripted(handler) as server:
        host, port = server.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=30) as sock:
            sock.sendall(f"GET / HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            received = b""
            while chunk := sock.recv(65536):  # EOF ends it; a connection kept open would not
                received += chunk
    assert received.startswith(b"HTTP/1.1 200 ")
    assert received.endswith(b"\r\n\r\nbye")
    assert b"Connection: close" in received
