"""Proxies: passed in to TokenAuth and connect(), read from the environment only by the CLI.

The control plane's URL here is 127.0.0.1:9, where nothing listens: a request can only reach the
fake server, which also serves absolute-form proxy requests, by going through the proxy. (A
proxied http:// request is sent to the proxy alone; the target is never connected to.)
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
from runai_tokens import ApiException, ClientCredentials, RetryPolicy, TokenAuth, connect
from runai_tokens.cli import build_parser
from runai_tokens.cli._proxy import proxy_for
from runai_tokens.cli._settings import resolve_get
from runai_tokens.testing import FakeRunaiServer

BASE_URL = "http://127.0.0.1:9"
CREDENTIALS = ClientCredentials("fake-client", "fake-secret-proxy")


@pytest.fixture
def proxy() -> Iterator[FakeRunaiServer]:
    with FakeRunaiServer() as server:
        server.add_client(CREDENTIALS.client_id, CREDENTIALS.client_secret)
        yield server


def test_token_auth_fetches_and_sends_through_the_proxy(proxy: FakeRunaiServer) -> None:
    auth = TokenAuth(BASE_URL, CREDENTIALS, proxy=proxy.url)
    with httpx.Client(base_url=BASE_URL, auth=auth, proxy=proxy.url) as client:
        assert client.get(proxy.PROTECTED_PATH).status_code == 200
    assert proxy.token_requests == 1
    assert proxy.count(proxy.PROTECTED_PATH) == 1


def test_without_the_proxy_the_control_plane_is_unreachable() -> None:
    """The control test: BASE_URL really cannot be reached directly."""
    auth = TokenAuth(BASE_URL, CREDENTIALS, retry=RetryPolicy(max_attempts=1))
    with pytest.raises(ApiException) as caught:
        auth.get_token()
    assert caught.value.status is None  # no response: connection refused
    assert isinstance(caught.value.__cause__, httpx.ConnectError)


def test_connect_passes_the_proxy_to_the_client_and_to_its_token_auth(
    proxy: FakeRunaiServer,
) -> None:
    with connect(BASE_URL, CREDENTIALS, proxy=proxy.url) as client:
        assert client.get_httpx_client().get(proxy.PROTECTED_PATH).status_code == 200
    assert proxy.token_requests == 1
    assert proxy.count(proxy.PROTECTED_PATH) == 1


@pytest.mark.anyio
async def test_connect_proxy_serves_the_async_client_too(proxy: FakeRunaiServer) -> None:
    async with connect(BASE_URL, CREDENTIALS, proxy=proxy.url) as client:
        response = await client.get_async_httpx_client().get(proxy.PROTECTED_PATH)
    assert response.status_code == 200
    assert proxy.token_requests == 1


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, None),
        ({"HTTPS_PROXY": "http://proxy:3128"}, "http://proxy:3128"),
        (
            {"https_proxy": "http://lower:3128", "HTTPS_PROXY": "http://upper:3128"},
            "http://lower:3128",
        ),
        ({"HTTP_PROXY": "http://plain:3128"}, None),  # https base URL: the http proxy is not it
        ({"ALL_PROXY": "http://all:3128"}, "http://all:3128"),
        ({"HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": "run.ai"}, None),
        ({"HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": "other.example"}, "http://proxy:3128"),
        ({"HTTPS_PROXY": "http://proxy:3128", "no_proxy": "*"}, None),
        ({"HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": ".run.ai, localhost"}, None),
        ({"HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": "tenant.run.ai"}, None),
        ({"HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": "un.ai"}, "http://proxy:3128"),
    ],
)
def test_the_cli_reads_the_proxy_from_the_environment(
    environ: dict[str, str], expected: str | None
) -> None:
    assert proxy_for("https://tenant.run.ai", environ) == expected


def test_resolve_get_carries_the_proxy() -> None:
    args = build_parser().parse_args(
        ["get", "--base-url", BASE_URL, "--client-id", "fake-client", "--max-attempts", "1"]
    )
    environ = {"RUNAI_CLIENT_SECRET": "fake-secret-proxy", "HTTP_PROXY": "http://127.0.0.1:9"}
    assert resolve_get(args, environ).proxy == "http://127.0.0.1:9"


def test_runai_token_get_goes_through_http_proxy(proxy: FakeRunaiServer) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "RUNAI_BASE_URL": BASE_URL,
        "RUNAI_CLIENT_ID": CREDENTIALS.client_id,
        "RUNAI_CLIENT_SECRET": CREDENTIALS.client_secret,
        "HTTP_PROXY": proxy.url,
    }
    result = subprocess.run(
        [sys.executable, "-m", "runai_tokens", "get", "--no-cache", "--max-attempts", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert proxy.decode_token(result.stdout.strip())["sub"]
    assert proxy.token_requests == 1
