"""verify= reaches every connection, the token requests included, over real TLS on loopback.

trustme makes a throwaway CA and a certificate for 127.0.0.1; the server trusts nothing else and
the system's trust store never hears of it.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator

import httpx
import pytest
import trustme
from runai_tokens import ApiException, ClientCredentials, RetryPolicy, TokenAuth, connect
from runai_tokens._generated import GRANT_PATH

from tests.scripted_server import Recorded, Reply, ScriptedServer, scripted

CREDENTIALS = ClientCredentials("fake-client", "fake-secret-tls")
ONE_TRY = RetryPolicy(max_attempts=1)


def answer(request: Recorded) -> Reply:
    if request.path == GRANT_PATH:
        return Reply.json(200, {"accessToken": "fake-tls-token", "expiresIn": 3600})
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
    assert server.count(GRANT_PATH) == 1


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
