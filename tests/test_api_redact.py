"""Secrets in the deprecated operations' query strings stay out of httpx's log records."""

from __future__ import annotations

import logging
import subprocess
import sys
import warnings
from collections.abc import Iterator

import httpx
import pytest
import runai_tokens
from runai_tokens import AsyncTokensApi, TokensApi, connect
from runai_tokens._redact import REDACTED, RedactTokenQueries, redact_token_queries
from runai_tokens.testing.scripted import Recorded, Reply, ScriptedServer, scripted

REFRESH = "fake-refresh-token-redact-6Gm"
CODE = "fake-code-redact-1Yb"


def answer(_: Recorded) -> Reply:
    return Reply.json(200, {"accessToken": "fake-access-token-redact"})


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with scripted(answer) as s:
        yield s


def httpx_filters() -> list[logging.Filter]:
    return [f for f in logging.getLogger("httpx").filters if isinstance(f, RedactTokenQueries)]


def test_the_filter_is_attached_once_however_many_clients(server: ScriptedServer) -> None:
    for _ in range(3):
        with connect(server.url) as client:
            TokensApi(client)
            AsyncTokensApi(client)
    assert len(httpx_filters()) == 1


def test_httpx_request_lines_do_not_carry_token_query_values(
    server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with connect(server.url) as client, warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        api = TokensApi(client)
        api.refresh_token(REFRESH)
        api.exchange_code_for_token("https://cb.example/x", CODE)
        # The application's own traffic on the same client is logged as before.
        client.get_httpx_client().get("/api/v1/projects", params={"page": "2"})
    lines = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert len(lines) == 3
    assert f"/v1/k8s/auth/oauth/tokens/refresh?refresh_token={REDACTED} " in lines[0]
    assert f"/v1/k8s/auth/token/exchange?redirect_uri={REDACTED}&code={REDACTED} " in lines[1]
    assert "/api/v1/projects?page=2 " in lines[2]
    everything = " ".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records)
    assert REFRESH not in everything and CODE not in everything
    # The server did get the real values: only the log is redacted.
    assert server.requests[0].query == {"refresh_token": [REFRESH]}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "POST https://h/runai/v1/k8s/auth/oauth/tokens/refresh?refresh_token=s3cr3t#x",
            f"POST https://h/runai/v1/k8s/auth/oauth/tokens/refresh?refresh_token={REDACTED}#x",
        ),
        (
            'GET http://h/v1/k8s/auth/token/exchange?code=a&redirect_uri=b "HTTP/1.1 200"',
            f"GET http://h/v1/k8s/auth/token/exchange?code={REDACTED}"
            f'&redirect_uri={REDACTED} "HTTP/1.1 200"',
        ),
        (
            "/v1/k8s/auth/oauth/tokens/refresh?bare-secret&&k=",
            f"/v1/k8s/auth/oauth/tokens/refresh?{REDACTED}&&k={REDACTED}",
        ),
        ("GET http://h/api/v1/token?debug=1", f"GET http://h/api/v1/token?debug={REDACTED}"),
        ("GET http://h/api/v1/other?x=1", "GET http://h/api/v1/other?x=1"),
        ("no url at all", "no url at all"),
    ],
)
def test_redact_token_queries(text: str, expected: str) -> None:
    assert redact_token_queries(text) == expected


def test_the_filter_handles_odd_records_and_never_drops_one() -> None:
    url = httpx.URL("http://h/v1/k8s/auth/oauth/tokens/refresh?refresh_token=s3cr3t")
    records = [
        logging.LogRecord("httpx", logging.INFO, "f", 1, "%s %s", ("POST", url), None),
        logging.LogRecord("httpx", logging.INFO, "f", 1, "%(u)s", ({"u": url},), None),
        logging.LogRecord("httpx", logging.INFO, "f", 1, f"at {url}", None, None),
        logging.LogRecord("httpx", logging.INFO, "f", 1, 42, (object(),), None),
    ]
    the_filter = RedactTokenQueries()
    assert all(the_filter.filter(r) for r in records)
    assert records[0].getMessage().endswith(f"refresh_token={REDACTED}")
    assert records[1].getMessage().endswith(f"refresh_token={REDACTED}")
    assert records[2].getMessage().endswith(f"refresh_token={REDACTED}")
    assert isinstance(records[0].args, tuple) and records[0].args[0] == "POST"


# --- the package's surface ---------------------------------------------------------------------


def test_public_exports() -> None:
    assert set(runai_tokens.__all__) == {
        "AccessToken",
        "CONTRACT_VERSION",
        "ClientCredentials",
        "AppCredentials",
        "ExternalTokenCredentials",
        "PasswordCredentials",
        "RefreshTokenCredentials",
        "StaticToken",
        "TokenAuth",
        "RetryPolicy",
        "RetryTransport",
        "connect",
        "TokensApi",
        "AsyncTokensApi",
        "ApiException",
        "RetryAfterExceedsDeadline",
        "InsecureHttpWarning",
        "RunaiCliSession",
        "LoginRequiredError",
        "LoginSession",
        "MissingCredentialsError",
        "default_credentials",
    }
    assert all(hasattr(runai_tokens, name) for name in runai_tokens.__all__)
    assert issubclass(runai_tokens.RetryAfterExceedsDeadline, runai_tokens.ApiException)
    assert runai_tokens.__version__ == "0.1.0"
    assert runai_tokens.CONTRACT_VERSION == "2.18-2.24"


CHEAP_IMPORT = """
import logging, sys, types
import runai_tokens
heavy = {"httpx", "runai_tokens_client", "pytest", "yaml", "jsonschema", "runai_tokens.testing"}
assert not heavy & set(sys.modules), heavy & set(sys.modules)
# Names load on first use, and a submodule import cannot shadow the function connect().
import runai_tokens._connect
from runai_tokens import connect, TokensApi
assert isinstance(connect, types.FunctionType), connect
assert runai_tokens.connect is connect
assert {"pytest", "yaml", "jsonschema"}.isdisjoint(sys.modules)
assert not logging.getLogger("httpx").filters, "a log filter was attached at import"
"""


def test_importing_the_package_is_cheap_and_has_no_side_effects() -> None:
    subprocess.run([sys.executable, "-c", CHEAP_IMPORT], check=True, timeout=30)


def test_unknown_names_raise_attribute_error() -> None:
    with pytest.raises(AttributeError, match="has no attribute 'Nope'"):
        runai_tokens.Nope  # noqa: B018
    assert {"connect", "TokensApi", "__version__"} <= set(dir(runai_tokens))
