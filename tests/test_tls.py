"""verify= reaches every connection, the token requests included, over real TLS on loopback.

trustme makes a throwaway CA and a certificate for 127.0.0.1; the server trusts nothing else and
the system's trust store never hears of it.
"""

from __future__ import annotations

import asyncio
import io
import ssl
from collections.abc import Iterator
from pathlib import Path

import attrs
import httpx
import pytest
import trustme
from runai_tokens import (
    ApiException,
    ClientCredentials,
    RetryPolicy,
    RetryTransport,
    TokenAuth,
    cli,
    connect,
)
from runai_tokens._generated import GRANT_V2_PATH
from runai_tokens.retry import Clock, DeadlineExceeded
from runai_tokens.retry._rules import is_certificate_failure
from runai_tokens.testing import Recorded, Reply, ScriptedServer, scripted
from runai_tokens.testing._faults import Delivery
from runai_tokens.testing._scripted import is_grant

CREDENTIALS = ClientCredentials("fake-client", "fake-secret-tls")
ONE_TRY = RetryPolicy(max_attempts=1)


def answer(request: Recorded) -> Reply:
    if is_grant(request):
        return Reply.token(request, "fake-tls-token", expires_in=3600)
    if request.headers.get("authorization") == "Bearer fake-tls-token":
        return Reply.json(200, {"sub": "fake-client"})
    return Reply.json(401, {"code": 401, "message": "no token"})


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def server(ca: trustme.CA) -> Iterator[ScriptedServer]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    with scripted(answer, tls=context) as running:
        yield running


@pytest.fixture
def trusting(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


def test_connect_verifies_both_the_call_and_its_grants(
    server: ScriptedServer, trusting: ssl.SSLContext
) -> None:
    """connect()'s verify reaches the client's transport and the TokenAuth it builds: without
    the latter, the grant would fail the handshake."""
    assert server.url.startswith("https://")
    with connect(server.url, CREDENTIALS, verify=trusting) as client:
        assert client.get_httpx_client().get("/api/v1/whoami").status_code == 200
    assert server.count(GRANT_V2_PATH) == 1


def test_token_auth_with_an_ssl_context(server: ScriptedServer, trusting: ssl.SSLContext) -> None:
    auth = TokenAuth(server.url, CREDENTIALS, verify=trusting)
    assert auth.get_token() == "fake-tls-token"


def test_an_untrusted_certificate_is_refused_before_any_secret_is_sent(
    server: ScriptedServer,
) -> None:
    auth = TokenAuth(server.url, CREDENTIALS, retry=ONE_TRY)  # verify=True: the system's CAs
    with pytest.raises(ApiException) as caught:
        auth.get_token()
    assert caught.value.status is None
    assert isinstance(caught.value.__cause__, httpx.ConnectError)
    assert server.count() == 0  # the handshake failed: the grant (and its secret) never left


# --- a certificate that fails verification is final ------------------------------------------


def test_a_certificate_failure_is_not_retried(server: ScriptedServer) -> None:
    """Retrying cannot fix a certificate: it used to be tried three times and reported as an
    unreachable service."""
    waits: list[float] = []
    transport = RetryTransport(RetryPolicy(max_attempts=3), clock=Clock(sleep=waits.append))
    auth = TokenAuth(server.url, CREDENTIALS, transport=transport)
    with pytest.raises(ApiException) as caught:
        auth.get_token()
    assert waits == []  # no retry was scheduled
    assert caught.value.status is None
    assert is_certificate_failure(caught.value)


def test_a_certificate_failure_is_not_retried_on_the_async_path(server: ScriptedServer) -> None:
    waits: list[float] = []

    async def no_wait(seconds: float) -> None:
        waits.append(seconds)

    async def main() -> None:
        transport = RetryTransport(RetryPolicy(max_attempts=3), clock=Clock(async_sleep=no_wait))
        async with httpx.AsyncClient(transport=transport) as http:
            with pytest.raises(httpx.ConnectError) as caught:
                await http.get(server.url + "/api/v1/whoami")
        assert is_certificate_failure(caught.value)

    asyncio.run(main())
    assert waits == []


def test_other_connect_errors_are_still_retried(unused_port: int) -> None:
    waits: list[float] = []
    transport = RetryTransport(RetryPolicy(max_attempts=3), clock=Clock(sleep=waits.append))
    with httpx.Client(transport=transport) as http, pytest.raises(httpx.ConnectError) as caught:
        http.get(f"https://127.0.0.1:{unused_port}/")
    assert len(waits) == 2
    assert not is_certificate_failure(caught.value)


def test_the_cli_says_the_certificate_failed_exit_4(server: ScriptedServer, tmp_path: Path) -> None:
    env = {
        "RUNAI_BASE_URL": server.url,
        "RUNAI_CLIENT_ID": "fake-client",
        "RUNAI_CLIENT_SECRET": "fake-secret-tls",
    }
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["get", "--cache-dir", str(tmp_path)], environ=env, stdout=out, stderr=err)
    assert code == 4
    assert out.getvalue() == ""
    message = err.getvalue()
    assert message.startswith("runai-token: TLS certificate verification failed")
    assert "certificate" in message.split("failed", 1)[1]  # OpenSSL's reason follows
    assert "attempts" not in message
    assert message.count("\n") == 1
    assert "fake-secret-tls" not in message


# --- the deadline's hard stop works through TLS too -----------------------------------------------
@pytest.mark.parametrize("headers", [True, False], ids=["headers", "body"])
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_trickled_grant_is_cut_off_at_the_deadline_over_tls(
    ca: trustme.CA, trusting: ssl.SSLContext, mode: str, headers: bool
) -> None:
    """In sync code the socket under the TLS stream is shut down at the deadline; the blocked
    TLS read must fail as a read (then DeadlineExceeded), not with torn TLS state."""
    trickle = Delivery(bytes_per_second=20, trickle_headers=headers)

    def slow(request: Recorded) -> Reply:
        return attrs.evolve(Reply.token(request, "fake-tls-token", 3600), delivery=trickle)

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    with scripted(slow, tls=context) as server:
        auth = TokenAuth(server.url, CREDENTIALS, verify=trusting, retry=RetryPolicy(deadline=0.5))
        with pytest.raises(ApiException) as caught:
            auth.get_token() if mode == "sync" else asyncio.run(auth.aget_token())
        assert isinstance(caught.value.__cause__, DeadlineExceeded)
        assert server.count() == 1
