"""FakeRunaiServer: the protected endpoint, fault injection, the request log, the lifecycle."""

from __future__ import annotations

import json
import logging
import socket
import ssl
import threading
from collections.abc import Iterator
from http.client import HTTPConnection

import httpx
import pytest
from runai_tokens.testing import FakeRunaiServer, make_jwt
from runai_tokens.testing._http import Server, handler_class
from runai_tokens.testing._routes import WireReply

from tests.helpers.parked import HANG_GUARD

GRANT = "/api/v1/token"
REFRESH = "/v1/k8s/auth/oauth/tokens/refresh"
EXCHANGE = "/v1/k8s/auth/token/exchange"
WHOAMI = "/api/v1/whoami"
CLIENT = ("ci-pipeline", "fake-secret-client-f4")
CLIENT_GRANT = {"grantType": "client_credentials", "clientID": CLIENT[0], "clientSecret": CLIENT[1]}
TLS = ssl.create_default_context()  # every URL is http://127.0.0.1; loaded once, not per client


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def server(clock: Clock) -> Iterator[FakeRunaiServer]:
    with FakeRunaiServer(clock=clock, lifetime=60) as server:
        server.add_client(*CLIENT)
        yield server


@pytest.fixture
def http(server: FakeRunaiServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=5, verify=TLS) as client:
        yield client


def token(http: httpx.Client) -> str:
    response = http.post(GRANT, json=CLIENT_GRANT)
    assert response.status_code == 200, response.text
    return str(response.json()["accessToken"])


def whoami(http: httpx.Client, bearer: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer is not None else {}
    return http.get(WHOAMI, headers=headers)


def assert_401(response: httpx.Response, message: str) -> None:
    assert response.status_code == 401
    assert response.json() == {"code": 401, "message": message}
    assert response.headers["www-authenticate"].startswith("Bearer")


# --- the protected endpoint ---------------------------------------------------------------------
def test_whoami_accepts_a_fresh_token_until_it_expires(
    server: FakeRunaiServer, http: httpx.Client, clock: Clock
) -> None:
    access = token(http)
    response = whoami(http, access)
    assert response.status_code == 200
    assert response.json() == {"sub": CLIENT[0], "exp": int(clock.now) + 60}
    clock.now += 59.9
    assert whoami(http, access).status_code == 200
    clock.now += 0.1
    assert_401(whoami(http, access), "token expired")


def test_whoami_rejects_anything_else(server: FakeRunaiServer, http: httpx.Client) -> None:
    assert_401(whoami(http, None), "missing bearer token")
    assert_401(http.get(WHOAMI, headers={"Authorization": "Basic eDp5"}), "missing bearer token")
    assert_401(
        whoami(http, "garbage"),
        "invalid bearer token: not a JWT (expected three dot-separated segments)",
    )
    assert_401(whoami(http, make_jwt("intruder")), "invalid bearer token: bad JWT signature")
    id_token = http.post(GRANT, json=CLIENT_GRANT).json()["idToken"]
    assert_401(whoami(http, id_token), "not an access token")
    assert http.post(WHOAMI).status_code == 405


def test_revoke_all_invalidates_access_and_refresh_tokens(
    server: FakeRunaiServer, http: httpx.Client
) -> None:
    access = token(http)
    refresh = server.issue_refresh_token("someone")
    server.revoke_all()
    assert_401(whoami(http, access), "token revoked")
    assert http.post(REFRESH, params={"refresh_token": refresh}).status_code == 401
    assert whoami(http, token(http)).status_code == 200  # new tokens are fine


def test_set_lifetime_applies_to_new_tokens(
    server: FakeRunaiServer, http: httpx.Client, clock: Clock
) -> None:
    server.set_lifetime(5)
    data = http.post(GRANT, json=CLIENT_GRANT).json()
    assert data["expiresIn"] == 5
    assert server.decode_token(data["accessToken"])["exp"] == int(clock.now) + 5
    server.set_lifetime(0)
    assert_401(whoami(http, token(http)), "token expired")  # born expired


def test_issue_access_token_skips_the_wire(server: FakeRunaiServer, http: httpx.Client) -> None:
    assert whoami(http, server.issue_access_token("eve")).json()["sub"] == "eve"
    assert server.tokens_issued == 1
    assert server.token_requests == 0


# --- faults -------------------------------------------------------------------------------------
def test_fail_next_with_retry_after(server: FakeRunaiServer, http: httpx.Client) -> None:
    server.fail_next(2, 503, retry_after=3)
    for _ in range(2):
        response = http.post(GRANT, json=CLIENT_GRANT)
        assert response.status_code == 503
        assert response.headers["retry-after"] == "3"
        assert response.json()["code"] == 503
    assert http.post(GRANT, json=CLIENT_GRANT).status_code == 200
    assert server.tokens_issued == 1
    assert [r.fault for r in server.requests] == ["fail", "fail", None]


def test_fail_next_only_on_its_path(server: FakeRunaiServer, http: httpx.Client) -> None:
    server.fail_next(1, 429, path=GRANT, retry_after="Wed, 21 Oct 2026 07:28:00 GMT")
    assert whoami(http, None).status_code == 401  # another path: answered normally
    assert server.pending_faults == 1
    response = http.post(GRANT, json={"grantType": "bogus"})  # faults come before validation
    assert response.status_code == 429
    assert response.headers["retry-after"] == "Wed, 21 Oct 2026 07:28:00 GMT"
    assert server.pending_faults == 0


def test_drop_next_closes_without_an_answer(server: FakeRunaiServer, http: httpx.Client) -> None:
    server.drop_next(1)
    with pytest.raises(httpx.RemoteProtocolError):
        http.post(GRANT, json=CLIENT_GRANT)
    assert http.post(GRANT, json=CLIENT_GRANT).status_code == 200
    assert [r.status for r in server.requests] == [None, 200]
    assert server.tokens_issued == 1


def test_delay_next_delays_then_answers(server: FakeRunaiServer, http: httpx.Client) -> None:
    # Held far longer than the client waits (stop() wakes it at the end of the test): the
    # client's timeout is what ends it, however slow the machine.
    server.delay_next(1, 3600, path=GRANT)
    with pytest.raises(httpx.ReadTimeout):
        http.post(GRANT, json=CLIENT_GRANT, timeout=0.05)
    assert server.requests == []  # still held: logged once answered
    server.delay_next(1, 0.01)
    assert http.post(GRANT, json=CLIENT_GRANT).status_code == 200
    assert [(r.status, r.fault) for r in server.requests] == [(200, "delay")]


def test_html_next_answers_like_a_load_balancer(
    server: FakeRunaiServer, http: httpx.Client
) -> None:
    server.html_next(1)
    response = http.post(GRANT, json=CLIENT_GRANT)
    assert response.status_code == 502
    assert response.headers["content-type"] == "text/html"
    assert "<title>502 Bad Gateway</title>" in response.text
    assert server.tokens_issued == 0


def test_truncated_next_sends_broken_json(server: FakeRunaiServer, http: httpx.Client) -> None:
    server.truncated_next(1)
    response = http.post(GRANT, json=CLIENT_GRANT)
    assert response.status_code == 200
    assert response.text.startswith('{"accessToken": "eyJ')
    with pytest.raises(json.JSONDecodeError):
        response.json()
    assert server.tokens_issued == 0


def test_faults_are_consumed_in_order_once_each(server: FakeRunaiServer) -> None:
    server.fail_next(3, 500)
    server.html_next(2)
    server.fail_next(0)  # no-op
    with pytest.raises(ValueError, match="n must be"):
        server.drop_next(-1)

    def call(_: int) -> int:
        with httpx.Client(base_url=server.url, verify=TLS) as http:
            return whoami(http, None).status_code

    threads_done: list[int] = []
    lock = threading.Lock()

    def worker(i: int) -> None:
        status = call(i)
        with lock:
            threads_done.append(status)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(threads_done) == [401, 401, 401, 500, 500, 500, 502, 502]
    assert server.pending_faults == 0


# --- counters and the redacted log --------------------------------------------------------------
def test_counters(server: FakeRunaiServer, http: httpx.Client) -> None:
    token(http)
    whoami(http, None)
    http.get("/elsewhere")
    assert server.count() == 3
    assert server.count(GRANT) == 1
    assert server.count(WHOAMI) == 1
    assert server.token_requests == 1
    assert [r.operation for r in server.requests] == ["grant_token", "whoami", None]
    assert [r.status for r in server.requests] == [200, 401, 404]


def test_the_log_never_holds_a_secret(
    server: FakeRunaiServer, http: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="runai_tokens.testing")
    server.add_user("u", "fake-secret-password-f4")
    server.add_code("fake-secret-code-f4", "https://example/cb")
    refresh = server.issue_refresh_token("someone")
    secrets = [CLIENT[1], "fake-secret-password-f4", "fake-secret-code-f4", refresh]
    answers = [
        http.post(GRANT, json=CLIENT_GRANT),
        http.post(GRANT, json={"grantType": "password", "username": "u", "password": secrets[1]}),
        http.get(EXCHANGE, params={"redirect_uri": "https://example/cb", "code": secrets[2]}),
        http.post(REFRESH, params={"refresh_token": refresh}),
        http.post(GRANT, json={"grantType": "refresh_token", "refreshToken": "fake-secret-nope"}),
    ]
    assert [a.status_code for a in answers] == [200, 200, 200, 200, 401]
    access = answers[0].json()["accessToken"]
    whoami(http, access)
    secrets += [access, "fake-secret-nope"]
    for answer in answers[:4]:
        secrets += [v for k, v in answer.json().items() if k != "expiresIn"]

    log = repr(server.requests) + "\n".join(r.getMessage() for r in caplog.records)
    for secret in secrets:
        assert secret not in log
    first = server.requests[0]
    assert first.body == {**CLIENT_GRANT, "clientSecret": "***"}
    assert server.requests[2].query == {"redirect_uri": "https://example/cb", "code": "***"}
    assert server.requests[3].query == {"refresh_token": "***"}
    assert server.requests[5].headers["authorization"] == "Bearer ***"
    assert f"POST {GRANT} -> 200" in caplog.text


# --- lifecycle ----------------------------------------------------------------------------------
def test_lifecycle() -> None:
    server = FakeRunaiServer()
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.url
    with server:
        url = server.url
        assert url.startswith("http://127.0.0.1:")
        with pytest.raises(RuntimeError, match="once"):
            server.start()
        http = httpx.Client(base_url=url, verify=TLS)
        assert whoami(http, None).status_code == 401
        # A keep-alive connection left open must not hold stop() up: stop() cuts it.
        idle = HTTPConnection("127.0.0.1", server.port, timeout=HANG_GUARD)
        idle.request("GET", WHOAMI)
        assert idle.getresponse().read() and idle.sock is not None  # answered, kept alive
    assert idle.sock.recv(1) == b""  # the server closed it
    idle.close()
    server.stop()  # twice is fine
    with pytest.raises(httpx.TransportError):
        whoami(http, None)
    http.close()


class CountingServer(Server):
    """Counts the times its serving loop woke and did its periodic work."""

    wakeups = 0

    def service_actions(self) -> None:
        self.wakeups += 1


def test_the_serving_loop_sleeps_until_a_request_or_shutdown() -> None:
    handle = handler_class(lambda *_: WireReply(200, b"{}", {}), lambda *_: None)
    httpd = CountingServer(("127.0.0.1", 0), handle)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.001})
    thread.start()
    host, port = httpd.server_address[:2]
    assert httpx.get(f"http://{host!s}:{port}/", verify=TLS).status_code == 200
    # Idle: a loop polling every poll_interval would wake dozens of times meanwhile. This wait
    # only gives it the chance to; it decides nothing in a loop that does not poll.
    threading.Event().wait(0.05)
    httpd.shutdown()  # wakes the loop; returns once it has ended
    thread.join(HANG_GUARD)
    httpd.server_close()
    assert not thread.is_alive()
    assert httpd.wakeups == 1  # once, for the one request


def test_a_server_shut_down_before_it_serves_stops_at_once() -> None:
    httpd = Server(
        ("127.0.0.1", 0), handler_class(lambda *_: WireReply(200, b"", {}), lambda *_: None)
    )
    httpd.shutdown()  # no loop running: returns instead of waiting for one
    httpd.serve_forever()  # returns at once: shutdown came first
    httpd.server_close()
    httpd.shutdown()  # after close, still fine


def test_fixed_port_and_chunked_bodies() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with FakeRunaiServer(port=port) as server:
        server.add_client(*CLIENT)
        assert server.url == f"http://127.0.0.1:{port}"
        with httpx.Client(verify=TLS) as http:
            chunks = iter(
                [json.dumps(CLIENT_GRANT).encode()[:10], json.dumps(CLIENT_GRANT).encode()[10:]]
            )
            response = http.post(
                server.url + GRANT, content=chunks, headers={"Content-Type": "application/json"}
            )
        assert response.status_code == 200, response.text


# --- faults that bend the real answer on its way ------------------------------------------------
def test_trickle_next_sends_the_body_a_byte_at_a_time(
    server: FakeRunaiServer, http: httpx.Client
) -> None:
    # 0.2 bytes per second: the second byte is five seconds away, so what arrives first is
    # exactly one byte. Leaving early closes the connection; stop() wakes the paced writer.
    server.trickle_next(1, bytes_per_second=0.2)
    with http.stream("POST", GRANT, json=CLIENT_GRANT) as response:
        assert response.status_code == 200  # the status line and headers came at once
        assert int(response.headers["content-length"]) > 100
        assert next(response.iter_raw()) == b"{"
    assert server.requests[-1].fault == "trickle"
    assert server.tokens_issued == 1  # the server did the work: only the delivery is slow


def test_trickle_next_delivers_the_whole_answer(server: FakeRunaiServer) -> None:
    server.trickle_next(1, bytes_per_second=5000)
    with (
        httpx.Client(base_url=server.url, verify=TLS) as http,
        http.stream("POST", GRANT, json=CLIENT_GRANT) as response,
    ):
        chunks = list(response.iter_raw())
    body = json.loads(b"".join(chunks))
    assert server.decode_token(body["accessToken"])["sub"] == CLIENT[0]
    assert len(chunks) > 1  # 250-byte steps


def test_trickle_next_can_trickle_the_headers_too(server: FakeRunaiServer) -> None:
    server.trickle_next(1, bytes_per_second=0.2, headers=True)
    with socket.create_connection(("127.0.0.1", server.port)) as raw:
        raw.sendall(f"GET {WHOAMI} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        assert raw.recv(1024) == b"H"  # of "HTTP/1.1 401 ...", one byte every five seconds


def test_reset_next_cuts_the_body_with_a_reset(server: FakeRunaiServer, http: httpx.Client) -> None:
    server.reset_next(1, after_bytes=10)
    received = b""
    with (
        pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)),
        http.stream("POST", GRANT, json=CLIENT_GRANT) as response,
    ):
        assert response.status_code == 200
        assert int(response.headers["content-length"]) > 10
        for chunk in response.iter_raw():
            received += chunk
    assert len(received) <= 10
    assert server.tokens_issued == 1  # minted, then lost on the way
    assert token(http)  # the next request is answered as usual
    assert [r.fault for r in server.requests] == ["reset", None]


def test_reset_next_before_the_body(server: FakeRunaiServer, http: httpx.Client) -> None:
    server.reset_next(1, path=WHOAMI)
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        whoami(http, None)
    assert whoami(http, None).status_code == 401


def test_oversized_next_declares_its_size_and_streams(
    server: FakeRunaiServer, http: httpx.Client
) -> None:
    server.oversized_next(1, size=50 * 2**20)
    read = 0
    with http.stream("POST", GRANT, json=CLIENT_GRANT) as response:
        assert response.status_code == 200
        assert response.headers["content-length"] == str(50 * 2**20)
        for chunk in response.iter_raw():
            read += len(chunk)
            if read > 2**20:
                break  # the client gives up; the server's write fails quietly
    assert server.tokens_issued == 0  # it replaced the answer
    assert token(http)


@pytest.mark.parametrize("size", [0, 1, 19, 200_000])
def test_oversized_next_without_a_length_ends_at_close(server: FakeRunaiServer, size: int) -> None:
    server.oversized_next(1, size=size, content_length=False)
    with httpx.Client(base_url=server.url, verify=TLS) as http:
        response = http.post(GRANT, json=CLIENT_GRANT)
    assert "content-length" not in response.headers
    assert len(response.content) == size
    if size >= 19:  # long enough for {"accessToken": ""}: JSON, with a token of As
        assert set(response.json()["accessToken"]) <= {"A"}


@pytest.mark.parametrize(
    ("method", "kwargs", "field"),
    [
        ("trickle_next", {"bytes_per_second": 0}, "bytes_per_second"),
        ("trickle_next", {"bytes_per_second": True}, "bytes_per_second"),
        ("reset_next", {"after_bytes": -1}, "after_bytes"),
        ("oversized_next", {"size": 1.5}, "size"),
    ],
)
def test_bent_answers_check_their_arguments(
    server: FakeRunaiServer, method: str, kwargs: dict[str, object], field: str
) -> None:
    with pytest.raises(ValueError, match=field):
        getattr(server, method)(1, **kwargs)
    assert server.pending_faults == 0
